"""Notification kinds of settlement (to the company's finance staff). The merchant hears of a statement ready
by a merchant notice (marketplace.notices), kind STATEMENT_READY."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import notification_kind

STATEMENT_READY = "settlement.statement_ready"
STATEMENT_CONFIRMED = "settlement.statement_confirmed"

notification_kind(STATEMENT_CONFIRMED, _("A merchant confirmed a settlement statement"), staff_only=True)
