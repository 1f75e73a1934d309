"""Races on committed data, with threads on their own connections: many requests for the last place give
exactly one booking, and many bookings of one home against a quota of one give exactly one; the others are
told "full" / "quota reached", nothing else."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

from django.db import connections

from backend.club import booking as engine
from backend.club.errors import Full, QuotaReached
from backend.club.models import Booking, QuotaCounter, SlotCell
from backend.errors import ApplicationError
from tenants.db import connection

from .committed import committed_club
from .conftest import NOW, at

THREADS = 16


def run_together(tenant: Any, jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs at the same moment, each on its own connection; their results (or errors) in order."""
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


def request(world: Any, start: dt.datetime) -> Callable[[], Any]:
    def job() -> Any:
        return engine.booking_create(
            facility=world.facility,
            user=world.user,
            unit=world.unit,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
            now=NOW,
        )

    return job


def test_many_requests_for_the_last_place_give_exactly_one_booking(django_db_setup: None, django_db_blocker: Any):
    with django_db_blocker.unblock(), committed_club(capacity=1, max_party_size=1) as world:
        results = run_together(world.tenant, [request(world, at(1, "10:00")) for _ in range(THREADS)])
        won = [r for r in results if isinstance(r, Booking)]
        full = [r for r in results if isinstance(r, Full)]
        assert len(won) == 1 and len(full) == THREADS - 1, [type(r).__name__ for r in results]
        assert {r.code for r in full} == {"full"}
        assert Booking.objects.filter(facility=world.facility).count() == 1
        assert SlotCell.objects.get(facility=world.facility, starts_at=at(1, "10:00")).taken == 1


def test_many_bookings_of_one_home_against_a_quota_of_one_give_exactly_one(
    django_db_setup: None, django_db_blocker: Any
):
    with django_db_blocker.unblock(), committed_club(capacity=50, quota_bookings_day=1) as world:
        starts = [at(1, f"{h:02d}:00") for h in [*range(6, 12), *range(14, 22)]][:THREADS]
        results = run_together(world.tenant, [request(world, s) for s in starts])
        won = [r for r in results if isinstance(r, Booking)]
        refused = [r for r in results if isinstance(r, QuotaReached)]
        assert len(won) == 1 and len(refused) == len(starts) - 1, [type(r).__name__ for r in results]
        counter = QuotaCounter.objects.get(facility=world.facility, unit=world.unit, period="day")
        assert (counter.bookings, counter.minutes) == (1, 60)
        # the refused ones gave their places back: only the winner's cell holds a place
        assert sum(SlotCell.objects.filter(facility=world.facility).values_list("taken", flat=True)) == 1


def test_a_closure_racing_with_bookings_leaves_no_live_booking_under_it(django_db_setup: None, django_db_blocker: Any):
    from backend.club.closures import closure_create
    from backend.club.models import LIVE_STATUSES

    with django_db_blocker.unblock(), committed_club(capacity=50) as world:
        starts = [at(1, f"{h:02d}:00") for h in (6, 7, 8, 9, 10, 11)]
        jobs = [request(world, s) for s in starts for _ in range(2)]

        def close() -> Any:
            return closure_create(
                facility=world.facility,
                by=None,
                kind="one_off",
                reason="抢修",
                starts_at=at(1, "06:00"),
                ends_at=at(1, "12:00"),
                now=NOW,
            )

        results = run_together(world.tenant, [*jobs, close])
        # A booking loses to the closure either at the cells (blocked: "full") or, when it reads the committed
        # closure first, at the rules (a field error on starts_at): both are clear 4xx answers, never a 500.
        unexpected = [
            r
            for r in results
            if isinstance(r, Exception)
            and not isinstance(r, Full)
            and not (isinstance(r, ApplicationError) and "starts_at" in r.fields)
        ]
        assert not unexpected, results
        live = Booking.objects.filter(facility=world.facility, status__in=LIVE_STATUSES)
        assert not live.exists()
        cells = SlotCell.objects.filter(facility=world.facility, starts_at__in=starts)
        assert {(c.taken, c.blocks) for c in cells} == {(0, 1)}
