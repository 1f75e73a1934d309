"""Service desk benchmark: ticket-queue-p95.

A dedicated company with 100,000 repair tickets (DESK_TICKETS) over 10 offices and 100 engineers, about 6 %
open (the rest closed over the past two years). Measured: the engineer's queue (selectors.queue_mine: their
open tickets, breaches first, then the soonest due) and a supervisor's queue (selectors.queue_team over two
offices), each as the API pages it (the first page of 20 and the count), p95 over DESK_QUEUE_RUNS runs; the
value is the slower of the two. The baseline, in the same run: the naive queue (every ticket of the engineer /
of the offices read, then filtered and sorted in Python). Target ≤ 50 ms.

Knobs (environment): DESK_TICKETS (100000), DESK_QUEUE_RUNS (300).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from typing import Any

from tenants.db import connection

BENCH_SLUG = "bench-desk"
TICKETS = int(os.environ.get("DESK_TICKETS", "100000"))
RUNS = int(os.environ.get("DESK_QUEUE_RUNS", "300"))
OFFICES, ENGINEERS, PAGE = 10, 100, 20
OPEN_SHARE = 0.06


def _company() -> Any:
    from tenants.models import Tenant
    from tenants.services import company_onboard

    tenant = Tenant.objects.filter(slug=BENCH_SLUG).first()
    if tenant is None:
        tenant = company_onboard(
            company_name="客服基准物业",
            subdomain=BENCH_SLUG,
            admin_name="客服基准",
            admin_email="bench-desk@bench.test",
            admin_phone="16600000021",
            admin_password="Bench-desk-2026",
        ).tenant
    return tenant


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _world() -> tuple[list[Any], list[Any], Any]:
    """(offices' first units, engineers, category), made once."""
    from backend.accounts.models import Membership, User
    from backend.desk.services import category_save
    from backend.properties import services
    from backend.properties.models import Estate, ManagementOffice, Unit
    from backend.properties.scope import Scope

    everything = Scope.everything()
    units: list[Any] = []
    for n in range(OFFICES):
        office = ManagementOffice.objects.filter(name=f"客服基准{n}处").first() or services.office_create(
            name=f"客服基准{n}处", scope=everything
        )
        estate = Estate.objects.filter(office=office).first()
        if estate is None:
            estate = services.estate_create(office_id=office.pk, name=f"客服基准{n}苑", scope=everything)
            building = services.building_create(estate_id=estate.pk, name="1栋", scope=everything)
            services.units_generate(
                building_id=building.pk, first_floor=1, last_floor=2, units_per_floor=5, area="90", scope=everything
            )
        units.extend(Unit.objects.filter(estate=estate).order_by("pk"))
    tenant = connection.tenant
    engineers = list(User.objects.filter(email__startswith="desk-bench-eng-").order_by("pk"))
    if len(engineers) < ENGINEERS:
        made = User.objects.bulk_create(
            [User(email=f"desk-bench-eng-{i}@bench.test", name=f"工程{i}") for i in range(len(engineers), ENGINEERS)]
        )
        Membership.objects.bulk_create(
            [
                Membership(
                    user=u, tenant=tenant, roles=["engineer"], scope_all=False, scope_office_ids=[units[0].office_id]
                )
                for u in made
            ]
        )
        engineers = list(User.objects.filter(email__startswith="desk-bench-eng-").order_by("pk"))
    return units, engineers, category_save(code="plumbing", name="水管")


def seed(units: list[Any], engineers: list[Any], category: Any, count: int = TICKETS) -> int:
    from backend.desk.models import LOAD_STATUSES, Status, Ticket

    have = Ticket.objects.count()
    if have >= count:
        return have
    rng = random.Random(16)
    now = dt.datetime.now(dt.UTC)
    rows = []
    for i in range(have, count):
        unit = rng.choice(units)
        created = now - dt.timedelta(minutes=rng.randint(10, 2 * 365 * 24 * 60))
        is_open = rng.random() < OPEN_SHARE
        status = rng.choice([Status.NEW, *LOAD_STATUSES]) if is_open else Status.CLOSED
        # Each office's engineers (10 an office) carry its tickets.
        office_index = units.index(unit) // 10 if len(units) == OFFICES * 10 else 0
        engineer = engineers[office_index * (ENGINEERS // OFFICES) + rng.randrange(ENGINEERS // OFFICES)]
        due = created + dt.timedelta(hours=rng.randint(1, 72))
        rows.append(
            Ticket(
                code=f"BXB{i:09d}",
                category=category,
                place="in_unit",
                unit_id=unit.pk,
                estate_id=unit.estate_id,
                office_id=unit.office_id,
                description="基准工单",
                contact_name="住户",
                contact_phone="13900000000",
                channel="app",
                priority="normal",
                status=status,
                assignee_id=None if status == Status.NEW else engineer.pk,
                created_at=created,
                response_target=240,
                resolution_target=1440,
                response_due=created + dt.timedelta(hours=4),
                resolution_due=due,
                breached=is_open and due < now,
                closed_at=None if is_open else due,
            )
        )
        if len(rows) == 5000:
            Ticket.objects.bulk_create(rows)
            rows = []
    if rows:
        Ticket.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE desk_ticket")
    return Ticket.objects.count()


def _page(qs: Any) -> list[int]:
    """What the API reads for a queue: the count and the first page."""
    qs.count()
    return [t.pk for t in qs.select_related("category")[:PAGE]]


def _naive(qs: Any) -> list[int]:
    """Every ticket read, then the queue made in Python."""
    from backend.desk.models import OPEN_STATUSES

    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows = [t for t in qs.select_related("category") if t.status in OPEN_STATUSES]
    rows.sort(key=lambda t: (not t.breached, t.resolution_due or far, t.pk))
    return [t.pk for t in rows[:PAGE]]


def _times(fn: Any, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def run() -> str:
    from backend.desk.models import Ticket
    from backend.desk.selectors import queue_mine, queue_team
    from backend.properties.scope import Scope

    connection.set_tenant(_company())
    units, engineers, category = _world()
    seeded = seed(units, engineers, category)
    offices = sorted({u.office_id for u in units})[:2]
    scope = Scope(all_offices=False, office_ids=frozenset(offices))
    # The busiest engineer of the first office.
    engineer = engineers[0]

    def mine() -> list[int]:
        return _page(queue_mine(user=engineer))

    def team() -> list[int]:
        return _page(queue_team(scope=scope))

    def mine_naive() -> list[int]:
        return _naive(Ticket.objects.filter(assignee_id=engineer.pk))

    def team_naive() -> list[int]:
        return _naive(Ticket.objects.filter(office_id__in=offices))

    assert mine() == mine_naive(), "the engineer's queue and the naive one disagree"
    assert team() == team_naive(), "the supervisor's queue and the naive one disagree"
    for _ in range(20):
        mine(), team()
    fast_mine, fast_team = _times(mine, RUNS), _times(team, RUNS)
    slow_runs = max(10, RUNS // 30)
    slow_mine, slow_team = _times(mine_naive, slow_runs), _times(team_naive, slow_runs)
    open_mine = queue_mine(user=engineer).count()
    open_team = queue_team(scope=scope).count()
    connection.set_schema_to_public()
    p_mine, p_team = _p(fast_mine, 95), _p(fast_team, 95)
    b_mine, b_team = _p(slow_mine, 95), _p(slow_team, 95)
    print(
        f"  ticket-queue-p95: engineer {p_mine:.2f} ms (naive {b_mine:.1f} ms, {open_mine} open); supervisor of 2 "
        f"offices {p_team:.2f} ms (naive {b_team:.1f} ms, {open_team} open)",
        file=sys.stderr,
    )
    value, baseline = max(p_mine, p_team), max(b_mine, b_team)
    return (
        f"bench ticket-queue-p95: {value:.2f} ms; baseline {baseline:.2f} ms; ratio {baseline / value:.1f}x "
        f"({seeded:,} tickets; engineer {p_mine:.2f} ms, supervisor {p_team:.2f} ms; baseline: read all, sort in "
        f"Python)"
    )
