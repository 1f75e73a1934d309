"""The staff's club actions and pages added to the booking page and beside it: a home's booking shows its
ledger lines and the home's statement; the deposit is released or kept (with a reason) after the booking's
time; a guest's booking is marked paid at the desk and, cancelled, shows what to hand back; weekly series set
up (booked and skipped weeks) and ended; no-shows and suspensions lifted; the waitlist per facility; the week
calendar per facility (a fixed number of queries); the club settings for company admins. Staff of another
office and another company get 404; the wrong role 403."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from backend.billing import ledger
from backend.billing.models import BillLine
from backend.billing.selectors import deposit_held
from backend.club import booking as engine
from backend.club.closures import closure_create
from backend.club.models import Booking, BookingSeries, BookingSuspension, ClubSettings, WaitlistEntry
from tenants.db import connection
from tests.backend.club.conftest import Club
from tests.portal.test_query_counts import queries

from .conftest import later

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(world: Club, member: Any, tenant_a: Any) -> Any:
    user = member(tenant_a, ["customer_service"])
    connection.set_tenant(tenant_a)
    return user


def staff_booking(
    world: Club, clerk: Any, start: dt.datetime, *, unit: Any = None, guest: str = "", facility: Any = None
) -> Booking:
    """A court booking by staff; one in the past is made as if an hour before it started."""
    return engine.booking_create_by_staff(
        facility=facility or world.court,
        by=clerk,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        unit=unit,
        guest_name=guest,
        now=start - dt.timedelta(hours=1),
    )


def page(client: Any, booking: Booking) -> str:
    response = client.get(f"/staff/club/bookings/{booking.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def error_on(response: Any, field: str) -> bool:
    return bool(re.search(rf'data-error-for="{field}">[^<]+<', response.content.decode()))


# --- the booking page: money ----------------------------------------------------------------------------------


def test_a_homes_booking_shows_its_ledger_lines_and_the_statement(world: Club, staff: Any, clerk: Any) -> None:
    booking = staff_booking(world, clerk, later(2, "10:00"), unit=world.home)
    html = page(staff(), booking)
    assert f'data-line="{booking.charge_id}" data-owed="4000"' in html
    assert f'data-line="{booking.deposit_charge_id}" data-owed="10000"' in html
    assert f'href="/staff/billing/units/{world.home.pk}/statement/"' in html and "data-on-account" in html
    assert 'data-refund-if-cancelled="14000"' in html
    # Security may look at the booking but not its statement, nor act on it.
    security = staff(["security"])
    assert "data-statement-link" not in page(security, booking)
    refused = security.post(f"/staff/club/bookings/{booking.pk}/", {"action": "deposit_release"})
    assert refused.status_code == 403


def test_a_deposit_is_released_after_the_booking_end_to_end(world: Club, staff: Any, clerk: Any) -> None:
    client = staff()
    coming = staff_booking(world, clerk, later(2, "10:00"), unit=world.home)
    early = client.post(f"/staff/club/bookings/{coming.pk}/", {"action": "deposit_release", "reason": ""})
    assert early.status_code == 400 and "data-action-error" in early.content.decode()
    past = staff_booking(world, clerk, later(-1, "10:00"), unit=world.home)
    assert "data-deposit-release" in page(client, past) and "data-deposit-forfeit" not in page(client, past)
    done = client.post(f"/staff/club/bookings/{past.pk}/", {"action": "deposit_release", "reason": "场地完好"})
    assert done.status_code == 302
    assert BillLine.objects.get(pk=past.deposit_charge_id).outstanding == 0
    assert BillLine.objects.get(pk=past.charge_id).outstanding == 4000  # the fee is still owed
    assert "data-deposit-release" not in page(client, past)


def test_a_paid_deposit_is_kept_only_with_a_reason(world: Club, staff: Any, clerk: Any) -> None:
    ledger.payment_record(unit=world.home, amount=20000, method="cash", to_prepaid=True)
    past = staff_booking(world, clerk, later(-1, "14:00"), unit=world.home)
    assert deposit_held(past.deposit_id) == 10000
    client = staff()
    assert "data-deposit-forfeit" in page(client, past)
    bare = client.post(f"/staff/club/bookings/{past.pk}/", {"action": "deposit_forfeit", "reason": " "})
    assert bare.status_code == 400 and error_on(bare, "reason")
    kept = client.post(f"/staff/club/bookings/{past.pk}/", {"action": "deposit_forfeit", "reason": "球网损坏"})
    assert kept.status_code == 302 and deposit_held(past.deposit_id) == 0


def test_a_guest_pays_at_the_desk_and_a_cancellation_shows_what_to_hand_back(
    world: Club, staff: Any, clerk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = staff()
    booking = staff_booking(world, clerk, later(2, "15:00"), guest="访客张先生")
    assert "data-desk-unpaid" in page(client, booking) and "data-guest-paid" in page(client, booking)
    wrong = client.post(f"/staff/club/bookings/{booking.pk}/", {"action": "guest_paid", "method": "ious"})
    assert wrong.status_code == 400 and error_on(wrong, "method")
    paid = client.post(f"/staff/club/bookings/{booking.pk}/", {"action": "guest_paid", "method": "pos"})
    assert paid.status_code == 302
    booking.refresh_from_db()
    assert booking.paid_at is not None and booking.desk_method == "pos"
    html = page(client, booking)
    assert 'data-desk-paid="pos"' in html and "data-guest-paid" not in html
    assert 'data-refund-if-cancelled="16000"' in html
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = client.post(f"/staff/club/bookings/{booking.pk}/", {"action": "cancel", "reason": "客人改期"})
    assert cancelled.status_code == 302
    booking.refresh_from_db()
    assert booking.refund_due_fen == 16000 and booking.refunded_at is not None
    html = client.get(f"/staff/club/bookings/{booking.pk}/", follow=True).content.decode()
    assert 'data-desk-refund="16000"' in html


def test_a_guests_deposit_is_handed_back_at_the_desk(world: Club, staff: Any, clerk: Any) -> None:
    client = staff()
    past = staff_booking(world, clerk, later(-1, "16:00"), guest="访客李女士")
    client.post(f"/staff/club/bookings/{past.pk}/", {"action": "guest_paid", "method": "cash"})
    back = client.post(f"/staff/club/bookings/{past.pk}/", {"action": "deposit_release", "reason": ""}, follow=True)
    assert back.status_code == 200 and 'data-desk-deposit="released"' in back.content.decode()


# --- weekly series --------------------------------------------------------------------------------------------


def test_staff_set_up_a_weekly_series_see_its_weeks_and_end_it(world: Club, staff: Any) -> None:
    client = staff()
    first = later(1, "10:00")
    closure_create(
        facility=world.gym,
        by=None,
        kind="one_off",
        reason="检修",
        starts_at=first + dt.timedelta(days=7),
        ends_at=first + dt.timedelta(days=7, hours=1),
    )
    form = {
        "weekday": str(first.weekday()),
        "start_time": "10:00",
        "minutes": "60",
        "first_date": first.date().isoformat(),
        "last_date": (first + dt.timedelta(days=13)).date().isoformat(),
        "party_size": "1",
        "guest_name": "游泳队",
    }
    nobody = client.post(f"/staff/club/{world.gym.pk}/series/new/", {**form, "guest_name": ""})
    assert nobody.status_code == 400 and error_on(nobody, "guest_name")
    in_the_break = client.post(f"/staff/club/{world.gym.pk}/series/new/", {**form, "start_time": "12:30"})
    assert in_the_break.status_code == 400 and error_on(in_the_break, "start_time")
    made = client.post(f"/staff/club/{world.gym.pk}/series/new/", form)
    assert made.status_code == 200
    series = BookingSeries.objects.get(facility=world.gym, guest_name="游泳队")
    html = made.content.decode()
    assert html.count("data-booked=") == 1 and f'data-skipped="{(first + dt.timedelta(days=7)).date()}"' in html
    listed = client.get("/staff/club/series/").content.decode()
    assert f'data-series="{series.pk}"' in listed
    ended = client.post(f"/staff/club/series/{series.pk}/")
    assert ended.status_code == 302
    series.refresh_from_db()
    assert series.status == "ended"
    assert not Booking.objects.filter(series=series).exclude(status="cancelled").exists()
    again = client.post(f"/staff/club/series/{series.pk}/")
    assert again.status_code == 400 and "data-action-error" in again.content.decode()


# --- no-shows, waitlist ---------------------------------------------------------------------------------------


def test_no_shows_list_the_suspended_homes_and_staff_lift_a_suspension(world: Club, staff: Any, clerk: Any) -> None:
    past = staff_booking(world, clerk, later(-2, "10:00"), facility=world.gym, unit=world.home)
    Booking.objects.filter(pk=past.pk).update(status="no_show", no_show_at=past.starts_at + dt.timedelta(minutes=20))
    suspension = BookingSuspension.objects.create(unit=world.home, until=later(5, "00:00"), reason="30天内爽约3次")
    client = staff()
    html = client.get("/staff/club/no-shows/").content.decode()
    assert f'data-suspension="{suspension.pk}"' in html and f'data-no-show="{past.pk}"' in html
    other = staff(office_ids=[world.other_office.pk])
    html = other.get("/staff/club/no-shows/").content.decode()
    assert f'data-suspension="{suspension.pk}"' not in html and f'data-no-show="{past.pk}"' not in html
    assert other.post("/staff/club/no-shows/", {"suspension": suspension.pk}).status_code == 404
    lifted = client.post("/staff/club/no-shows/", {"suspension": suspension.pk, "reason": "业主说明情况"})
    assert lifted.status_code == 302
    suspension.refresh_from_db()
    assert suspension.lifted_at is not None and suspension.lift_reason == "业主说明情况"
    assert f'data-suspension="{suspension.pk}"' not in client.get("/staff/club/no-shows/").content.decode()


def test_the_waitlist_shows_who_waits_in_order_and_the_offers_out(world: Club, staff: Any) -> None:
    start = later(2, "10:00")
    slot = {"facility": world.gym, "starts_at": start, "ends_at": start + dt.timedelta(hours=1)}
    first = WaitlistEntry.objects.create(unit=world.home, user=world.resident, **slot)
    second = WaitlistEntry.objects.create(unit=world.units[1], user=world.neighbour, **slot)
    html = staff(["security"]).get(f"/staff/club/{world.gym.pk}/waitlist/").content.decode()
    assert f'data-waiting="{first.pk}" data-position="1"' in html
    assert f'data-waiting="{second.pk}" data-position="2"' in html
    WaitlistEntry.objects.filter(pk=first.pk).update(status="offered", offered_until=start - dt.timedelta(hours=2))
    html = staff().get(f"/staff/club/{world.gym.pk}/waitlist/").content.decode()
    assert f'data-offered="{first.pk}"' in html and f'data-waiting="{second.pk}" data-position="1"' in html


# --- the week calendar ----------------------------------------------------------------------------------------


def test_the_week_calendar_shows_seven_days_with_bookings_and_closures(world: Club, staff: Any, clerk: Any) -> None:
    start = later(1, "10:00")
    booking = staff_booking(world, clerk, start, facility=world.gym, guest="访客")
    closure_create(
        facility=world.gym,
        by=None,
        kind="one_off",
        reason="消毒",
        starts_at=later(1, "15:00"),
        ends_at=later(1, "16:00"),
    )
    week = start.date() - dt.timedelta(days=start.weekday())
    response = staff(["security"]).get(f"/staff/club/{world.gym.pk}/week/?week={start.date()}")
    html = response.content.decode()
    assert response.status_code == 200 and f'data-week="{week}"' in html
    assert f'data-cal-booking="{booking.pk}"' in html and "消毒" in html and "data-week-closed" in html
    assert html.count('<th scope="col"') == 8  # the time column and seven days
    assert (
        f'href="?week={week + dt.timedelta(days=7)}"' in html and f'href="?week={week - dt.timedelta(days=7)}"' in html
    )


def test_the_week_calendar_makes_as_many_queries_for_many_bookings_as_for_one(
    world: Club, staff: Any, clerk: Any, tenant_a: Any
) -> None:
    client = staff()
    start = later(1, "10:00")
    path = f"/staff/club/{world.gym.pk}/week/?week={start.date()}"
    staff_booking(world, clerk, start, facility=world.gym, unit=world.home)
    one = queries(client, path, tenant_a)
    for n, hour in enumerate(["15:00", "16:00", "17:00", "18:00", "19:00"]):
        staff_booking(world, clerk, later(1 + n % 3, hour), facility=world.gym, unit=world.units[n % 4])
        staff_booking(world, clerk, later(1 + n % 3, hour), facility=world.gym, guest=f"访客{n}")
    assert queries(client, path, tenant_a) == one


# --- settings, scope ------------------------------------------------------------------------------------------


def test_club_settings_are_for_company_admins(world: Club, staff: Any) -> None:
    assert staff().get("/staff/club/settings/").status_code == 403
    admin = staff(["company_admin"])
    assert admin.get("/staff/club/settings/").status_code == 200
    assert admin.post("/staff/club/settings/", {"charge_to_account": "on"}).status_code == 302
    assert ClubSettings.load().charge_to_account is True
    assert admin.post("/staff/club/settings/", {}).status_code == 302
    assert ClubSettings.load().charge_to_account is False


def test_staff_of_another_office_or_company_find_none_of_it(
    world: Club, staff: Any, clerk: Any, tenant_a: Any, tenant_b: Any, member: Any, client_for: Any
) -> None:
    booking = staff_booking(world, clerk, later(2, "10:00"), unit=world.home)
    series = BookingSeries.objects.create(
        facility=world.gym,
        guest_name="队",
        weekday=0,
        start_minute=600,
        minutes=60,
        first_date=later(1, "10:00").date(),
    )
    paths = [
        f"/staff/club/{world.gym.pk}/week/",
        f"/staff/club/{world.gym.pk}/waitlist/",
        f"/staff/club/{world.gym.pk}/series/new/",
        f"/staff/club/series/{series.pk}/",
    ]
    other = staff(office_ids=[world.other_office.pk])
    for path in paths:
        assert other.get(path).status_code == 404, path
    assert (
        other.post(f"/staff/club/bookings/{booking.pk}/", {"action": "guest_paid", "method": "cash"}).status_code == 404
    )
    assert other.post(f"/staff/club/series/{series.pk}/").status_code == 404
    assert f'data-series="{series.pk}"' not in other.get("/staff/club/series/").content.decode()
    outsider = client_for(tenant_b, member(tenant_b, ["company_admin"]))
    for path in [*paths, f"/staff/club/bookings/{booking.pk}/"]:
        assert outsider.get(path).status_code == 404, path
    connection.set_tenant(tenant_a)
    series.refresh_from_db()
    assert series.status == "active"
