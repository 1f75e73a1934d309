"""The gate through its services: passes issued for one's own home only, entries at the gate within the
window, single use refused the second time, expired and cancelled refused, a car's parking time at the exit;
parcels logged within scope with every resident of the home told (with the code), handed over by code with a
signature, a wrong code refused, the daily reminder once per home per day. Real PostgreSQL; times fixed."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.audit.models import AuditEntry
from backend.errors import ApplicationError
from backend.gate import services as gate
from backend.gate.models import GateEntry, GateSettings, Parcel, ParcelStatus, PassStatus, VisitorPass
from backend.gate.signature import signature_from_data_url
from backend.notifications.models import Notification

from .conftest import NOW, Gate, at, signature_png


def issue(world: Gate, **kw: object) -> VisitorPass:
    values: dict[str, object] = {
        "user": world.resident,
        "unit_id": world.home.pk,
        "visitor_name": "张三",
        "valid_from": NOW,
        "valid_until": at(240),
        "now": NOW,
        **kw,
    }
    return gate.pass_issue(**values)  # type: ignore[arg-type]


def scan(world: Gate, visitor_pass: VisitorPass, minutes: int, direction: str = "in") -> GateEntry:
    return gate.pass_scan(
        code=visitor_pass.code, by=world.guard, scope=world.scope, direction=direction, now=at(minutes)
    )


def log(world: Gate, **kw: object) -> Parcel:
    values: dict[str, object] = {
        "by": world.guard,
        "scope": world.scope,
        "unit_id": world.home.pk,
        "carrier": "sf",
        "tracking_number": "SF1234567890",
        "shelf": "A-3",
        "now": NOW,
        **kw,
    }
    return gate.parcel_log(**values)  # type: ignore[arg-type]


def refused(exc: pytest.ExceptionInfo[ApplicationError]) -> tuple[str, int]:
    return exc.value.code, exc.value.status


# --- passes -----------------------------------------------------------------------------------------------------


def test_a_resident_issues_a_pass_for_their_home_only(gate_world: Gate) -> None:
    visitor_pass = issue(gate_world, plate=" 浙a·12345 ")
    assert len(visitor_pass.code) == 10 and len(visitor_pass.token) >= 40
    assert visitor_pass.plate == "浙A12345" and visitor_pass.free_parking_minutes == 120
    assert visitor_pass.office_id == gate_world.office.pk and visitor_pass.status == PassStatus.ACTIVE
    assert AuditEntry.objects.filter(action="gate.pass_issue", object_id=str(visitor_pass.pk)).exists()
    with pytest.raises(ApplicationError) as exc:
        issue(gate_world, unit_id=gate_world.units[1].pk)
    assert set(exc.value.fields) == {"unit"}
    assert VisitorPass.objects.count() == 1


def test_the_window_is_checked(gate_world: Gate) -> None:
    with pytest.raises(ApplicationError) as exc:
        issue(gate_world, valid_until=NOW)
    assert set(exc.value.fields) == {"valid_until"}
    with pytest.raises(ApplicationError) as exc:
        issue(gate_world, valid_from=at(-600), valid_until=at(-60))
    assert set(exc.value.fields) == {"valid_until"}
    with pytest.raises(ApplicationError) as exc:
        issue(gate_world, valid_until=NOW + dt.timedelta(days=8))
    assert set(exc.value.fields) == {"valid_until"}
    with pytest.raises(ApplicationError) as exc:
        issue(gate_world, visitor_name=" ", plate="浙A1")
    assert set(exc.value.fields) == {"visitor_name", "plate"}


def test_a_single_use_pass_lets_in_once_and_tells_the_resident(gate_world: Gate) -> None:
    visitor_pass = issue(gate_world)
    entry = scan(gate_world, visitor_pass, 10)
    assert entry.direction == "in" and entry.by_id == gate_world.guard.pk
    visitor_pass.refresh_from_db()
    assert visitor_pass.entries == 1 and visitor_pass.status == PassStatus.USED
    told = Notification.objects.get(recipient_id=gate_world.resident.pk, kind="gate.visitor_entered")
    assert "张三" in told.title
    with pytest.raises(ApplicationError) as exc:
        scan(gate_world, visitor_pass, 20)
    assert refused(exc) == ("used", 409)
    assert GateEntry.objects.filter(visitor_pass=visitor_pass).count() == 1


def test_a_multiple_use_pass_lets_in_again_within_its_window(gate_world: Gate) -> None:
    visitor_pass = issue(gate_world, multiple=True)
    scan(gate_world, visitor_pass, 10)
    scan(gate_world, visitor_pass, 30, "out")
    scan(gate_world, visitor_pass, 60)
    visitor_pass.refresh_from_db()
    assert visitor_pass.entries == 2 and visitor_pass.status == PassStatus.ACTIVE


def test_too_early_expired_cancelled_and_another_estate_are_refused(gate_world: Gate) -> None:
    later = issue(gate_world, valid_from=at(120), valid_until=at(300))
    with pytest.raises(ApplicationError) as exc:
        scan(gate_world, later, 60)
    assert refused(exc) == ("too_early", 409)
    with pytest.raises(ApplicationError) as exc:
        scan(gate_world, later, 300)
    assert refused(exc) == ("expired", 409)
    gate.pass_cancel(visitor_pass=later, user=gate_world.household, now=at(1))
    with pytest.raises(ApplicationError) as exc:
        scan(gate_world, later, 150)
    assert refused(exc) == ("cancelled", 409)
    other = issue(gate_world)
    with pytest.raises(ApplicationError) as exc:
        gate.pass_scan(code=other.code, by=gate_world.other_guard, scope=gate_world.other_scope, now=at(5))
    assert refused(exc) == ("out_of_scope", 403)
    for wrong in ("ABCDEFGHJK", "short"):
        with pytest.raises(ApplicationError) as exc:
            gate.pass_scan(code=wrong, by=gate_world.guard, scope=gate_world.scope, now=at(5))
        assert exc.value.status in (400, 404)
    assert not GateEntry.objects.exists()


def test_a_car_leaving_is_shown_its_parking_time_against_the_free_minutes(gate_world: Gate) -> None:
    GateSettings.objects.update_or_create(singleton=True, defaults={"free_parking_minutes": 60})
    car = issue(gate_world, plate="浙A12345")
    with pytest.raises(ApplicationError) as exc:
        scan(gate_world, car, 5, "out")
    assert refused(exc) == ("not_inside", 409)
    scan(gate_world, car, 10)
    out = scan(gate_world, car, 10 + 95, "out")  # leaving is allowed past the pass's single entry
    assert out.parked_minutes == 95 and out.over_minutes == 35
    assert Notification.objects.filter(recipient_id=gate_world.resident.pk, kind="gate.visitor_left").count() == 1
    # A car may leave after the pass expired: the exit is not an entry.
    late = issue(gate_world, plate="浙B99999", valid_until=at(30))
    scan(gate_world, late, 5)
    assert scan(gate_world, late, 50, "out").over_minutes == 0


# --- parcels ----------------------------------------------------------------------------------------------------


def test_a_parcel_logged_tells_everyone_of_the_home_with_the_code(gate_world: Gate) -> None:
    parcel = log(gate_world, tracking_number=" sf 1234 5678 90 ")
    assert parcel.tracking_number == "SF1234567890" and len(parcel.pickup_code) == 6 and parcel.pickup_code.isdigit()
    told = Notification.objects.filter(kind="gate.parcel_arrived")
    assert {n.recipient_id for n in told} == {gate_world.resident.pk, gate_world.household.pk}
    assert all(parcel.pickup_code in n.title for n in told)
    assert all(n.payload["pickup_code"] == parcel.pickup_code for n in told)
    assert not Notification.objects.filter(recipient_id=gate_world.neighbour.pk).exists()
    assert AuditEntry.objects.filter(action="gate.parcel_log", object_id=str(parcel.pk)).exists()
    with pytest.raises(ApplicationError) as exc:
        log(gate_world)
    assert set(exc.value.fields) == {"tracking_number"}  # the same parcel is on the shelf already


def test_a_parcel_for_a_home_outside_the_scope_is_refused(gate_world: Gate) -> None:
    with pytest.raises(ApplicationError) as exc:
        log(gate_world, unit_id=gate_world.other_units[0].pk, carrier="nope", tracking_number="1", shelf="")
    assert set(exc.value.fields) == {"unit", "carrier", "tracking_number", "shelf"}
    assert not Parcel.objects.exists()


def test_codes_of_waiting_parcels_never_repeat(gate_world: Gate) -> None:
    codes = {log(gate_world, tracking_number=f"YT{n:08d}", carrier="yto").pickup_code for n in range(40)}
    assert len(codes) == 40


def test_pickup_by_code_with_a_signature(gate_world: Gate, settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    parcel = log(gate_world)
    with pytest.raises(ApplicationError) as exc:
        gate.parcel_pickup(
            code="000000" if parcel.pickup_code != "000000" else "111111",
            signature=signature_from_data_url(signature_png()),
            name="王业主",
            by=gate_world.reception,
            scope=gate_world.scope,
            now=at(30),
        )
    assert refused(exc) == ("not_found", 404)
    with pytest.raises(ApplicationError) as exc:  # another office's staff do not find it
        gate.parcel_pickup(
            code=parcel.pickup_code,
            signature=signature_from_data_url(signature_png()),
            name="王业主",
            by=gate_world.other_guard,
            scope=gate_world.other_scope,
            now=at(30),
        )
    assert refused(exc) == ("not_found", 404)
    collected = gate.parcel_pickup(
        code=parcel.pickup_code,
        signature=signature_from_data_url(signature_png()),
        name="王业主",
        by=gate_world.reception,
        scope=gate_world.scope,
        now=at(30),
    )
    assert collected.status == ParcelStatus.COLLECTED and collected.collected_at == at(30)
    assert (collected.signature.name or "").endswith(".png")
    with collected.signature.open("rb") as stored:
        assert stored.read(8) == b"\x89PNG\r\n\x1a\n"
    assert Notification.objects.filter(kind="gate.parcel_collected").count() == 2
    with pytest.raises(ApplicationError) as exc:  # the code is spent
        gate.parcel_pickup(
            code=parcel.pickup_code,
            signature=signature_from_data_url(signature_png()),
            name="王业主",
            by=gate_world.reception,
            scope=gate_world.scope,
            now=at(31),
        )
    assert refused(exc) == ("not_found", 404)


def test_a_signature_must_be_a_drawn_png(gate_world: Gate) -> None:
    for bad in ("", signature_png(ink=False), "data:image/png;base64,!!!", "data:text/html;base64,PGgxPg=="):
        with pytest.raises(ApplicationError) as exc:
            signature_from_data_url(bad)
        assert set(exc.value.fields) == {"signature"}
    parcel = log(gate_world)
    with pytest.raises(ApplicationError) as exc:
        gate.parcel_pickup(
            code=parcel.pickup_code, signature=None, name="", by=gate_world.guard, scope=gate_world.scope
        )
    assert set(exc.value.fields) == {"signature", "name"}


def test_reminders_go_once_a_day_per_home_after_the_companys_days(gate_world: Gate) -> None:
    GateSettings.objects.update_or_create(singleton=True, defaults={"parcel_reminder_days": 2})
    old = [log(gate_world, tracking_number=f"ZT0000000{n}", carrier="zto", now=NOW) for n in range(2)]
    log(gate_world, tracking_number="ZT11111111", carrier="zto", now=NOW + dt.timedelta(days=1, hours=12))
    log(gate_world, unit_id=gate_world.units[1].pk, tracking_number="JD123456", carrier="jd", now=NOW)
    Notification.objects.all().delete()
    day3 = NOW + dt.timedelta(days=2, hours=1)
    assert gate.parcel_reminders_send(now=day3) == 2  # two homes
    mine = Notification.objects.get(recipient_id=gate_world.resident.pk, kind="gate.parcel_reminder")
    assert all(p.pickup_code in mine.title for p in old)
    assert gate.parcel_reminders_send(now=day3 + dt.timedelta(hours=3)) == 0  # once a day
    assert gate.parcel_reminders_send(now=day3 + dt.timedelta(days=1)) == 2
    assert set(Parcel.objects.filter(unit=gate_world.home, reminders=2).values_list("pk", flat=True)) == {
        p.pk for p in old
    }


def test_a_returned_parcel_leaves_the_shelf(gate_world: Gate) -> None:
    parcel = log(gate_world)
    with pytest.raises(ApplicationError):
        gate.parcel_return(parcel=parcel, by=gate_world.guard, reason=" ")
    gate.parcel_return(parcel=parcel, by=gate_world.guard, reason="超期未取")
    parcel.refresh_from_db()
    assert parcel.status == ParcelStatus.RETURNED
    with pytest.raises(ApplicationError) as exc:
        gate.parcel_find(code=parcel.pickup_code, scope=gate_world.scope)
    assert exc.value.status == 404
