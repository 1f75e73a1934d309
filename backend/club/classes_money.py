"""Enrolment in a training class and its money: enrol (race-proof seats), withdraw with the class's refund
policy, the end of every enrolment when the class is cancelled, and the payment listener.

- **Seats.** One conditional UPDATE on the class row (`seats_taken < seats AND status = 'open'`), never a
  read followed by a write; the CHECK (seats_taken ≤ seats) holds even against a bug here. Fewer rows than
  one updated means the class is full (409 "full") or not open (409 "class_not_open").
- **The fee** is an ad-hoc line on the home's ledger (billing.ledger.adhoc_charge_post), exactly one per
  enrolment (Enrolment.charge is one-to-one), posted in the enrolment's transaction; the resident pays it with
  the ordinary online payment flow (/resident/pay/?unit=…&lines=…) or at the counter. The payment hook marks
  the enrolment paid (inside the payment's transaction; it never raises). A prepaid balance settles the line
  at once, and the enrolment is paid then.
- **Refund policy** (RefundPolicy; a session counts as held once it has started):
  pro rata (the default) — before the first session, everything; after it, the fee less what the sessions held
  have earned, floor(fee × held ÷ sessions) (the rounding goes to the resident); before_start — everything
  before the first session, nothing after; none — nothing. When the company cancels the class every paid
  enrolment gets the pro rata refund, whatever the policy (everything, before the first session).
- **How money goes back.** Unpaid (the line not fully settled): the whole line is corrected (红冲), so nothing
  is owed and any part paid from the prepaid balance goes back to it. Paid: a correction of the refund amount on
  the line, so its payment's money reopens as the home's prepaid balance (it settles the next bills, or finance
  refunds it to the payer through the payments refund flow). The enrolment is locked and must still be
  enrolled, so the refund happens exactly once; its ledger entry is kept on the enrolment (refund_entry).
- **Locks**, in one order everywhere: the home's ledger lock, then the enrolment row, then the class row; so
  a payment (ledger lock → enrolment) and a withdrawal never deadlock."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing import hooks
from backend.billing.arrears import unit_sanctioned
from backend.billing.ledger import adhoc_charge_post, unit_lock, waiver_post
from backend.billing.models import BillLine, LedgerEntry, Sanction
from backend.billing.selectors import lines_with_balances
from backend.errors import ApplicationError
from backend.notifications.kinds import notification_kind
from backend.notifications.services import notification_send
from backend.properties.models import Occupancy, Unit
from tenants.db import company_time_zone, connection

from .errors import Full
from .models import ClassSession, ClassStatus, Enrolment, EnrolmentStatus, RefundPolicy, TrainingClass
from .money import line_balances
from .rules import local_date
from .suspensions import suspension_check

log = logging.getLogger(__name__)

notification_kind("club.class_enrolled", gettext_lazy("Enrolled in a class"))
notification_kind("club.class_cancelled", gettext_lazy("Class cancelled"), sms=True)
notification_kind("club.class_session_cancelled", gettext_lazy("Class session cancelled"), sms=True)

_TAKE_SEAT = """
UPDATE club_trainingclass SET seats_taken = seats_taken + 1
WHERE id = %s AND status = 'open' AND seats_taken < seats
RETURNING seats - seats_taken
"""
_GIVE_SEAT = "UPDATE club_trainingclass SET seats_taken = seats_taken - 1 WHERE id = %s AND seats_taken > 0"


# --- sessions and the refund rule -----------------------------------------------------------------------


def counted_sessions(class_id: int) -> list[ClassSession]:
    """The sessions the fee is spread over, in order: all but those cancelled one by one (a cancelled class's
    sessions still count, so what was earned before the cancellation stays what it was)."""
    return list(
        ClassSession.objects.filter(training_class_id=class_id)
        .exclude(status=ClassSession.Status.CANCELLED)
        .order_by("starts_at", "id")
    )


def earned_fen(price: int, held: int, total: int) -> int:
    """What `held` of `total` sessions have earned of a fee: floor(price × held ÷ total)."""
    if total <= 0:
        return 0
    return price * min(held, total) // total


def held_by(sessions: Sequence[ClassSession], moment: dt.datetime) -> int:
    return sum(1 for s in sessions if s.starts_at <= moment)


def refund_fen(*, price: int, policy: str, sessions: Sequence[ClassSession], now: dt.datetime, by_company: bool) -> int:
    """What a paid enrolment gets back when it ends now (see the module's refund policy)."""
    held = held_by(sessions, now)
    if by_company or policy == RefundPolicy.PRO_RATA:
        return price - earned_fen(price, held, len(sessions))
    if policy == RefundPolicy.BEFORE_START:
        return price if held == 0 else 0
    return 0


# --- enrolment --------------------------------------------------------------------------------------------


def _eligible(klass: TrainingClass, user: User, unit: Unit, now: dt.datetime) -> None:
    facility = klass.facility
    lives_there = Occupancy.objects.filter(unit=unit, person__user_id=user.pk, end_date__isnull=True).exists()
    if not lives_there:
        raise ApplicationError.for_fields({"unit": [_("Enrol for a home you live in.")]})
    if unit.estate_id not in facility.bookable_estate_ids:
        raise ApplicationError.for_fields({"unit": [_("Homes of this estate cannot enrol in this class.")]})
    suspension_check(unit_id=unit.pk, now=now)
    today = local_date(now, company_time_zone())
    if klass.price_fen > 0 and unit_sanctioned(unit.pk, Sanction.NO_PAID_BOOKING, today=today):
        raise ApplicationError(
            _("Paid classes are closed to this home while it has unpaid fees."),
            code="arrears",
            fields={"unit": [_("This home has overdue fees: paid classes cannot be joined.")]},
            status=409,
        )


def _window(klass: TrainingClass, sessions: Sequence[ClassSession], now: dt.datetime) -> None:
    if klass.status != ClassStatus.OPEN:
        raise ApplicationError(_("This class is not open for enrolment."), code="class_not_open", status=409)
    if klass.enrol_opens_at and now < klass.enrol_opens_at:
        raise ApplicationError(_("Enrolment has not opened yet."), code="class_not_open", status=409)
    if klass.enrol_closes_at and now >= klass.enrol_closes_at:
        raise ApplicationError(_("Enrolment has closed."), code="class_not_open", status=409)
    if sessions and sessions[0].starts_at <= now:
        raise ApplicationError(_("This class has begun: enrolment is over."), code="class_not_open", status=409)


def _line_paid(line_id: int) -> bool:
    charged_left, owed = line_balances(line_id)
    return charged_left > 0 and owed <= 0


def enrolment_create(
    *, training_class: TrainingClass, user: User, unit: Unit, participant: str = "", now: dt.datetime | None = None
) -> Enrolment:
    """A resident enrols (themself, or `participant` of their home) in an open class. The same person again
    returns the enrolment they have. Refusals: 409 "full", "class_not_open", "arrears", "suspended"; 400 for
    a home they do not live in or of an estate the facility does not serve."""
    now = now or timezone.now()
    participant = (participant or "").strip()
    if len(participant) > 40:
        raise ApplicationError.for_fields({"participant": [_("At most 40 characters.")]})
    klass = TrainingClass.objects.select_related("facility", "fee_item").get(pk=training_class.pk)
    existing = Enrolment.objects.filter(
        training_class=klass, user=user, participant=participant, status=EnrolmentStatus.ENROLLED
    ).first()
    if existing is not None:
        return existing
    _window(klass, counted_sessions(klass.pk), now)
    _eligible(klass, user, unit, now)
    with transaction.atomic():
        unit_lock(unit.pk)
        with connection.cursor() as cursor:
            cursor.execute(_TAKE_SEAT, [klass.pk])
            row = cursor.fetchone()
        if row is None:
            status = TrainingClass.objects.filter(pk=klass.pk).values_list("status", flat=True).first()
            if status != ClassStatus.OPEN:
                raise ApplicationError(_("This class is not open for enrolment."), code="class_not_open", status=409)
            raise Full(_("This class is full."))
        try:
            with transaction.atomic():
                enrolment = Enrolment.objects.create(
                    training_class=klass, unit=unit, user=user, participant=participant, price_fen=klass.price_fen
                )
        except IntegrityError:
            raise ApplicationError(_("Already enrolled in this class."), code="already_enrolled", status=409) from None
        if klass.price_fen > 0:
            if klass.fee_item is None:
                raise ApplicationError(_("This class has no fee item to charge."), code="not_chargeable", status=409)
            label = klass.title + (f" ({participant})" if participant else "")
            enrolment.charge = adhoc_charge_post(
                unit=unit,
                fee_item=klass.fee_item,
                amount=klass.price_fen,
                description=_("Training class: %(title)s") % {"title": label},
                by=user,
                today=local_date(now, company_time_zone()),
            )
            if _line_paid(enrolment.charge.pk):  # the prepaid balance covered it
                enrolment.paid_at = now
            else:  # the seat waits this long for the payment (classes_holds.py)
                enrolment.hold_expires_at = now + dt.timedelta(minutes=klass.hold_minutes)
            enrolment.save(update_fields=["charge", "paid_at", "hold_expires_at"])
        elif klass.price_fen == 0:
            enrolment.paid_at = now
            enrolment.save(update_fields=["paid_at"])
        audit_record(
            action="club.class_enrol",
            target=enrolment,
            object_repr=f"{klass.title} {unit.label} {participant}".strip(),
            changes={
                "class": klass.pk,
                "unit": unit.pk,
                "participant": participant,
                "price_fen": klass.price_fen,
                "charge": enrolment.charge_id,
                "hold_expires_at": enrolment.hold_expires_at.isoformat() if enrolment.hold_expires_at else None,
                "seats_left": int(row[0]),
            },
        )
        _notify(enrolment, "club.class_enrolled", _("Enrolled"))
    return enrolment


# --- the end of an enrolment ----------------------------------------------------------------------------


def _correct(line: BillLine, amount: int, *, by: User, reason: str) -> LedgerEntry | None:
    if amount <= 0:
        return None
    return waiver_post(
        line=line,
        amount=amount,
        reason=reason,
        approved_by=by,
        created_by=by,
        kind=LedgerEntry.WaiverKind.CORRECTION,
    )


def enrolment_end(
    *,
    enrolment: Enrolment,
    by: User,
    now: dt.datetime | None = None,
    by_company: bool = False,
    reason: str = "",
) -> Enrolment:
    """End an enrolment: the resident withdraws (the class's refund policy) or the company cancels the class
    (`by_company`: the pro rata refund, status cancelled). Frees the seat, settles the money once (see the
    module), audits, notifies. 409 "invalid_state" when it has ended already."""
    now = now or timezone.now()
    with transaction.atomic():
        unit_lock(enrolment.unit_id)
        locked = Enrolment.objects.select_for_update().select_related("training_class").get(pk=enrolment.pk)
        if locked.status != EnrolmentStatus.ENROLLED:
            raise ApplicationError(_("This enrolment has ended."), code="invalid_state", status=409)
        klass = locked.training_class
        sessions = counted_sessions(klass.pk)
        if not by_company and sessions and sessions[-1].starts_at <= now:
            raise ApplicationError(_("The last session has begun: withdrawing is over."), code="over", status=409)
        why = reason or (_("Class cancelled") if by_company else _("Withdrawn from the class"))
        why = f"{klass.title}: {why}"[:300]
        refund = 0
        entry = None
        if locked.charge_id is not None:
            line = BillLine.objects.get(pk=locked.charge_id)
            if _line_paid(line.pk):
                if locked.paid_at is None:  # settled by a path without the payment hook
                    locked.paid_at = now
                refund = refund_fen(
                    price=locked.price_fen,
                    policy=klass.refund_policy,
                    sessions=sessions,
                    now=now,
                    by_company=by_company,
                )
                entry = _correct(line, refund, by=by, reason=why)
            else:
                annotated = lines_with_balances(BillLine.objects.filter(pk=line.pk)).get()
                _correct(line, int(annotated.charged) - int(annotated.waived), by=by, reason=why)  # type: ignore[attr-defined]
        locked.status = EnrolmentStatus.CANCELLED if by_company else EnrolmentStatus.WITHDRAWN
        locked.ended_at = now
        if refund:
            locked.refunded_fen, locked.refunded_at, locked.refund_entry = refund, now, entry
        locked.save(update_fields=["status", "ended_at", "paid_at", "refunded_fen", "refunded_at", "refund_entry"])
        with connection.cursor() as cursor:
            cursor.execute(_GIVE_SEAT, [klass.pk])
        audit_record(
            action="club.class_cancel_enrolment" if by_company else "club.class_withdraw",
            target=locked,
            object_repr=f"{klass.title} {locked.participant}".strip(),
            changes={"class": klass.pk, "refunded_fen": refund, "paid": locked.paid_at is not None, "reason": why},
        )
        if by_company:
            _notify(locked, "club.class_cancelled", _("Class cancelled"), body=reason)
    return locked


def withdraw_quote(enrolment: Enrolment, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """What withdrawing now would give back (a read, for the page that asks to confirm): `paid`, `refund_fen`
    (for a paid enrolment, by the class's policy), `sessions_held` of `sessions`, `over` (the last session has
    begun: withdrawing is refused)."""
    now = now or timezone.now()
    klass = enrolment.training_class
    sessions = counted_sessions(klass.pk)
    paid = enrolment.charge_id is not None and _line_paid(enrolment.charge_id)
    refund = (
        refund_fen(price=enrolment.price_fen, policy=klass.refund_policy, sessions=sessions, now=now, by_company=False)
        if paid
        else 0
    )
    return {
        "paid": paid,
        "refund_fen": refund,
        "sessions_held": held_by(sessions, now),
        "sessions": len(sessions),
        "over": bool(sessions) and sessions[-1].starts_at <= now,
    }


def enrolment_withdraw(*, enrolment: Enrolment, by: User, now: dt.datetime | None = None) -> Enrolment:
    """The resident withdraws (the caller passes an enrolment of theirs)."""
    return enrolment_end(enrolment=enrolment, by=by, now=now)


# --- payments -------------------------------------------------------------------------------------------


def enrolments_mark_paid(*, unit_id: int, now: dt.datetime | None = None) -> list[int]:
    """Mark paid the home's live enrolments whose charge is now fully settled. Returns their ids."""
    now = now or timezone.now()
    candidates = list(
        Enrolment.objects.filter(
            unit_id=unit_id, status=EnrolmentStatus.ENROLLED, paid_at__isnull=True, charge__isnull=False
        ).values_list("pk", "charge_id")
    )
    paid = [pk for pk, line_id in candidates if _line_paid(line_id)]
    if paid:
        Enrolment.objects.filter(pk__in=paid, paid_at__isnull=True).update(paid_at=now)
        for enrolment in Enrolment.objects.filter(pk__in=paid).select_related("training_class"):
            audit_record(action="club.class_paid", target=enrolment, changes={"charge": enrolment.charge_id})
    return paid


def _mark_paid_safely(unit_id: int) -> None:
    """Inside a payment's transaction: never raise (a savepoint keeps a failure here from spoiling it)."""
    try:
        with transaction.atomic():
            enrolments_mark_paid(unit_id=unit_id)
    except Exception:  # never refuse or break a payment over a class
        log.exception("marking enrolments paid failed for unit %s", unit_id)


def _on_payment(payment: Any) -> None:
    _mark_paid_safely(int(payment.unit_id))


def _on_payments(payments: Sequence[Any]) -> None:
    units = sorted({int(p.unit_id) for p in payments})
    try:
        # One query for an import's homes, nearly all of them without a class to pay: only those with one
        # are looked at one by one.
        with transaction.atomic():
            waiting = set(
                Enrolment.objects.filter(
                    unit_id__in=units, status=EnrolmentStatus.ENROLLED, paid_at__isnull=True, charge__isnull=False
                ).values_list("unit_id", flat=True)
            )
    except Exception:  # never refuse or break a payment over a class: then every home, each on its own
        log.exception("looking for enrolments to mark paid failed")
        waiting = set(units)
    for unit_id in units:
        if unit_id in waiting:
            _mark_paid_safely(unit_id)


hooks.on_payment_recorded(_on_payment)
hooks.on_payments_recorded(_on_payments)


# --- notifications --------------------------------------------------------------------------------------


def _notify(enrolment: Enrolment, kind: str, title: str, body: str = "") -> None:
    recipient = User.objects.filter(pk=enrolment.user_id).first()
    if recipient is None:
        return
    notification_send(
        recipient=recipient,
        kind=kind,
        title=f"{title}: {enrolment.training_class.title}",
        body=body,
        payload={"enrolment": enrolment.pk, "class": enrolment.training_class_id},
    )
