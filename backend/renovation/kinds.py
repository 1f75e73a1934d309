"""Notification kinds of renovation (装修): the resident's updates, and the staff's work-flow messages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import notification_kind

notification_kind("renovation.update", _("My renovation application: approvals, permit, inspections, deposit"))
notification_kind("renovation.review", _("A renovation application to review"), staff_only=True)
notification_kind("renovation.staff", _("A renovation I handle: paid, permit issued, completion"), staff_only=True)
