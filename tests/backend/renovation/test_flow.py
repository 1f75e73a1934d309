"""The renovation work flow with its money: an owner applies with a plan and a contractor; customer service and
engineering approve (two people) or reject with a reason; the deposit and the debris fee go on the home's
ledger and, once paid (at the counter, online, from prepaid money), the deposit is held in billing's deposits
and the permit issued; security checks it at the gate; inspections and the completion check; the deposit
refunded or forfeited in part, with the ledger balancing at every step. And the arrears sanction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.audit.models import AuditEntry
from backend.billing import ledger
from backend.billing.models import BillingSettings, BillLine, Deposit, FeeItem, LedgerEntry
from backend.billing.selectors import deposit_held, ledger_balance, unit_account, unit_deposits
from backend.errors import ApplicationError
from backend.notifications.models import Notification
from backend.renovation import money, services
from backend.renovation.models import Application, Event, PermitCheck, Status
from backend.renovation.selectors import queue
from tenants.db import connection

from .conftest import DEBRIS, DEPOSIT, EVERYTHING, World, photo, plan, today

pytestmark = pytest.mark.django_db


def fresh(application: Application) -> Application:
    return Application.objects.get(pk=application.pk)


def owed(line_id: int | None) -> int:
    return BillLine.objects.get(pk=line_id).outstanding


def pay_at_counter(world: World, application: Application) -> Any:
    return ledger.payment_record(
        unit=application.unit,
        amount=DEPOSIT + DEBRIS,
        method="cash",
        line_ids=money.line_ids(application),
        recorded_by=world.finance,
    ).payment


def assert_ledger_balances(unit_id: int) -> None:
    """The ledger's invariant: balance == Σ owed over lines − prepaid credit."""
    account = unit_account(unit_id)
    assert ledger_balance(unit_id) == account.balance
    lines_owed = sum(BillLine.objects.filter(unit_id=unit_id).values_list("outstanding", flat=True))
    assert lines_owed == account.owed


def kinds_for(user: Any) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True))


# --- the whole flow --------------------------------------------------------------------------------------------


def test_the_full_flow_paid_at_the_counter_deposit_refunded(world: World) -> None:
    application = world.apply()
    assert application.status == Status.SUBMITTED and application.code.startswith("ZX")
    assert (application.deposit_fen, application.debris_fee_fen) == (DEPOSIT, DEBRIS)
    assert application.workers == [
        {"name": "李师傅", "phone": "13800000002"},
        {"name": "王师傅", "phone": "13800000003"},
    ]
    assert application.documents.get().file.name.endswith(".pdf")
    # customer service and engineering of the office were told there is something to review
    assert Notification.objects.filter(recipient=world.desk, kind="renovation.review").count() == 1
    assert Notification.objects.filter(recipient=world.engineer, kind="renovation.review").count() == 1
    assert not Notification.objects.filter(recipient=world.other_desk).exists()
    assert [a.pk for a in queue(scope=EVERYTHING, name="review")] == [application.pk]

    services.application_review(application=application, by=world.desk, side="desk", approve=True)
    assert fresh(application).status == Status.SUBMITTED  # still waits for engineering
    assert not BillLine.objects.filter(unit=world.home).exists()
    application = services.application_review(
        application=application, by=world.engineer, side="engineering", approve=True
    )
    assert application.status == Status.APPROVED
    # the two lines, on the office's renovation items
    assert (owed(application.deposit_charge_id), owed(application.debris_charge_id)) == (DEPOSIT, DEBRIS)
    deposit_item = FeeItem.objects.get(pk=application.deposit_charge.fee_item_id)
    debris_item = FeeItem.objects.get(pk=application.debris_charge.fee_item_id)
    assert (deposit_item.category, debris_item.category) == ("deposit", "renovation_debris")
    pay = money.payable(application)
    assert pay["amount_fen"] == DEPOSIT + DEBRIS
    assert pay["pay_url"] == (
        f"/resident/pay/?unit={world.home.pk}&lines={application.debris_charge_id}&lines={application.deposit_charge_id}"
    )
    assert application.permit_code is None and application.deposit_id is None
    assert unit_account(world.home.pk).owed == DEPOSIT + DEBRIS
    assert_ledger_balances(world.home.pk)

    # paid at the counter: the payment hook holds the deposit and issues the permit in the same transaction
    pay_at_counter(world, application)
    application = fresh(application)
    assert application.status == Status.PERMITTED and application.permit_code.startswith("ZP")
    deposit = Deposit.objects.get(pk=application.deposit_id)
    assert (deposit.amount, deposit.method, deposit_held(deposit.pk)) == (DEPOSIT, "cash", DEPOSIT)
    assert [d["deposit"].pk for d in unit_deposits(world.home.pk)] == [deposit.pk]
    account = unit_account(world.home.pk)
    assert (account.owed, account.prepaid, account.deposits_held) == (0, 0, DEPOSIT)
    assert_ledger_balances(world.home.pk)
    # security and engineering of the estate were told of the works
    assert Notification.objects.filter(recipient=world.security, kind="renovation.staff").count() == 1

    # the gate
    checked, valid, reason = services.permit_check(
        code=application.permit_code.lower(), by=world.security, scope=EVERYTHING
    )
    assert (checked.pk, valid, reason) == (application.pk, True, "")
    assert PermitCheck.objects.filter(application=application, valid=True).count() == 1

    # an inspection finds a violation; the completion check first fails then passes
    with pytest.raises(ApplicationError) as err:
        services.inspection_record(application=application, by=world.engineer, passed=False)
    assert "findings" in err.value.fields
    services.inspection_record(
        application=application, by=world.engineer, passed=False, findings="私拆承重墙", photos=[photo()]
    )
    services.inspection_record(
        application=application, by=world.engineer, passed=False, findings="垃圾未清", completion=True
    )
    assert fresh(application).status == Status.PERMITTED
    with pytest.raises(ApplicationError) as err:
        money.deposit_settle(application=application, by=world.finance, refund_fen=DEPOSIT, forfeit_fen=0)
    assert err.value.code == "invalid_state"
    services.inspection_record(application=application, by=world.engineer, passed=True, completion=True)
    application = fresh(application)
    assert application.status == Status.COMPLETED and application.completed_at is not None
    assert application.inspections.count() == 3
    assert application.inspections.first().photos.count() == 1

    # the deposit goes back: released in billing's register, the line corrected, the cash as prepaid credit
    money.deposit_settle(application=application, by=world.finance, refund_fen=DEPOSIT, forfeit_fen=0)
    application = fresh(application)
    assert application.status == Status.CLOSED and application.refunded_fen == DEPOSIT
    assert deposit_held(deposit.pk) == 0
    assert LedgerEntry.objects.get(deposit=deposit, kind="deposit_refunded").amount == DEPOSIT
    account = unit_account(world.home.pk)
    assert (account.owed, account.prepaid, account.deposits_held) == (0, DEPOSIT, 0)
    assert_ledger_balances(world.home.pk)
    with pytest.raises(ApplicationError) as err:
        money.deposit_settle(application=application, by=world.finance, refund_fen=DEPOSIT, forfeit_fen=0)
    assert err.value.code == "settled"
    # the permit is no good once the works are over
    _app, valid, reason = services.permit_check(code=application.permit_code, by=world.security, scope=EVERYTHING)
    assert not valid and reason

    # every step is on the timeline and in the audit log; the resident heard of each
    steps = list(Event.objects.filter(application=application).values_list("kind", flat=True))
    assert steps == [
        "submitted",
        "desk_approved",
        "engineering_approved",
        "charged",
        "permit_issued",
        "inspected",
        "completion_failed",
        "completion_passed",
        "deposit_settled",
    ]
    audited = set(AuditEntry.objects.filter(object_id=str(application.pk)).values_list("action", flat=True))
    assert {"renovation.submitted", "renovation.permit_issued", "renovation.deposit_settled"} <= audited
    assert "renovation.permit_check" in audited
    titles = kinds_for(world.resident)
    assert len(titles) == 8  # submitted, desk ok, approved (pay), permit, inspection, completion ×2, deposit
    assert all(t.startswith(application.code) for t in titles)


def test_a_deposit_forfeited_in_part_needs_a_reason_and_keeps_that_part(world: World) -> None:
    application = world.approve(world.apply())
    pay_at_counter(world, application)
    services.inspection_record(application=application, by=world.engineer, passed=True, completion=True)
    with pytest.raises(ApplicationError) as err:
        money.deposit_settle(application=application, by=world.finance, refund_fen=150000, forfeit_fen=50000)
    assert "reason" in err.value.fields
    with pytest.raises(ApplicationError) as err:
        money.deposit_settle(
            application=application, by=world.finance, refund_fen=100000, forfeit_fen=50000, reason="损坏公共走廊"
        )
    assert "refund_fen" in err.value.fields  # must add up to what is held
    money.deposit_settle(
        application=application, by=world.finance, refund_fen=150000, forfeit_fen=50000, reason="损坏公共走廊"
    )
    application = fresh(application)
    assert (application.refunded_fen, application.forfeited_fen) == (150000, 50000)
    assert application.settle_reason == "损坏公共走廊"
    entries = dict(LedgerEntry.objects.filter(deposit_id=application.deposit_id).values_list("kind", "amount"))
    assert entries == {"deposit_held": DEPOSIT, "deposit_refunded": 150000, "deposit_forfeited": 50000}
    account = unit_account(world.home.pk)
    # the kept ¥500 stays paid on the deposit line (the company's income); ¥1,500 is the home's credit
    assert (account.owed, account.prepaid, account.deposits_held) == (0, 150000, 0)
    assert BillLine.objects.get(pk=application.deposit_charge_id).outstanding == 0
    assert_ledger_balances(world.home.pk)


def test_a_deposit_forfeited_in_full(world: World) -> None:
    application = world.approve(world.apply())
    pay_at_counter(world, application)
    services.inspection_record(application=application, by=world.engineer, passed=True, completion=True)
    money.deposit_settle(application=application, by=world.desk, refund_fen=0, forfeit_fen=DEPOSIT, reason="违规")
    account = unit_account(world.home.pk)
    assert (account.owed, account.prepaid, account.deposits_held) == (0, 0, 0)
    assert fresh(application).status == Status.CLOSED
    assert_ledger_balances(world.home.pk)


def test_prepaid_money_pays_at_approval_and_the_permit_is_issued_at_once(world: World) -> None:
    ledger.payment_record(unit=world.home, amount=300000, method="cash", to_prepaid=True)
    application = world.approve(world.apply())
    assert application.status == Status.PERMITTED and application.deposit_id is not None
    account = unit_account(world.home.pk)
    assert (account.prepaid, account.deposits_held) == (300000 - DEPOSIT - DEBRIS, DEPOSIT)
    assert_ledger_balances(world.home.pk)


def test_part_payment_leaves_no_permit_and_the_sweep_catches_a_later_settlement(world: World) -> None:
    application = world.approve(world.apply())
    ledger.payment_record(
        unit=world.home, amount=DEBRIS, method="cash", line_ids=[application.debris_charge_id]
    )  # the fee alone
    assert fresh(application).status == Status.APPROVED
    ledger.payment_record(unit=world.home, amount=DEPOSIT, method="cash", to_prepaid=True)
    ledger.prepaid_settle(world.home.pk)  # a settlement calls no payment hook
    assert fresh(application).status == Status.APPROVED
    assert money.permits_sweep() == 1
    application = fresh(application)
    assert application.status == Status.PERMITTED and deposit_held(application.deposit_id) == DEPOSIT
    assert money.permits_sweep() == 0  # once


@pytest.mark.usefixtures("localstripe")
def test_paid_online_the_deposit_goes_back_to_the_card(
    world: World, localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    from backend.payments.models import Refund
    from backend.payments.online import online_payment_confirm, online_payment_start
    from tests.backend.payments.test_online import saved_card

    application = world.approve(world.apply())
    op, _created = online_payment_start(
        user=world.resident, unit=world.home, line_ids=money.payable(application)["line_ids"], idempotency_key="r1"
    )
    assert op.amount == DEPOSIT + DEBRIS
    op = online_payment_confirm(op, payment_method=saved_card(localstripe, world.resident))
    assert op.status == "succeeded"
    application = fresh(application)
    assert application.status == Status.PERMITTED
    assert Deposit.objects.get(pk=application.deposit_id).method == "card"
    services.inspection_record(application=application, by=world.engineer, passed=True, completion=True)
    with django_capture_on_commit_callbacks(execute=True):
        money.deposit_settle(
            application=application, by=world.finance, refund_fen=180000, forfeit_fen=20000, reason="地漏堵塞"
        )
    refund = Refund.objects.get(payment_id=op.payment_id)
    assert (refund.amount, refund.status) == (180000, "succeeded")
    assert fresh(application).refund_ids == [refund.pk]
    account = unit_account(world.home.pk)
    assert (account.owed, account.prepaid, account.deposits_held) == (0, 0, 0)  # the card got it back
    assert_ledger_balances(world.home.pk)


# --- approvals -------------------------------------------------------------------------------------------------


def test_one_person_cannot_give_both_approvals(world: World) -> None:
    application = world.apply()
    services.application_review(application=application, by=world.admin, side="desk", approve=True)
    with pytest.raises(ApplicationError) as err:
        services.application_review(application=application, by=world.admin, side="engineering", approve=True)
    assert err.value.code == "four_eyes"
    with pytest.raises(ApplicationError) as err:
        services.application_review(application=application, by=world.desk, side="desk", approve=True)
    assert err.value.code == "already_decided"


def test_a_rejection_needs_a_reason_and_ends_the_application_with_nothing_charged(world: World) -> None:
    application = world.apply()
    with pytest.raises(ApplicationError) as err:
        services.application_review(application=application, by=world.engineer, side="engineering", approve=False)
    assert "note" in err.value.fields
    services.application_review(
        application=application, by=world.engineer, side="engineering", approve=False, note="涉及拆改主体结构，需报批"
    )
    application = fresh(application)
    assert application.status == Status.REJECTED and application.rejection_reason == "涉及拆改主体结构，需报批"
    with pytest.raises(ApplicationError) as err:
        services.application_review(application=application, by=world.desk, side="desk", approve=True)
    assert err.value.code == "invalid_state"
    assert not BillLine.objects.filter(unit=world.home).exists()
    assert any("涉及拆改主体结构" in n.body for n in Notification.objects.filter(recipient=world.resident))


def test_withdrawn_after_approval_the_lines_are_owed_no_more(world: World) -> None:
    application = world.approve(world.apply())
    with pytest.raises(ApplicationError) as err:
        services.application_cancel(application=application, by=world.neighbour)
    assert err.value.code == "not_applicant"
    services.application_cancel(application=application, by=world.resident, reason="改期")
    application = fresh(application)
    assert application.status == Status.CANCELLED
    assert (owed(application.deposit_charge_id), owed(application.debris_charge_id)) == (0, 0)
    assert unit_account(world.home.pk).owed == 0
    assert_ledger_balances(world.home.pk)


# --- who may apply, and the arrears sanction --------------------------------------------------------------------


def test_only_a_current_owner_applies_for_their_home(world: World) -> None:
    with pytest.raises(ApplicationError) as err:
        world.apply(user=world.renter, unit=world.units[2])  # a tenant (租户) is not the owner
    assert "unit" in err.value.fields
    with pytest.raises(ApplicationError) as err:
        world.apply(unit=world.units[1])  # the neighbour's home
    assert "unit" in err.value.fields
    with pytest.raises(ApplicationError) as err:
        world.apply(starts=-1)
    assert "starts_on" in err.value.fields
    with pytest.raises(ApplicationError) as err:
        services.application_submit(
            user=world.resident,
            unit_id=world.home.pk,
            scope="刷墙",
            starts_on=today(),
            ends_on=today(),
            contractor_company="x",
            contractor_contact="y",
            contractor_phone="1",
            workers=[],
            documents=[("other", plan())],
        )
    assert {"workers", "documents"} <= set(err.value.fields)


def _overdue_bill(world: World, unit: Any, *, days: int) -> None:
    from tests.backend.billing.conftest import make_item

    item = make_item(world.office, "mgmt", "area", "2.00")
    ledger.adhoc_charge_post(
        unit=unit,
        fee_item=item,
        amount=26850,
        description="物业费",
        due_date=today() - dt.timedelta(days=days),
        today=today() - dt.timedelta(days=days),
    )


def _sanction(on: bool, days: int = 30) -> None:
    BillingSettings.load()
    BillingSettings.objects.update(sanctions=["no_renovation"] if on else [], sanction_min_overdue_days=days)


def test_a_home_in_arrears_is_refused_when_the_sanction_is_on(world: World) -> None:
    _overdue_bill(world, world.home, days=45)
    _sanction(False)
    world.apply()  # the sanction is off: a home in arrears may apply
    _sanction(True)
    with pytest.raises(ApplicationError) as err:
        world.apply()
    assert err.value.code == "arrears" and err.value.status == 409
    assert "overdue" in err.value.message
    # only past the grace days
    _sanction(True, days=60)
    world.apply()


def test_an_application_cannot_be_approved_once_the_home_falls_into_arrears(world: World) -> None:
    _sanction(True)
    application = world.apply()
    services.application_review(application=application, by=world.desk, side="desk", approve=True)
    _overdue_bill(world, world.home, days=40)
    with pytest.raises(ApplicationError) as err:
        services.application_review(application=application, by=world.engineer, side="engineering", approve=True)
    assert err.value.code == "arrears"
    # a rejection is still possible
    services.application_review(
        application=application, by=world.engineer, side="engineering", approve=False, note="欠费"
    )
    assert fresh(application).status == Status.REJECTED


# --- the gate --------------------------------------------------------------------------------------------------


def test_the_permit_is_checked_for_its_dates_and_within_the_callers_scope(world: World) -> None:
    from backend.properties.scope import Scope

    later = world.approve(world.apply(starts=3))
    pay_at_counter(world, later)
    later = fresh(later)
    _app, valid, reason = services.permit_check(code=later.permit_code, by=world.security, scope=EVERYTHING)
    assert not valid and "valid from" in reason
    other = Scope(all_offices=False, office_ids=frozenset({world.other_office.pk}))
    with pytest.raises(ApplicationError) as err:
        services.permit_check(code=later.permit_code, by=world.other_desk, scope=other)
    assert err.value.status == 404
    with pytest.raises(ApplicationError):
        services.permit_check(code="ZPNOTHING", by=world.security, scope=EVERYTHING)
    assert PermitCheck.objects.filter(application=later).count() == 1


def test_another_companys_applications_are_not_seen(world: World, tenant_b: Any) -> None:
    from backend.renovation.selectors import applications_visible

    application = world.approve(world.apply())
    pay_at_counter(world, application)
    code = fresh(application).permit_code
    connection.set_tenant(tenant_b)
    assert not applications_visible(scope=EVERYTHING).filter(code=application.code).exists()
    with pytest.raises(ApplicationError):
        services.permit_check(code=code, by=world.security, scope=EVERYTHING)


def test_the_periodic_task_sweeps_only_its_own_company(world: World, tenant_b: Any) -> None:
    from django.conf import settings

    from backend.renovation.tasks import permits_sweep

    entry = settings.CELERY_BEAT_SCHEDULE["renovation-permits-sweep"]
    assert entry["task"] == "backend.renovation.tasks.permits_sweep"
    application = world.approve(world.apply())
    ledger.payment_record(unit=world.home, amount=DEPOSIT + DEBRIS, method="cash", to_prepaid=True)
    ledger.prepaid_settle(world.home.pk)
    connection.set_tenant(tenant_b)
    assert permits_sweep() == 0  # company beta's schema: alpha's application is not there
    connection.set_tenant(world.tenant)
    assert fresh(application).status == Status.APPROVED
    assert permits_sweep() == 1
    assert fresh(application).status == Status.PERMITTED
