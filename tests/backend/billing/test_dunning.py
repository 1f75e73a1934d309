"""催缴: the reminder ladder and its limits, the contact log and its follow-up rule, the promise reminder the
day before, the demand letter PDF, the tasks beat calls, and the contacts / letter API."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from pypdf import PdfReader

from backend.audit.models import AuditEntry
from backend.billing.arrears import unit_arrears
from backend.billing.dunning import dunning_contact_record, promise_reminders_send, reminders_send
from backend.billing.ledger import payment_record
from backend.billing.letters import demand_letter_issue, demand_letter_pdf
from backend.billing.models import BillingSettings, DunningContact, ReminderLog
from backend.errors import ApplicationError
from backend.notifications.models import Notification
from backend.properties.models import Occupancy, Person, Unit
from tenants.company.models import CompanySettings

from .conftest import World
from .test_arrears import charge

SH = ZoneInfo("Asia/Shanghai")
JUN = dt.date(2026, 6, 1)  # the line is due on 2026-06-10


def at(day: int, hour: int = 10, month: int = 6) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=SH)


def ladder(**values: Any) -> BillingSettings:
    billing = BillingSettings.load()
    for k, v in values.items():
        setattr(billing, k, v)
    billing.save()
    return billing


def resident_of(unit: Unit, tenant: Any, member: Any, *, name: str = "李住户", role: str = "owner") -> Any:
    user = member(tenant, ["resident"])
    person = Person.objects.create(name=name, phone="13700001234", user=user)
    Occupancy.objects.create(unit=unit, person=person, role=role, start_date=dt.date(2025, 1, 1))
    return user


@pytest.fixture
def owing(world: World, tenant_a: Any, member: Any) -> tuple[Unit, Any]:
    """units[0] owes ¥223.75 due 2026-06-10; its owner has a portal account."""
    unit = world.units[0]
    charge(unit, world.management, JUN, 22375)
    return unit, resident_of(unit, tenant_a, member)


def reminders(user: Any) -> list[tuple[dt.date, str]]:
    return list(ReminderLog.objects.filter(user=user).order_by("sent_on").values_list("sent_on", "stage"))


def run_days(first: int, last: int, month: int = 6) -> None:
    for d in range(first, last + 1):
        reminders_send(at(d, month=month))


# --- the reminder ladder ---------------------------------------------------------------------------------


def test_before_due_reminder_once_within_the_window(owing: tuple[Unit, Any]) -> None:
    unit, user = owing
    assert reminders_send(at(6)) == 0  # 4 days before: outside the 3-day window
    assert reminders_send(at(7)) == 1
    assert reminders_send(at(7, hour=15)) == 0  # never twice a day
    run_days(8, 10)  # still inside the same window: not again
    assert reminders(user) == [(dt.date(2026, 6, 7), "before_due")]
    note = Notification.objects.get(recipient=user, kind="bill.reminder")
    assert "¥223.75" in note.title and unit.label in note.title
    assert note.payload == {"unit": unit.pk, "stage": "before_due", "amount": 22375}


def test_overdue_on_the_first_day_then_every_n_days(owing: tuple[Unit, Any]) -> None:
    _unit, user = owing
    run_days(11, 26)
    assert reminders(user) == [
        (dt.date(2026, 6, 11), "overdue"),
        (dt.date(2026, 6, 16), "repeat"),
        (dt.date(2026, 6, 21), "repeat"),
        (dt.date(2026, 6, 26), "repeat"),
    ]


def test_late_fees_count_in_the_amount_but_do_not_ring_as_newly_overdue(owing: tuple[Unit, Any], world: World) -> None:
    from decimal import Decimal

    from backend.billing import services
    from backend.billing.latefees import late_fees_accrue

    _unit, user = owing
    services.fee_item_update(item=world.management, late_fee_mode="daily_percent", late_fee_daily_percent=Decimal("1"))
    for d in range(11, 17):
        late_fees_accrue(dt.date(2026, 6, d))  # the late-fee line starts on the 11th (due that day)
        reminders_send(at(d))
    assert reminders(user) == [(dt.date(2026, 6, 11), "overdue"), (dt.date(2026, 6, 16), "repeat")]
    repeat = ReminderLog.objects.get(user=user, stage="repeat")
    assert repeat.amount == 22375 + 6 * 224  # 1% a day of ¥223.75 = 224 fen, six days


def test_never_more_than_m_in_any_seven_days(owing: tuple[Unit, Any]) -> None:
    _unit, user = owing
    ladder(remind_every_days=1, remind_max_per_week=2)
    run_days(11, 25)
    sent = [d for d, _s in reminders(user)]
    assert sent[:3] == [dt.date(2026, 6, 11), dt.date(2026, 6, 12), dt.date(2026, 6, 18)]
    for d in sent:
        window = [s for s in sent if d - dt.timedelta(days=6) <= s <= d]
        assert len(window) <= 2


def test_only_within_the_allowed_hours_in_the_company_time_zone(owing: tuple[Unit, Any]) -> None:
    _unit, user = owing
    assert reminders_send(at(11, hour=8)) == 0
    assert reminders_send(at(11, hour=20)) == 0  # the end hour is excluded
    assert reminders_send(dt.datetime(2026, 6, 11, 0, 30, tzinfo=dt.UTC)) == 0  # 08:30 in Shanghai
    assert reminders_send(dt.datetime(2026, 6, 11, 11, 59, tzinfo=dt.UTC)) == 1  # 19:59 in Shanghai
    assert reminders(user) == [(dt.date(2026, 6, 11), "overdue")]


def test_no_reminders_when_switched_off(owing: tuple[Unit, Any]) -> None:
    ladder(reminders_enabled=False)
    run_days(7, 20)
    assert not ReminderLog.objects.exists()
    assert not Notification.objects.filter(kind="bill.reminder").exists()


def test_no_overdue_reminder_when_switched_off_but_repeats_still_run(owing: tuple[Unit, Any]) -> None:
    _unit, user = owing
    ladder(remind_on_overdue=False, remind_days_before_due=0)
    run_days(7, 17)
    assert reminders(user) == [(dt.date(2026, 6, 16), "repeat")]


def test_a_paid_unit_gets_no_reminder(owing: tuple[Unit, Any]) -> None:
    unit, user = owing
    payment_record(unit=unit, amount=22375, method="wechat")
    run_days(7, 20)
    assert reminders(user) == []


def test_only_current_occupants_with_a_portal_account(owing: tuple[Unit, Any], tenant_a: Any, member: Any) -> None:
    unit, owner = owing
    tenant_user = resident_of(unit, tenant_a, member, name="租客", role="tenant")
    moved_out = resident_of(unit, tenant_a, member, name="已迁出")
    Occupancy.objects.filter(person__user=moved_out).update(end_date=dt.date(2026, 3, 1))
    Person.objects.create(name="无账号", phone="13700009999")  # no portal account: nobody to notify
    assert reminders_send(at(11)) == 2
    assert set(ReminderLog.objects.values_list("user_id", flat=True)) == {owner.pk, tenant_user.pk}


def test_the_hourly_task_runs_the_ladder(in_tenant_a: Any) -> None:
    from backend.billing.tasks_dunning import reminders_send as task

    assert task() == 0  # nothing owed in this company: nothing sent, whatever the hour


# --- contacts, follow-up and promises --------------------------------------------------------------------


def test_contact_is_logged_audited_and_stores_the_amount_owed(
    owing: tuple[Unit, Any], tenant_a: Any, member: Any
) -> None:
    unit, _user = owing
    staff = member(tenant_a, ["customer_service"])
    contact = dunning_contact_record(
        unit=unit, staff=staff, channel="phone", contact_name="李住户", summary="说下周去交", category="other"
    )
    assert contact.amount_owed == 22375  # overdue as of today
    entry = AuditEntry.objects.get(action="billing.dunning_contact")
    assert entry.object_id == str(contact.pk) and entry.changes["amount_owed"] == 22375


def test_contact_input_is_checked(owing: tuple[Unit, Any], tenant_a: Any, member: Any) -> None:
    unit, _user = owing
    staff = member(tenant_a, ["finance"])
    today = timezone.localdate()
    with pytest.raises(ApplicationError) as caught:
        dunning_contact_record(unit=unit, staff=staff, channel="fax", summary="", category="maybe")
    assert set(caught.value.fields) == {"channel", "summary", "category"}
    for bad in (None, today, today - dt.timedelta(days=1)):
        with pytest.raises(ApplicationError) as caught:
            dunning_contact_record(
                unit=unit, staff=staff, channel="phone", summary="答应付款", category="promised", promised_date=bad
            )
        assert set(caught.value.fields) == {"promised_date"}
    with pytest.raises(ApplicationError) as caught:
        dunning_contact_record(
            unit=unit, staff=staff, channel="phone", summary="没人接", category="unreachable", promised_date=today
        )
    assert set(caught.value.fields) == {"promised_date"}
    assert not DunningContact.objects.exists()


def test_follow_up_daily_for_unreachable_and_away_else_every_five_days(
    owing: tuple[Unit, Any], tenant_a: Any, member: Any
) -> None:
    unit, _user = owing
    staff = member(tenant_a, ["customer_service"])
    day = dt.date(2026, 7, 1)
    assert unit_arrears(unit.pk, today=day).follow_up_due  # type: ignore[union-attr]  # never contacted
    noon = dt.datetime(2026, 7, 1, 12, tzinfo=SH)
    dunning_contact_record(
        unit=unit, staff=staff, channel="phone", summary="没人接", category="unreachable", contacted_at=noon
    )
    row = unit_arrears(unit.pk, today=day)
    assert row is not None and not row.follow_up_due and row.next_follow_up == dt.date(2026, 7, 2)
    assert unit_arrears(unit.pk, today=dt.date(2026, 7, 2)).follow_up_due  # type: ignore[union-attr]
    dunning_contact_record(
        unit=unit,
        staff=staff,
        channel="visit",
        summary="对保洁有意见",
        category="disputes",
        contacted_at=noon + dt.timedelta(hours=1),
    )
    assert unit_arrears(unit.pk, today=day).next_follow_up == dt.date(2026, 7, 6)  # type: ignore[union-attr]
    assert not unit_arrears(unit.pk, today=dt.date(2026, 7, 5)).follow_up_due  # type: ignore[union-attr]
    assert unit_arrears(unit.pk, today=dt.date(2026, 7, 6)).follow_up_due  # type: ignore[union-attr]


def test_a_late_evening_contact_counts_on_its_local_day(owing: tuple[Unit, Any], tenant_a: Any, member: Any) -> None:
    unit, _user = owing
    staff = member(tenant_a, ["customer_service"])
    late = dt.datetime(2026, 7, 1, 23, 30, tzinfo=SH)  # 15:30 UTC
    dunning_contact_record(
        unit=unit, staff=staff, channel="sms", summary="已发短信", category="away", contacted_at=late
    )
    assert unit_arrears(unit.pk, today=dt.date(2026, 7, 1)).next_follow_up == dt.date(2026, 7, 2)  # type: ignore[union-attr]


def promise(unit: Unit, staff: Any, days_ahead: int) -> DunningContact:
    return dunning_contact_record(
        unit=unit,
        staff=staff,
        channel="phone",
        summary="答应月底前交清",
        category="promised",
        promised_date=timezone.localdate() + dt.timedelta(days=days_ahead),
    )


def test_promise_reminder_the_day_before_exactly_once(owing: tuple[Unit, Any], tenant_a: Any, member: Any) -> None:
    unit, _user = owing
    staff = member(tenant_a, ["customer_service"])
    contact = promise(unit, staff, 5)
    due = contact.promised_date
    assert due is not None
    assert promise_reminders_send(due - dt.timedelta(days=2)) == 0
    assert promise_reminders_send(due - dt.timedelta(days=1)) == 1
    assert promise_reminders_send(due - dt.timedelta(days=1)) == 0
    assert promise_reminders_send(due) == 0
    notes = Notification.objects.filter(kind="dunning.promise_due")
    assert [n.recipient_id for n in notes] == [staff.pk]
    assert unit.label in notes[0].title and notes[0].url == f"/staff/billing/arrears/{unit.pk}/"
    contact.refresh_from_db()
    assert contact.promise_reminded_at is not None
    # follow-up falls due the day after the promised date
    assert unit_arrears(unit.pk, today=due).next_follow_up == due + dt.timedelta(days=1)  # type: ignore[union-attr]


def test_a_promise_for_a_unit_that_paid_is_not_chased(owing: tuple[Unit, Any], tenant_a: Any, member: Any) -> None:
    unit, _user = owing
    contact = promise(unit, member(tenant_a, ["finance"]), 3)
    payment_record(unit=unit, amount=22375, method="cash")
    assert promise_reminders_send(contact.promised_date - dt.timedelta(days=1)) == 0  # type: ignore[operator]
    assert not Notification.objects.filter(kind="dunning.promise_due").exists()


def test_the_promise_task_uses_the_company_today(owing: tuple[Unit, Any], tenant_a: Any, member: Any) -> None:
    from backend.billing.dunning import company_today
    from backend.billing.tasks_dunning import promise_reminders_send as task

    unit, _user = owing
    contact = promise(unit, member(tenant_a, ["finance"]), 1)
    assert contact.promised_date == company_today() + dt.timedelta(days=1)
    assert task() == 1 and task() == 0


# --- the demand letter -----------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_demand_letter_content(owing: tuple[Unit, Any], world: World) -> None:
    unit, _user = owing
    CompanySettings.objects.update_or_create(
        singleton=True, defaults={"display_name": "阿尔法物业", "service_phone": "400-800-1234"}
    )
    charge(unit, world.garbage, JUN, 1000)
    charge(unit, world.garbage, dt.date(2026, 7, 1), 1000, due=dt.date(2026, 9, 30))  # not yet due: not listed
    text = pdf_text(demand_letter_pdf(unit, today=dt.date(2026, 7, 20), deadline=dt.date(2026, 8, 5)))
    for expected in (
        "阿尔法物业",
        unit.label,
        "李住户",
        "物业费",
        "垃圾清运费",
        "2026-06",
        "¥223.75",
        "¥10.00",
        "40",  # days overdue (06-10 → 07-20)
        "¥233.75",
        "贰佰叁拾叁元柒角伍分",
        "2026-08-05",
        "400-800-1234",
        "2026-07-20",
    ):
        assert expected in text, expected
    assert "2026-07 " not in text and "¥243.75" not in text


def test_issuing_a_letter_logs_a_contact_and_an_audit_entry(
    owing: tuple[Unit, Any], tenant_a: Any, member: Any
) -> None:
    unit, _user = owing
    staff = member(tenant_a, ["finance"])
    data, contact = demand_letter_issue(unit=unit, by=staff, deadline=timezone.localdate() + dt.timedelta(days=10))
    assert data.startswith(b"%PDF")
    assert (contact.channel, contact.staff_id, contact.amount_owed) == ("letter", staff.pk, 22375)
    assert AuditEntry.objects.filter(action="billing.demand_letter", object_id=str(contact.pk)).exists()
    with pytest.raises(ApplicationError) as caught:
        demand_letter_issue(unit=unit, by=staff, deadline=timezone.localdate())
    assert "deadline" in caught.value.fields


def test_no_letter_for_a_unit_that_owes_nothing_overdue(world: World, tenant_a: Any, member: Any) -> None:
    with pytest.raises(ApplicationError):
        demand_letter_issue(unit=world.units[1], by=member(tenant_a, ["finance"]))
    assert not DunningContact.objects.exists()


# --- API -------------------------------------------------------------------------------------------------


def test_api_log_and_list_contacts(owing: tuple[Unit, Any], tenant_a: Any, member: Any, client_for: Any) -> None:
    unit, _user = owing
    staff = member(tenant_a, ["customer_service"])
    client = client_for(tenant_a, staff)
    promised = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    body = {
        "unit": unit.pk,
        "channel": "phone",
        "summary": "答应下周交",
        "category": "promised",
        "promised_date": promised,
    }
    created = client.post("/api/v1/dunning-contacts/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["amount_owed"] == 22375 and created.json()["staff"] == staff.pk
    listed = client.get(f"/api/v1/dunning-contacts/?unit={unit.pk}").json()
    assert [c["promised_date"] for c in listed["results"]] == [promised]
    bad = client.post(
        "/api/v1/dunning-contacts/",
        {**body, "promised_date": "2020-01-01", "channel": "pigeon"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "channel" in bad.json()["error"]["fields"]
    past = client.post(
        "/api/v1/dunning-contacts/", {**body, "promised_date": "2020-01-01"}, content_type="application/json"
    )
    assert past.status_code == 400 and set(past.json()["error"]["fields"]) == {"promised_date"}
    connection.set_tenant(tenant_a)
    assert DunningContact.objects.count() == 1


def test_api_letter_pdf(owing: tuple[Unit, Any], tenant_a: Any, member: Any, client_for: Any) -> None:
    unit, _user = owing
    client = client_for(tenant_a, member(tenant_a, ["finance"]))
    response = client.get(f"/api/v1/arrears/{unit.pk}/letter/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "¥223.75" in pdf_text(response.content)
    assert client.get(f"/api/v1/arrears/{unit.pk}/letter/?deadline=soon").status_code == 400
    connection.set_tenant(tenant_a)
    assert DunningContact.objects.filter(unit=unit, channel="letter").count() == 1
    other = client_for(tenant_a, member(tenant_a, ["engineer"]))
    assert other.get(f"/api/v1/arrears/{unit.pk}/letter/").status_code == 403


def test_api_units_outside_the_scope_or_the_company_are_not_found(
    owing: tuple[Unit, Any], tenant_a: Any, tenant_b: Any, member: Any, client_for: Any
) -> None:
    from backend.accounts.models import Membership

    unit, _user = owing
    scoped = member(tenant_a, ["finance"])
    Membership.objects.filter(user=scoped).update(scope_all=False, scope_estate_ids=[unit.estate_id + 99])
    client = client_for(tenant_a, scoped)
    body = {"unit": unit.pk, "channel": "phone", "summary": "x", "category": "other"}
    assert client.get(f"/api/v1/arrears/{unit.pk}/letter/").status_code == 404
    assert client.post("/api/v1/dunning-contacts/", body, content_type="application/json").status_code == 404
    # company beta: alpha's unit id means nothing there, and alpha's contacts are not listed
    connection.set_tenant(tenant_a)
    dunning_contact_record(unit=unit, staff=scoped, channel="phone", summary="已联系", category="other")
    beta = client_for(tenant_b, member(tenant_b, ["company_admin"]))
    assert beta.get(f"/api/v1/arrears/{unit.pk}/letter/").status_code == 404
    assert beta.get("/api/v1/dunning-contacts/").json()["count"] == 0
    assert beta.post("/api/v1/dunning-contacts/", body, content_type="application/json").status_code == 404
    assert client.get("/api/v1/dunning-contacts/").json()["count"] == 0  # out of scope: not listed
