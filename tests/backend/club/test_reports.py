"""The club report: utilisation (offered place-minutes from the opening hours, taken ones from the counters;
a weekday × hour heat map), fee income by facility and month net of refunds (deposits are not income), the
no-show rate; within the caller's scope; as JSON, .xlsx and the staff page."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.template.loader import render_to_string
from openpyxl import load_workbook

from backend.accounts.models import Membership
from backend.club import booking as engine
from backend.club import report_charts
from backend.club.models import Booking, BookingStatus
from backend.club.reports import ReportQuery, club_report, parse_query
from backend.errors import ApplicationError
from backend.properties.scope import Scope
from tenants.db import connection

from .conftest import EVERYTHING, NOW, Club, at

pytestmark = pytest.mark.django_db

MARCH = ReportQuery(first_month=dt.date(2030, 3, 1), months=1)
LATER = at(7, "08:00")  # Monday 2030-03-11: the report counts 1–11 March


def staff_book(world: Club, clerk: Any, facility: Any, start: dt.datetime, minutes: int, **kw: Any) -> Booking:
    return engine.booking_create_by_staff(
        facility=facility,
        by=clerk,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=minutes),
        unit=world.home,
        now=NOW,
        **kw,
    )


@pytest.fixture
def clerk(member: Any, tenant_a: Any) -> Any:
    user = member(tenant_a, ["customer_service"])
    connection.set_tenant(tenant_a)
    return user


@pytest.fixture
def month(world: Club, clerk: Any) -> dict[str, Booking]:
    """Tuesday 5 March: the court 10:00–12:00 (¥80, paid, checked in) and a paid 14:00–16:00 cancelled late (half
    of the fee and the deposit refunded); Wednesday 6 March: the gym at 07:00 for one of its two places (a
    no-show); Thursday 7 March: the court 09:00–10:00 paid and cancelled in full."""
    used = staff_book(world, clerk, world.court, at(1, "10:00"), 120)
    late = staff_book(world, clerk, world.court, at(1, "14:00"), 120)
    gym = staff_book(world, clerk, world.gym, at(2, "07:00"), 60)
    full = staff_book(world, clerk, world.court, at(3, "09:00"), 60)
    paid = at(0, "08:30")
    Booking.objects.filter(pk__in=[used.pk, late.pk, full.pk]).update(paid_at=paid)
    late.refresh_from_db()
    engine.booking_cancel(booking=late, by=world.resident, now=at(1, "09:00"))
    full.refresh_from_db()
    engine.booking_cancel_by_staff(booking=full, by=clerk, reason="场地维修", now=at(2, "09:00"))
    Booking.objects.filter(pk__in=[late.pk, full.pk]).update(refunded_at=at(2, "10:00"))
    Booking.objects.filter(pk=used.pk).update(status=BookingStatus.CHECKED_IN, checked_in_at=at(1, "09:55"))
    Booking.objects.filter(pk=gym.pk).update(status=BookingStatus.NO_SHOW, no_show_at=at(2, "07:20"))
    return {"used": used, "late": late, "gym": gym, "full": full}


def test_income_is_the_fees_paid_less_the_fees_refunded_by_facility_and_month(world, month):
    report = club_report(scope=EVERYTHING, query=MARCH, now=LATER)
    rows = {r.name: r for r in report.rows}
    court = rows["网球场1"].total
    # Paid: 8000 + 8000 + 4000; refunded fees: half of the late one (4000) and all of the full one (4000).
    assert (court.fees, court.refunded, court.income) == (20000, 8000, 12000)
    assert court.bookings == 1 and court.checked_in == 1
    gym = rows["健身房"].total
    assert (gym.income, gym.bookings, gym.no_shows, gym.no_show_percent) == (0, 1, 1, 100)
    assert report.total.income == 12000 and report.total.no_show_percent == 50
    assert [m.month for m in report.months] == [dt.date(2030, 3, 1)]


def test_utilisation_is_places_taken_over_places_offered_per_weekday_and_hour(world, month):
    report = club_report(scope=EVERYTHING, query=MARCH, now=LATER)
    assert report.until == dt.date(2030, 3, 11)
    heat = report.heat
    tuesday = dict(zip(heat.hours, heat.rows[1], strict=True))
    # The court's only Tuesday in range (5 March): 10:00–12:00 taken, 14:00–16:00 freed by the cancellation.
    court_and_gym_at_10 = tuesday[10]
    assert court_and_gym_at_10.offered == 60 * 1 + 60 * 2 and court_and_gym_at_10.taken == 60
    assert tuesday[14].taken == 0
    wednesday = dict(zip(heat.hours, heat.rows[2], strict=True))
    # The gym's no-show keeps its place in the counter (it was held) — the court does not open at 07:00.
    assert wednesday[7].offered == 60 * 2 and wednesday[7].percent == 50
    rows = {r.name: r for r in report.rows}
    # The court opens 14 hours a day, 11 days counted; 2 hours used.
    assert rows["网球场1"].utilisation == round(100 * 120 / (11 * 14 * 60))
    assert heat.hours == list(range(6, 22))  # the gym opens at 06:00, both close at 22:00
    chart = report_charts.heat_chart(heat)
    assert chart is not None and len(chart["rows"]) == 7
    cell = next(c for c in chart["rows"][2]["cells"] if c["hour"] == 7)
    assert cell["percent"] == "50%" and cell["fill"] == report_charts.heat_colour(50)
    html = render_to_string("portal/staff/club_reports/_heat_map.html", {"h": chart})
    assert html.count("<rect") == 7 * len(heat.hours) and 'data-percent="50%"' in html


def test_a_closure_offers_nothing_and_the_future_is_not_counted(world, month, clerk):
    from backend.club.closures import closure_create

    closure_create(
        facility=world.court,
        kind="one_off",
        reason="场地翻新",
        starts_at=at(4, "08:00"),
        ends_at=at(4, "22:00"),
        by=clerk,
        now=NOW,
    )
    report = club_report(scope=EVERYTHING, query=MARCH, now=LATER)
    rows = {r.name: r for r in report.rows}
    assert rows["网球场1"].utilisation == round(100 * 120 / (10 * 14 * 60))
    early = club_report(scope=EVERYTHING, query=MARCH, now=at(1, "12:00"))
    assert early.until == dt.date(2030, 3, 5)


def test_staff_see_only_the_facilities_of_their_scope(world, month):
    other = Scope(all_offices=False, office_ids=frozenset({world.other_office.pk}), estate_ids=frozenset())
    report = club_report(scope=other, query=MARCH, now=LATER)
    assert report.rows == [] and report.facilities == [] and report.total.income == 0
    with pytest.raises(ApplicationError) as excinfo:
        club_report(scope=other, query=ReportQuery(MARCH.first_month, 1, world.court.pk), now=LATER)
    assert "facility" in excinfo.value.fields


def test_bad_parameters_are_field_errors():
    today = dt.date(2030, 3, 11)
    assert parse_query({}, today=today) == ReportQuery(dt.date(2030, 1, 1), 3)
    for params, field in (
        ({"months": "13"}, "months"),
        ({"from": "2030-13"}, "from"),
        ({"from": "9999-12"}, "from"),
        ({"months": "²"}, "months"),
        ({"facility": "x"}, "facility"),
    ):
        with pytest.raises(ApplicationError) as excinfo:
            parse_query(params, today=today)
        assert field in excinfo.value.fields


def test_the_api_json_and_xlsx_and_the_staff_page(world, month, client_for, tenant_a, member):
    admin = member(tenant_a, ["company_admin"])
    client = client_for(tenant_a, admin)
    connection.set_tenant(tenant_a)
    # The API reads the clock: ask for March 2030 as a past range would be — the whole month up to today.
    response = client.get("/api/v1/club/reports/?from=2030-03&months=1")
    assert response.status_code == 200, response.content[:300]
    data = response.json()
    court = next(f for f in data["facilities"] if f["name"] == "网球场1")
    assert court["total"]["income_fen"] == 12000 and data["total"]["no_show_percent"] == 50
    assert len(data["heat"]["percent"]) == 7
    bad = client.get("/api/v1/club/reports/?months=0")
    assert bad.status_code == 400 and "months" in bad.json()["error"]["fields"]
    xlsx = client.get("/api/v1/club/reports.xlsx?from=2030-03&months=1")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    sheet = book.worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    court_total = next(r for r in values if r[0] == "网球场1" and r[2] in ("Total", "合计", "总计"))
    assert court_total[6] == 120.0
    page = client.get("/staff/club/reports/?from=2030-03&months=1")
    assert page.status_code == 200
    body = page.content.decode()
    # The heat map counts up to today (before 2030 here: nothing yet); the income counts the paid fees.
    assert "data-income-chart" in body and "¥120.00" in body and "data-heat-map" not in body
    assert client.get("/staff/club/reports/?months=99").status_code == 400
    export = client.get("/staff/club/reports/export.xlsx?from=2030-03&months=1")
    assert export.status_code == 200 and export.content[:2] == b"PK"


def test_a_resident_and_an_engineer_may_not_read_it(world, client_for, tenant_a, member):
    for roles in (["resident"], ["engineer"]):
        user = member(tenant_a, roles)
        client = client_for(tenant_a, user)
        assert client.get("/api/v1/club/reports/").status_code == 403
        assert client.get("/staff/club/reports/").status_code in (302, 403)


def test_another_company_sees_none_of_it(world, month, client_for, tenant_b, member):
    admin = member(tenant_b, ["company_admin"])
    client = client_for(tenant_b, admin)
    data = client.get("/api/v1/club/reports/?from=2030-03&months=1").json()
    assert data["facilities"] == [] and data["total"]["income_fen"] == 0
    connection.set_tenant(tenant_b)
    assert not Membership.objects.filter(user=admin, tenant__schema_name="alpha").exists()
