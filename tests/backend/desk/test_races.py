"""Races on committed data, threads on their own connections: many engineers grabbing one repair give exactly
one taker; one engineer grabbing many repairs at once stays under the load cap."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connections

from backend.accounts.models import Membership, User
from backend.audit.models import AuditEntry
from backend.desk import services as desk
from backend.desk.models import DeskSettings, Status, Ticket, TicketEvent
from backend.errors import ApplicationError
from backend.notifications.models import Notification
from backend.properties import services as registry
from backend.properties.models import Building, Estate, ManagementOffice, Unit
from tenants.db import connection
from tests.factories import MemberFactory

from .conftest import EVERYTHING

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
def committed_desk(engineers: int) -> Iterator[tuple[Any, Unit, list[Any], Any]]:
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug="alpha")
    connection.set_tenant(tenant)
    office = registry.office_create(name=f"并发客服{uuid.uuid4().hex[:6]}", scope=EVERYTHING)
    users: list[Any] = []
    cap_before = DeskSettings.load().engineer_open_cap
    try:
        estate = registry.estate_create(office_id=office.pk, name="并发报修苑", scope=EVERYTHING)
        building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
        registry.units_generate(
            building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="50", scope=EVERYTHING
        )
        unit = Unit.objects.get(building=building)
        users = [MemberFactory(tenant=tenant, roles=["engineer"]).user for _ in range(engineers)]
        connection.set_tenant(tenant)
        category = desk.category_save(code=f"race{uuid.uuid4().hex[:6]}", name="并发")
        yield tenant, unit, users, category
    finally:
        connection.set_tenant(tenant)
        tickets = Ticket.objects.filter(office=office)
        AuditEntry.objects.filter(object_type="desk.ticket", object_id__in=[str(t.pk) for t in tickets]).delete()
        TicketEvent.objects.filter(ticket__in=tickets).delete()
        codes = list(tickets.values_list("category__code", flat=True).distinct())
        tickets.delete()
        from backend.desk.models import RepairCategory

        RepairCategory.objects.filter(code__in=codes).delete()
        DeskSettings.objects.update(engineer_open_cap=cap_before)
        Notification.objects.filter(recipient__in=users).delete()
        Unit.objects.filter(building__estate__office=office).delete()
        Building.objects.filter(estate__office=office).delete()
        Estate.objects.filter(office=office).delete()
        ManagementOffice.objects.filter(pk=office.pk).delete()
        connection.set_schema_to_public()
        Membership.objects.filter(user__in=users).delete()
        User.objects.filter(pk__in=[u.pk for u in users]).delete()


def _ticket(unit: Unit, category: Any) -> Ticket:
    return desk.ticket_intake(
        by=None,  # type: ignore[arg-type]
        scope=EVERYTHING,
        category=category,
        channel="phone",
        unit_id=unit.pk,
        description="并发",
        contact_name="住户",
        contact_phone="1",
        now=dt.datetime.now(dt.UTC),
    )


def test_many_engineers_grabbing_one_repair_give_exactly_one(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), committed_desk(THREADS) as (tenant, unit, engineers, category):
        ticket = _ticket(unit, category)
        results = run_together(tenant, [lambda e=e: desk.ticket_grab(ticket=ticket, engineer=e) for e in engineers])
        won = [r for r in results if isinstance(r, Ticket)]
        lost = [r for r in results if isinstance(r, ApplicationError)]
        assert len(won) == 1 and len(lost) == THREADS - 1, [type(r).__name__ for r in results]
        assert {r.code for r in lost} == {"invalid_state"}
        fresh = Ticket.objects.get(pk=ticket.pk)
        assert fresh.status == Status.ACCEPTED and fresh.assignee_id == won[0].assignee_id
        assert TicketEvent.objects.filter(ticket=ticket, kind="grabbed").count() == 1


def test_one_engineer_grabbing_many_at_once_stays_under_the_cap(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), committed_desk(1) as (tenant, unit, engineers, category):
        DeskSettings.objects.update(engineer_open_cap=2)
        tickets = [_ticket(unit, category) for _ in range(THREADS)]
        engineer = engineers[0]
        results = run_together(tenant, [lambda t=t: desk.ticket_grab(ticket=t, engineer=engineer) for t in tickets])
        won = [r for r in results if isinstance(r, Ticket)]
        assert len(won) == 2, [type(r).__name__ for r in results]
        assert Ticket.objects.filter(pk__in=[t.pk for t in tickets], assignee=engineer).count() == 2
