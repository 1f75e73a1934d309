"""Races on committed data, threads on their own connections: a counter payment and the periodic sweep at once
issue one permit and hold one deposit; several staff settling one deposit at once refund it once."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connections
from django.utils import timezone

from backend.accounts.models import Membership, User
from backend.billing import ledger
from backend.billing.models import Deposit, LedgerEntry
from backend.billing.selectors import unit_account
from backend.errors import ApplicationError
from backend.properties import services as registry
from backend.properties.models import Person, Unit
from backend.renovation import money, services
from backend.renovation.models import Application, Event, Status
from tenants.db import connection

from .cleanup import renovation_world_remove
from .conftest import EVERYTHING, plan

THREADS = 6


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
def approved_application() -> Iterator[tuple[Any, Application, dict[str, Any]]]:
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug="alpha")
    tag = uuid.uuid4().hex[:6]
    users: dict[str, Any] = {}
    for key, roles in (("owner", ["resident"]), ("desk", ["customer_service"]), ("engineer", ["engineer"])):
        users[key] = User.objects.create_user(email=f"race-{key}-{tag}@example.test", password="x", name=key)
        Membership.objects.create(user=users[key], tenant=tenant, roles=roles)
    users["finance"] = [
        User.objects.create_user(email=f"race-finance{n}-{tag}@example.test", password="x", name=f"f{n}")
        for n in range(THREADS)
    ]
    for user in users["finance"]:
        Membership.objects.create(user=user, tenant=tenant, roles=["finance"])
    connection.set_tenant(tenant)
    try:
        office = registry.office_create(name=f"并发装修管理处{tag}", scope=EVERYTHING)
        estate = registry.estate_create(office_id=office.pk, name="并发装修苑", scope=EVERYTHING)
        building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
        registry.units_generate(
            building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="50", scope=EVERYTHING
        )
        unit = Unit.objects.get(building=building)
        person = Person.objects.create(name="业主", user=users["owner"])
        registry.occupancy_move_in(
            unit_id=unit.pk, person=person, role="owner", start_date=dt.date(2024, 1, 1), scope=EVERYTHING
        )
        today = timezone.localdate()
        application = services.application_submit(
            user=users["owner"],
            unit_id=unit.pk,
            scope="刷墙",
            starts_on=today,
            ends_on=today + dt.timedelta(days=10),
            contractor_company="美家",
            contractor_contact="张工",
            contractor_phone="1",
            workers=["李师傅"],
            documents=[("plan", plan())],
        )
        services.application_review(application=application, by=users["desk"], side="desk", approve=True)
        application = services.application_review(
            application=application, by=users["engineer"], side="engineering", approve=True
        )
        yield tenant, application, users
    finally:
        ids = [u.pk for key, u in users.items() if key != "finance"] + [u.pk for u in users["finance"]]
        renovation_world_remove(tenant, tag, ids)


def test_a_payment_and_the_sweep_at_once_issue_one_permit(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), approved_application() as (tenant, application, _users):
        total = application.deposit_fen + application.debris_fee_fen
        ledger.payment_record(unit=application.unit, amount=total, method="cash", to_prepaid=True)

        def settle_and_sweep() -> int:
            ledger.prepaid_settle(application.unit_id)
            return money.permits_sweep()

        results = run_together(tenant, [settle_and_sweep for _ in range(THREADS)])
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sum(results) == 1
        row = Application.objects.get(pk=application.pk)
        assert row.status == Status.PERMITTED
        assert Deposit.objects.filter(unit_id=row.unit_id).count() == 1
        assert Event.objects.filter(application=row, kind="permit_issued").count() == 1


def test_staff_settling_one_deposit_at_once_refund_it_once(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), approved_application() as (tenant, application, users):
        ledger.payment_record(
            unit=application.unit,
            amount=application.deposit_fen + application.debris_fee_fen,
            method="cash",
            line_ids=money.line_ids(application),
        )
        services.inspection_record(application=application, by=users["engineer"], passed=True, completion=True)
        held = application.deposit_fen
        jobs = [
            (lambda user=user: money.deposit_settle(application=application, by=user, refund_fen=held, forfeit_fen=0))
            for user in users["finance"]
        ]
        results = run_together(tenant, jobs)
        done = [r for r in results if isinstance(r, Application)]
        refused = [r for r in results if isinstance(r, ApplicationError)]
        assert len(done) == 1 and len(refused) == THREADS - 1, results
        assert {r.code for r in refused} == {"settled"}
        row = Application.objects.get(pk=application.pk)
        assert LedgerEntry.objects.filter(deposit_id=row.deposit_id, kind="deposit_refunded").count() == 1
        assert unit_account(row.unit_id).prepaid == held
