"""A demo company's clubhouse (会所) in 阳光花园, with three months of its life replayed through the club's
services so that every count, ledger line and report agrees:

- 健身房 (gym): 20 places an hour, free, 06:00–22:00, one booking per home a day; no-shows suspend (3 in 30
  days → 7 days);
- 游泳池 (pool): 30 places, ¥15 a person (guests ¥30), 09:00–12:00 and 14:00–21:00, closed Monday mornings
  for the water change (a weekly closure);
- 网球场1号 / 网球场2号 (tennis): exclusive, 60–120 minutes in 30-minute steps, ¥40 an hour (guests ¥60), ¥100
  deposit, 24 h free cancellation then half the fee back;
- 多功能厅 (function room): 3-hour slots, ¥300 and a ¥500 deposit, approval needed, booked up to 60 days ahead;
- a yoga class (瑜伽初级班) in the function room: 12 seats, ¥600 for 8 weekly sessions, teacher 林老师 on a
  60/40 split, with 9 paid enrolments (its monthly statement has figures).

Residents with accounts (40 households of 阳光花园 get a login without a password; the demo resident 陈业主 is
one of them) book for their homes; the front desk books walk-in guests. The replay goes day by day: each
booking is made a day or so ahead (`now=` the time it would have been made), paid fees are paid at the
counter by WeChat/Alipay/cash the same hour (the payment hook confirms the booking), people are checked in at
the door by security around the start, about one in fifteen does not come (the no-show sweep marks them),
and a few cancel. Deterministic (fixed seed); a company that has facilities is left as it is."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Membership, User
from backend.accounts.roles import Role
from backend.billing import ledger
from backend.billing.models import BillLine, Payment
from backend.club import booking as engine
from backend.club import checkin, classes, classes_money, money
from backend.club import desk as club_desk
from backend.club import services as club
from backend.club.closures import closure_create
from backend.club.models import Booking, BookingStatus, Facility
from backend.errors import ApplicationError
from backend.properties.models import Estate, Occupancy, Person, Unit
from backend.properties.scope import Scope
from tenants.db import company_time_zone, connection
from tenants.models import Tenant

from .progress import Stage

DAYS = 90
HOUSEHOLDS = 40
EVERYTHING = Scope.everything()
METHODS = [Payment.Method.WECHAT, Payment.Method.WECHAT, Payment.Method.ALIPAY, Payment.Method.CASH]


def _hours(ranges: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    return [(d, a * 60, b * 60) for d in range(7) for a, b in ranges]


FACILITIES: list[dict[str, Any]] = [
    {
        "name": "健身房",
        "kind": "gym",
        "description": "跑步机、动感单车、力量区。请穿运动鞋入场。",
        "location": "会所一楼东侧",
        "capacity": 20,
        "counts_people": True,
        "max_party_size": 2,
        "slot_minutes": 60,
        "horizon_days": 7,
        "cancel_cutoff_minutes": 60,
        "quota_bookings_day": 1,
        "no_show_limit": 3,
        "no_show_suspend_days": 7,
        "hours": _hours([(6, 22)]),
    },
    {
        "name": "游泳池",
        "kind": "pool",
        "description": "25 米恒温泳池，每周一上午换水。儿童须由成人陪同。",
        "location": "会所负一楼",
        "capacity": 30,
        "counts_people": True,
        "max_party_size": 4,
        "slot_minutes": 60,
        "horizon_days": 7,
        "price_mode": "per_person",
        "resident_price_fen": 1500,
        "guest_price_fen": 3000,
        "cancel_cutoff_minutes": 120,
        "late_cancel_refund_percent": 50,
        "hours": _hours([(9, 12), (14, 21)]),
    },
    *[
        {
            "name": f"网球场{n}号",
            "kind": "tennis_court",
            "description": "标准硬地网球场，夜间有灯光。",
            "location": "会所北侧",
            "capacity": 1,
            "booking_mode": "free",
            "min_minutes": 60,
            "max_minutes": 120,
            "step_minutes": 30,
            "max_party_size": 4,
            "horizon_days": 14,
            "price_mode": "per_hour",
            "resident_price_fen": 4000,
            "guest_price_fen": 6000,
            "deposit_fen": 10000,
            "cancel_cutoff_minutes": 24 * 60,
            "late_cancel_refund_percent": 50,
            "quota_minutes_week": 240,
            "hours": _hours([(7, 22)]),
        }
        for n in (1, 2)
    ],
    {
        "name": "多功能厅",
        "kind": "function_room",
        "description": "可容纳 80 人，适合生日会、业主活动和培训。需物业审批。",
        "location": "会所二楼",
        "capacity": 1,
        "max_party_size": 80,
        "slot_minutes": 60,
        "booking_mode": "free",
        "min_minutes": 180,
        "max_minutes": 180,
        "step_minutes": 60,
        "horizon_days": 60,
        "min_notice_minutes": 2 * 24 * 60,
        "price_mode": "per_slot",
        "resident_price_fen": 30000,
        "guest_price_fen": 50000,
        "deposit_fen": 50000,
        "requires_approval": True,
        "hours": _hours([(9, 21)]),
    },
]


class Replay:
    """The clock and the people of the replay."""

    def __init__(self, estate: Estate, security: User, desk: User, seed: int) -> None:
        self.estate = estate
        self.security = security
        self.desk = desk
        self.rng = random.Random(seed)
        self.tz = company_time_zone()
        self.homes: list[tuple[User, Unit]] = []
        self.made = 0
        self.checked_in = 0
        self.cancelled = 0
        self.paid = 0

    def at(self, day: dt.date, minute: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=self.tz)

    def pay(self, line_ids: list[int], unit: Unit, when: dt.datetime) -> None:
        owed = sum(BillLine.objects.filter(pk__in=line_ids).values_list("outstanding", flat=True), start=0)
        if owed <= 0:
            return
        ledger.payment_record(
            unit=unit,
            amount=owed,
            method=self.rng.choice(METHODS),
            line_ids=line_ids,
            received_at=when,
            recorded_by=self.desk,
            today=when.astimezone(self.tz).date(),
        )
        self.paid += 1

    def book(self, facility: Facility, start: dt.datetime, minutes: int, party: int = 1) -> Booking | None:
        """A resident books ahead and pays at once; None when the slot or their quota says no."""
        user, unit = self.rng.choice(self.homes)
        made_at = start - dt.timedelta(hours=self.rng.randint(3, 40))
        try:
            booking = engine.booking_create(
                facility=facility,
                user=user,
                unit=unit,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=minutes),
                party_size=party,
                now=made_at,
            )
        except ApplicationError:
            return None
        self.made += 1
        if booking.status == BookingStatus.HELD:  # its fee (and deposit) are on the home's bills: pay them
            self.pay(money.booking_line_ids(booking), unit, made_at + dt.timedelta(minutes=3))
            booking.refresh_from_db()
        return booking

    def guest(self, facility: Facility, start: dt.datetime, minutes: int) -> Booking | None:
        try:
            booking = engine.booking_create_by_staff(
                facility=facility,
                by=self.desk,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=minutes),
                guest_name=self.rng.choice(["访客张先生", "访客刘女士", "访客周先生", "访客吴女士"]),
                guest_phone=f"139{self.rng.randint(10000000, 99999999)}",
                now=start - dt.timedelta(hours=2),
            )
        except ApplicationError:
            return None
        self.made += 1
        if booking.price_fen or booking.deposit_fen:  # a guest has no bills: the desk records what they paid
            booking = club_desk.booking_guest_paid(
                booking=booking, method=self.rng.choice(["cash", "pos"]), by=self.desk, now=booking.starts_at
            )
        return booking

    def come(self, booking: Booking | None, past: bool) -> None:
        """At the door: checked in around the start, or (one in fifteen) not at all; a few cancel first."""
        if booking is None or booking.status != BookingStatus.CONFIRMED:
            return
        roll = self.rng.random()
        if roll < 0.05:  # made 3 hours ahead or more: cancelled an hour before
            when = booking.starts_at - dt.timedelta(hours=1)
            if booking.user_id is not None:
                engine.booking_cancel(booking=booking, by=User.objects.get(pk=booking.user_id), now=when)
            else:
                engine.booking_cancel_by_staff(booking=booking, by=self.desk, reason="客人改期", now=when)
            self.cancelled += 1
            return
        if not past or roll < 0.12:
            return  # still to come, or a no-show the sweep marks
        when = booking.starts_at + dt.timedelta(minutes=self.rng.randint(-10, 10))
        checkin.booking_check_in(code=booking.code, by=self.security, scope=EVERYTHING, now=when)
        self.checked_in += 1


def demo_club_seed(
    *, security_email: str | None, service_email: str | None, stage: Stage | None = None, days: int = DAYS
) -> None:
    """Seed the clubhouse with `days` of history (the demo: three months; the test: fewer)."""
    if Facility.objects.exists():
        if stage is not None:
            stage.note("already seeded")
        return
    estate = Estate.objects.filter(name="阳光花园").first()
    desk = User.objects.filter(email=service_email).first() if service_email else None
    security = User.objects.filter(email=security_email).first() if security_email else None
    if estate is None or desk is None or security is None:
        if stage is not None:
            stage.note("no 阳光花园, front desk or security login: skipped")
        return
    previous = connection.tenant
    if getattr(previous, "pk", None) is None:
        # Under schema_context() the connection holds a stand-in without an id; memberships and notifications
        # need the company itself.
        connection.set_tenant(Tenant.objects.get(schema_name=connection.schema_name))
    try:
        _seed(estate, security, desk, stage, days)
    finally:
        if connection.tenant is not previous:
            connection.set_tenant(previous)


def _seed(estate: Estate, security: User, desk: User, stage: Stage | None, days: int) -> None:
    with transaction.atomic():
        replay = Replay(estate, security, desk, seed=513)
        facilities = _facilities(estate, replay)
        replay.homes = _resident_logins(estate, replay)
        yoga = _yoga(replay, facilities["多功能厅"])  # first: its enrolments were made before the history's no-shows
        _history(replay, facilities, days)
        _upcoming(replay, facilities)
    if stage is not None:
        stage.count(len(facilities), "facility", "facilities")
        stage.count(replay.made, "booking")
        stage.count(replay.checked_in, "check-in")
        stage.count(Booking.objects.filter(status=BookingStatus.NO_SHOW).count(), "no-show")
        stage.count(replay.paid, "payment")
        stage.count(yoga, "class enrolment")


def _facilities(estate: Estate, replay: Replay) -> dict[str, Facility]:
    made = {}
    for spec in FACILITIES:
        values = dict(spec)
        hours = values.pop("hours")
        made[values["name"]] = club.facility_create(estate_id=estate.pk, scope=EVERYTHING, hours=hours, **values)
    start = timezone.now().astimezone(replay.tz).date() - dt.timedelta(days=DAYS + 7)
    closure_create(
        facility=made["游泳池"],
        kind="weekly",
        reason="每周一上午换水",
        weekday=0,
        start_minute=9 * 60,
        end_minute=12 * 60,
        first_date=start,
        by=replay.desk,
        now=replay.at(start, 0),
    )
    return made


def _resident_logins(estate: Estate, replay: Replay) -> list[tuple[User, Unit]]:
    """Logins (no password: they cannot sign in) for owners of 40 homes of the estate, plus the demo resident's
    own home; each a resident member of the company."""
    tenant = connection.tenant
    homes: list[tuple[User, Unit]] = []
    mine = Occupancy.objects.filter(unit__estate=estate, person__user__isnull=False, end_date__isnull=True)
    for occ in mine.select_related("person__user", "unit"):
        if occ.person.user is not None:
            homes.append((occ.person.user, occ.unit))
    owners = list(
        Occupancy.objects.filter(unit__estate=estate, role="owner", end_date__isnull=True, person__user__isnull=True)
        .select_related("person", "unit")
        .order_by("id")[: HOUSEHOLDS * 3]
    )
    replay.rng.shuffle(owners)
    unusable = make_password(None)
    for n, occ in enumerate(owners[:HOUSEHOLDS], start=1):
        user = User.objects.create(
            email=f"club{n:02d}@residents.demo.test", name=occ.person.name, phone=None, password=unusable
        )
        Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"roles": [Role.RESIDENT]})
        Person.objects.filter(pk=occ.person_id).update(user=user)
        homes.append((user, occ.unit))
    return homes


def _history(replay: Replay, facilities: dict[str, Facility], days: int) -> None:
    today = timezone.now().astimezone(replay.tz).date()
    gym, pool = facilities["健身房"], facilities["游泳池"]
    courts = [facilities["网球场1号"], facilities["网球场2号"]]
    room = facilities["多功能厅"]
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        weekend = day.weekday() >= 5
        for _ in range(replay.rng.randint(4, 9) if weekend else replay.rng.randint(2, 6)):
            hour = replay.rng.choice([7, 7, 8, 12, 18, 19, 19, 20, 21])
            replay.come(replay.book(gym, replay.at(day, hour * 60), 60, replay.rng.choice([1, 1, 2])), past=True)
        for _ in range(replay.rng.randint(1, 4) if weekend else replay.rng.randint(0, 2)):
            hour = replay.rng.choice([10, 15, 16, 17, 19, 20])
            replay.come(replay.book(pool, replay.at(day, hour * 60), 60, replay.rng.choice([1, 2, 3])), past=True)
        for court in courts:
            for _ in range(replay.rng.randint(1, 3) if weekend else replay.rng.randint(0, 2)):
                start = replay.rng.choice([8, 9, 10, 16, 18, 19, 20]) * 60 + replay.rng.choice([0, 30])
                replay.come(replay.book(court, replay.at(day, start), replay.rng.choice([60, 90, 120])), past=True)
        if replay.rng.random() < 0.15:
            replay.come(replay.guest(pool, replay.at(day, 14 * 60), 60), past=True)
        if weekend and replay.rng.random() < 0.3:
            _function(replay, room, replay.at(day, 14 * 60), past=True)
        checkin.no_shows_mark(now=replay.at(day, 23 * 60 + 30))


def _function(replay: Replay, room: Facility, start: dt.datetime, *, past: bool) -> None:
    """A party in the function room: asked for days ahead, approved by the front desk, paid, used."""
    user, unit = replay.rng.choice(replay.homes)
    asked = start - dt.timedelta(days=replay.rng.randint(3, 20))
    try:
        booking = engine.booking_create(
            facility=room,
            user=user,
            unit=unit,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=3),
            party_size=replay.rng.randint(10, 40),
            now=asked,
        )
    except ApplicationError:
        return
    replay.made += 1
    if not past:
        return  # waits for the desk's approval
    approved = engine.booking_approve(booking=booking, by=replay.desk, now=asked + dt.timedelta(hours=5))
    replay.pay(money.booking_line_ids(approved), unit, asked + dt.timedelta(hours=6))
    approved.refresh_from_db()
    replay.come(approved, past=True)


def _yoga(replay: Replay, room: Facility) -> int:
    """瑜伽初级班: 8 Tuesday evening sessions from five weeks ago, 9 of 12 seats taken and paid."""
    today = timezone.now().astimezone(replay.tz).date()
    first = today - dt.timedelta(days=35 + today.weekday() - 1)  # a Tuesday five weeks back
    planned = replay.at(first - dt.timedelta(days=14), 10 * 60)
    teacher = classes.teacher_create(by=replay.desk, name="林老师", phone="13900001234", share_percent=60)
    klass = classes.class_create(
        facility=room,
        by=replay.desk,
        teacher=teacher,
        title="瑜伽初级班",
        description="零基础入门，每周二晚 19:00–20:30，共 8 次课。请自带瑜伽垫。",
        seats=12,
        price_fen=60000,
        fee_item=money.club_fee_item(facility=room, office_id=room.office_id, deposit=False),
        refund_policy="pro_rata",
    )
    for week in range(8):
        start = replay.at(first + dt.timedelta(weeks=week), 19 * 60)
        classes.session_add(
            training_class=klass,
            by=replay.desk,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=90),
            now=planned,
        )
    classes.class_publish(training_class=klass, by=replay.desk, now=planned)
    enrolled = 0
    for user, unit in replay.homes[:9]:
        when = planned + dt.timedelta(days=replay.rng.randint(1, 10), hours=replay.rng.randint(0, 8))
        enrolment = classes_money.enrolment_create(training_class=klass, user=user, unit=unit, now=when)
        if enrolment.charge_id:
            replay.pay([enrolment.charge_id], unit, when + dt.timedelta(minutes=5))
        enrolled += 1
    return enrolled


def _upcoming(replay: Replay, facilities: dict[str, Facility]) -> None:
    """The coming week as residents see it: bookings here and there, the demo resident's tennis court, and a
    function-room party waiting for approval."""
    now = timezone.now().astimezone(replay.tz)
    tomorrow = now.date() + dt.timedelta(days=1)
    for ahead in range(0, 6):
        day = tomorrow + dt.timedelta(days=ahead)
        for _ in range(replay.rng.randint(2, 5)):
            replay.book(facilities["健身房"], replay.at(day, replay.rng.choice([7, 19, 20]) * 60), 60)
        replay.book(facilities["网球场1号"], replay.at(day, 19 * 60), 60)
    mine = replay.homes[0]
    replay.homes, others = [mine], replay.homes
    replay.book(facilities["网球场2号"], replay.at(tomorrow + dt.timedelta(days=1), 18 * 60), 90)
    replay.homes = others
    saturday = now.date() + dt.timedelta(days=(5 - now.weekday()) % 7 + 7)
    _function(replay, facilities["多功能厅"], replay.at(saturday, 14 * 60), past=False)
