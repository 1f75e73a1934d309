"""The demo clubhouse (backend/demo/club.py): 阳光花园's facilities with three months of bookings replayed
through the services — so the counters agree with the bookings, every paid booking's lines are paid on the
ledger, people were checked in or marked no-shows, the yoga class has paid enrolments and a statement, the
club report has figures — and nothing is added when it runs again."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django_tenants.utils import schema_context

from backend.billing.models import BillLine
from backend.club import money
from backend.club.models import LIVE_STATUSES, Booking, BookingStatus, Enrolment, Facility, SlotCell, Teacher
from backend.club.reports import ReportQuery, club_report
from backend.club.rules import cell_starts
from backend.club.statements import teacher_statement
from backend.demo.club import demo_club_seed
from backend.demo.progress import Stage
from backend.demo.registry import demo_registry_seed
from backend.properties.scope import Scope
from tenants.db import company_time_zone, connection


def test_the_demo_clubhouse_has_three_months_of_consistent_bookings(in_tenant_a: Any, member: Any) -> None:
    resident = member(in_tenant_a, ["resident"], email="resident@demo-club.test", name="陈业主")
    member(in_tenant_a, ["customer_service"], email="service@demo-club.test")
    member(in_tenant_a, ["security"], email="security@demo-club.test")
    demo_registry_seed(resident_email=resident.email)
    stage = Stage()
    # Five weeks of history (the demo replays three months the same way), under schema_context() as seed_demo
    # runs it (the connection then holds a stand-in for the company, without an id).
    with schema_context(in_tenant_a.schema_name):
        demo_club_seed(
            security_email="security@demo-club.test", service_email="service@demo-club.test", stage=stage, days=35
        )
    connection.set_tenant(in_tenant_a)

    names = set(Facility.objects.values_list("name", flat=True))
    assert names == {"健身房", "游泳池", "网球场1号", "网球场2号", "多功能厅"}
    gym = Facility.objects.get(name="健身房")
    assert (gym.capacity, gym.price_mode) == (20, "free")
    pool = Facility.objects.get(name="游泳池")
    assert (pool.capacity, pool.resident_price_fen) == (30, 1500)
    court = Facility.objects.get(name="网球场1号")
    assert (court.capacity, court.resident_price_fen, court.deposit_fen) == (1, 4000, 10000)
    assert Facility.objects.get(name="多功能厅").requires_approval

    statuses = Counter(Booking.objects.values_list("status", flat=True))
    assert statuses[BookingStatus.CHECKED_IN] > 100
    assert 0 < statuses[BookingStatus.NO_SHOW] < statuses[BookingStatus.CHECKED_IN] / 5
    assert statuses[BookingStatus.CANCELLED] > 0 and statuses[BookingStatus.PENDING] >= 1
    assert Booking.objects.filter(user=resident, starts_at__gt=timezone.now()).exists()

    # The counters hold exactly the places of the bookings that hold them (no-shows gave back none of a
    # cell that had started; cancellations gave back everything).
    held: Counter[tuple[int, dt.datetime]] = Counter()
    for b in Booking.objects.filter(status__in=[*LIVE_STATUSES, BookingStatus.NO_SHOW]):
        for cell in cell_starts(b.starts_at, b.ends_at, b.cell_minutes):
            if b.status != BookingStatus.NO_SHOW or cell < (b.no_show_at or b.ends_at):
                held[(b.facility_id, cell)] += b.places
    cells = {(c.facility_id, c.starts_at): c.taken for c in SlotCell.objects.filter(taken__gt=0)}
    assert cells == {k: v for k, v in held.items() if v}

    # Every paid booking's lines are settled on the ledger, and their sum is what the bookings cost.
    paid = Booking.objects.filter(paid_at__isnull=False, price_fen__gt=0).exclude(status=BookingStatus.CANCELLED)
    assert paid.count() > 20
    line_ids = [i for b in paid for i in money.booking_line_ids(b)]
    assert BillLine.objects.filter(pk__in=line_ids).aggregate(s=Sum("outstanding"))["s"] == 0
    assert not Booking.objects.filter(status=BookingStatus.HELD).exists()

    teacher = Teacher.objects.get(name="林老师")
    assert Enrolment.objects.filter(paid_at__isnull=False).count() == 9
    today = timezone.now().astimezone(company_time_zone()).date()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    statements = [
        teacher_statement(teacher=teacher, month=m, classes=teacher.classes.all()) for m in (last_month, today)
    ]
    assert sum(s.total("income_fen") for s in statements) > 0
    for s in statements:
        assert s.total("teacher_fen") + s.total("company_fen") == s.total("net_fen")

    report = club_report(
        scope=Scope.everything(),
        query=ReportQuery(first_month=(today.replace(day=1) - dt.timedelta(days=62)).replace(day=1), months=3),
    )
    assert report.total.income > 0 and report.heat.percent and report.total.no_show_percent is not None

    made = Booking.objects.count()
    again = Stage()
    demo_club_seed(security_email="security@demo-club.test", service_email="service@demo-club.test", stage=again)
    assert Booking.objects.count() == made and "already seeded" in again.summary()
    assert "booking" in stage.summary()
