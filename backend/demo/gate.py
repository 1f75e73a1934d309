"""The demo gate (门岗): the last weeks of parcels and visitor passes for every estate of a company, written
in bulk (a few thousand rows in a few statements: seeding stays quick), at the volumes of a Chinese estate —
about one parcel per three occupied homes a day, most picked up within two days, the last days' and a few
older ones still on the shelf (the older ones reminded) — and a few dozen visitors a day, some by car, with
their entries and exits. The demo resident's home gets parcels waiting and passes of their own, so the
resident's pages and the home's card have something to show. Idempotent: a company with parcels is left as
it is.

History is written directly (no notifications, no audit entries for the past); everything done in the demo
afterwards goes through the services."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.gate.models import (
    Carrier,
    Direction,
    GateEntry,
    GateSettings,
    Parcel,
    ParcelStatus,
    PassStatus,
    VisitorPass,
)
from backend.gate.services import CODE_ALPHABET, PASS_CODE_LENGTH
from backend.properties.models import Occupancy
from tenants.db import company_time_zone

from .progress import Stage

DAYS = 21
PARCELS_PER_HOME_DAY = 0.33
VISITORS_PER_HOME_DAY = 0.03
CARRIERS = [
    (Carrier.ZTO, 22),
    (Carrier.YTO, 18),
    (Carrier.YUNDA, 14),
    (Carrier.STO, 12),
    (Carrier.JT, 10),
    (Carrier.SF, 10),
    (Carrier.JD, 9),
    (Carrier.EMS, 4),
    (Carrier.OTHER, 1),
]
PREFIX = {"zto": "ZT", "yto": "YT", "yunda": "YD", "sto": "ST", "jt": "JT", "sf": "SF", "jd": "JD", "ems": "EM"}
SHELVES = [f"{row}-{n}" for row in "ABCDEF" for n in range(1, 7)]
VISITOR_NAMES = [
    "张伟",
    "王芳",
    "李娜",
    "刘洋",
    "陈静",
    "杨帆",
    "赵磊",
    "黄丽",
    "周杰",
    "吴敏",
    "徐强",
    "孙悦",
    "马超",
    "朱琳",
    "胡斌",
    "郭婷",
    "何军",
    "高雪",
    "林峰",
    "罗丹",
]
PLATES = ["浙A", "浙B", "浙C", "沪A", "苏E", "浙H"]


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _w in weighted], weights=[w for _v, w in weighted])[0]


def demo_gate_seed(
    *, staff_email: str | None, resident_email: str | None, stage: Stage | None = None, days: int = DAYS
) -> None:
    if Parcel.objects.exists():
        if stage is not None:
            stage.note("already seeded")
        return
    staff = User.objects.filter(email=staff_email).first() if staff_email else None
    if staff is None:
        if stage is not None:
            stage.note("no security or front-desk login: skipped")
        return
    resident = User.objects.filter(email=resident_email).first() if resident_email else None
    occupied = sorted(
        set(
            Occupancy.objects.filter(end_date__isnull=True).values_list("unit_id", "unit__estate_id", "unit__office_id")
        )
    )
    if not occupied:
        return
    resident_units = set(
        Occupancy.objects.filter(person__user=resident, end_date__isnull=True).values_list("unit_id", flat=True)
        if resident is not None
        else []
    )
    with transaction.atomic():
        GateSettings.load()
        parcels = _parcels(occupied, resident_units, staff, days, rng=random.Random(2024))
        passes, entries = _visitors(occupied, resident_units, resident, staff, days, rng=random.Random(2025))
    if stage is not None:
        stage.count(parcels, "parcel")
        stage.count(passes, "visitor pass", "visitor passes")
        stage.count(entries, "gate entry", "gate entries")


def _at(day: dt.date, minute: int) -> dt.datetime:
    tz = company_time_zone()
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz) + dt.timedelta(minutes=minute)


def _parcels(occupied: list[tuple[int, int, int]], mine: set[int], staff: User, days: int, rng: random.Random) -> int:
    now = timezone.now()
    today = timezone.localdate(now)
    wanted = int(len(occupied) * PARCELS_PER_HOME_DAY * 1.3 * (days + 1)) + 2 * len(mine) + 10
    codes = iter(rng.sample(range(100000, 1000000), min(900000, wanted)))
    rows: list[Parcel] = []
    serial = 0
    for back in range(days, -1, -1):
        day = today - dt.timedelta(days=back)
        count = int(len(occupied) * PARCELS_PER_HOME_DAY * rng.uniform(0.8, 1.25))
        for unit_id, estate_id, office_id in rng.sample(occupied, min(count, len(occupied))):
            logged = _at(day, rng.randint(8 * 60, 21 * 60))
            if logged > now:
                continue
            carrier = _pick(rng, CARRIERS)
            serial += 1
            # Most are picked up the same day or the next two; one in forty is left (returned later, or waiting).
            wait_hours = rng.choice([2, 4, 6, 10, 20, 26, 30, 48, 70]) if rng.random() > 0.025 else None
            collected = logged + dt.timedelta(hours=wait_hours, minutes=rng.randint(0, 59)) if wait_hours else None
            if collected is not None and collected > now:
                collected = None
            status = ParcelStatus.COLLECTED if collected else ParcelStatus.WAITING
            if status == ParcelStatus.WAITING and back > 10:
                status = ParcelStatus.RETURNED
            rows.append(
                Parcel(
                    unit_id=unit_id,
                    estate_id=estate_id,
                    office_id=office_id,
                    carrier=carrier,
                    tracking_number=f"{PREFIX.get(carrier, 'KD')}{day:%y%m%d}{serial:06d}",
                    shelf=rng.choice(SHELVES),
                    pickup_code=f"{next(codes):06d}",
                    status=status,
                    logged_by=staff,
                    logged_at=logged,
                    collected_at=collected,
                    handed_over_by=staff if collected else None,
                    collected_name="本人" if collected else "",
                    reminders=max(0, (now - logged).days - 2) if status == ParcelStatus.WAITING else 0,
                    reminded_on=today if status == ParcelStatus.WAITING and (now - logged).days >= 3 else None,
                )
            )
    for n, unit_id in enumerate(sorted(mine)):  # the demo resident: two parcels on the shelf now
        unit = next(u for u in occupied if u[0] == unit_id)
        for k, carrier in enumerate((Carrier.SF, Carrier.JD)):
            rows.append(
                Parcel(
                    unit_id=unit_id,
                    estate_id=unit[1],
                    office_id=unit[2],
                    carrier=carrier,
                    tracking_number=f"{PREFIX[carrier]}DEMO{n}{k}{today:%m%d}",
                    shelf="A-1",
                    pickup_code=f"{next(codes):06d}",
                    status=ParcelStatus.WAITING,
                    logged_by=staff,
                    logged_at=now - dt.timedelta(hours=3 + 20 * k),
                )
            )
    Parcel.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _pass_code(rng: random.Random) -> str:
    return "".join(rng.choice(CODE_ALPHABET) for _ in range(PASS_CODE_LENGTH))


def _visitors(
    occupied: list[tuple[int, int, int]],
    mine: set[int],
    resident: User | None,
    staff: User,
    days: int,
    rng: random.Random,
) -> tuple[int, int]:
    """Visitors of the last weeks, today's and tomorrow's: the demo resident's home's passes are theirs; the
    other homes' (whose residents have no login in the demo) are registered by the front desk for a caller."""
    now = timezone.now()
    today = timezone.localdate(now)
    free = GateSettings.load().free_parking_minutes
    passes: list[VisitorPass] = []
    plan: list[tuple[int, list[tuple[dt.datetime, str]]]] = []
    for back in range(days, -2, -1):
        day = today - dt.timedelta(days=back)
        count = max(1, int(len(occupied) * VISITORS_PER_HOME_DAY * rng.uniform(0.7, 1.4)))
        if back <= 0:
            count = max(1, count // 4)  # passes issued ahead for today and tomorrow
        for unit_id, estate_id, office_id in rng.sample(occupied, min(count, len(occupied))):
            start = _at(day, rng.randint(9 * 60, 19 * 60))
            car = rng.random() < 0.35
            multiple = rng.random() < 0.15
            until = start + dt.timedelta(hours=rng.choice([2, 4, 6, 12]))
            issuer = resident if resident is not None and unit_id in mine else staff
            visitor_pass = VisitorPass(
                code=_pass_code(rng),
                token=secrets.token_urlsafe(32),
                unit_id=unit_id,
                estate_id=estate_id,
                office_id=office_id,
                issued_by=issuer,
                visitor_name=rng.choice(VISITOR_NAMES),
                plate=f"{rng.choice(PLATES)}{rng.randint(10000, 99999)}" if car else "",
                valid_from=start,
                valid_until=until,
                multiple=multiple,
                free_parking_minutes=free if car else 0,
                created_at=start - dt.timedelta(hours=rng.randint(1, 30)),
            )
            moves: list[tuple[dt.datetime, str]] = []
            if start < now:
                came = rng.random() < 0.9
                if came:
                    arrive = start + dt.timedelta(minutes=rng.randint(0, 60))
                    if arrive < now:
                        moves.append((arrive, Direction.IN))
                        stay = dt.timedelta(minutes=rng.choice([40, 75, 110, 150, 200, 260]))
                        if car and arrive + stay < now:
                            moves.append((arrive + stay, Direction.OUT))
            visitor_pass.entries = sum(1 for _at_, d in moves if d == Direction.IN)
            if not multiple and visitor_pass.entries:
                visitor_pass.status = PassStatus.USED
            passes.append(visitor_pass)
            plan.append((len(passes) - 1, moves))
    for unit_id, estate_id, office_id in occupied:  # the demo resident: a car pass for today, one used yesterday
        if unit_id not in mine or resident is None:
            continue
        for back, name, plate in ((0, "刘洋", "浙A6D888"), (1, "王芳", "")):
            start = _at(today - dt.timedelta(days=back), 9 * 60)
            used = back > 0
            passes.append(
                VisitorPass(
                    code=_pass_code(rng),
                    token=secrets.token_urlsafe(32),
                    unit_id=unit_id,
                    estate_id=estate_id,
                    office_id=office_id,
                    issued_by=resident,
                    visitor_name=name,
                    plate=plate,
                    valid_from=start,
                    valid_until=start + dt.timedelta(hours=13),
                    free_parking_minutes=free if plate else 0,
                    status=PassStatus.USED if used else PassStatus.ACTIVE,
                    entries=1 if used else 0,
                    created_at=start - dt.timedelta(hours=2),
                )
            )
            plan.append((len(passes) - 1, [(start + dt.timedelta(minutes=40), Direction.IN)] if used else []))
    VisitorPass.objects.bulk_create(passes, batch_size=2000)
    entries: list[GateEntry] = []
    for index, moves in plan:
        visitor_pass = passes[index]
        came_in: dt.datetime | None = None
        for when, direction in moves:
            parked = over = None
            if direction == Direction.IN:
                came_in = when
            elif came_in is not None:
                parked = int((when - came_in).total_seconds() // 60)
                over = max(0, parked - visitor_pass.free_parking_minutes)
            entries.append(
                GateEntry(
                    visitor_pass=visitor_pass,
                    estate_id=visitor_pass.estate_id,
                    office_id=visitor_pass.office_id,
                    direction=direction,
                    at=when,
                    by=staff,
                    plate=visitor_pass.plate,
                    parked_minutes=parked,
                    over_minutes=over,
                )
            )
    GateEntry.objects.bulk_create(entries, batch_size=2000)
    return len(passes), len(entries)
