"""Collection reports against a small world computed by hand.

June 2026 is billed for two offices. Office 计费管理处 (the `world` fixture): building 1栋 has four 89.50 m²
units (management ¥223.75 + garbage ¥10 = ¥233.75 each), building 2栋 four 120 m² units (¥300 + ¥10 =
¥310 each). Office 第二管理处: estate 银色家园, building A座, two units at a fixed ¥50.

Payments (received in June) and a waiver:
  1栋-101   pays ¥233.75 in full (cash, counter, 15 June)
  1栋-102   pays ¥10 on its garbage line and ¥50 on its management line (WeChat, online, 15 June)
  2栋-101   gets ¥100 of its management fee waived, then pays the remaining ¥210 (Alipay, online, 15 June)
  2栋-102   pays ¥400 (bank transfer, counter, 20 June): ¥310 settles June, ¥90 stays prepaid (预收)
  A座-101   pays ¥50 (cash, counter, 15 June)

So for June:
  1栋   receivable 935.00  waived 0       collected 293.75  outstanding 641.25  rate 293.75/935.00 = 31.42%
  2栋   receivable 1240.00 waived 100.00  collected 520.00  outstanding 620.00  rate 520/1140 = 45.61%
        (with the waiver wrongly in the denominator it would be 520/1240 = 41.94%)
  A座   receivable 100.00  waived 0       collected 50.00   outstanding 50.00   rate 50.00%
  total receivable 2275.00 waived 100.00 collected 863.75 outstanding 1311.25 rate 863.75/2175 = 39.71%
  prepaid: 2栋 90.00; arrears (all due 10 June) = outstanding.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from openpyxl import load_workbook

from backend.billing import ledger, report_charts, report_xlsx, reports
from backend.billing.models import BillLine, BillRun, Payment
from backend.billing.runs import bill_run_create, bill_run_execute
from backend.errors import ApplicationError
from backend.properties import services as registry
from backend.properties.models import Building, ManagementOffice, Unit
from backend.properties.scope import Scope
from tenants.company.models import CompanySettings
from tests.factories import MemberFactory

from .conftest import EVERYTHING, JAN, World, make_item

JUN = dt.date(2026, 6, 1)
JUL = dt.date(2026, 7, 1)
SHANGHAI = ZoneInfo("Asia/Shanghai")
AFTER_JUNE_DUE = dt.date(2026, 11, 22)  # a day after every June line fell due (10 June)


def june(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 6, day, hour, tzinfo=SHANGHAI)


@dataclass
class Scenario:
    world: World
    office2: ManagementOffice
    building2: Building  # A座 of office 2
    units_b: list[Unit]  # A座 101, 102
    approver: Any
    payments: dict[str, Payment]


def run(period: dt.date) -> BillRun:
    return bill_run_execute(bill_run_create(period=period, scope=EVERYTHING, by=None).pk)


def line(unit: Unit, code: str, period: dt.date = JUN) -> BillLine:
    return BillLine.objects.get(unit=unit, fee_item__code=code, period_start=period, kind="charge")


def build_scenario(world: World, tenant: Any) -> Scenario:
    """The June world of the module docstring (connection on company alpha)."""
    office2 = registry.office_create(name="第二管理处", phone="0755-1111", scope=EVERYTHING)
    estate2 = registry.estate_create(office_id=office2.pk, name="银色家园", scope=EVERYTHING)
    building_b = registry.building_create(estate_id=estate2.pk, name="A座", scope=EVERYTHING)
    registry.units_generate(
        building_id=building_b.pk, first_floor=1, last_floor=1, units_per_floor=2, area="100", scope=EVERYTHING
    )
    item2 = make_item(office2, "mgmt", "fixed", "50")
    from backend.billing import services

    services.fee_assign(item=item2, scope=EVERYTHING, start_date=JAN, estate_id=estate2.pk)
    units_b = list(Unit.objects.filter(building=building_b).order_by("number"))
    run(JUN)
    approver = MemberFactory(tenant=tenant, roles=["finance"]).user
    u = world.units
    v = world.units2
    payments = {
        "b1_101": ledger.payment_record(unit=u[0], amount=23375, method="cash", received_at=june(15)).payment,
        "b1_102_garbage": ledger.payment_record(
            unit=u[1],
            amount=1000,
            method="wechat",
            channel="online",
            line_ids=[line(u[1], "garbage").pk],
            received_at=june(15),
        ).payment,
        "b1_102_mgmt": ledger.payment_record(
            unit=u[1],
            amount=5000,
            method="wechat",
            channel="online",
            line_ids=[line(u[1], "mgmt").pk],
            received_at=june(15),
        ).payment,
    }
    ledger.waiver_post(
        line=line(v[0], "mgmt"),
        amount=10000,
        reason="漏水维修期间减免",
        approved_by=approver,
        created_by=None,
        kind="waiver",
    )
    payments["b2_101"] = ledger.payment_record(
        unit=v[0], amount=21000, method="alipay", channel="online", received_at=june(15)
    ).payment
    payments["b2_102"] = ledger.payment_record(
        unit=v[1], amount=40000, method="bank_transfer", received_at=june(20)
    ).payment
    payments["a_101"] = ledger.payment_record(unit=units_b[0], amount=5000, method="cash", received_at=june(15)).payment
    return Scenario(world, office2, building_b, units_b, approver, payments)


@pytest.fixture
def scenario(world: World, tenant_a: Any) -> Scenario:
    return build_scenario(world, tenant_a)


def report(
    group: str, scope: Scope = EVERYTHING, today: dt.date = AFTER_JUNE_DUE, **params: str
) -> reports.CollectionReport:
    query = reports.parse_query({"period": "2026-06", "group": group, **params})
    return reports.collection_report(scope=scope, query=query, today=today)


def by_label(rep: reports.CollectionReport) -> dict[str, reports.ReportRow]:
    return {f"{r.context}/{r.label}": r for r in rep.rows}


def figures(row: reports.ReportRow | reports.Figures) -> tuple[Any, ...]:
    f = row.figures if isinstance(row, reports.ReportRow) else row
    return (f.receivable, f.waived, f.collected, f.outstanding, f.rate, f.prepaid, f.arrears)


# --- the figures -----------------------------------------------------------------------------------


def test_by_building_receivable_collected_rate_prepaid_and_arrears(scenario: Scenario) -> None:
    rep = report("building")
    rows = by_label(rep)
    assert list(rows) == ["金色家园/1栋", "金色家园/2栋", "银色家园/A座"]
    assert figures(rows["金色家园/1栋"]) == (93500, 0, 29375, 64125, Decimal("31.42"), 0, 64125)
    assert figures(rows["金色家园/2栋"]) == (124000, 10000, 52000, 62000, Decimal("45.61"), 9000, 62000)
    assert figures(rows["银色家园/A座"]) == (10000, 0, 5000, 5000, Decimal("50.00"), 0, 5000)
    assert figures(rep.totals) == (227500, 10000, 86375, 131125, Decimal("39.71"), 9000, 131125)
    # nobody reaches the default 95% target
    assert rep.target_pct == 95
    assert [r.meets_target for r in rep.rows] == [False, False, False]
    assert rep.totals_meet_target is False


def test_a_waiver_leaves_the_rate_denominator(scenario: Scenario) -> None:
    row = by_label(report("building"))["金色家园/2栋"]
    f = row.figures
    assert f.due == 124000 - 10000
    assert f.rate == Decimal("45.61")  # 520 / 1140, not 520 / 1240 = 41.94
    assert reports.rate_of(f.collected, f.receivable) == Decimal("41.94")


def test_partial_payments_count_what_was_settled_per_fee_item(scenario: Scenario) -> None:
    rows = by_label(report("fee_item"))
    assert list(rows) == ["第二管理处/物业费", "计费管理处/垃圾清运费", "计费管理处/物业费"]
    # management: 4 × 223.75 + 4 × 300; paid 223.75 + 50 + 200 (after the 100 waiver) + 300
    assert figures(rows["计费管理处/物业费"]) == (209500, 10000, 77375, 122125, Decimal("38.78"), None, 122125)
    # garbage: 8 × 10, four of them paid
    assert figures(rows["计费管理处/垃圾清运费"]) == (8000, 0, 4000, 4000, Decimal("50.00"), None, 4000)
    assert figures(rows["第二管理处/物业费"]) == (10000, 0, 5000, 5000, Decimal("50.00"), None, 5000)
    totals = report("fee_item").totals
    assert figures(totals) == (227500, 10000, 86375, 131125, Decimal("39.71"), 9000, 131125)


def test_by_office_and_estate_with_drill_down_links(scenario: Scenario) -> None:
    world = scenario.world
    offices = by_label(report("office"))
    assert figures(offices["/计费管理处"]) == (217500, 10000, 81375, 126125, Decimal("39.22"), 9000, 126125)
    assert figures(offices["/第二管理处"]) == (10000, 0, 5000, 5000, Decimal("50.00"), 0, 5000)
    assert offices["/计费管理处"].drill == {"period": "2026-06", "group": "estate", "office": str(world.office.pk)}
    estates = report("estate", office=str(world.office.pk))
    assert [r.label for r in estates.rows] == ["金色家园"]
    # a drill-down keeps the levels above it (for the breadcrumbs)
    assert estates.rows[0].drill == {
        "period": "2026-06",
        "group": "building",
        "office": str(world.office.pk),
        "estate": str(world.estate.pk),
    }
    assert figures(estates.totals)[:3] == (217500, 10000, 81375)
    buildings = report("building", estate=str(world.estate.pk))
    assert [r.label for r in buildings.rows] == ["1栋", "2栋"]
    assert buildings.rows[0].drill == {
        "period": "2026-06",
        "group": "fee_item",
        "estate": str(world.estate.pk),
        "building": str(world.building.pk),
    }
    items = report("fee_item", building=str(world.building2.pk))
    assert {r.label: r.figures.collected for r in items.rows} == {"物业费": 50000, "垃圾清运费": 2000}


def test_the_target_comes_from_company_settings(scenario: Scenario) -> None:
    CompanySettings.objects.update_or_create(singleton=True, defaults={"collection_rate_target_pct": 45})
    rep = report("building")
    assert rep.target_pct == 45
    assert {r.label: r.meets_target for r in rep.rows} == {"1栋": False, "2栋": True, "A座": True}


def test_arrears_count_only_lines_due_before_the_cutoff(scenario: Scenario) -> None:
    before_due = report("office", today=dt.date(2026, 6, 10))  # due on the 10th: not yet overdue
    assert before_due.totals.arrears == 0
    assert before_due.totals.outstanding == 131125
    after_due = report("office", today=dt.date(2026, 6, 11))
    assert after_due.totals.arrears == 131125


def test_arrears_cover_earlier_periods_and_july_prepaid_settles_on_the_run(scenario: Scenario) -> None:
    run(JUL)  # 2栋-102's ¥90 prepaid settles July's lines when the run issues them
    july = by_label(report("building", period="2026-07"))
    assert figures(july["金色家园/2栋"]) == (124000, 0, 9000, 115000, Decimal("7.26"), 0, 115000 + 62000)
    assert figures(july["金色家园/1栋"]) == (93500, 0, 0, 93500, Decimal("0.00"), 0, 93500 + 64125)
    # June's figures have not moved (the July run settled July lines)
    assert by_label(report("building"))["金色家园/2栋"].figures.collected == 52000
    both = reports.collection_report(
        scope=EVERYTHING,
        query=reports.parse_query({"start": "2026-06", "end": "2026-07", "group": "office"}),
        today=AFTER_JUNE_DUE,
    )
    assert figures(both.totals) == (
        2 * 227500,
        10000,
        86375 + 9000,
        2 * 227500 - 10000 - 95375,
        Decimal("21.43"),
        0,
        2 * 227500 - 10000 - 95375,
    )


def test_as_of_reads_the_ledger_as_it_stood_that_day(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    today = timezone.localdate()
    run(JUN)
    u = world.units
    monkeypatch.setattr(ledger, "_today", lambda: today + dt.timedelta(days=1))
    ledger.payment_record(unit=u[0], amount=23375, method="cash")
    monkeypatch.setattr(ledger, "_today", lambda: today + dt.timedelta(days=40))
    ledger.payment_record(unit=u[1], amount=23375, method="cash")
    ledger.payment_record(unit=u[2], amount=50000, method="cash")  # 233.75 settles, 266.25 prepaid

    def at(day: dt.date | None) -> reports.Figures:
        params = {"period": "2026-06", "as_of": day.isoformat()} if day else {"period": "2026-06"}
        return reports.collection_report(scope=EVERYTHING, query=reports.parse_query(params), today=today).totals

    assert at(today - dt.timedelta(days=1)).receivable == 0  # before the run: nothing yet
    assert (at(today).receivable, at(today).collected) == (217500, 0)
    assert at(today + dt.timedelta(days=10)).collected == 23375
    later = at(today + dt.timedelta(days=40))
    assert (later.collected, later.prepaid) == (3 * 23375, 50000 - 23375)
    assert at(None).collected == 3 * 23375


def test_a_staff_member_of_one_office_sees_only_it(scenario: Scenario, tenant_a: Any) -> None:
    membership = MemberFactory(
        tenant=tenant_a, roles=["finance"], scope_all=False, scope_office_ids=[scenario.office2.pk]
    )
    scope = Scope.of(membership)
    rep = report("building", scope=scope)
    assert [r.label for r in rep.rows] == ["A座"]
    assert figures(rep.totals) == (10000, 0, 5000, 5000, Decimal("50.00"), 0, 5000)
    # naming the other office's estate in the filter yields nothing, not its figures
    other = report("building", scope=scope, estate=str(scenario.world.estate.pk))
    assert other.rows == [] and other.totals.receivable == 0
    assert reports.query_filter_names(scope=scope, query=other.query) is None
    trend = reports.collection_trend(scope=scope, query=rep.query)
    assert sum(p.receivable for p in trend) == 10000
    paid = reports.payments_received(scope=scope, query=rep.query)
    assert (paid.count, paid.amount) == (1, 5000)
    estate_scoped = Scope.of(
        MemberFactory(tenant=tenant_a, roles=["finance"], scope_all=False, scope_estate_ids=[scenario.world.estate.pk])
    )
    assert [r.label for r in report("office", scope=estate_scoped).rows] == ["计费管理处"]


def test_the_trend_has_twelve_months_with_rates(scenario: Scenario) -> None:
    run(JUL)
    query = reports.parse_query({"period": "2026-07"})
    points = reports.collection_trend(scope=EVERYTHING, query=query)
    assert [p.month for p in points][0] == dt.date(2025, 8, 1)
    assert len(points) == 12 and points[-1].month == JUL
    by_month = {p.month: p for p in points}
    assert (by_month[JUN].receivable, by_month[JUN].waived, by_month[JUN].collected) == (227500, 10000, 86375)
    assert by_month[JUN].rate == Decimal("39.71")
    assert (by_month[JUL].receivable, by_month[JUL].collected) == (227500, 9000)
    assert by_month[dt.date(2026, 5, 1)].rate is None
    chart = report_charts.trend_chart(points, 95)
    assert chart is not None and len(chart["months"]) == 12
    assert chart["line"].count(",") == 2  # a rate point for June and July only


def test_money_received_by_method_channel_and_day(scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledger, "_today", lambda: dt.date(2026, 6, 25))
    ledger.refund_record(payment=scenario.payments["b2_102"], amount=2000, reason="多缴退回", by=scenario.approver)
    result = reports.payments_received(scope=EVERYTHING, query=reports.parse_query({"period": "2026-06"}))
    assert (result.count, result.amount, result.refunded) == (6, 95375, 2000)
    assert {m["code"]: (m["count"], m["amount"]) for m in result.by_method} == {
        "cash": (2, 28375),
        "wechat": (2, 6000),
        "alipay": (1, 21000),
        "bank_transfer": (1, 40000),
    }
    assert {c["code"]: (c["count"], c["amount"]) for c in result.by_channel} == {
        "counter": (3, 68375),
        "online": (3, 27000),
    }
    assert [(d["day"], d["count"], d["amount"]) for d in result.by_day] == [
        (dt.date(2026, 6, 15), 5, 55375),
        (dt.date(2026, 6, 20), 1, 40000),
    ]
    july = reports.payments_received(scope=EVERYTHING, query=reports.parse_query({"period": "2026-07"}))
    assert (july.count, july.amount, july.refunded) == (0, 0, 0)
    # the refund came out of the prepaid part
    assert by_label(report("building"))["金色家园/2栋"].figures.prepaid == 7000


def test_a_payment_just_before_midnight_counts_on_its_local_day(world: World) -> None:
    run(JUN)
    ledger.payment_record(unit=world.units[0], amount=100, method="cash", received_at=june(30, 23))
    ledger.payment_record(
        unit=world.units[1], amount=200, method="cash", received_at=dt.datetime(2026, 6, 30, 16, 30, tzinfo=dt.UTC)
    )  # 00:30 on 1 July in Shanghai
    june_paid = reports.payments_received(scope=EVERYTHING, query=reports.parse_query({"period": "2026-06"}))
    july_paid = reports.payments_received(scope=EVERYTHING, query=reports.parse_query({"period": "2026-07"}))
    assert (june_paid.amount, july_paid.amount) == (100, 200)
    assert july_paid.by_day[0]["day"] == dt.date(2026, 7, 1)


def test_the_report_is_a_fixed_number_of_queries(scenario: Scenario) -> None:
    from django.test.utils import CaptureQueriesContext

    for group in reports.GROUPS:
        with CaptureQueriesContext(connection) as ctx:
            report(group)
        # the target, the lines of the period, the balances, the groups' names: never one per unit or line
        assert len(ctx.captured_queries) == 4, group
    with CaptureQueriesContext(connection) as ctx:
        reports.collection_trend(scope=EVERYTHING, query=reports.parse_query({"period": "2026-06"}))
    assert len(ctx.captured_queries) == 1


# --- parameters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "June"}, "period"),
        ({"start": "2026-07", "end": "2026-06"}, "end"),
        ({"start": "2023-01", "end": "2026-06"}, "end"),
        ({"start": "2026-xx", "end": "2026-06"}, "start"),
        ({"group": "unit"}, "group"),
        ({"office": "abc"}, "office"),
        ({"estate": "-3"}, "estate"),
        ({"as_of": "2026-06-31"}, "as_of"),
    ],
)
def test_bad_parameters_name_their_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(ApplicationError) as raised:
        reports.parse_query(params)
    assert field in raised.value.fields and raised.value.fields[field]


def test_parameters_default_to_this_month_by_office() -> None:
    q = reports.parse_query({}, today=dt.date(2026, 9, 17))
    assert (q.period.start, q.period.end, q.group) == (dt.date(2026, 9, 1), dt.date(2026, 9, 1), "office")
    ranged = reports.parse_query({"start": "2026-01", "end": "2026-06", "group": "fee_item", "building": "7"})
    assert (ranged.period.months, ranged.building_id, str(ranged.period)) == (6, 7, "2026-01 – 2026-06")
    assert ranged.params(group="office") == {
        "start": "2026-01",
        "end": "2026-06",
        "group": "office",
        "building": "7",
    }


# --- export and charts -----------------------------------------------------------------------------


def test_the_xlsx_has_the_figures_as_numbers(scenario: Scenario) -> None:
    rep = report("building")
    trend = reports.collection_trend(scope=EVERYTHING, query=rep.query)
    wb = load_workbook(io.BytesIO(report_xlsx.report_xlsx(rep, trend)))
    ws = wb.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if r[2] == "Receivable (应收)")
    body = {r[0]: r for r in rows[header + 1 :]}
    b2 = body["2栋"]
    assert b2[1] == "金色家园"
    assert b2[2:7] == [1240.0, 100.0, 1140.0, 520.0, 620.0]
    assert b2[7] == pytest.approx(0.4561)
    assert (b2[9], b2[10]) == (90.0, 620.0)
    total = body["Total"]
    assert total[2:8] == [2275.0, 100.0, 2175.0, 863.75, 1311.25, pytest.approx(0.3971)]
    assert ws.cell(row=header + 2, column=3).number_format == "#,##0.00"
    assert ws.cell(row=header + 2, column=8).number_format == "0.00%"
    months = {r[0]: r for r in wb.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert months["2026-06"][1:4] == (2275.0, 100.0, 863.75)


def test_the_rate_chart_has_a_bar_per_group_and_the_target_line(scenario: Scenario) -> None:
    rep = report("building")
    chart = report_charts.rate_chart(rep)
    assert chart is not None
    assert [(b["full_label"], b["value"], b["meets"]) for b in chart["bars"]] == [
        ("1栋", "31.42%", False),
        ("2栋", "45.61%", False),
        ("A座", "50.00%", False),
    ]
    # widths in proportion to the rates, target line at 95% of the plot
    widths = [float(b["width"]) for b in chart["bars"]]
    assert widths[0] < widths[1] < widths[2]
    assert float(chart["target_x"]) == pytest.approx(chart["left"] + 0.95 * (360 - 100 - 50), abs=0.1)
    assert report_charts.rate_chart(report("building", period="2026-03")) is None


# --- API -------------------------------------------------------------------------------------------


def api_get(client_for: Any, tenant: Any, user: Any, url: str) -> Any:
    response = client_for(tenant, user).get(url)
    connection.set_tenant(tenant)
    return response


def test_api_collection_rows_totals_and_target(scenario: Scenario, tenant_a: Any, member: Any, client_for: Any) -> None:
    user = member(tenant_a, ["finance"])
    r = api_get(client_for, tenant_a, user, "/api/v1/reports/collection/?period=2026-06&group=building")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["start"], body["end"], body["group"], body["target"], body["currency"]) == (
        "2026-06",
        "2026-06",
        "building",
        95,
        "CNY",
    )
    rows = {row["name"]: row for row in body["rows"]}
    assert rows["2栋"]["within"] == "金色家园"
    assert {k: rows["2栋"][k] for k in ("receivable", "waived", "due", "collected", "outstanding", "prepaid")} == {
        "receivable": 124000,
        "waived": 10000,
        "due": 114000,
        "collected": 52000,
        "outstanding": 62000,
        "prepaid": 9000,
    }
    assert (rows["2栋"]["rate"], rows["2栋"]["meets_target"]) == ("45.61", False)
    assert rows["1栋"]["drill_down"] == {
        "period": "2026-06",
        "group": "fee_item",
        "building": str(scenario.world.building.pk),
    }
    assert body["totals"]["collected"] == 86375 and body["totals"]["rate"] == "39.71"


def test_api_trend_and_payments(scenario: Scenario, tenant_a: Any, member: Any, client_for: Any) -> None:
    user = member(tenant_a, ["company_admin"])
    trend = api_get(client_for, tenant_a, user, "/api/v1/reports/trend/?period=2026-06").json()
    assert len(trend["months"]) == 12
    assert trend["months"][-1] == {
        "month": "2026-06",
        "receivable": 227500,
        "waived": 10000,
        "collected": 86375,
        "rate": "39.71",
    }
    assert trend["months"][0]["rate"] is None
    paid = api_get(client_for, tenant_a, user, "/api/v1/reports/payments/?period=2026-06").json()
    assert (paid["count"], paid["amount"]) == (6, 95375)
    assert paid["by_day"][0] == {"day": "2026-06-15", "count": 5, "amount": 55375}
    assert {m["code"] for m in paid["by_channel"]} == {"counter", "online"}


def test_api_bad_parameters_are_400_with_field_messages(tenant_a: Any, member: Any, client_for: Any) -> None:
    user = member(tenant_a, ["finance"])
    for url, field in (
        ("/api/v1/reports/collection/?period=2026-6x", "period"),
        ("/api/v1/reports/collection/?group=planet", "group"),
        ("/api/v1/reports/trend/?start=2026-05&end=2026-01", "end"),
        ("/api/v1/reports/payments/?as_of=yesterday", "as_of"),
    ):
        r = api_get(client_for, tenant_a, user, url)
        assert r.status_code == 400, url
        assert r.json()["error"]["fields"][field], url


def test_api_scope_of_a_customer_service_member(scenario: Scenario, tenant_a: Any, client_for: Any) -> None:
    user = MemberFactory(
        tenant=tenant_a, roles=["customer_service"], scope_all=False, scope_office_ids=[scenario.office2.pk]
    ).user
    body = api_get(client_for, tenant_a, user, "/api/v1/reports/collection/?period=2026-06&group=fee_item").json()
    assert [(r["name"], r["within"], r["receivable"]) for r in body["rows"]] == [("物业费", "第二管理处", 10000)]


def test_another_company_sees_none_of_it(
    scenario: Scenario, tenant_a: Any, tenant_b: Any, member: Any, client_for: Any
) -> None:
    beta_finance = member(tenant_b, ["finance"])
    for url in (
        "/api/v1/reports/collection/?period=2026-06&group=building",
        "/api/v1/reports/trend/?period=2026-06",
        "/api/v1/reports/payments/?period=2026-06",
    ):
        r = api_get(client_for, tenant_b, beta_finance, url)
        assert r.status_code == 200
        body = r.json()
        assert body.get("rows", []) == []
        assert body.get("count", 0) == 0
        assert all(m["receivable"] == 0 for m in body.get("months", []))
    # while alpha's finance sees alpha's figures for the same request
    alpha = api_get(client_for, tenant_a, member(tenant_a, ["finance"]), "/api/v1/reports/payments/?period=2026-06")
    assert alpha.json()["count"] == 6
