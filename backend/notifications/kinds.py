"""The registered kinds of notification. Other apps add theirs with `notification_kind(...)`; preferences
and routing work per kind. The inbox channel is always on; these are the default extra channels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    code: str
    label: Any
    email: bool = False
    sms: bool = False
    # Kinds the recipient may not switch off entirely (e.g. a security alert); inbox is always on anyway.
    staff_only: bool = False


KINDS: dict[str, Kind] = {}


def notification_kind(
    code: str, label: Any, *, email: bool = False, sms: bool = False, staff_only: bool = False
) -> Kind:
    kind = Kind(code, label, email, sms, staff_only)
    KINDS[code] = kind
    return kind


def kind_get(code: str) -> Kind:
    return KINDS.get(code) or Kind(code, code)


# The platform's own kinds; billing, payments, bookings, orders and tickets register theirs.
notification_kind("announcement", _("Announcements"))
notification_kind("greeting", _("Birthday and holiday greetings"))
notification_kind("bill.issued", _("Bill issued"), email=True, sms=True)
notification_kind("payment.received", _("Payment received"), email=True)
notification_kind("booking.confirmed", _("Booking confirmed"))
notification_kind("order.status", _("Order status"))
notification_kind("ticket.update", _("Repair and complaint updates"), sms=True)
notification_kind("binding.requested", _("Binding requests to review"), staff_only=True)
notification_kind("binding.approved", _("Home linked"), sms=True)
notification_kind("binding.rejected", _("Home not linked"), sms=True)
notification_kind("invitation.accepted", _("Invitation accepted"), staff_only=True)
notification_kind("delivery.failed", _("A message could not be sent"), staff_only=True)
