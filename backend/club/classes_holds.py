"""Unpaid enrolments expire. An enrolment of a paid class that the prepaid balance did not settle holds its seat
for the class's `hold_minutes` (default 30; Enrolment.hold_expires_at), like a held booking. Then, unless an
online payment for its charge is in flight, the periodic task (tasks.class_holds_expire, every minute) ends it:

- **The seat is freed** by one conditional UPDATE (seats_taken − 1 where seats_taken > 0), in the transaction
  that marks the enrolment expired, so the next resident's enrolment takes it.
- **Nothing is owed.** What is still charged on its line is corrected (红冲) in full; a part paid from the
  prepaid balance goes back to it. The correction is the club's rules' doing, approved by the rules account
  (`rules_approver`, the same account as the bookings' automatic corrections), created by nobody.
- **A payment in flight** (an online payment for the line processing or awaiting 3-D Secure, or submitted and
  not yet answered) keeps the hold, for at most IN_FLIGHT_GRACE past its end: a 3-D Secure page abandoned
  stays "requires action" at Stripe. A payment that succeeds after the expiry finds nothing owed, and its
  money becomes the home's prepaid balance.
- **Paid after all** (at the counter, by a path without the payment hook): the sweep marks it paid instead.

Locks in the order of classes_money.py: the home's ledger lock, then the enrolment row (skipping one another
worker or a withdrawal holds), then the class row in the seat UPDATE."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing.ledger import unit_lock, waiver_post
from backend.billing.models import BillLine, LedgerEntry
from backend.notifications.kinds import notification_kind
from backend.notifications.services import notification_send
from tenants.db import connection

from .models import Enrolment, EnrolmentStatus
from .money import line_balances, lines_payment_in_flight, rules_approver

log = logging.getLogger(__name__)

notification_kind("club.class_enrolment_expired", gettext_lazy("Class enrolment not paid in time"))

_FREE_SEAT = "UPDATE club_trainingclass SET seats_taken = seats_taken - 1 WHERE id = %s AND seats_taken > 0"


def enrolment_payment_in_flight(enrolment: Enrolment, *, now: dt.datetime) -> bool:
    """An online payment for the enrolment's charge is in flight (money.lines_payment_in_flight)."""
    return lines_payment_in_flight(
        unit_id=enrolment.unit_id,
        line_ids=[enrolment.charge_id] if enrolment.charge_id is not None else [],
        hold_expires_at=enrolment.hold_expires_at,
        now=now,
    )


def _due(now: dt.datetime) -> Q:
    return Q(status=EnrolmentStatus.ENROLLED, paid_at__isnull=True, hold_expires_at__lte=now)


def enrolment_expire(*, enrolment_id: int, now: dt.datetime) -> Enrolment | None:
    """Expire one unpaid enrolment past its hold (None: not due, paid, in flight, or locked by another)."""
    unit_id = Enrolment.objects.filter(pk=enrolment_id).values_list("unit_id", flat=True).first()
    if unit_id is None:
        return None
    with transaction.atomic():
        unit_lock(unit_id)
        locked = (
            Enrolment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("training_class")
            .filter(_due(now), pk=enrolment_id)
            .first()
        )
        if locked is None or enrolment_payment_in_flight(locked, now=now):
            return None
        klass = locked.training_class
        if locked.charge_id is not None:
            left, owed = line_balances(locked.charge_id)
            if left > 0 and owed <= 0:  # settled some way the payment hook did not see
                locked.paid_at = now
                locked.save(update_fields=["paid_at"])
                audit_record(action="club.class_paid", target=locked, changes={"charge": locked.charge_id})
                return None
            if left > 0:
                waiver_post(
                    line=BillLine.objects.get(pk=locked.charge_id),
                    amount=left,
                    reason=(_("%(title)s: not paid in time") % {"title": klass.title})[:300],
                    approved_by=rules_approver(),
                    created_by=None,
                    kind=LedgerEntry.WaiverKind.CORRECTION,
                )
        locked.status, locked.ended_at = EnrolmentStatus.EXPIRED, now
        locked.save(update_fields=["status", "ended_at"])
        with connection.cursor() as cursor:
            cursor.execute(_FREE_SEAT, [klass.pk])
        audit_record(
            action="club.class_enrolment_expire",
            target=locked,
            object_repr=f"{klass.title} {locked.participant}".strip(),
            changes={"class": klass.pk, "charge": locked.charge_id, "hold_expires_at": str(locked.hold_expires_at)},
        )
        recipient = User.objects.filter(pk=locked.user_id).first()
        if recipient is not None:
            notification_send(
                recipient=recipient,
                kind="club.class_enrolment_expired",
                title=_("Enrolment not paid in time: %(title)s") % {"title": klass.title},
                body=_("The seat was given up and nothing is owed. Enrol again if seats are left."),
                payload={"enrolment": locked.pk, "class": klass.pk},
            )
    return locked


def class_holds_expire(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Unpaid enrolments past their hold expire and free their seats, each in its own short transaction.
    Returns how many expired."""
    now = now or timezone.now()
    due = list(
        Enrolment.objects.filter(_due(now)).order_by("hold_expires_at", "pk").values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for pk in due:
        if enrolment_expire(enrolment_id=pk, now=now) is not None:
            expired += 1
    return expired
