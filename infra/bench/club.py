"""Club (会所) benchmarks on a dedicated company in the benchmark database.

- availability-p95: the week grid (backend.club.availability, as the API calls it: the facility with its hours,
  then the grid) of a gym with 10,000 live bookings in its 14-day horizon, p95 over CLUB_GRID_RUNS runs; the
  baseline is the naive grid (one SUM over the bookings per slot) measured in the same run. Target ≤ 20 ms.
  The API endpoint's p95 (in process, through the middleware) is printed on stderr.
- booking-race: CLUB_RACE_REQUESTS (200) concurrent POST /api/v1/club/bookings/ from as many residents (each
  their own home, their own bearer token) for the last place of a slot, through the server the HTTP benches
  use (infra/web.sh: uvicorn workers, pooled connections). Exactly 1 must be confirmed, the rest answered 409
  "full", and 0 errors. The p95 of the burst is the value, beside the median of the same request sent one at
  a time (the baseline). A second line does the same for one home's quota: 200 concurrent requests of one home
  against a quota of 1 booking a day (the slot has room for all): 1 confirmed, 199 "quota_reached".

Knobs (environment): CLUB_BOOKINGS (10000), CLUB_GRID_RUNS (300), CLUB_RACE_REQUESTS (200).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import statistics
import sys
import time
from typing import Any

from django.db import transaction
from django.db.models import Sum

from tenants.db import company_time_zone, connection

BENCH_SLUG = "bench-club"
BOOKINGS = int(os.environ.get("CLUB_BOOKINGS", "10000"))
GRID_RUNS = int(os.environ.get("CLUB_GRID_RUNS", "300"))
RACE_REQUESTS = int(os.environ.get("CLUB_RACE_REQUESTS", "200"))
HOMES = RACE_REQUESTS + 10  # the racers, and the homes that take the first places
TOKEN_NAME = "club bench"


def _company() -> Any:
    from tenants.models import Tenant
    from tenants.services import company_onboard

    tenant = Tenant.objects.filter(slug=BENCH_SLUG).first()
    if tenant is None:
        tenant = company_onboard(
            company_name="会所基准物业",
            subdomain=BENCH_SLUG,
            admin_name="会所基准",
            admin_email="bench-club@bench.test",
            admin_phone="16600000011",
            admin_password="Bench-club-2026",
        ).tenant
    return tenant


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


# --- the world: an estate of HOMES homes, one resident each (accounts without passwords: tokens only) ----------


def _estate() -> tuple[Any, list[Any], list[Any]]:
    """(estate, homes, their residents), made once and reused."""
    from backend.accounts.models import Membership, User
    from backend.properties import services
    from backend.properties.models import Estate, ManagementOffice, Occupancy, Person, Unit
    from backend.properties.scope import Scope

    everything = Scope.everything()
    estate = Estate.objects.filter(name="会所基准花园").first()
    if estate is None:
        office = ManagementOffice.objects.filter(name="会所基准管理处").first() or services.office_create(
            name="会所基准管理处", scope=everything
        )
        estate = services.estate_create(office_id=office.pk, name="会所基准花园", scope=everything)
        building = services.building_create(estate_id=estate.pk, name="1栋", scope=everything)
        services.units_generate(
            building_id=building.pk,
            first_floor=1,
            last_floor=HOMES // 10 + 1,
            units_per_floor=10,
            area="90",
            scope=everything,
        )
    units = list(Unit.objects.filter(estate=estate).order_by("pk")[:HOMES])
    people = {o.unit_id: o.person for o in Occupancy.objects.filter(unit__in=units).select_related("person")}
    missing = [u for u in units if u.pk not in people]
    if missing:
        tenant = connection.tenant
        users = User.objects.bulk_create(
            [User(email=f"club-bench-{u.pk}@bench.test", name=f"住户{u.number}") for u in missing]
        )
        for user in users:
            user.set_unusable_password()
        User.objects.bulk_update(users, ["password"])
        Membership.objects.bulk_create([Membership(user=u, tenant=tenant, roles=["resident"]) for u in users])
        persons = Person.objects.bulk_create([Person(name=u.name, user=u) for u in users])
        Occupancy.objects.bulk_create(
            [
                Occupancy(unit=unit, person=person, role="owner", start_date=dt.date(2025, 1, 1))
                for unit, person in zip(missing, persons, strict=True)
            ]
        )
        people = {o.unit_id: o.person for o in Occupancy.objects.filter(unit__in=units).select_related("person")}
    by_id = User.objects.in_bulk([people[u.pk].user_id for u in units])
    residents = [by_id[people[u.pk].user_id] for u in units]
    return estate, units, residents


def _facility(estate: Any, name: str, **rules: Any) -> Any:
    from backend.club import services as club
    from backend.club.models import Booking, Facility

    facility = Facility.objects.filter(estate=estate, name=name).first()
    if facility is None:
        facility = club.facility_create(
            estate_id=estate.pk,
            scope=_everything(),
            name=name,
            kind="gym",
            hours=[(d, 6 * 60, 22 * 60) for d in range(7)],
            **rules,
        )
    else:
        with transaction.atomic():
            Booking.objects.filter(facility=facility).delete()
            from backend.club.models import QuotaCounter, SlotCell

            SlotCell.objects.filter(facility=facility).delete()
            QuotaCounter.objects.filter(facility=facility).delete()
        club.facility_update(facility=facility, **rules)
    return Facility.objects.prefetch_related("opening_hours").get(pk=facility.pk)


def _everything() -> Any:
    from backend.properties.scope import Scope

    return Scope.everything()


# --- availability-p95 ---------------------------------------------------------------------------------------------


def seed_bookings(facility: Any, units: list[Any], residents: list[Any], count: int = BOOKINGS) -> int:
    """`count` confirmed one-hour bookings spread over the horizon's open slots from the next hour on, with the
    slot counters that hold them (written in bulk, as the engine would have left them)."""
    from backend.club.booking import booking_code, facility_rules
    from backend.club.models import Booking, SlotCell
    from backend.club.rules import local_date, range_cells

    rules = facility_rules(facility)
    now = dt.datetime.now(dt.UTC)
    today = local_date(now, rules.tz)
    cells = [c for c in range_cells(rules, today, today + dt.timedelta(days=rules.horizon_days)) if c.starts_at > now]
    rng = random.Random(13)
    per_cell: dict[dt.datetime, int] = {}
    rows = []
    for n in range(count):
        cell = rng.choice(cells)
        while per_cell.get(cell.starts_at, 0) >= facility.capacity:
            cell = rng.choice(cells)
        per_cell[cell.starts_at] = per_cell.get(cell.starts_at, 0) + 1
        home = n % len(units)
        rows.append(
            Booking(
                facility=facility,
                unit=units[home],
                user=residents[home],
                starts_at=cell.starts_at,
                ends_at=cell.ends_at,
                cell_minutes=facility.cell_minutes,
                status="confirmed",
                code=booking_code(),
            )
        )
    with transaction.atomic():
        Booking.objects.bulk_create(rows, batch_size=2000)
        SlotCell.objects.bulk_create(
            [SlotCell(facility=facility, starts_at=s, capacity=facility.capacity, taken=t) for s, t in per_cell.items()]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE club_booking")
        cursor.execute("ANALYZE club_slotcell")
    return len(rows)


def naive_grid(facility: Any, first: dt.date, last: dt.date) -> list[tuple[dt.datetime, int]]:
    """The baseline: the same cells, each with its own SUM over the bookings that overlap it."""
    from backend.club.availability import closures_between
    from backend.club.booking import facility_rules
    from backend.club.models import LIVE_STATUSES, Booking
    from backend.club.rules import range_cells

    rules = facility_rules(facility)
    out = []
    for cell in range_cells(rules, first, last, closures_between(facility.pk, first, last, rules.tz)):
        taken = Booking.objects.filter(
            facility=facility, status__in=LIVE_STATUSES, starts_at__lt=cell.ends_at, ends_at__gt=cell.starts_at
        ).aggregate(n=Sum("places"))["n"]
        out.append((cell.starts_at, facility.capacity - (taken or 0)))
    return out


def run_availability() -> str:
    from backend.club.availability import availability
    from backend.club.models import Facility
    from backend.club.rules import local_date

    connection.set_tenant(_company())
    estate, units, residents = _estate()
    gym = _facility(estate, "基准健身房", capacity=100, counts_people=True)
    seeded = seed_bookings(gym, units, residents)
    first = local_date(dt.datetime.now(dt.UTC), company_time_zone()) + dt.timedelta(days=1)
    last = first + dt.timedelta(days=6)

    def grid() -> Any:
        facility = Facility.objects.prefetch_related("opening_hours").get(pk=gym.pk)
        return availability(facility=facility, first=first, days_count=7)

    fast_cells = {c.starts_at: c.left for d in grid().days for c in d.cells}
    slow_cells = dict(naive_grid(gym, first, last))
    assert fast_cells == slow_cells, "the counters and the bookings disagree"
    for _ in range(20):
        grid()
    fast = []
    for _ in range(GRID_RUNS):
        started = time.perf_counter()
        grid()
        fast.append((time.perf_counter() - started) * 1000)
    slow = []
    for _ in range(max(20, GRID_RUNS // 10)):
        started = time.perf_counter()
        naive_grid(gym, first, last)
        slow.append((time.perf_counter() - started) * 1000)
    api = _api_p95(gym.pk, residents[0], first)
    connection.set_schema_to_public()
    value, baseline = _p(fast, 95), _p(slow, 95)
    print(
        f"  availability-p95: {seeded} bookings, {len(fast_cells)} cells a week; grid p50 {_p(fast, 50):.2f} ms; "
        f"API endpoint p95 {api}",
        file=sys.stderr,
    )
    return (
        f"bench availability-p95: {value:.2f} ms; baseline {baseline:.2f} ms; ratio {baseline / value:.1f}x "
        f"(week grid, {seeded} bookings in the horizon; baseline: a query per slot)"
    )


def _api_p95(facility_id: int, resident: Any, first: dt.date) -> str:
    """The availability endpoint in process (Django's test client through the whole middleware chain)."""
    from django.conf import settings
    from django.test import Client

    from backend.access.models import ApiToken
    from backend.access.services import api_token_issue

    ApiToken.objects.filter(name=TOKEN_NAME, user=resident).delete()
    _token, raw = api_token_issue(user=resident, name=TOKEN_NAME)
    host = f"{BENCH_SLUG}.{settings.PLATFORM_DOMAIN}"
    client = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {raw}")
    path = f"/api/v1/club/facilities/{facility_id}/availability/?date={first.isoformat()}&days=7"
    tenant = connection.tenant
    times = []
    try:
        for n in range(120):
            started = time.perf_counter()
            response = client.get(path)
            if n >= 20:
                times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                return f"not measured (HTTP {response.status_code})"
    finally:
        connection.set_tenant(tenant)
    return f"{_p(times, 95):.2f} ms"


# --- booking-race -------------------------------------------------------------------------------------------------


def bench_tokens(users: list[Any], name: str = TOKEN_NAME) -> list[str]:
    """A bearer token per user, named `name` (the last run's tokens of that name deleted first)."""
    from backend.access.models import ApiToken
    from backend.access.services import api_token_issue

    ApiToken.objects.filter(name=name).delete()
    return [api_token_issue(user=user, name=name)[1] for user in users]


async def post_all(
    port: int, host: str, requests: list[tuple[str, dict[str, Any]]], path: str = "/api/v1/club/bookings/"
) -> list[tuple[int, str, float]]:
    """Every request (token, JSON body) POSTed to `path` at once, one connection each; (status, error code,
    ms) per request. The race benchmarks' client (booking-race here, stock-race in shop_orders.py)."""
    import aiohttp

    async def send(session: Any, token: str, body: dict[str, Any]) -> tuple[int, str, float]:
        started = time.perf_counter()
        try:
            async with session.post(
                f"http://127.0.0.1:{port}{path}",
                json=body,
                headers={"Host": host, "Authorization": f"Bearer {token}"},
            ) as response:
                data = await response.json(content_type=None)
                code = (data.get("error") or {}).get("code", "") if isinstance(data, dict) else ""
                return response.status, str(code), (time.perf_counter() - started) * 1000
        except Exception as exc:  # noqa: BLE001 - counted as an error
            return 0, repr(exc)[:100], (time.perf_counter() - started) * 1000

    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        return await asyncio.gather(*(send(session, token, body) for token, body in requests))


async def one_at_a_time(
    port: int, host: str, requests: list[tuple[str, dict[str, Any]]], path: str = "/api/v1/club/bookings/"
) -> list[float]:
    """The same requests one after another: the ms of each that was created (201)."""
    times = []
    for request in requests:
        status, _code, ms = (await post_all(port, host, [request], path))[0]
        if status == 201:
            times.append(ms)
    return times


def _tally(results: list[tuple[int, str, float]], refusal: str) -> tuple[int, int, int, float, dict[str, int]]:
    confirmed = sum(1 for status, _c, _ms in results if status == 201)
    refused = sum(1 for status, code, _ms in results if status == 409 and code == refusal)
    others: dict[str, int] = {}
    for status, code, _ms in results:
        if status != 201 and not (status == 409 and code == refusal):
            others[f"{status} {code}"] = others.get(f"{status} {code}", 0) + 1
    return confirmed, refused, sum(others.values()), _p([ms for *_x, ms in results], 95), others


def last_place_homes(tokens: list[str], racers: list[tuple[Any, Any]]) -> list[tuple[str, tuple[Any, Any]]]:
    """Each racer's token with their (home, resident); the last token (the quota home's) is left out."""
    return list(zip(tokens[: len(racers)], racers, strict=True))


def run_race() -> str:
    from django.conf import settings

    from backend.club.booking import booking_create
    from backend.club.models import Booking, SlotCell
    from infra.bench.http import PLATFORM, _raise_fd_limit, _server

    connection.set_tenant(_company())
    estate, units, residents = _estate()
    tz = company_time_zone()
    tomorrow = dt.datetime.now(tz).date() + dt.timedelta(days=1)
    slot = dt.datetime.combine(tomorrow, dt.time(10), tzinfo=tz)
    body = {"starts_at": slot.isoformat(), "ends_at": (slot + dt.timedelta(hours=1)).isoformat()}
    # The last place: 4 of the court's 5 places are taken (through the engine) by the first four homes.
    court = _facility(estate, "基准网球场", capacity=5)
    for unit, user in zip(units[:4], residents[:4], strict=True):
        booking_create(facility=court, user=user, unit=unit, starts_at=slot, ends_at=slot + dt.timedelta(hours=1))
    hall = _facility(estate, "基准羽毛球馆", capacity=RACE_REQUESTS + 10, quota_bookings_day=1)
    solo = _facility(estate, "基准瑜伽室", capacity=RACE_REQUESTS + 10)
    racers = list(zip(units[4:], residents[4:], strict=True))[:RACE_REQUESTS]
    tokens = bench_tokens([user for _unit, user in racers] + [residents[0]])
    last_place = [(t, {**body, "facility": court.pk, "unit": u.pk}) for t, (u, _r) in last_place_homes(tokens, racers)]
    quota = [(tokens[-1], {**body, "facility": hall.pk, "unit": units[0].pk})] * RACE_REQUESTS
    single = [(t, {**body, "facility": solo.pk, "unit": u.pk}) for t, (u, _r) in last_place_homes(tokens, racers)[:40]]
    host = f"{BENCH_SLUG}.{settings.PLATFORM_DOMAIN}"
    tenant = connection.tenant
    connection.set_schema_to_public()
    _raise_fd_limit(RACE_REQUESTS * 4 + 256)
    with _server(PLATFORM) as port:
        asyncio.run(one_at_a_time(port, host, single[:5]))  # warm every worker
        singles = asyncio.run(one_at_a_time(port, host, single[5:]))
        race = asyncio.run(post_all(port, host, last_place))
        quota_race = asyncio.run(post_all(port, host, quota))
    connection.set_tenant(tenant)
    booked = Booking.objects.filter(facility=court, starts_at=slot, status="confirmed").count()
    cell = SlotCell.objects.get(facility=court, starts_at=slot)
    hall_booked = Booking.objects.filter(facility=hall, unit=units[0], status="confirmed").count()
    connection.set_schema_to_public()
    baseline = statistics.median(singles)
    lines = []
    for name, results, refusal, check in (
        ("booking-race", race, "full", f"{booked} booked of 5, cell {cell.taken}/{cell.capacity}"),
        ("booking-race-quota", quota_race, "quota_reached", f"the home holds {hall_booked} booking"),
    ):
        confirmed, refused, errors, p95, others = _tally(results, refusal)
        if others:
            print(f"  {name}: unexpected answers {others}", file=sys.stderr)
        lines.append(
            f"bench {name}: {p95:.1f} ms; baseline {baseline:.1f} ms; ratio {baseline / p95:.2f}x "
            f"({len(results)} concurrent requests: {confirmed} confirmed, {refused} {refusal}, {errors} errors; "
            f"{check}; baseline: one request at a time, median)"
        )
    return "\n".join(lines)
