"""欠费: the arrears list counts only what is really unpaid, ages it, filters it within the caller's data
scope, pages it with totals over every match; sanctions follow the company's switches; the API's rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from backend.billing.arrears import (
    ArrearsFilters,
    arrears_list,
    unit_arrears,
    unit_in_arrears,
    unit_sanctioned,
    unit_sanctions,
)
from backend.billing.ledger import payment_record, prepaid_settle, refund_record, waiver_decide, waiver_request
from backend.billing.models import BillingSettings, BillLine, FeeItem, LedgerEntry, Sanction
from backend.billing.runs import bill_run_create, bill_run_execute
from backend.billing.selectors import lines_with_balances
from backend.properties.models import Person, Unit
from backend.properties.scope import Scope

from .conftest import EVERYTHING, World

TODAY = dt.date(2026, 12, 20)


def charge(unit: Unit, item: FeeItem, period: dt.date, amount: int, *, due: dt.date | None = None) -> BillLine:
    """A bill line with its charge entry, as a bill run posts it (due on the 10th of the month by default)."""
    line = BillLine.objects.create(
        unit=unit,
        fee_item=item,
        kind="charge",
        period_start=period,
        period_end=period,
        amount=amount,
        due_date=due or period.replace(day=10),
    )
    LedgerEntry.objects.create(unit=unit, kind="charge", amount=amount, bill_line=line, occurred_on=line.due_date)
    return line


def rows_by_unit(**kw: Any) -> dict[int, Any]:
    return {r.unit_id: r for r in arrears_list(scope=EVERYTHING, today=TODAY, **kw).rows()}


def make_aged(world: World, today: dt.date) -> World:
    """units[0] owes one line in every aging bucket (and one not yet due); units2[0] one line 40 days over."""
    u = world.units[0]

    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    charge(u, world.management, dt.date(2026, 6, 1), 10000, due=ago(193))  # 180+
    charge(u, world.management, dt.date(2026, 8, 1), 20000, due=ago(132))  # 91–180
    charge(u, world.management, dt.date(2026, 10, 1), 30000, due=ago(71))  # 31–90
    charge(u, world.management, dt.date(2026, 12, 1), 40000, due=ago(10))  # 0–30
    charge(u, world.garbage, dt.date(2026, 12, 1), 1000, due=ago(-5))  # not yet due
    charge(world.units2[0], world.garbage, dt.date(2026, 11, 1), 1000, due=ago(40))  # 31–90
    return world


@pytest.fixture
def aged(world: World) -> World:
    return make_aged(world, TODAY)


@pytest.fixture
def aged_now(world: World) -> World:
    """The same, relative to the real today (what the API and pages compute with)."""
    from django.utils import timezone

    return make_aged(world, timezone.localdate())


def test_aging_buckets_oldest_period_and_days_overdue(aged: World) -> None:
    row = rows_by_unit()[aged.units[0].pk]
    assert row.amount == 100000  # the line not yet due is not arrears
    assert row.aging == {"0-30": 40000, "31-90": 30000, "91-180": 20000, "180+": 10000}
    assert row.oldest_period == dt.date(2026, 6, 1)
    assert row.days_overdue == 193 and row.bucket == "180+"
    assert row.lines == 4
    totals = arrears_list(scope=EVERYTHING, today=TODAY).totals()
    assert (totals.units, totals.amount) == (2, 101000)
    assert totals.aging == {"0-30": 40000, "31-90": 31000, "91-180": 20000, "180+": 10000}
    assert totals.aging_units == {"0-30": 0, "31-90": 1, "91-180": 0, "180+": 1}


def test_bucket_boundaries(world: World) -> None:
    u = world.units[0]
    for days in (30, 31, 90, 91, 180, 181):
        charge(
            u, world.management, dt.date(2020, 1, 1) + dt.timedelta(days=days), 100, due=TODAY - dt.timedelta(days=days)
        )
    row = rows_by_unit()[u.pk]
    assert row.aging == {"0-30": 100, "31-90": 200, "91-180": 200, "180+": 100}


def test_only_what_is_really_unpaid_counts(world: World, tenant_a: Any, member: Any) -> None:
    partly, waived, prepaid, paid = world.units[0], world.units[1], world.units[2], world.units[3]
    refunded = world.units2[0]
    units = (partly, waived, prepaid, paid, refunded)
    lines = {u.pk: charge(u, world.management, dt.date(2026, 11, 1), 20000) for u in units}
    payment = payment_record(unit=refunded, amount=20000, method="cash").payment
    refund_record(payment=payment, amount=8000, reason="退回多收", by=None)  # reopens 80 yuan of the line
    payment_record(unit=partly, amount=5000, method="cash", line_ids=[lines[partly.pk].pk])
    clerk, approver = member(tenant_a, ["finance"]), member(tenant_a, ["company_admin"])
    waiver_decide(
        request=waiver_request(line=lines[waived.pk], amount=20000, reason="空置减免", by=clerk),
        by=approver,
        approve=True,
    )
    payment_record(unit=prepaid, amount=30000, method="wechat", to_prepaid=True)
    assert unit_in_arrears(prepaid.pk, today=TODAY)  # credit sitting beside a bill is not yet applied
    prepaid_settle(prepaid.pk)  # the ledger applies it (as it does when bills are issued)
    payment_record(unit=paid, amount=20000, method="cash")
    rows = rows_by_unit()
    assert set(rows) == {partly.pk, refunded.pk}
    assert rows[partly.pk].amount == 15000
    assert rows[refunded.pk].amount == 8000
    # the SQL of the list agrees with the ledger's own derivation, line by line
    derived = {
        line.unit_id: int(line.owed)  # type: ignore[attr-defined]
        for line in lines_with_balances(BillLine.objects.filter(pk__in=[x.pk for x in lines.values()]))
    }
    assert {u: r.amount for u, r in rows.items()} == {u: v for u, v in derived.items() if v > 0}
    assert not unit_in_arrears(waived.pk, today=TODAY)
    assert not unit_in_arrears(prepaid.pk, today=TODAY)
    assert not unit_in_arrears(paid.pk, today=TODAY)


def test_a_real_bill_run_shows_up_once_overdue(world: World) -> None:
    bill_run_execute(bill_run_create(period=dt.date(2026, 6, 1), scope=EVERYTHING, by=None).pk)
    assert arrears_list(scope=EVERYTHING, today=dt.date(2026, 6, 10)).count() == 0  # due today: not yet overdue
    rows = {r.unit_id: r for r in arrears_list(scope=EVERYTHING, today=dt.date(2026, 6, 11)).rows()}
    assert len(rows) == 8
    assert rows[world.units[0].pk].amount == 22375 + 1000 and rows[world.units[0].pk].days_overdue == 1


def test_filters(aged: World) -> None:
    u, other = aged.units[0].pk, aged.units2[0].pk
    assert set(rows_by_unit(filters=ArrearsFilters(building_id=aged.building2.pk))) == {other}
    assert set(rows_by_unit(filters=ArrearsFilters(estate_id=aged.estate.pk))) == {u, other}
    assert set(rows_by_unit(filters=ArrearsFilters(office_id=aged.office.pk))) == {u, other}
    by_item = rows_by_unit(filters=ArrearsFilters(fee_item_id=aged.garbage.pk))
    assert set(by_item) == {other} and by_item[other].amount == 1000  # units[0]'s garbage line is not yet due
    assert set(rows_by_unit(filters=ArrearsFilters(min_amount=5000))) == {u}
    assert set(rows_by_unit(filters=ArrearsFilters(bucket="31-90"))) == {other}
    assert set(rows_by_unit(filters=ArrearsFilters(bucket="180+"))) == {u}
    assert rows_by_unit(filters=ArrearsFilters(bucket="0-30")) == {}
    with pytest.raises(ValueError):
        arrears_list(scope=EVERYTHING, filters=ArrearsFilters(bucket="1-2"))


def test_ordering_paging_and_totals_over_every_page(aged: World) -> None:
    query = arrears_list(scope=EVERYTHING, today=TODAY, ordering="amount")
    assert [r.unit_id for r in query.rows()] == [aged.units2[0].pk, aged.units[0].pk]
    assert [r.unit_id for r in query[1:2]] == [aged.units[0].pk]
    assert query.count() == len(query) == 2
    first_page = arrears_list(scope=EVERYTHING, today=TODAY)[0:1]
    assert len(first_page) == 1 and first_page[0].unit_id == aged.units[0].pk
    assert arrears_list(scope=EVERYTHING, today=TODAY).totals().amount == 101000
    # a page with the totals of the whole list; past the end: the last page
    rows, totals, number = arrears_list(scope=EVERYTHING, today=TODAY).page(2, 1)
    assert ([r.unit_id for r in rows], totals.units, totals.amount, number) == ([aged.units2[0].pk], 2, 101000, 2)
    assert totals.aging == {"0-30": 40000, "31-90": 31000, "91-180": 20000, "180+": 10000}
    rows, totals, number = arrears_list(scope=EVERYTHING, today=TODAY).page(9, 1)
    assert ([r.unit_id for r in rows], totals.units, number) == ([aged.units2[0].pk], 2, 2)
    empty = arrears_list(scope=EVERYTHING, today=TODAY, filters=ArrearsFilters(min_amount=10**9)).page(3, 50)
    assert (empty[0], empty[1].units, empty[1].amount, empty[2]) == ([], 0, 0, 1)


def test_staff_see_only_their_data_scope(aged: World) -> None:
    elsewhere = Scope(all_offices=False, estate_ids=frozenset({aged.estate.pk + 1000}))
    assert arrears_list(scope=elsewhere, today=TODAY).count() == 0
    assert arrears_list(scope=elsewhere, today=TODAY).totals().amount == 0
    mine = Scope(all_offices=False, office_ids=frozenset({aged.office.pk}))
    assert arrears_list(scope=mine, today=TODAY).count() == 2


def test_the_list_is_a_fixed_number_of_queries_whatever_the_units(
    aged: World, django_assert_max_num_queries: Any
) -> None:
    for unit in aged.all_units:
        charge(unit, aged.water, dt.date(2026, 9, 1), 500)
        Person.objects.create(name=f"住户{unit.number}", phone="13800001111")
    with django_assert_max_num_queries(4):  # the page with its totals, then units, occupants, contacts
        rows, totals, _n = arrears_list(scope=EVERYTHING, today=TODAY).page(1, 50)
    assert len(rows) == totals.units == 8


def test_unit_arrears_and_unit_in_arrears(aged: World) -> None:
    row = unit_arrears(aged.units[0].pk, today=TODAY)
    assert row is not None and row.amount == 100000
    assert unit_arrears(aged.units[1].pk, today=TODAY) is None
    assert unit_in_arrears(aged.units2[0].pk, today=TODAY)
    assert not unit_in_arrears(aged.units2[0].pk, today=TODAY, min_days=40)
    assert unit_in_arrears(aged.units2[0].pk, today=TODAY, min_days=39)


# --- sanctions -------------------------------------------------------------------------------------------


def switch_on(*sanctions: str, days: int = 30) -> None:
    BillingSettings.objects.update_or_create(
        singleton=True, defaults={"sanctions": list(sanctions), "sanction_min_overdue_days": days}
    )


def test_no_sanction_unless_the_company_switches_it_on(aged: World) -> None:
    assert unit_sanctions(aged.units[0].pk, today=TODAY) == []
    assert not unit_sanctioned(aged.units[0].pk, Sanction.NO_PAID_BOOKING, today=TODAY)


def test_sanctions_apply_past_the_configured_overdue_days(aged: World) -> None:
    switch_on(Sanction.NO_PAID_BOOKING, Sanction.NO_RENOVATION, days=30)
    long_overdue, recent = aged.units[0].pk, aged.units2[0].pk  # 193 and 40 days
    assert unit_sanctioned(long_overdue, Sanction.NO_PAID_BOOKING, today=TODAY)
    assert unit_sanctioned(long_overdue, "no_renovation", today=TODAY)
    assert not unit_sanctioned(long_overdue, Sanction.NO_MONTHLY_PARKING, today=TODAY)  # not switched on
    assert unit_sanctions(long_overdue, today=TODAY) == ["no_renovation", "no_paid_booking"]
    assert unit_sanctioned(recent, Sanction.NO_PAID_BOOKING, today=TODAY)  # 40 > 30
    switch_on(Sanction.NO_PAID_BOOKING, days=40)
    assert not unit_sanctioned(recent, Sanction.NO_PAID_BOOKING, today=TODAY)  # exactly 40: not more than
    assert not unit_sanctioned(aged.units[1].pk, Sanction.NO_PAID_BOOKING, today=TODAY)  # owes nothing


def test_paying_lifts_the_sanction(aged: World) -> None:
    switch_on(Sanction.NO_CARD_REPLACEMENT)
    unit = aged.units2[0]
    assert unit_sanctioned(unit.pk, Sanction.NO_CARD_REPLACEMENT, today=TODAY)
    payment_record(unit=unit, amount=1000, method="alipay")
    assert not unit_sanctioned(unit.pk, Sanction.NO_CARD_REPLACEMENT, today=TODAY)


def test_water_power_and_heating_are_never_sanctions(aged: World) -> None:
    assert not {"no_water", "no_power", "no_electricity", "no_heating"} & set(Sanction.values)
    with pytest.raises(ValueError):
        unit_sanctioned(aged.units[0].pk, "no_water")


# --- API -------------------------------------------------------------------------------------------------


def api(client_for: Any, tenant: Any, user: Any, path: str) -> Any:
    response = client_for(tenant, user).get(path)
    connection.set_tenant(tenant)
    return response


def test_api_lists_arrears_with_totals_and_aging(aged_now: World, tenant_a: Any, member: Any, client_for: Any) -> None:
    from backend.properties.models import Occupancy

    aged = aged_now
    owner = Person.objects.create(name="王业主", phone="13912345678")
    Occupancy.objects.create(unit=aged.units[0], person=owner, role="owner", start_date=dt.date(2025, 1, 1))
    response = api(client_for, tenant_a, member(tenant_a, ["customer_service"]), "/api/v1/arrears/?page_size=1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2 and len(body["results"]) == 1
    top = body["results"][0]
    assert top["unit"] == aged.units[0].pk and top["occupant"] == "王业主"
    assert top["phone"] == "13912345678"  # customer service may see phones in full
    assert top["amount"] == 100000 and top["amount_display"] == "¥1,000.00"
    assert top["aging"] == {"0-30": 40000, "31-90": 30000, "91-180": 20000, "180+": 10000}
    assert (top["bucket"], top["days_overdue"], top["oldest_period"]) == ("180+", 193, "2026-06")
    assert top["follow_up_due"] is True and top["last_contacted_at"] is None
    # the totals are over every matching unit, not just this page
    totals = body["totals"]
    assert (totals["units"], totals["amount"]) == (2, 101000)
    assert totals["aging"] == {"0-30": 40000, "31-90": 31000, "91-180": 20000, "180+": 10000}


def test_api_filters_and_bad_input(aged_now: World, tenant_a: Any, member: Any, client_for: Any) -> None:
    aged = aged_now
    finance = member(tenant_a, ["finance"])
    only = api(client_for, tenant_a, finance, f"/api/v1/arrears/?building={aged.building2.pk}").json()
    assert [r["unit"] for r in only["results"]] == [aged.units2[0].pk]
    big = api(client_for, tenant_a, finance, "/api/v1/arrears/?min_amount=50000&bucket=180%2B").json()
    assert [r["unit"] for r in big["results"]] == [aged.units[0].pk]
    second = api(client_for, tenant_a, finance, "/api/v1/arrears/?page_size=1&page=2").json()
    assert [r["unit"] for r in second["results"]] == [aged.units2[0].pk] and second["next"] is None
    assert second["previous"] and second["totals"]["units"] == 2
    assert api(client_for, tenant_a, finance, "/api/v1/arrears/?page_size=1&page=3").status_code == 404
    # A page number whose offset would not fit PostgreSQL's bigint is not there either (it was a 500).
    assert api(client_for, tenant_a, finance, f"/api/v1/arrears/?page={10**19}").status_code == 404
    assert api(client_for, tenant_a, finance, "/api/v1/arrears/?page=0").status_code == 404
    bad = api(client_for, tenant_a, finance, "/api/v1/arrears/?bucket=old&min_amount=x&ordering=zzz")
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"bucket", "min_amount", "ordering"}


def test_api_respects_the_data_scope_and_the_company(
    aged_now: World, tenant_a: Any, tenant_b: Any, member: Any, client_for: Any
) -> None:
    from backend.accounts.models import Membership

    aged = aged_now
    scoped = member(tenant_a, ["finance"])
    assert api(client_for, tenant_a, member(tenant_a, ["finance"]), "/api/v1/arrears/").json()["count"] == 2
    Membership.objects.filter(user=scoped, tenant=tenant_a).update(
        scope_all=False, scope_estate_ids=[aged.estate.pk + 99]
    )
    assert api(client_for, tenant_a, scoped, "/api/v1/arrears/").json()["count"] == 0
    # company beta's finance sees none of alpha's arrears
    other = member(tenant_b, ["finance"])
    body = api(client_for, tenant_b, other, "/api/v1/arrears/").json()
    assert body["count"] == 0 and body["totals"]["amount"] == 0


def test_api_is_closed_to_other_roles(aged: World, tenant_a: Any, member: Any, client_for: Any) -> None:
    for role in ("engineer", "security", "resident"):
        assert api(client_for, tenant_a, member(tenant_a, [role]), "/api/v1/arrears/").status_code == 403
