"""Notification kinds of payments."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import notification_kind

notification_kind("payment.succeeded", _("Payment succeeded"), email=True)
notification_kind("payment.failed", _("Payment failed"))
notification_kind("payment.refunded", _("Payment refunded"), email=True)
notification_kind("autopay.charged", _("Autopay charged"), email=True)
notification_kind("autopay.failed", _("Autopay failed"), email=True, sms=True)
notification_kind("payment.webhook_failed", _("Payment webhooks that could not be processed"), staff_only=True)
