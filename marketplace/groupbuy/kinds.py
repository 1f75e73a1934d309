"""Notification kinds of group-buy (to the participants; the merchant is told by a merchant notice)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import notification_kind

notification_kind("shop.groupbuy_succeeded", _("Group-buy succeeded"))
notification_kind("shop.groupbuy_failed", _("Group-buy failed: refunded"), sms=True)
