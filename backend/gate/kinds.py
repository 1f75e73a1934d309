"""Notification kinds of the gate: a resident's visitor at the gate, their parcels (件件通知: every parcel, a
notice) and the reminder for one still on the shelf."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import notification_kind

notification_kind("gate.visitor_entered", _("My visitor came in at the gate"))
notification_kind("gate.visitor_left", _("My visitor's car left"))
notification_kind("gate.parcel_arrived", _("A parcel arrived for my home"), sms=True)
notification_kind("gate.parcel_collected", _("A parcel of my home was picked up"))
notification_kind("gate.parcel_reminder", _("A parcel still waiting to be picked up"), sms=True)
