"""Notification kinds of the club."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import notification_kind

notification_kind("club.booking_confirmed", _("Booking confirmed"))
notification_kind("club.booking_cancelled", _("Booking cancelled"), sms=True)
notification_kind("club.booking_reminder", _("Booking reminder (an hour before)"))
notification_kind("club.waitlist_offer", _("A place from the waitlist"), sms=True)
notification_kind("club.booking_approved", _("Booking approved"))
notification_kind("club.booking_rejected", _("Booking not approved"))
notification_kind("club.facility_closed", _("Facility closed: booking cancelled"), sms=True)
notification_kind("club.checked_in", _("Checked in at the door"))
notification_kind("club.no_show", _("Missed booking (no-show)"))
