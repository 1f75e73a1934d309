"""The money API of bookings: what a resident pays for a held booking, charge to account, the staff's deposit
release and forfeit, the booking showing its lines, payment and refund; another home and another company get
404s; residents cannot release deposits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.billing import ledger
from backend.billing.selectors import deposit_held
from backend.club.models import Booking, ClubSettings
from tenants.db import connection

from .conftest import Club
from .test_api import api, post, soon  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def book(client: Any, world: Club, start: dt.datetime) -> dict[str, Any]:
    r = post(
        client,
        "/api/v1/club/bookings/",
        {
            "facility": world.court.pk,
            "unit": world.home.pk,
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
        },
    )
    assert r.status_code == 201, r.content
    return r.json()


def test_a_resident_gets_what_to_pay_for_a_held_booking_and_charges_it_to_the_account(world: Club, api) -> None:  # noqa: F811
    client = api(world.resident)
    booked = book(client, world, soon(2, "10:00"))
    assert booked["status"] == "held" and booked["charge"] and booked["deposit_charge"]
    pay = client.get(f"/api/v1/club/bookings/{booked['id']}/payment/")
    assert pay.status_code == 200
    body = pay.json()
    assert body["line_ids"] == [booked["charge"], booked["deposit_charge"]] and body["amount_fen"] == 14000
    assert body["pay_url"].startswith(f"/resident/pay/?unit={world.home.pk}&lines=")
    assert body["charge_to_account"] is False
    refused = post(client, f"/api/v1/club/bookings/{booked['id']}/charge-to-account/", {})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "charge_to_account_off"
    ClubSettings.objects.update_or_create(singleton=True, defaults={"charge_to_account": True})
    done = post(client, f"/api/v1/club/bookings/{booked['id']}/charge-to-account/", {})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "confirmed" and done.json()["charged_to_account_at"]


def test_staff_release_and_forfeit_deposits_and_residents_cannot(
    world: Club,
    api,  # noqa: F811
    member: Any,
    tenant_a: Any,
) -> None:
    ledger.payment_record(unit=world.home, amount=50000, method="cash", to_prepaid=True)
    client = api(world.resident)
    first = book(client, world, soon(1, "10:00"))
    second = book(client, world, soon(1, "12:00"))
    assert first["status"] == second["status"] == "confirmed" and first["deposit"]
    # after use
    Booking.objects.filter(pk__in=[first["id"], second["id"]]).update(
        starts_at=soon(-1, "10:00"), ends_at=soon(-1, "11:00")
    )
    assert post(client, f"/api/v1/club/bookings/{first['id']}/deposit/release/", {}).status_code == 403
    staff = api(member(tenant_a, ["company_admin"]))
    connection.set_tenant(tenant_a)
    released = post(staff, f"/api/v1/club/bookings/{first['id']}/deposit/release/", {"reason": "使用完毕"})
    assert released.status_code == 200, released.content
    assert deposit_held(first["deposit"]) == 0
    again = post(staff, f"/api/v1/club/bookings/{first['id']}/deposit/release/", {})
    assert again.status_code == 409 and again.json()["error"]["code"] == "settled"
    no_reason = post(staff, f"/api/v1/club/bookings/{second['id']}/deposit/forfeit/", {"reason": ""})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    kept = post(staff, f"/api/v1/club/bookings/{second['id']}/deposit/forfeit/", {"reason": "球拍损坏"})
    assert kept.status_code == 200 and deposit_held(second["deposit"]) == 0


def test_another_home_and_another_company_cannot_see_or_act_on_a_bookings_money(
    world: Club,
    api,  # noqa: F811
    member: Any,
    tenant_a: Any,
    tenant_b: Any,
    client_for: Any,
) -> None:
    ClubSettings.objects.update_or_create(singleton=True, defaults={"charge_to_account": True})
    booked = book(api(world.resident), world, soon(2, "10:00"))
    paths = [
        ("get", f"/api/v1/club/bookings/{booked['id']}/payment/"),
        ("post", f"/api/v1/club/bookings/{booked['id']}/charge-to-account/"),
    ]
    neighbour = api(world.neighbour)
    for method, path in paths:
        r = neighbour.get(path) if method == "get" else post(neighbour, path, {})
        assert r.status_code == 404, (path, r.status_code)
    beta = client_for(tenant_b, member(tenant_b, ["company_admin"]))
    for method, path in [
        *paths,
        ("post", f"/api/v1/club/bookings/{booked['id']}/deposit/release/"),
        ("post", f"/api/v1/club/bookings/{booked['id']}/deposit/forfeit/"),
    ]:
        r = beta.get(path) if method == "get" else post(beta, path, {"reason": "x"})
        assert r.status_code == 404, (path, r.status_code)
    connection.set_tenant(tenant_a)
    assert Booking.objects.get(pk=booked["id"]).status == "held"
