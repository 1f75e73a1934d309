"""Complaints (投诉) through the services: the handbook's limits per severity counted in business time across
a weekend and a holiday (times fixed: conftest.NOW, Monday 2030-03-04 09:00, default hours Mon–Sat 08:30–12:00
and 13:30–17:30, 450 minutes a day), pauses, escalation by hand and by the sweep on a breach (alerts to the
right people only), the outcome told, the revisit, reopening, ratings in the one table, and who sees what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.audit.models import AuditEntry
from backend.desk import complaints as cx
from backend.desk.complaint_models import Complaint, ComplaintStatus, Level
from backend.desk.complaint_selectors import complaint_analysis, complaint_queue, complaints_visible
from backend.desk.models import Rating
from backend.errors import ApplicationError
from backend.notifications.models import Holiday, Notification
from backend.properties.scope import Scope

from .conftest import NOW, Desk, at, scoped


@pytest.fixture
def directors(world: Desk, member: Any) -> tuple[Any, Any]:
    """The 西湖 office's director (a company admin scoped to it) and 滨江's."""
    ours, theirs = member(world.tenant, ["company_admin"]), member(world.tenant, ["company_admin"])
    scoped(ours, world.tenant, office_ids=[world.office.pk])
    scoped(theirs, world.tenant, office_ids=[world.other_office.pk])
    return ours, theirs


def intake(world: Desk, severity: str, now: dt.datetime, **kw: Any) -> Complaint:
    values: dict[str, Any] = {
        "by": world.supervisor,
        "scope": world.scope,
        "channel": "phone",
        "severity": severity,
        "cause": "security",
        "description": "夜间有陌生人进入楼道",
        "contact_name": "王业主",
        "contact_phone": "13900000001",
        "unit_id": world.home.pk,
        "now": now,
        **kw,
    }
    return cx.complaint_intake(**values)


def file(world: Desk, now: dt.datetime = NOW, **kw: Any) -> Complaint:
    values: dict[str, Any] = {
        "user": world.resident,
        "unit_id": world.home.pk,
        "cause": "cleaning",
        "description": "楼道垃圾三天没人清",
        "contact_phone": "13900000001",
        "now": now,
        **kw,
    }
    return cx.complaint_file(**values)


def kinds(complaint: Complaint) -> list[str]:
    return list(complaint.events.values_list("kind", flat=True))


def notified(kind: str) -> set[int]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


# --- the limits per severity, across a weekend and a holiday ------------------------------------------------


@pytest.fixture
def holiday_monday(world: Desk) -> None:
    Holiday.objects.create(date=at(7, "00:00").date(), name="节日", greeting="节日快乐")  # Monday 11 March


def test_minor_within_two_working_days_over_sunday_and_a_holiday(world: Desk, holiday_monday: None) -> None:
    # Friday 10:00 + 900 minutes: 360 Friday, 450 Saturday, Sunday off, Monday a holiday, 90 Tuesday → 10:00.
    complaint = intake(world, "minor", at(4, "10:00"))
    assert complaint.escalate_due is None and complaint.answer_due is None
    assert complaint.resolve_due == at(8, "10:00")
    assert complaint.level == Level.DESK


def test_minor_with_the_residents_deadline(world: Desk) -> None:
    complaint = intake(world, "minor", NOW, resident_deadline=at(2, "00:00").date())
    assert complaint.resolve_due == at(2, "17:30")  # the close of business of the date asked for


def test_important_supervisor_within_an_hour_done_within_three_days(world: Desk, holiday_monday: None) -> None:
    # Saturday 17:00: 30 minutes Saturday, Sunday off, Monday a holiday, so the hour ends Tuesday 09:00.
    complaint = intake(world, "important", at(5, "17:00"))
    assert complaint.escalate_due == at(8, "09:00")
    # 1,350 minutes: 30 Saturday, 450 Tuesday, 450 Wednesday, 420 Thursday → Thursday 17:00.
    assert complaint.resolve_due == at(10, "17:00")


def test_major_director_same_day_answer_two_days_resolved_ten(world: Desk, holiday_monday: None) -> None:
    # In business hours on Friday: to the director by Friday's close.
    friday = intake(world, "major", at(4, "10:00"))
    assert friday.escalate_due == at(4, "17:30")
    # Saturday evening, after hours: the next working day is Tuesday (Sunday off, Monday a holiday).
    late = intake(world, "major", at(5, "18:00"))
    assert late.escalate_due == at(8, "17:30")
    assert late.answer_due == at(9, "17:30")  # Tuesday and Wednesday
    # Ten working days from Tuesday: Tue Wed Thu Fri Sat, Mon Tue Wed Thu Fri → Friday 22 March 17:30.
    assert late.resolve_due == at(18, "17:30")


def test_waiting_on_the_complainant_pauses_answer_and_resolution_not_escalation(world: Desk) -> None:
    complaint = intake(world, "important", NOW)
    assert complaint.escalate_due == at(0, "10:00") and complaint.resolve_due == at(3, "09:00")
    cx.complaint_wait(complaint=complaint, by=world.supervisor, reason="业主出差,下周面谈", now=at(0, "10:00"))
    complaint.refresh_from_db()
    assert complaint.resolve_due is None and complaint.escalate_due == at(0, "10:00")
    cx.complaint_resume(complaint=complaint, by=world.supervisor, now=at(1, "10:00"))
    complaint.refresh_from_db()
    # Paused 450 business minutes (Monday 10:00–17:30, Tuesday 08:30–10:00): one working day later.
    assert complaint.resolve_due == at(4, "09:00")
    assert kinds(complaint) == ["filed", "waiting", "resumed"]


def test_reclassifying_counts_from_the_filing(world: Desk) -> None:
    complaint = file(world)
    assert complaint.severity == "minor" and complaint.escalate_due is None
    cx.complaint_classify(
        complaint=complaint,
        by=world.supervisor,
        severity="important",
        cause="attitude",
        department="security",
        now=at(0, "11:00"),
    )
    complaint.refresh_from_db()
    assert complaint.escalate_due == at(0, "10:00")  # already late: the hour ran from 09:00
    assert complaint.resolve_due == at(3, "09:00") and complaint.department == "security"


# --- escalation ---------------------------------------------------------------------------------------------


def test_manual_escalation_reaches_the_director_of_the_estate_only(world: Desk, directors: tuple[Any, Any]) -> None:
    ours, theirs = directors
    complaint = intake(world, "major", NOW)
    cx.complaint_assign(complaint=complaint, handler=world.supervisor, by=world.supervisor, now=NOW)
    with pytest.raises(ApplicationError):
        cx.complaint_escalate(complaint=complaint, by=world.supervisor, to=Level.DIRECTOR, note="", now=NOW)
    cx.complaint_escalate(
        complaint=complaint, by=world.supervisor, to=Level.DIRECTOR, note="影响恶劣,呈送主任", now=at(0, "09:30")
    )
    complaint.refresh_from_db()
    assert complaint.level == Level.DIRECTOR and complaint.escalated_at == at(0, "09:30")
    # 西湖's director (and a company-wide admin, were there one), never 滨江's nor the handler again.
    assert ours.pk in notified("desk.complaint_escalated")
    assert not notified("desk.complaint_escalated") & {theirs.pk, world.supervisor.pk, world.other_supervisor.pk}
    with pytest.raises(ApplicationError):  # only upwards
        cx.complaint_escalate(complaint=complaint, by=ours, to=Level.SUPERVISOR, note="退回", now=NOW)
    # The escalation clock stopped: the sweep past it sends nothing about it.
    assert cx.complaint_sweep(now=at(0, "18:00")) == 0


def test_the_sweep_warns_then_escalates_an_important_complaint_nobody_forwarded(
    world: Desk, directors: tuple[Any, Any]
) -> None:
    complaint = intake(world, "important", NOW)
    cx.complaint_assign(complaint=complaint, handler=world.supervisor, by=world.supervisor, now=NOW)
    assert cx.complaint_sweep(now=at(0, "09:40")) == 0  # 40 of 60 minutes: under 80 %
    assert cx.complaint_sweep(now=at(0, "09:50")) == 1
    assert notified("desk.complaint_near") == {world.supervisor.pk}
    assert cx.complaint_sweep(now=at(0, "09:55")) == 0  # once per clock
    assert cx.complaint_sweep(now=at(0, "10:00")) == 1
    complaint.refresh_from_db()
    assert complaint.breached and complaint.level == Level.SUPERVISOR and complaint.escalated_at == at(0, "10:00")
    assert "escalated_on_breach" in kinds(complaint)
    # The breach reaches the handler and the supervisors of 西湖, not 滨江's nor the directors.
    assert notified("desk.complaint_breach") == {world.supervisor.pk}
    assert world.other_supervisor.pk not in notified("desk.complaint_breach")
    assert AuditEntry.objects.filter(action="desk.complaint_breach", object_id=str(complaint.pk)).exists()
    # The resolution clock's breach takes it one level up: the director.
    assert cx.complaint_sweep(now=at(3, "09:00")) >= 1
    complaint.refresh_from_db()
    assert complaint.level == Level.DIRECTOR
    assert notified("desk.complaint_escalated") >= {directors[0].pk}
    assert directors[1].pk not in notified("desk.complaint_escalated")


def test_a_paused_complaint_is_not_alerted_for_its_resolution(world: Desk) -> None:
    complaint = intake(world, "minor", NOW)
    cx.complaint_wait(complaint=complaint, by=world.supervisor, reason="等业主回复", now=at(0, "09:10"))
    assert cx.complaint_sweep(now=at(5, "12:00")) == 0
    complaint.refresh_from_db()
    assert not complaint.breached


# --- the outcome, the revisit, ratings ----------------------------------------------------------------------


def test_outcome_told_revisit_closes_and_ratings_go_to_the_one_table(world: Desk) -> None:
    complaint = file(world)
    cx.complaint_assign(complaint=complaint, handler=world.supervisor, by=world.supervisor, now=at(0, "09:10"))
    with pytest.raises(ApplicationError) as exc:
        cx.complaint_resolve(complaint=complaint, by=world.supervisor, outcome="", told_via="x", now=NOW)
    assert set(exc.value.fields) == {"outcome", "told_via"}
    cx.complaint_resolve(
        complaint=complaint,
        by=world.supervisor,
        outcome="已安排保洁每日两次清运",
        root_cause="保洁排班漏了该楼",
        told_via="phone",
        now=at(0, "15:00"),
    )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RESOLVED and complaint.told_at == at(0, "15:00")
    assert complaint.revisit_due == at(2, "15:00")
    titles = list(
        Notification.objects.filter(recipient=world.resident, kind="ticket.update").values_list("title", flat=True)
    )
    assert any("已安排保洁" in t for t in titles), titles
    # Only the complainant rates, once.
    with pytest.raises(ApplicationError):
        cx.complaint_rate(complaint=complaint, user=world.neighbour, score=5, now=at(0, "16:00"))
    cx.complaint_rate(complaint=complaint, user=world.resident, score=4, comment="及时", now=at(0, "16:00"))
    with pytest.raises(ApplicationError):
        cx.complaint_rate(complaint=complaint, user=world.resident, score=5, now=at(0, "16:05"))
    cx.complaint_revisit(
        complaint=complaint, by=world.supervisor, satisfied=True, note="满意", score=5, now=at(1, "10:00")
    )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED and complaint.rating == 4  # the resident's own stands
    rows = list(Rating.objects.filter(complaint=complaint).values_list("subject", "score", "via"))
    assert rows == [("complaint", 4, "resident")]
    assert kinds(complaint) == ["filed", "assigned", "resolved", "rated", "revisited"]


def test_a_revisit_not_done_in_two_days_is_reminded_once(world: Desk) -> None:
    complaint = intake(world, "minor", NOW)
    cx.complaint_assign(complaint=complaint, handler=world.supervisor, by=world.supervisor, now=NOW)
    cx.complaint_resolve(
        complaint=complaint, by=world.supervisor, outcome="已处理", told_via="phone", now=at(0, "10:00")
    )
    assert cx.complaint_sweep(now=at(2, "09:59")) == 0
    assert cx.complaint_sweep(now=at(2, "10:00")) == 1
    assert cx.complaint_sweep(now=at(3, "10:00")) == 0
    assert notified("desk.complaint_revisit_due") == {world.supervisor.pk}


def test_not_satisfied_at_the_revisit_reopens_with_a_fresh_clock(world: Desk) -> None:
    complaint = intake(world, "minor", NOW)
    cx.complaint_resolve(
        complaint=complaint, by=world.supervisor, outcome="已处理", told_via="phone", now=at(0, "10:00")
    )
    cx.complaint_revisit(
        complaint=complaint, by=world.supervisor, satisfied=False, note="还是没人管", now=at(1, "09:00")
    )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.IN_PROGRESS and complaint.reopened == 1
    assert complaint.resolved_at is None and complaint.clock_from == at(1, "09:00")
    assert complaint.resolve_due == at(3, "09:00")


def test_told_on_the_phone_app_needs_an_account_and_withdraw_is_the_complainants(world: Desk) -> None:
    walk_in = intake(world, "minor", NOW, contact_phone="13000000000")  # not a bound occupant's phone
    assert walk_in.complainant_id is None
    with pytest.raises(ApplicationError) as exc:
        cx.complaint_resolve(complaint=walk_in, by=world.supervisor, outcome="好", told_via="app", now=NOW)
    assert "told_via" in exc.value.fields
    mine = file(world)
    with pytest.raises(ApplicationError):
        cx.complaint_withdraw(complaint=mine, by=world.neighbour, reason="x", resident=True, now=NOW)
    cx.complaint_withdraw(complaint=mine, by=world.resident, reason="已自行解决", resident=True, now=NOW)
    mine.refresh_from_db()
    assert mine.status == ComplaintStatus.WITHDRAWN


def test_the_repairs_rating_is_in_the_one_table(world: Desk) -> None:
    from backend.desk import services as desk

    from .test_services import report

    ticket = report(world)
    desk.ticket_assign(ticket=ticket, engineer=world.engineer, by=world.supervisor, now=NOW)
    desk.ticket_accept(ticket=ticket, engineer=world.engineer, now=NOW)
    desk.ticket_start(ticket=ticket, engineer=world.engineer, now=NOW)
    from .conftest import photo

    desk.ticket_finish(ticket=ticket, engineer=world.engineer, photos=[photo()], now=at(0, "11:00"))
    desk.ticket_confirm(ticket=ticket, user=world.resident, fixed=True, rating=5, now=at(0, "12:00"))
    desk.ticket_revisit(ticket=ticket, by=world.supervisor, fixed=True, note="好", rating=3, now=at(1, "09:00"))
    assert list(Rating.objects.filter(ticket=ticket).values_list("subject", "score", "via")) == [
        ("repair", 5, "resident")
    ]
    # A walk-in's repair: the rating given on the revisit call.
    walk_in = desk.ticket_intake(
        by=world.supervisor,
        scope=world.scope,
        category=world.plumbing,
        channel="walk_in",
        unit_id=world.home.pk,
        description="门锁坏",
        contact_name="访客",
        contact_phone="1",
        now=NOW,
    )
    desk.ticket_assign(ticket=walk_in, engineer=world.engineer, by=world.supervisor, now=NOW)
    desk.ticket_accept(ticket=walk_in, engineer=world.engineer, now=NOW)
    desk.ticket_start(ticket=walk_in, engineer=world.engineer, now=NOW)
    desk.ticket_finish(ticket=walk_in, engineer=world.engineer, photos=[photo()], now=at(0, "11:00"))
    desk.ticket_revisit(ticket=walk_in, by=world.supervisor, fixed=True, note="满意", rating=4, now=at(1, "09:00"))
    walk_in.refresh_from_db()
    assert walk_in.rating == 4
    assert list(Rating.objects.filter(ticket=walk_in).values_list("score", "via")) == [(4, "revisit")]


# --- who sees what ------------------------------------------------------------------------------------------


def test_scope_staff_see_their_offices_residents_their_own(world: Desk) -> None:
    ours = file(world)
    theirs = cx.complaint_intake(
        by=world.other_supervisor,
        scope=Scope(all_offices=False, office_ids=frozenset({world.other_office.pk})),
        channel="walk_in",
        severity="minor",
        cause="parking",
        description="车位被占",
        contact_name="赵",
        contact_phone="1",
        unit_id=world.other_units[0].pk,
        now=NOW,
    )
    assert list(complaints_visible(scope=world.scope)) == [ours]
    other_scope = Scope(all_offices=False, office_ids=frozenset({world.other_office.pk}))
    assert list(complaints_visible(scope=other_scope)) == [theirs]
    assert list(complaints_visible(scope=Scope(all_offices=False, resident_user_id=world.resident.pk))) == [ours]
    assert list(complaints_visible(scope=Scope(all_offices=False, resident_user_id=world.neighbour.pk))) == []
    # Staff of 西湖 cannot record one for 滨江's home, nor take one of 滨江's.
    with pytest.raises(ApplicationError) as exc:
        intake(world, "minor", NOW, unit_id=world.other_units[0].pk)
    assert "unit" in exc.value.fields
    with pytest.raises(ApplicationError):
        cx.complaint_assign(complaint=theirs, handler=world.supervisor, by=world.supervisor, now=NOW)
    # The resident cannot file for the neighbour's home.
    with pytest.raises(ApplicationError) as exc:
        file(world, unit_id=world.units[1].pk)
    assert "unit" in exc.value.fields
    assert [c.pk for c in complaint_queue(scope=world.scope, user=world.supervisor, queue="new")] == [ours.pk]


def test_monthly_cause_analysis_counts_causes_and_recurring_homes(world: Desk) -> None:
    for cause in ("cleaning", "cleaning", "noise"):
        intake(world, "minor", at(1, "10:00"), cause=cause)
    intake(world, "minor", at(1, "10:00"), cause="cleaning", unit_id=world.units[1].pk)
    # February's: the month before.
    intake(world, "minor", at(-10, "10:00"), cause="noise")
    analysis = complaint_analysis(scope=world.scope, month=dt.date(2030, 3, 1))
    assert analysis.total == 4 and analysis.previous_total == 1
    counts = {r.key: (r.count, r.previous) for r in analysis.by_cause}
    assert counts["cleaning"] == (3, 0) and counts["noise"] == (1, 1)
    assert [(r.unit.pk, r.count) for r in analysis.recurring_units] == [(world.home.pk, 3)]
    assert analysis.recurring_causes == [("阳光花园", "Cleaning", 3)]
    # 滨江's staff see none of it.
    other = complaint_analysis(
        scope=Scope(all_offices=False, office_ids=frozenset({world.other_office.pk})), month=dt.date(2030, 3, 1)
    )
    assert other.total == 0


def test_the_sweep_runs_every_minute_in_each_company(world: Desk, settings: Any) -> None:
    from backend.desk import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["desk-complaint-sweep"]
    assert entry["task"] == "backend.desk.tasks.complaint_sweep" and entry["schedule"] == 60
    from django.utils import timezone

    intake(world, "important", timezone.now() - dt.timedelta(days=30))  # long past its limits (NOW is ahead)
    assert tasks.complaint_sweep() >= 1
