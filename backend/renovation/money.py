"""The money of a renovation: the deposit (装修保证金) and the debris fee (装修垃圾清运费), the permit they
unlock, and the deposit's end. The club's bookings set the pattern (backend/club/money.py, refunds.py).

- **Two bill lines on the home's ledger.** When the second approval is given, the debris fee is posted as a
  one-off line (billing's `adhoc_charge_post`) of the office's `renovation-debris` item (category
  "renovation debris"), and the deposit as a second one-off line of its `renovation-deposit` item (category
  "deposit"); the items are made on first use. Both settle at once from the home's prepaid balance when it
  has one. Application.deposit_charge / debris_charge are one-to-one with the lines: posted once.
- **Paying them is paying bills**: online through the existing flow (the pay page `/resident/pay/?unit=&lines=`,
  `POST /api/v1/payments/online/`), at the counter, or from prepaid money.
- **The permit rule.** The permit (出入证) is issued when the application has both approvals AND both lines are
  paid: the deposit is then registered in billing's deposits (`deposit_hold`, method: the payment's), so
  staff see it among the home's deposits, and a permit code is drawn. Billing's payment hooks do this inside
  the payment's transaction; a periodic sweep (`permits_sweep`) catches what was paid another way (a prepaid
  settlement after a top-up). A company asking no deposit and no fee (both 0) gets the permit at approval.
- **The deposit's end** (`deposit_settle`, after a passed completion check): what is held is split into a
  refunded and a forfeited part (either may be 0; a forfeit needs a reason) and recorded with billing's
  `deposit_release`. The refunded part corrects (红冲) the deposit line, so its money goes back to the payment
  that paid it: paid online, a card refund (payments' Refund, sent after commit with no lock held); paid at
  the counter or from prepaid money, the home's prepaid credit (a cashier pays it out with billing's refund).
  The forfeited part stays paid on the line: the company's income.
- **Withdrawn before the permit**: the lines' unpaid parts are owed no more and their paid parts go back the
  same way (`charges_cancel`).
- **Locks.** The unit's ledger lock before the application's row lock, the order a payment takes them in
  (payment_record holds the unit's lock when it calls the hooks), so the two never deadlock."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.accounts.roles import Role
from backend.billing.ledger import adhoc_charge_post, deposit_hold, deposit_release, unit_lock, waiver_post
from backend.billing.models import BillLine, FeeItem, LedgerEntry, Payment
from backend.billing.models.fees import ChargeMethod, Cycle, FeeCategory
from backend.billing.selectors import deposit_held, lines_with_balances
from backend.errors import ApplicationError
from backend.payments.models import Refund
from backend.payments.refunds import ONLINE_CHANNELS, refund_left, refund_request, refund_send

from .models import Application, Status
from .steps import event_record, notify_resident, notify_staff

log = logging.getLogger(__name__)

DEPOSIT_CODE, DEBRIS_CODE = "renovation-deposit", "renovation-debris"
RULES_EMAIL = "renovation-rules@system.invalid"
PERMIT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def rules_approver() -> User:
    """The account that approves the corrections the renovation rules make when an application is withdrawn (a
    correction needs an approver: ledger_waiver_approved); an inactive user with no password or membership."""
    user = User.objects.filter(email=RULES_EMAIL).first()
    if user is not None:
        return user
    user, created = User.objects.get_or_create(
        email=RULES_EMAIL, defaults={"name": "System (renovation rules)", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def fee_item(*, office_id: int, deposit: bool) -> FeeItem:
    code = DEPOSIT_CODE if deposit else DEBRIS_CODE
    defaults = {
        "name": _("Renovation deposit (装修保证金)") if deposit else _("Renovation debris removal (装修垃圾清运费)"),
        "category": FeeCategory.DEPOSIT if deposit else FeeCategory.RENOVATION_DEBRIS,
        "method": ChargeMethod.FIXED,
        "cycle": Cycle.ONE_OFF,
    }
    item, _created = FeeItem.objects.get_or_create(office_id=office_id, code=code, defaults=defaults)
    return item


def line_ids(application: Application) -> list[int]:
    return [pk for pk in (application.debris_charge_id, application.deposit_charge_id) if pk is not None]


def lines_paid(ids: Sequence[int]) -> bool:
    """Nothing left owed on any of the lines (their `outstanding` column, kept by the ledger's triggers)."""
    return not BillLine.objects.filter(pk__in=ids, outstanding__gt=0).exists()


def locked(application_id: int) -> Application:
    """The application's row locked (the caller holds the unit's ledger lock already)."""
    return Application.objects.select_for_update(of=("self",)).select_related("unit").get(pk=application_id)


def payable(application: Application) -> dict[str, Any]:
    """What the resident still pays before the permit: the lines owed, their total and the pay page's link."""
    ids = line_ids(application)
    owed = dict(BillLine.objects.filter(pk__in=ids, outstanding__gt=0).values_list("pk", "outstanding"))
    open_ids = [pk for pk in ids if pk in owed]
    url = f"/resident/pay/?unit={application.unit_id}" + "".join(f"&lines={i}" for i in open_ids) if open_ids else ""
    return {"line_ids": open_ids, "amount_fen": int(sum(owed.values())), "pay_url": url}


def charges_post(application: Application, *, by: User | None, now: dt.datetime) -> None:
    """Post the debris fee and the deposit on the home's ledger once (inside the approving transaction), then
    issue the permit if prepaid money paid them."""
    unit_lock(application.unit_id)
    row = locked(application.pk)
    today = timezone.localdate(now)
    unit = row.unit
    what = f"{row.code} {unit.label}"
    posted: dict[str, Any] = {}
    if row.debris_fee_fen > 0 and row.debris_charge_id is None:
        row.debris_charge = adhoc_charge_post(
            unit=unit,
            fee_item=fee_item(office_id=unit.office_id, deposit=False),
            amount=row.debris_fee_fen,
            description=_("Renovation debris removal: %(what)s") % {"what": what},
            due_date=today,
            by=by,
            today=today,
        )
        posted["debris_charge"] = row.debris_charge.pk
    if row.deposit_fen > 0 and row.deposit_charge_id is None:
        row.deposit_charge = adhoc_charge_post(
            unit=unit,
            fee_item=fee_item(office_id=unit.office_id, deposit=True),
            amount=row.deposit_fen,
            description=_("Renovation deposit: %(what)s") % {"what": what},
            due_date=today,
            by=by,
            today=today,
        )
        posted["deposit_charge"] = row.deposit_charge.pk
    if posted:
        row.save(update_fields=["debris_charge", "deposit_charge"])
        event_record(row, "charged", by=by, now=now, **posted)
    if not permit_issue_if_paid(row, now=now):
        due = payable(row)["amount_fen"]
        notify_resident(
            row,
            _("approved: pay the deposit and the debris fee (¥%(fen).2f) to get the permit") % {"fen": due / 100},
        )


def _settling_payment(ids: Sequence[int]) -> Payment | None:
    entry = (
        LedgerEntry.objects.filter(bill_line_id__in=ids, kind=LedgerEntry.Kind.SETTLE)
        .select_related("payment")
        .order_by("-id")
        .first()
    )
    return entry.payment if entry is not None else None


def permit_issue_if_paid(row: Application, *, now: dt.datetime) -> bool:
    """Issue the permit of a locked approved application whose lines are all paid: register the deposit in
    billing's deposits, draw the permit code (inside the caller's transaction, unit locked)."""
    if row.status != Status.APPROVED or not lines_paid(line_ids(row)):
        return False
    if row.deposit_charge_id is not None and row.deposit_id is None:
        paid_by = _settling_payment([row.deposit_charge_id])
        row.deposit = deposit_hold(
            unit=row.unit,
            amount=row.deposit_fen,
            purpose=_("Renovation deposit %(code)s") % {"code": row.code},
            method=paid_by.method if paid_by else Payment.Method.CASH,
            reference=row.code,
            payer_name=paid_by.payer_name if paid_by else "",
            received_at=now,
            by=None,
        )
    row.permit_code = "ZP" + "".join(secrets.choice(PERMIT_ALPHABET) for _ in range(8))
    row.permit_issued_at = now
    row.status = Status.PERMITTED
    row.save(update_fields=["deposit", "permit_code", "permit_issued_at", "status"])
    event_record(row, "permit_issued", by=None, now=now, deposit=row.deposit_id, permit=row.permit_code)
    notify_resident(row, _("permit issued: show its QR code at the gate"))
    # 通知维修部、安护部装修户情况: engineering and security of the estate learn of the works.
    notify_staff(
        row,
        {Role.ENGINEER, Role.SECURITY, Role.CUSTOMER_SERVICE},
        _("renovation permit issued (%(from)s – %(to)s)") % {"from": row.starts_on, "to": row.ends_on},
        kind="renovation.staff",
    )
    return True


# --- billing's payment hooks and the sweep ---------------------------------------------------------------------


def _approved_for_payments(payment_ids: Sequence[int]) -> list[int]:
    settled = LedgerEntry.objects.filter(payment_id__in=payment_ids, kind=LedgerEntry.Kind.SETTLE).values(
        "bill_line_id"
    )
    return list(
        Application.objects.filter(status=Status.APPROVED)
        .filter(Q(deposit_charge_id__in=settled) | Q(debris_charge_id__in=settled))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def permits_issue_for(payments: Sequence[Any]) -> int:
    """Billing's payment hook: inside the payment's transaction (the unit's lock held), issue the permits of
    the approved applications these payments left fully paid. Never raises: a failure must not refuse the
    payment (the sweep issues the permit later); it is logged and its savepoint rolled back."""
    try:
        with transaction.atomic():  # a savepoint: a failed query must not abort the payment's transaction
            ids = _approved_for_payments([p.pk for p in payments])
    except Exception:
        log.exception("renovation: finding the applications paid by payments %s failed", [p.pk for p in payments])
        return 0
    issued = 0
    for pk in ids:
        try:
            with transaction.atomic():
                issued += permit_issue_if_paid(locked(pk), now=timezone.now())
        except Exception:
            log.exception("renovation: issuing the permit of application %s after a payment failed", pk)
    return issued


def payment_issues_permits(payment: Any) -> None:
    permits_issue_for([payment])


def payments_issue_permits(payments: Sequence[Any]) -> None:
    permits_issue_for(payments)


def permits_sweep(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Approved applications whose lines were paid another way get their permit; card refunds still waiting
    are sent again. Returns how many permits were issued."""
    now = now or timezone.now()
    open_lines = BillLine.objects.filter(outstanding__gt=0).values("pk")
    paid = (
        Application.objects.filter(status=Status.APPROVED)
        .exclude(deposit_charge_id__in=open_lines)
        .exclude(debris_charge_id__in=open_lines)
        .values_list("pk", "unit_id")[:limit]
    )
    issued = 0
    for pk, unit_id in list(paid):
        try:
            with transaction.atomic():
                unit_lock(unit_id)
                issued += permit_issue_if_paid(locked(pk), now=now)
        except Exception:  # noqa: BLE001 - one application's trouble must not stop the others
            log.exception("renovation: sweep of application %s failed", pk)
    waiting = list(Refund.objects.filter(status=Refund.Status.REQUESTED).values_list("pk", flat=True)[:limit])
    if waiting:
        for pk in Application.objects.filter(refund_ids__overlap=waiting).values_list("pk", flat=True):
            refunds_send(application_id=pk)
    return issued


# --- corrections and card refunds ------------------------------------------------------------------------------


def charged_left(line_id: int) -> int:
    """Charged on the line, less what was waived or corrected so far."""
    line = lines_with_balances(BillLine.objects.filter(pk=line_id)).get()
    return int(line.charged) - int(line.waived)  # type: ignore[attr-defined]


def _last_entry_id() -> int:
    return LedgerEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _correct(line_id: int, amount: int, *, reason: str, approved_by: User, by: User | None) -> int:
    amount = min(amount, charged_left(line_id))
    if amount <= 0:
        return 0
    waiver_post(
        line=BillLine.objects.get(pk=line_id),
        amount=amount,
        reason=reason,
        approved_by=approved_by,
        created_by=by,
        kind=LedgerEntry.WaiverKind.CORRECTION,
    )
    return amount


def _card_refunds(row: Application, *, since_id: int, reason: str) -> list[int]:
    """Refund rows (requested) for the online payments the corrections since `since_id` credited."""
    credited: dict[int, int] = {}
    for payment_id, amount in LedgerEntry.objects.filter(
        id__gt=since_id, kind=LedgerEntry.Kind.UNSETTLE, bill_line_id__in=line_ids(row)
    ).values_list("payment_id", "amount"):
        credited[payment_id] = credited.get(payment_id, 0) + int(amount)
    made: list[int] = []
    for payment in Payment.objects.filter(pk__in=credited, channel__in=ONLINE_CHANNELS, reference__startswith="pi_"):
        amount = min(credited[payment.pk], refund_left(payment))
        if amount > 0:
            made.append(refund_request(payment=payment, amount=amount, reason=reason, by=None).pk)
    return made


def refunds_send(*, application_id: int) -> None:
    """Send the application's card refunds still `requested` (no transaction open). One Stripe refused leaves
    the money as the home's prepaid credit (the correction made it so), never lost."""
    row = Application.objects.get(pk=application_id)
    for refund in Refund.objects.filter(pk__in=row.refund_ids, status=Refund.Status.REQUESTED).select_related(
        "payment"
    ):
        try:
            refund_send(refund)
        except ApplicationError as exc:
            log.warning("renovation: card refund %s of application %s not made: %s", refund.pk, row.pk, exc.code)


def _send_after_commit(application_id: int) -> None:
    def run() -> None:
        try:
            refunds_send(application_id=application_id)
        except Exception:  # noqa: BLE001 - the sweep sends it later
            log.exception("renovation: sending the card refunds of application %s failed", application_id)

    transaction.on_commit(run)


def charges_cancel(row: Application, *, by: User, reason: str) -> dict[int, int]:
    """A withdrawn application (locked, unit locked by the caller's _locked): both lines corrected in full."""
    since = _last_entry_id()
    approver = rules_approver()
    done = {}
    for line_id in line_ids(row):
        amount = _correct(line_id, charged_left(line_id), reason=reason, approved_by=approver, by=by)
        if amount:
            done[line_id] = amount
    made = _card_refunds(row, since_id=since, reason=reason)
    if made:
        row.refund_ids = [*row.refund_ids, *made]
        row.save(update_fields=["refund_ids"])
        _send_after_commit(row.pk)
    return done


def deposit_settle(
    *,
    application: Application,
    by: User,
    refund_fen: int,
    forfeit_fen: int,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Application:
    """After a passed completion check, the whole deposit still held is settled: `refund_fen` back to the
    resident and `forfeit_fen` kept by the company (damage, a violation not put right), with a reason for any
    forfeit. See the module docstring for where each part's money goes. Settling twice is refused."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    for field, value in (("refund_fen", refund_fen), ("forfeit_fen", forfeit_fen)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors[field] = [_("An amount in fen, 0 or more.")]
    if not errors and forfeit_fen > 0 and not reason:
        errors["reason"] = [_("Say why (part of) the deposit is kept.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        unit_lock(application.unit_id)
        row = locked(application.pk)
        if row.status != Status.COMPLETED:
            raise ApplicationError(
                _("The deposit is settled after a passed completion check.")
                if row.status != Status.CLOSED
                else _("This deposit was already settled."),
                code="settled" if row.status == Status.CLOSED else "invalid_state",
                status=409,
            )
        held = deposit_held(row.deposit_id) if row.deposit_id is not None else 0
        if refund_fen + forfeit_fen != held:
            raise ApplicationError.for_fields(
                {"refund_fen": [_("Refund and forfeit together make the ¥%(held).2f held.") % {"held": held / 100}]}
            )
        reason = reason or _("Renovation %(code)s completed: deposit refunded") % {"code": row.code}
        made: list[int] = []
        if held and row.deposit is not None:
            deposit_release(deposit=row.deposit, refund=refund_fen, forfeit=forfeit_fen, reason=reason, by=by)
            if refund_fen and row.deposit_charge_id is not None:
                since = _last_entry_id()
                _correct(row.deposit_charge_id, refund_fen, reason=reason, approved_by=by, by=by)
                made = _card_refunds(row, since_id=since, reason=reason)
        row.status = Status.CLOSED
        row.settled_at, row.settled_by = now, by
        row.refunded_fen, row.forfeited_fen, row.settle_reason = refund_fen, forfeit_fen, reason[:300]
        row.refund_ids = [*row.refund_ids, *made]
        row.save(
            update_fields=[
                "status",
                "settled_at",
                "settled_by",
                "refunded_fen",
                "forfeited_fen",
                "settle_reason",
                "refund_ids",
            ]
        )
        event_record(
            row,
            "deposit_settled",
            by=by,
            now=now,
            note=reason,
            refund_fen=refund_fen,
            forfeit_fen=forfeit_fen,
            card_refunds=made,
        )
        body = reason
        if forfeit_fen:
            title = _("deposit settled: ¥%(back).2f refunded, ¥%(kept).2f kept") % {
                "back": refund_fen / 100,
                "kept": forfeit_fen / 100,
            }
        else:
            title = _("deposit refunded: ¥%(back).2f") % {"back": refund_fen / 100}
        notify_resident(row, title, body)
        if made:
            _send_after_commit(row.pk)
    return row
