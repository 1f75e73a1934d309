"""Repairs through the services: intake, dispatch and grabbing under the load cap, the engineer's steps,
waiting on the resident (the clocks pause), completion with the paid charge on the ledger, confirming,
revisiting, reopening, and the SLA sweep's alerts. Real PostgreSQL; times fixed (conftest.NOW)."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.audit.models import AuditEntry
from backend.billing.models import BillLine, LedgerEntry
from backend.desk import services as desk
from backend.desk.alerts import sla_sweep
from backend.desk.models import DeskSettings, Status, Ticket, TicketEvent, TicketPhoto
from backend.errors import ApplicationError
from backend.notifications.models import Holiday, Notification

from .conftest import NOW, Desk, at, photo


def report(world: Desk, **kw: object) -> Ticket:
    values: dict[str, object] = {
        "user": world.resident,
        "unit_id": world.home.pk,
        "category": world.plumbing,
        "description": "厨房水管漏水",
        "contact_phone": "13900000001",
        "preferred_time": "今天下午",
        "photos": [photo()],
        "now": NOW,
        **kw,
    }
    return desk.ticket_report(**values)  # type: ignore[arg-type]


def fields_of(exc: pytest.ExceptionInfo[ApplicationError]) -> set[str]:
    return set((exc.value.fields or {}).keys())


def test_resident_reports_with_photo_and_the_clocks_are_set(world: Desk) -> None:
    ticket = report(world)
    assert ticket.status == Status.NEW and ticket.channel == "app" and ticket.reporter_id == world.resident.pk
    assert ticket.office_id == world.office.pk and ticket.priority == "normal" and not ticket.paid
    # 60 and 480 business minutes from Monday 09:00: 10:00 the same day; 420 on Monday, 60 on Tuesday → 09:30.
    assert ticket.response_due == at(0, "10:00")
    assert ticket.resolution_due == at(1, "09:30")
    assert TicketPhoto.objects.filter(ticket=ticket, stage="intake").count() == 1
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True)) == ["reported"]
    assert AuditEntry.objects.filter(action="desk.reported", object_id=str(ticket.pk)).exists()


def test_a_holiday_moves_the_due_instants(world: Desk) -> None:
    Holiday.objects.create(date=at(1, "00:00").date(), name="节日", greeting="节日快乐")
    ticket = report(world)
    assert ticket.resolution_due == at(2, "09:30")  # Tuesday is off: Wednesday


def test_resident_cannot_report_for_the_neighbours_home(world: Desk) -> None:
    with pytest.raises(ApplicationError) as exc:
        report(world, unit_id=world.units[1].pk)
    assert fields_of(exc) == {"unit"}
    assert not Ticket.objects.exists()


def test_intake_checks_fields_and_public_area_is_never_paid(world: Desk) -> None:
    with pytest.raises(ApplicationError) as exc:
        report(world, description=" ")
    assert "description" in fields_of(exc)
    with pytest.raises(ApplicationError) as exc:
        desk.ticket_intake(
            by=world.supervisor,
            scope=world.scope,
            category=world.electrical,
            channel="phone",
            place="public",
            estate_id=world.estate.pk,
            description="楼道灯不亮",
            contact_name="张",
            contact_phone="13900000002",
        )
    assert fields_of(exc) == {"location", "paid"}


def test_staff_intake_within_scope_only_and_links_the_calling_resident(world: Desk) -> None:
    with pytest.raises(ApplicationError) as exc:
        desk.ticket_intake(
            by=world.supervisor,
            scope=world.scope,
            category=world.plumbing,
            channel="walk_in",
            unit_id=world.other_units[0].pk,
            description="漏水",
            contact_name="赵",
            contact_phone="1",
        )
    assert fields_of(exc) == {"unit"}
    from backend.properties.models import Person

    phone = Person.objects.get(user_id=world.resident.pk).phone
    ticket = desk.ticket_intake(
        by=world.supervisor,
        scope=world.scope,
        category=world.plumbing,
        channel="phone",
        unit_id=world.home.pk,
        description="漏水",
        contact_name="王业主",
        contact_phone=phone,
        now=NOW,
    )
    assert ticket.channel == "phone" and ticket.reporter_id == world.resident.pk


def test_dispatch_only_to_an_engineer_of_the_estate_and_under_the_cap(world: Desk) -> None:
    ticket = report(world)
    for wrong in (world.other_engineer, world.supervisor):
        with pytest.raises(ApplicationError) as exc:
            desk.ticket_assign(ticket=ticket, engineer=wrong, by=world.supervisor, now=NOW)
        assert fields_of(exc) == {"engineer"}
    desk.ticket_assign(ticket=ticket, engineer=world.engineer, by=world.supervisor, now=NOW)
    assert Notification.objects.filter(recipient_id=world.engineer.pk, kind="desk.assigned").count() == 1
    DeskSettings.objects.update(engineer_open_cap=1)
    second = report(world)
    with pytest.raises(ApplicationError) as exc:
        desk.ticket_grab(ticket=second, engineer=world.engineer, now=NOW)
    assert fields_of(exc) == {"ticket"}
    grabbed = desk.ticket_grab(ticket=second, engineer=world.engineer2, now=NOW)
    assert grabbed.status == Status.ACCEPTED and grabbed.accepted_at == NOW
    # A grabbed ticket is no longer in the pool.
    with pytest.raises(ApplicationError) as exc:
        desk.ticket_grab(ticket=second, engineer=world.engineer, now=NOW)
    assert exc.value.code == "invalid_state"


def test_engineer_steps_in_order_and_only_by_the_assignee(world: Desk) -> None:
    ticket = report(world)
    desk.ticket_assign(ticket=ticket, engineer=world.engineer, by=world.supervisor, now=NOW)
    with pytest.raises(ApplicationError) as exc:
        desk.ticket_start(ticket=ticket, engineer=world.engineer, now=NOW)
    assert exc.value.status == 409
    with pytest.raises(ApplicationError) as exc:
        desk.ticket_accept(ticket=ticket, engineer=world.engineer2, now=NOW)
    assert exc.value.status == 403
    desk.ticket_accept(ticket=ticket, engineer=world.engineer, now=at(0, "09:20"))
    desk.ticket_on_the_way(ticket=ticket, engineer=world.engineer, now=at(0, "09:25"))
    started = desk.ticket_start(ticket=ticket, engineer=world.engineer, photos=[photo("blue")], now=at(0, "09:40"))
    assert started.status == Status.IN_PROGRESS
    with pytest.raises(ApplicationError) as exc:
        desk.ticket_finish(ticket=ticket, engineer=world.engineer, photos=[], now=at(0, "10:00"))
    assert fields_of(exc) == {"photos"}
    done = desk.ticket_finish(ticket=ticket, engineer=world.engineer, photos=[photo("green")], now=at(0, "10:00"))
    assert done.status == Status.COMPLETED and done.charge_id is None  # a free repair charges nothing
    assert done.revisit_due == at(2, "10:00")
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["reported", "assigned", "accepted", "on_the_way", "started", "finished"]
    assert set(TicketPhoto.objects.filter(ticket=ticket).values_list("stage", flat=True)) == {
        "intake",
        "before",
        "after",
    }
    assert Notification.objects.filter(recipient_id=world.resident.pk, kind="ticket.update").count() == 3


def _to_progress(world: Desk, ticket: Ticket, when: dt.datetime = NOW) -> None:
    desk.ticket_assign(ticket=ticket, engineer=world.engineer, by=world.supervisor, now=when)
    desk.ticket_accept(ticket=ticket, engineer=world.engineer, now=when)
    desk.ticket_start(ticket=ticket, engineer=world.engineer, now=when)


def test_paid_repair_puts_its_charge_on_the_homes_ledger_once(world: Desk) -> None:
    ticket = report(world, category=world.electrical)
    assert ticket.paid and ticket.priority == "high"
    _to_progress(world, ticket)
    materials = [{"name": "空气开关", "quantity": 2, "price_fen": 3550}]
    with pytest.raises(ApplicationError) as exc:
        desk.ticket_finish(
            ticket=ticket, engineer=world.engineer, photos=[photo()], materials=[{"name": "", "quantity": 1}]
        )
    assert fields_of(exc) == {"materials"}
    done = desk.ticket_finish(
        ticket=ticket, engineer=world.engineer, photos=[photo()], materials=materials, labour_fen=5000, now=NOW
    )
    line = BillLine.objects.get(pk=done.charge_id)
    assert line.unit_id == world.home.pk and line.amount == 2 * 3550 + 5000 and line.kind == BillLine.Kind.ADHOC
    assert line.fee_item.code == "repair" and line.fee_item.office_id == world.office.pk
    assert LedgerEntry.objects.filter(bill_line=line, kind=LedgerEntry.Kind.CHARGE, amount=12100).count() == 1
    # Reopened and finished again: not charged twice.
    desk.ticket_confirm(ticket=done, user=world.resident, fixed=False, comment="还是跳闸")
    _to_progress(world, done)
    desk.ticket_finish(ticket=done, engineer=world.engineer, photos=[photo()], materials=materials, now=NOW)
    assert BillLine.objects.filter(unit=world.home, fee_item__code="repair").count() == 1


def test_waiting_on_the_resident_pauses_the_clocks(world: Desk) -> None:
    ticket = report(world)
    desk.ticket_assign(ticket=ticket, engineer=world.engineer, by=world.supervisor, now=NOW)
    with pytest.raises(ApplicationError) as exc:
        desk.ticket_wait(ticket=ticket, by=world.engineer, reason=" ", now=at(0, "09:30"))
    assert fields_of(exc) == {"reason"}
    paused = desk.ticket_wait(ticket=ticket, by=world.engineer, reason="住户不在家", now=at(0, "09:30"))
    assert paused.response_due is None and paused.resolution_due is None
    with pytest.raises(ApplicationError):
        desk.ticket_wait(ticket=ticket, by=world.engineer, reason="again", now=at(0, "09:40"))
    resumed = desk.ticket_resume(ticket=ticket, by=world.engineer, now=at(0, "10:30"))
    assert resumed.response_due == at(0, "11:00")  # an hour later than without the pause
    assert resumed.resolution_due == at(1, "10:30")


def test_confirm_and_revisit_close_and_not_fixed_reopens(world: Desk) -> None:
    ticket = report(world)
    _to_progress(world, ticket)
    desk.ticket_finish(ticket=ticket, engineer=world.engineer, photos=[photo()], now=at(0, "11:00"))
    with pytest.raises(ApplicationError) as exc:
        desk.ticket_confirm(ticket=ticket, user=world.neighbour, fixed=True, rating=5)
    assert exc.value.status == 403
    with pytest.raises(ApplicationError) as exc:
        desk.ticket_confirm(ticket=ticket, user=world.resident, fixed=True, rating=9)
    assert fields_of(exc) == {"rating"}
    confirmed = desk.ticket_confirm(ticket=ticket, user=world.resident, fixed=True, rating=5, comment="很快")
    assert confirmed.status == Status.CONFIRMED and confirmed.rating == 5
    reopened = desk.ticket_revisit(ticket=ticket, by=world.supervisor, fixed=False, note="又漏了", now=at(1, "09:00"))
    assert reopened.status == Status.NEW and reopened.assignee_id is None and reopened.reopened == 1
    assert reopened.rating is None and reopened.response_due == at(1, "10:00")  # the clocks start again
    assert reopened.created_at == NOW and reopened.clock_from == at(1, "09:00")  # the report time stays
    _to_progress(world, ticket, at(1, "09:10"))
    desk.ticket_finish(ticket=ticket, engineer=world.engineer, photos=[photo()], now=at(1, "10:00"))
    closed = desk.ticket_revisit(
        ticket=ticket, by=world.supervisor, fixed=True, note="电话回访,满意", now=at(1, "15:00")
    )
    assert closed.status == Status.CLOSED and closed.closed_at == at(1, "15:00")
    with pytest.raises(ApplicationError) as exc:
        desk.ticket_revisit(ticket=ticket, by=world.supervisor, fixed=True, note="x")
    assert exc.value.code == "invalid_state"


def test_leak_revisit_falls_due_three_days_after_the_leak_test(world: Desk) -> None:
    ticket = report(world, category=world.leak)
    _to_progress(world, ticket)
    done = desk.ticket_finish(ticket=ticket, engineer=world.engineer, photos=[photo()], now=at(0, "11:00"))
    assert done.revisit_due is None
    tested = desk.leak_test_record(ticket=ticket, by=world.engineer, now=at(1, "16:00"))
    assert tested.revisit_due == at(4, "16:00")
    plain = report(world)
    _to_progress(world, plain)
    desk.ticket_finish(ticket=plain, engineer=world.engineer, photos=[photo()], now=NOW)
    with pytest.raises(ApplicationError) as exc:
        desk.leak_test_record(ticket=plain, by=world.engineer)
    assert exc.value.code == "not_leak"


def test_sla_sweep_warns_then_alerts_once_to_assignee_and_supervisors_in_scope(world: Desk) -> None:
    ticket = report(world)  # response target 60 min from 09:00
    assert ticket.alert_at == at(0, "09:48")  # 80 % of the response target: the sweep reads it then
    desk.ticket_assign(ticket=ticket, engineer=world.engineer, by=world.supervisor, now=NOW)
    assert sla_sweep(now=at(0, "09:40")) == 0  # 40 of 60: under 80 %
    assert sla_sweep(now=at(0, "09:50")) == 1
    near = Notification.objects.filter(kind="desk.sla_near")
    near_to = set(near.values_list("recipient_id", flat=True))
    # The assignee and the customer service of the office (and the company's admins, whose scope is all).
    assert {world.engineer.pk, world.supervisor.pk} <= near_to
    assert not near_to & {world.other_supervisor.pk, world.engineer2.pk, world.resident.pk}
    assert sla_sweep(now=at(0, "09:55")) == 0  # once
    assert sla_sweep(now=at(0, "10:01")) == 1
    ticket.refresh_from_db()
    assert ticket.breached and ticket.alerted == ["response.near", "response.breach"]
    # Next: the resolution clock's warning, 80 % of 480 business minutes (384: 180 before lunch, 204 after → 16:54).
    assert ticket.alert_at == at(0, "16:54")
    breach = Notification.objects.filter(kind="desk.sla_breach")
    assert world.other_supervisor.pk not in set(breach.values_list("recipient_id", flat=True))
    assert breach.filter(recipient_id=world.engineer.pk).count() == 1


def test_sla_sweep_counts_business_time_only_and_skips_waiting_tickets(world: Desk) -> None:
    ticket = report(world, now=at(0, "17:20"))  # 10 minutes before closing
    assert sla_sweep(now=at(1, "08:00")) == 0  # overnight counts nothing
    desk.ticket_wait(ticket=ticket, by=world.supervisor, reason="等住户约时间", now=at(1, "08:00"))
    assert sla_sweep(now=at(3, "12:00")) == 0


def test_the_periodic_task_runs_the_sweep_now(world: Desk) -> None:
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from backend.desk.tasks import sla_sweep as task

    assert settings.CELERY_BEAT_SCHEDULE["desk-sla-sweep"]["task"] == "backend.desk.tasks.sla_sweep"
    report(world, now=timezone.now() - dt.timedelta(days=8))  # a week and more: both clocks are past
    assert task() == 2
    assert Notification.objects.filter(kind="desk.sla_breach", recipient_id=world.supervisor.pk).count() == 2
    assert task() == 0
