"""Payment reports against hand-computed sums: counter payments by two cashiers with different methods on two
days, an online payment and a refund; the follow-up list of online payments without a webhook; the company's
flagged webhook events."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from backend.billing import ledger
from backend.billing.models import Payment
from backend.errors import ApplicationError
from backend.gateway.models import WebhookEvent
from backend.payments import reports
from backend.payments.counter import counter_collect
from backend.payments.models import OnlinePayment, PaymentSettings
from backend.payments.refunds import refund_create
from backend.properties.scope import Scope
from tenants.db import connection

from .conftest import Home

EVERYONE = Scope.everything()


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


@dataclass
class Takings:
    """Day 1: A cash ¥100 (unit 0), B POS ¥50 (unit 1). Day 2: A cash ¥30 (unit 2), B bank transfer ¥20
    (unit 0), online card ¥88 (unit 1). Today: A refunds ¥15 of the day-1 cash payment."""

    day1: dt.date
    day2: dt.date
    today: dt.date
    a: Any
    b: Any
    payments: dict[str, Payment]


@pytest.fixture
def takings(home: Home, tenant_a: Any, member: Any) -> Takings:
    a = member(tenant_a, ["finance"], name="收费员甲")
    b = member(tenant_a, ["finance"], name="收费员乙")
    connection.set_tenant(tenant_a)
    today = timezone.localdate()
    day1, day2 = today - dt.timedelta(days=2), today - dt.timedelta(days=1)
    units = home.world.units
    p: dict[str, Payment] = {}
    p["a_cash_1"] = counter_collect(unit=units[0], amount=10000, method="cash", by=a, received_at=local(day1, 10))
    p["b_pos_1"] = counter_collect(
        unit=units[1], amount=5000, method="pos", by=b, reference="POS-1", received_at=local(day1, 11)
    )
    p["a_cash_2"] = counter_collect(unit=units[2], amount=3000, method="cash", by=a, received_at=local(day2, 9))
    p["b_bank_2"] = counter_collect(
        unit=units[0], amount=2000, method="bank_transfer", by=b, reference="T-1", received_at=local(day2, 15)
    )
    p["online_2"] = ledger.payment_record(
        unit=units[1],
        amount=8800,
        method="card",
        channel=Payment.Channel.ONLINE,
        to_prepaid=True,
        reference="pi_report_test",
        received_at=local(day2, 16),
    ).payment
    refund_create(payment=p["a_cash_1"], amount=1500, reason="多收", by=a)
    return Takings(day1, day2, today, a, b, p)


def rows(items: list[dict[str, Any]]) -> dict[Any, tuple[int, int]]:
    return {r["code"]: (r["count"], r["amount"]) for r in items}


def test_the_two_days_by_day_method_cashier_and_channel(takings: Takings) -> None:
    summary = reports.payments_summary(scope=EVERYONE, days=reports.DayRange(takings.day1, takings.day2))
    assert (summary.count, summary.amount) == (5, 10000 + 5000 + 3000 + 2000 + 8800)
    assert [(r["day"], r["count"], r["amount"]) for r in summary.by_day] == [
        (takings.day1, 2, 15000),
        (takings.day2, 3, 13800),
    ]
    assert rows(summary.by_method) == {
        "cash": (2, 13000),
        "card": (1, 8800),
        "pos": (1, 5000),
        "bank_transfer": (1, 2000),
    }
    assert rows(summary.by_cashier) == {takings.a.pk: (2, 13000), takings.b.pk: (2, 7000), None: (1, 8800)}
    assert rows(summary.by_channel) == {"counter": (4, 20000), "online": (1, 8800)}
    # the refund was given today, outside the two days
    assert (summary.refund_count, summary.refunded, summary.net) == (0, 0, 28800)
    # largest first; the largest row's bar is full width
    assert [r["code"] for r in summary.by_method] == ["cash", "card", "pos", "bank_transfer"]
    assert summary.by_method[0]["pct"] == "100.0" and summary.by_method[-1]["pct"] == f"{100 * 2000 / 13000:.1f}"


def test_the_refund_counts_on_the_day_it_was_given(takings: Takings) -> None:
    summary = reports.payments_summary(scope=EVERYONE, days=reports.DayRange(takings.day1, takings.today))
    assert (summary.count, summary.amount) == (5, 28800)
    assert (summary.refund_count, summary.refunded, summary.net) == (1, 1500, 27300)
    today_row = summary.by_day[-1]
    assert (today_row["day"], today_row["count"], today_row["amount"], today_row["refunded"]) == (
        takings.today,
        0,
        0,
        1500,
    )
    only_today = reports.payments_summary(scope=EVERYONE, days=reports.DayRange(takings.today, takings.today))
    assert (only_today.count, only_today.amount, only_today.refunded, only_today.net) == (0, 0, 1500, -1500)


def test_a_staff_member_of_another_office_sees_none_of_it(takings: Takings) -> None:
    elsewhere = Scope(all_offices=False, office_ids=frozenset({takings.payments["a_cash_1"].unit.office_id + 999}))
    summary = reports.payments_summary(scope=elsewhere, days=reports.DayRange(takings.day1, takings.today))
    assert (summary.count, summary.amount, summary.refunded, summary.by_day) == (0, 0, 0, [])
    assert not reports.payment_list(scope=elsewhere).exists()


def test_the_list_filters_by_day_method_channel_cashier_and_unit(takings: Takings, home: Home) -> None:
    p = takings.payments

    def ids(**filters: Any) -> set[int]:
        return set(reports.payment_list(scope=EVERYONE, **filters).values_list("pk", flat=True))

    assert ids() == {x.pk for x in p.values()}
    assert ids(days=reports.DayRange(takings.day1, takings.day1)) == {p["a_cash_1"].pk, p["b_pos_1"].pk}
    assert ids(method="cash") == {p["a_cash_1"].pk, p["a_cash_2"].pk}
    assert ids(channel="online") == {p["online_2"].pk}
    assert ids(cashier_id=takings.b.pk) == {p["b_pos_1"].pk, p["b_bank_2"].pk}
    assert ids(unit_text=home.world.units[0].label) == {p["a_cash_1"].pk, p["b_bank_2"].pk}
    assert ids(method="cash", days=reports.DayRange(takings.day2, takings.day2)) == {p["a_cash_2"].pk}
    totals = reports.payment_totals(reports.payment_list(scope=EVERYONE, cashier_id=takings.b.pk))
    assert totals == {"count": 2, "amount": 7000}
    assert set(reports.cashiers_in_scope(EVERYONE)) == {(takings.a.pk, "收费员甲"), (takings.b.pk, "收费员乙")}


def test_the_workbook_carries_the_same_figures(takings: Takings) -> None:
    summary = reports.payments_summary(scope=EVERYONE, days=reports.DayRange(takings.day1, takings.today))
    ws = load_workbook(io.BytesIO(reports.summary_xlsx(summary))).active
    values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    assert values[1][:3] == ["Received", 5, 288]
    assert values[2][:3] == ["Refunded", 1, 15]
    assert values[3][2] == 273
    assert [takings.day1.isoformat(), 2, 150, 0, 0] in [list(r[:5]) for r in values]
    assert ["Cash", 2, 130] in [list(r[:3]) for r in values]
    assert ["Online (no cashier)", 1, 88] in [list(r[:3]) for r in values]


def test_day_range_parsing() -> None:
    today = dt.date(2026, 2, 14)
    assert reports.parse_day_range({}, today=today) == reports.DayRange(dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert reports.parse_day_range({"start": "2026-01-05"}, today=today) == reports.DayRange(
        dt.date(2026, 1, 5), dt.date(2026, 1, 5)
    )
    assert reports.parse_day_range({"start": "2026-01-05", "end": "2026-01-09"}) == reports.DayRange(
        dt.date(2026, 1, 5), dt.date(2026, 1, 9)
    )
    for params, field in (
        ({"start": "5 Jan"}, "start"),
        ({"start": "2026-01-09", "end": "2026-01-05"}, "end"),
        ({"start": "2024-01-01", "end": "2026-01-01"}, "end"),
    ):
        with pytest.raises(ApplicationError) as err:
            reports.parse_day_range(params, today=today)
        assert list(err.value.fields) == [field]


def _online(home: Home, intent: str, *, confirmed_minutes_ago: int, status: str = "processing", **extra: Any) -> Any:
    now = timezone.now()
    return OnlinePayment.objects.create(
        unit=home.unit,
        user=home.user,
        amount=1000,
        intent_id=intent,
        status=status,
        confirmed_at=now - dt.timedelta(minutes=confirmed_minutes_ago),
        **extra,
    )


def test_follow_up_lists_confirmed_payments_without_a_webhook_after_the_set_minutes(home: Home) -> None:
    stale = _online(home, "pi_stale", confirmed_minutes_ago=45)
    _online(home, "pi_fresh", confirmed_minutes_ago=10)
    _online(home, "pi_heard", confirmed_minutes_ago=45, webhook_at=timezone.now())
    _online(home, "pi_canceled", confirmed_minutes_ago=45, status="canceled")
    OnlinePayment.objects.create(unit=home.unit, amount=1000, intent_id="pi_never_submitted")
    assert [op.intent_id for op in reports.followup_online_payments(scope=EVERYONE)] == [stale.intent_id]
    PaymentSettings.objects.filter(pk=PaymentSettings.load().pk).update(followup_minutes=5)
    assert {op.intent_id for op in reports.followup_online_payments(scope=EVERYONE)} == {"pi_stale", "pi_fresh"}
    elsewhere = Scope(all_offices=False, office_ids=frozenset({home.unit.office_id + 999}))
    assert not reports.followup_online_payments(scope=elsewhere).exists()


def test_webhook_events_to_review_are_the_companys_flagged_failed_and_stranded_ones(in_tenant_a: Any) -> None:
    from backend.gateway.webhooks import CLAIM_TIMEOUT

    def event(n: int, schema: str, status: str, claimed_at: Any = None) -> WebhookEvent:
        return WebhookEvent.objects.create(
            event_id=f"evt_review_{n}",
            type="payment_intent.succeeded",
            tenant_schema=schema,
            payload={},
            status=status,
            claimed_at=claimed_at,
        )

    mine_flagged = event(1, connection.schema_name, "flagged")
    mine_failed = event(2, connection.schema_name, "failed")
    event(3, connection.schema_name, "processed")
    event(4, "beta", "flagged")
    stranded = event(5, connection.schema_name, "processing", timezone.now() - CLAIM_TIMEOUT * 2)
    event(6, connection.schema_name, "processing", timezone.now())  # a worker is on it
    found = set(reports.webhook_events_to_review(connection.schema_name).values_list("pk", flat=True))
    assert found == {mine_flagged.pk, mine_failed.pk, stranded.pk}
