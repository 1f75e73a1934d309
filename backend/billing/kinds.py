"""Notification kinds of billing (bill.issued and payment.received are registered by notifications)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import notification_kind

notification_kind("bill.reminder", _("Payment reminders"), sms=True)
notification_kind("bill.run_finished", _("Bill run finished"), staff_only=True)
notification_kind("dunning.promise_due", _("Promised payments due tomorrow"), staff_only=True)
notification_kind("waiver.requested", _("Waivers to approve"), staff_only=True)
notification_kind("waiver.decided", _("Waiver decisions"), staff_only=True)
