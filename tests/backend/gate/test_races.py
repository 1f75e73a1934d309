"""Races on committed data, threads on their own connections: two (or eight) hand-overs of one parcel at once
pick it up exactly once; parcels logged at once never share a pickup code."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connections

from backend.accounts.models import Membership, User
from backend.audit.models import AuditEntry
from backend.errors import ApplicationError
from backend.gate import services as gate
from backend.gate.models import Parcel, ParcelStatus
from backend.gate.signature import signature_from_data_url
from backend.notifications.models import Notification
from backend.properties import services as registry
from backend.properties.models import Building, Estate, ManagementOffice, Unit
from tenants.db import connection
from tests.factories import MemberFactory

from .conftest import EVERYTHING, signature_png

THREADS = 8


def run_together(tenant: Any, jobs: list[Callable[[], Any]]) -> list[Any]:
    results: list[Any] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(n: int) -> None:
        try:
            connection.set_tenant(tenant)
            barrier.wait(timeout=30)
            results[n] = jobs[n]()
        except Exception as error:  # noqa: BLE001 - reported by the caller's assertions
            results[n] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    connection.set_tenant(tenant)
    return results


@contextlib.contextmanager
def committed_gate(guards: int) -> Iterator[tuple[Any, Unit, list[Any]]]:
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug="alpha")
    connection.set_tenant(tenant)
    office = registry.office_create(name=f"并发门岗{uuid.uuid4().hex[:6]}", scope=EVERYTHING)
    users: list[Any] = []
    try:
        estate = registry.estate_create(office_id=office.pk, name="并发快递苑", scope=EVERYTHING)
        building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
        registry.units_generate(
            building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="50", scope=EVERYTHING
        )
        unit = Unit.objects.get(building=building)
        users = [MemberFactory(tenant=tenant, roles=["security"]).user for _ in range(guards)]
        connection.set_tenant(tenant)
        yield tenant, unit, users
    finally:
        connection.set_tenant(tenant)
        parcels = Parcel.objects.filter(office=office)
        AuditEntry.objects.filter(object_type="gate.parcel", object_id__in=[str(p.pk) for p in parcels]).delete()
        for parcel in parcels:
            if parcel.signature:
                parcel.signature.delete(save=False)
        parcels.delete()
        Notification.objects.filter(recipient__in=users).delete()
        Unit.objects.filter(building__estate__office=office).delete()
        Building.objects.filter(estate__office=office).delete()
        Estate.objects.filter(office=office).delete()
        ManagementOffice.objects.filter(pk=office.pk).delete()
        connection.set_schema_to_public()
        Membership.objects.filter(user__in=users).delete()
        User.objects.filter(pk__in=[u.pk for u in users]).delete()


def test_a_parcel_handed_over_twice_at_once_is_picked_up_once(
    django_db_setup: None, django_db_blocker: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    with django_db_blocker.unblock(), committed_gate(THREADS) as (tenant, unit, guards):
        parcel = gate.parcel_log(
            by=guards[0], scope=EVERYTHING, unit_id=unit.pk, carrier="sf", tracking_number="SF55555555", shelf="C"
        )
        signature = signature_from_data_url(signature_png())

        def hand_over(guard: Any) -> Callable[[], Parcel]:
            return lambda: gate.parcel_pickup(
                code=parcel.pickup_code, signature=signature, name="住户", by=guard, scope=EVERYTHING
            )

        results = run_together(tenant, [hand_over(g) for g in guards])
        won = [r for r in results if isinstance(r, Parcel)]
        lost = [r for r in results if isinstance(r, ApplicationError)]
        assert len(won) == 1 and len(lost) == THREADS - 1, [type(r).__name__ for r in results]
        assert {r.code for r in lost} <= {"collected", "not_found"}
        fresh = Parcel.objects.get(pk=parcel.pk)
        assert fresh.status == ParcelStatus.COLLECTED and fresh.handed_over_by_id == won[0].handed_over_by_id
        assert AuditEntry.objects.filter(action="gate.parcel_pickup", object_id=str(parcel.pk)).count() == 1
        # Only the winner's signature file is left on disk.
        stored = [p for p in tmp_path.rglob("*.png")]
        assert len(stored) == 1, stored


def test_parcels_logged_at_once_get_distinct_codes(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), committed_gate(THREADS) as (tenant, unit, guards):

        def log(n: int, guard: Any) -> Callable[[], Parcel]:
            return lambda: gate.parcel_log(
                by=guard, scope=EVERYTHING, unit_id=unit.pk, carrier="yto", tracking_number=f"YT7{n:07d}", shelf="D"
            )

        results = run_together(tenant, [log(n, g) for n, g in enumerate(guards)])
        assert all(isinstance(r, Parcel) for r in results), results
        assert len({r.pickup_code for r in results}) == THREADS
