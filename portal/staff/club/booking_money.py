"""The money part of the staff booking page: the booking's lines on the home's ledger (charged, waived or
corrected, paid, owed) with the home's statement, the deposit (held, released, kept), and the actions on it —
release or forfeit the deposit with a reason after the booking's time, mark a guest's booking paid at the desk.
Writes go through backend.club.refunds and backend.club.desk."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.accounts import permissions as perms
from backend.billing.models import BillLine
from backend.billing.money import yuan
from backend.billing.selectors import deposit_held, lines_with_balances
from backend.club.desk import booking_guest_paid
from backend.club.models import Booking, DeskMethod
from backend.club.money import booking_line_ids
from backend.club.refunds import booking_deposit_forfeit, booking_deposit_release
from tenants.http import CompanyRequest

MONEY_ACTIONS = ("deposit_release", "deposit_forfeit", "guest_paid")


class DeskPaidForm(forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("Paid at the desk by"), choices=DeskMethod.choices, widget=forms.RadioSelect
    )


def booking_money(request: CompanyRequest, booking: Booking) -> dict[str, Any]:
    """What the page shows of the booking's money (a fixed number of queries)."""
    ids = booking_line_ids(booking)
    lines = list(lines_with_balances(BillLine.objects.filter(pk__in=ids).select_related("fee_item")).order_by("pk"))
    for line in lines:
        line.is_deposit = line.pk == booking.deposit_charge_id  # type: ignore[attr-defined]
    held = deposit_held(booking.deposit_id) if booking.deposit_id is not None else None
    deposit_line = next((line for line in lines if line.pk == booking.deposit_charge_id), None)
    if booking.unit_id is None:
        deposit_open = booking.deposit_fen > 0 and booking.paid_at is not None and not booking.desk_deposit
        forfeitable = deposit_open
    else:
        charged_left = int(deposit_line.charged - deposit_line.waived) if deposit_line else 0  # type: ignore[attr-defined]
        deposit_open = (held or 0) > 0 or (booking.deposit_id is None and charged_left > 0)
        forfeitable = (held or 0) > 0
    return {
        "lines": lines,
        "deposit_held": held,
        "deposit_open": deposit_open and booking.status != "cancelled",
        "deposit_forfeitable": forfeitable and booking.status != "cancelled",
        "statement": booking.unit_id is not None and perms.BILLING_READ.granted_to(request.membership),
        "guest_payable": booking.unit_id is None
        and booking.total_fen > 0
        and booking.paid_at is None
        and booking.status in ("confirmed", "checked_in", "no_show"),
    }


def money_action(request: CompanyRequest, booking: Booking, action: str, *, reason: str = "", method: str = "") -> str:
    """Run one money action (the service's refusals propagate as ApplicationError); the message to show."""
    if action == "deposit_release":
        booking_deposit_release(booking=booking, by=request.user, reason=reason)
        if booking.unit_id is None:
            return _("Deposit released: hand back %(fen)s at the desk.") % {"fen": yuan(booking.deposit_fen)}
        return _("Deposit released.")
    if action == "deposit_forfeit":
        booking_deposit_forfeit(booking=booking, by=request.user, reason=reason)
        return _("Deposit kept.")
    booking_guest_paid(booking=booking, method=method, by=request.user)
    return _("Paid at the desk.")
