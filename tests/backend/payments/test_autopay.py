"""Autopay against localstripe: a resident opts in with a saved card and a monthly maximum; a posted bill run
charges the home's new lines off-session and settles them, once per run; over the maximum, or with a card
the bank declines, nothing is charged, the resident is told and the bills stay owed; turned off, nothing."""

from __future__ import annotations

from typing import Any

import pytest

from backend.billing.models import BillRun, LedgerEntry, Payment
from backend.notifications.models import Notification
from backend.payments.models import AutopayMandate, OnlinePayment, Receipt
from backend.payments.online import autopay_charge, autopay_disable, autopay_enable

from .conftest import FEB, Home, lines_of, owed, post_month
from .test_online import DECLINED_ON_CHARGE, VISA, saved_card

pytestmark = pytest.mark.usefixtures("localstripe")


def opt_in(home: Home, base: str, number: str = VISA, monthly_max: int = 1_000_00) -> AutopayMandate:
    return autopay_enable(
        user=home.user, unit=home.unit, payment_method=saved_card(base, home.user, number), monthly_max=monthly_max
    )


def february(home: Home) -> BillRun:
    post_month(FEB)
    return BillRun.objects.get(period=FEB)


def kinds(home: Home) -> list[str]:
    """The payment notifications the resident got (bill runs also tell them about the new bills)."""
    mine = Notification.objects.filter(recipient=home.user).exclude(kind="bill.issued").order_by("pk")
    return list(mine.values_list("kind", flat=True))


def test_a_posted_bill_run_charges_the_homes_new_lines_and_settles_them(
    home: Home, localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    mandate = opt_in(home, localstripe)
    assert (mandate.card_brand, mandate.card_last4, mandate.monthly_max) == ("visa", "4242", 1_000_00)
    run = february(home)
    feb = lines_of(home.unit.pk, FEB)
    due = sum(owed(line) for line in feb)
    assert feb and due > 0
    with django_capture_on_commit_callbacks(execute=True):
        op = autopay_charge(mandate.pk, run.pk)
    assert op is not None and op.status == "succeeded" and op.amount == due
    assert [owed(line) for line in feb] == [0] * len(feb)
    assert [owed(line) for line in home.jan] == [line.amount for line in home.jan]  # only this run's lines
    payment = Payment.objects.get(online=op)
    assert (payment.channel, payment.method, payment.amount) == ("autopay", "card", due)
    assert Receipt.objects.filter(payment=payment).exists()
    assert kinds(home) == ["autopay.charged"]


def test_posting_a_bill_run_enqueues_a_charge_for_each_home_with_autopay(
    home: Home, localstripe: str, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    from backend.payments import tasks

    mandate = opt_in(home, localstripe)
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(tasks.autopay_charge_task, "delay", lambda *args: calls.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        run = february(home)
    assert calls == [(mandate.pk, run.pk)]  # one home has autopay, one charge for it
    assert not OnlinePayment.objects.exists()  # charging is the task's job, not the run's


def test_over_the_monthly_maximum_nothing_is_charged_and_the_resident_is_told(
    home: Home, localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    mandate = opt_in(home, localstripe, monthly_max=100_00)  # ¥100; February's bills are above it
    run = february(home)
    feb = lines_of(home.unit.pk, FEB)
    with django_capture_on_commit_callbacks(execute=True):
        op = autopay_charge(mandate.pk, run.pk)
    assert op is not None and op.status == "failed" and op.failure_code == "over_monthly_max"
    assert "maximum" in op.failure_message and op.intent_id is None  # the gateway was never asked
    assert [owed(line) for line in feb] == [line.amount for line in feb]
    assert not LedgerEntry.objects.filter(unit=home.unit, kind__in=["payment", "prepayment"]).exists()
    assert kinds(home) == ["autopay.failed"]
    assert Notification.objects.get(recipient=home.user, kind="autopay.failed").body == op.failure_message


def test_a_card_declined_on_charge_fails_notifies_and_leaves_the_bills_owed(
    home: Home, localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    mandate = opt_in(home, localstripe, number=DECLINED_ON_CHARGE)
    run = february(home)
    feb = lines_of(home.unit.pk, FEB)
    with django_capture_on_commit_callbacks(execute=True):
        op = autopay_charge(mandate.pk, run.pk)
    assert op is not None and op.status == "failed" and "declined" in op.failure_message
    assert op.payment_id is None
    assert [owed(line) for line in feb] == [line.amount for line in feb]
    assert kinds(home) == ["autopay.failed"]


def test_turned_off_autopay_charges_nothing(home: Home, localstripe: str) -> None:
    mandate = opt_in(home, localstripe)
    autopay_disable(mandate=mandate, by=home.user)
    run = february(home)
    assert autopay_charge(mandate.pk, run.pk) is None
    assert not OnlinePayment.objects.exists()
    assert owed(lines_of(home.unit.pk, FEB)[0]) > 0


def test_a_second_call_for_the_same_run_charges_once(home: Home, localstripe: str) -> None:
    mandate = opt_in(home, localstripe)
    run = february(home)
    first = autopay_charge(mandate.pk, run.pk)
    again = autopay_charge(mandate.pk, run.pk)
    assert first is not None and first.status == "succeeded" and again is None
    assert OnlinePayment.objects.filter(mandate=mandate).count() == 1
    assert Payment.objects.filter(unit=home.unit, channel="autopay").count() == 1
