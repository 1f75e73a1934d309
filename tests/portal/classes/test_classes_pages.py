"""Training-class pages. Staff: teachers, classes (create, edit, publish, cancel with a reason), sessions (add;
a time bookings hold is refused naming them, as a field error), enrolments, attendance, the teacher's monthly
statement with its PDF and xlsx. Residents: open classes, enrol (home and participant) → the pay page's link,
my enrolments, withdraw with the refund said first. Each page for its roles only; another office's class and
another company's are not found."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from backend.accounts.models import Membership
from backend.billing import ledger
from backend.billing.selectors import unit_account
from backend.club import booking as engine
from backend.club import classes
from backend.club.models import Attendance, ClassSession, Enrolment, EnrolmentStatus, Teacher, TrainingClass
from backend.properties.models import Occupancy, Person
from tenants.db import connection
from tests.backend.club.conftest import NOW, Club, at
from tests.backend.club.conftest import world as world  # noqa: PLC0414  (the club's world fixture)
from tests.backend.club.test_classes import YOGA_FEN, Yoga, make_class

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return response.content.decode()


class Pages:
    """Signed-in clients on company alpha's domain; `back()` puts the test's connection in alpha again."""

    def __init__(self, tenant: Any, member: Any, client_for: Any) -> None:
        self.tenant, self.member, self.client_for = tenant, member, client_for

    def back(self) -> None:
        connection.set_tenant(self.tenant)

    def as_user(self, user: Any, language: str = "en") -> Client:
        client = self.client_for(self.tenant, user)
        client.cookies["django_language"] = language
        self.back()
        return client

    def staff(self, roles: list[str] | None = None, office_ids: list[int] | None = None) -> Client:
        user = self.member(self.tenant, roles or ["customer_service"])
        if office_ids is not None:
            Membership.objects.filter(user=user, tenant=self.tenant).update(
                scope_all=False, scope_office_ids=office_ids
            )
        return self.as_user(user)

    def get(self, client: Client, url: str, **kw: Any) -> Any:
        response = client.get(url, **kw)
        self.back()
        return response

    def post(self, client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
        response = client.post(url, data or {})
        self.back()
        return response


@pytest.fixture
def pages(world: Club, tenant_a: Any, member: Any, client_for: Any) -> Pages:
    return Pages(tenant_a, member, client_for)


@pytest.fixture
def yoga(world: Club) -> Yoga:
    return make_class(world)


# --- who may open what --------------------------------------------------------------------------------------


def test_staff_pages_open_to_class_staff_and_the_statement_to_billing(world: Club, pages: Pages, yoga: Yoga):
    desk, finance, engineer = pages.staff(), pages.staff(["finance"]), pages.staff(["engineer"])
    session = yoga.sessions[0]
    for url in (
        "/staff/classes/",
        "/staff/classes/new/",
        f"/staff/classes/{yoga.klass.pk}/",
        f"/staff/classes/{yoga.klass.pk}/edit/",
        f"/staff/classes/{yoga.klass.pk}/cancel/",
        f"/staff/classes/{yoga.klass.pk}/enrolments/",
        f"/staff/classes/sessions/{session.pk}/cancel/",
        f"/staff/classes/sessions/{session.pk}/attendance/",
        "/staff/classes/teachers/",
        "/staff/classes/teachers/new/",
        f"/staff/classes/teachers/{yoga.teacher.pk}/",
    ):
        assert pages.get(desk, url).status_code == 200, url
        assert pages.get(finance, url).status_code == 403, url
        assert pages.get(engineer, url).status_code == 403, url
    assert pages.get(finance, "/staff/classes/statement/").status_code == 200
    assert pages.get(desk, "/staff/classes/statement/").status_code == 200
    assert pages.get(engineer, "/staff/classes/statement/").status_code == 403
    resident = pages.as_user(world.resident)
    assert pages.get(resident, "/staff/classes/").status_code == 403
    assert pages.get(desk, "/resident/classes/").status_code == 403
    listed = text(pages.get(desk, "/staff/classes/"))
    assert "瑜伽班" in listed and "林老师" in listed


def test_the_navigation_offers_the_class_pages(world: Club, pages: Pages):
    assert 'href="/staff/classes/"' in text(pages.get(pages.staff(), "/staff/"))
    assert 'href="/resident/classes/"' in text(pages.get(pages.as_user(world.resident), "/resident/"))


def test_the_pages_speak_chinese_by_default(world: Club, pages: Pages, yoga: Yoga):
    resident = pages.as_user(world.resident, language="zh-hans")
    page = text(pages.get(resident, f"/resident/classes/{yoga.klass.pk}/"))
    assert "剩余名额" in page and "首次课前全额退" in page and "报名" in page
    desk = pages.as_user(pages.member(pages.tenant, ["customer_service"]), language="zh-hans")
    detail = text(pages.get(desk, f"/staff/classes/{yoga.klass.pk}/"))
    assert "添加课次" in detail and "取消课程" in detail and "培训班" in detail


def test_staff_of_another_office_and_another_company_do_not_find_the_class(
    world: Club, pages: Pages, yoga: Yoga, tenant_b: Any
):
    other = pages.staff(office_ids=[world.other_office.pk])
    session = yoga.sessions[0]
    for url in (
        f"/staff/classes/{yoga.klass.pk}/",
        f"/staff/classes/{yoga.klass.pk}/edit/",
        f"/staff/classes/{yoga.klass.pk}/enrolments/",
        f"/staff/classes/sessions/{session.pk}/attendance/",
        f"/staff/classes/sessions/{session.pk}/cancel/",
    ):
        assert pages.get(other, url).status_code == 404, url
    assert pages.post(other, f"/staff/classes/{yoga.klass.pk}/cancel/", {"reason": "x"}).status_code == 404
    assert "瑜伽班" not in text(pages.get(other, "/staff/classes/"))
    own = pages.staff(office_ids=[world.office.pk])
    assert pages.get(own, f"/staff/classes/{yoga.klass.pk}/").status_code == 200
    # another company's staff on their own domain: the id is nobody's there
    beta = pages.client_for(tenant_b, pages.member(tenant_b, ["company_admin"]))
    assert pages.get(beta, f"/staff/classes/{yoga.klass.pk}/").status_code == 404
    assert pages.get(beta, f"/resident/classes/{yoga.klass.pk}/").status_code in (403, 404)
    assert TrainingClass.objects.get(pk=yoga.klass.pk).status == "open"  # nothing was cancelled


# --- teachers and classes ------------------------------------------------------------------------------------


def test_teachers_are_created_and_edited_with_service_errors_on_the_fields(world: Club, pages: Pages):
    desk = pages.staff()
    refused = pages.post(desk, "/staff/classes/teachers/new/", {"name": "", "share_percent": "60"})
    assert refused.status_code == 400 and 'data-error-for="name"' in text(refused)
    made = pages.post(
        desk, "/staff/classes/teachers/new/", {"name": "陈老师", "share_percent": "70", "is_active": "on"}
    )
    assert made.status_code == 302
    teacher = Teacher.objects.get(name="陈老师")
    assert teacher.share_percent == 70 and teacher.is_active
    edited = pages.post(
        desk,
        f"/staff/classes/teachers/{teacher.pk}/",
        {"name": "陈老师", "phone": "13700000000", "share_percent": "55"},
    )
    assert edited.status_code == 302
    teacher.refresh_from_db()
    assert (teacher.share_percent, teacher.phone, teacher.is_active) == (55, "13700000000", False)


def test_a_class_is_created_edited_published_and_cancelled_through_the_pages(world: Club, pages: Pages):
    desk = pages.staff()
    teacher = classes.teacher_create(by=None, name="周老师", share_percent=50)
    item = make_class(world).item  # a fee item of the office (and another class)
    base = {"facility": world.court.pk, "teacher": teacher.pk, "title": "网球入门", "seats": "8"}
    # a paid class without its fee item: the service's refusal on the field
    refused = pages.post(desk, "/staff/classes/new/", {**base, "price_fen": "300.00"})
    assert refused.status_code == 400
    assert re.search(r'data-error-for="fee_item">[^<]+', text(refused))
    made = pages.post(
        desk, "/staff/classes/new/", {**base, "price_fen": "300.00", "fee_item": item.pk, "hold_minutes": "45"}
    )
    assert made.status_code == 302
    klass = TrainingClass.objects.get(title="网球入门")
    assert (klass.price_fen, klass.hold_minutes, klass.status, klass.facility_id) == (
        30_000,
        45,
        "draft",
        world.court.pk,
    )
    # publishing without sessions is refused, and said
    shown = pages.post(desk, f"/staff/classes/{klass.pk}/publish/")
    assert shown.status_code == 302
    assert "before publishing it" in text(pages.get(desk, shown["Location"]))
    klass.refresh_from_db()
    assert klass.status == "draft"
    added = pages.post(
        desk, f"/staff/classes/{klass.pk}/sessions/", {"day": "2030-03-07", "starts_at": "09:00", "ends_at": "10:00"}
    )
    assert added.status_code == 302
    assert ClassSession.objects.filter(training_class=klass).count() == 1
    assert pages.post(desk, f"/staff/classes/{klass.pk}/publish/").status_code == 302
    klass.refresh_from_db()
    assert klass.status == "open"
    edit = {**base, "title": "网球提高", "price_fen": "300.00", "fee_item": item.pk, "hold_minutes": "45", "seats": "6"}
    edit.pop("facility")
    assert pages.post(desk, f"/staff/classes/{klass.pk}/edit/", edit).status_code == 302
    klass.refresh_from_db()
    assert (klass.title, klass.seats) == ("网球提高", 6)
    no_reason = pages.post(desk, f"/staff/classes/{klass.pk}/cancel/", {"reason": ""})
    assert no_reason.status_code == 400
    cancelled = pages.post(desk, f"/staff/classes/{klass.pk}/cancel/", {"reason": "场地维修"})
    assert cancelled.status_code == 302
    klass.refresh_from_db()
    assert (klass.status, klass.cancel_reason) == ("cancelled", "场地维修")


def test_a_session_over_bookings_is_refused_naming_them_on_the_field(world: Club, pages: Pages, yoga: Yoga):
    booking = engine.booking_create(
        facility=world.gym,
        user=world.resident,
        unit=world.home,
        starts_at=at(2, "10:00"),
        ends_at=at(2, "11:00"),
        now=NOW,
    )
    desk = pages.staff()
    day = at(2, "10:00").date().isoformat()
    refused = pages.post(
        desk, f"/staff/classes/{yoga.klass.pk}/sessions/", {"day": day, "starts_at": "10:30", "ends_at": "11:30"}
    )
    assert refused.status_code == 409
    error = re.search(r'data-error-for="starts_at">([^<]+)<', text(refused))
    assert error is not None
    assert booking.code in error.group(1) and world.home.label in error.group(1)
    assert ClassSession.objects.filter(training_class=yoga.klass).count() == 4
    # and a session is cancelled with a reason
    session = yoga.sessions[-1]
    assert pages.post(desk, f"/staff/classes/sessions/{session.pk}/cancel/", {"reason": ""}).status_code == 400
    assert pages.post(desk, f"/staff/classes/sessions/{session.pk}/cancel/", {"reason": "老师请假"}).status_code == 302
    session.refresh_from_db()
    assert session.status == "cancelled"


# --- residents: enrol, pay, withdraw --------------------------------------------------------------------------


def test_open_classes_show_teacher_seats_price_and_sessions(world: Club, pages: Pages, yoga: Yoga):
    draft = classes.class_create(facility=world.court, by=None, teacher=yoga.teacher, title="草稿班", seats=3)
    page = text(pages.get(pages.as_user(world.resident), "/resident/classes/"))
    assert "瑜伽班" in page and "林老师" in page and "¥600.00" in page and "草稿班" not in page
    assert re.search(r"data-seats-left>12<", page)
    assert "4 sessions" in page
    assert pages.get(pages.as_user(world.resident), f"/resident/classes/{draft.pk}/").status_code == 404
    # a resident of another estate does not see the class
    far = pages.as_user(world.other_resident)
    assert "瑜伽班" not in text(pages.get(far, "/resident/classes/"))
    assert pages.get(far, f"/resident/classes/{yoga.klass.pk}/").status_code == 404


def test_enrol_links_to_the_pay_page_for_the_fee(world: Club, pages: Pages, yoga: Yoga):
    resident = pages.as_user(world.resident)
    done = pages.post(resident, f"/resident/classes/{yoga.klass.pk}/", {"unit": world.home.pk, "participant": "小明"})
    assert done.status_code == 302
    enrolment = Enrolment.objects.get(training_class=yoga.klass, participant="小明")
    assert enrolment.charge_id is not None and enrolment.hold_expires_at is not None
    page = text(pages.get(resident, done["Location"]))
    link = f"/resident/pay/?unit={world.home.pk}&amp;lines={enrolment.charge_id}"
    assert link in page and "¥600.00" in page
    pay = pages.get(resident, link.replace("&amp;", "&"))
    assert pay.status_code == 200 and str(enrolment.charge_id) in text(pay)
    assert link in text(pages.get(resident, "/resident/classes/mine/"))
    # once paid there is nothing to pay
    ledger.payment_record(unit=world.home, amount=YOGA_FEN, method="cash", line_ids=[enrolment.charge_id])
    assert "/resident/pay/" not in text(pages.get(resident, "/resident/classes/mine/"))


def test_enrol_chooses_among_several_homes_and_refusals_show_on_the_form(world: Club, pages: Pages):
    yoga = make_class(world, seats=1, price=0)
    Occupancy.objects.create(
        unit=world.units[2],
        person=Person.objects.get(user=world.resident),
        role="tenant",
        start_date=dt.date(2025, 1, 1),
    )
    resident = pages.as_user(world.resident)
    form = text(pages.get(resident, f"/resident/classes/{yoga.klass.pk}/"))
    assert f'<option value="{world.units[2].pk}"' in form  # a choice of homes
    assert pages.post(resident, f"/resident/classes/{yoga.klass.pk}/", {"unit": world.units[2].pk}).status_code == 302
    assert Enrolment.objects.get(training_class=yoga.klass).unit_id == world.units[2].pk
    # full: the service's 409 above the form
    neighbour = pages.as_user(world.neighbour)
    full = pages.post(neighbour, f"/resident/classes/{yoga.klass.pk}/", {"unit": world.units[1].pk})
    assert full.status_code == 409 and "full" in text(full)
    # a home that is not theirs is not a choice
    wrong = pages.post(neighbour, f"/resident/classes/{yoga.klass.pk}/", {"unit": world.home.pk})
    assert wrong.status_code == 400 and Enrolment.objects.filter(training_class=yoga.klass).count() == 1


def test_withdraw_says_the_refund_before_confirming_and_gives_it_back(world: Club, pages: Pages, yoga: Yoga):
    resident = pages.as_user(world.resident)
    pages.post(resident, f"/resident/classes/{yoga.klass.pk}/", {"unit": world.home.pk})
    enrolment = Enrolment.objects.get(training_class=yoga.klass)
    unpaid = text(pages.get(resident, f"/resident/classes/enrolments/{enrolment.pk}/withdraw/"))
    assert "not paid" in unpaid
    ledger.payment_record(unit=world.home, amount=YOGA_FEN, method="cash", line_ids=[enrolment.charge_id])
    confirm = pages.get(resident, f"/resident/classes/enrolments/{enrolment.pk}/withdraw/")
    assert confirm.status_code == 200
    page = text(confirm)
    assert "¥600.00" in page and "Full before the first session" in page
    # a neighbour cannot open or withdraw it
    neighbour = pages.as_user(world.neighbour)
    assert pages.get(neighbour, f"/resident/classes/enrolments/{enrolment.pk}/withdraw/").status_code == 404
    assert pages.post(neighbour, f"/resident/classes/enrolments/{enrolment.pk}/withdraw/").status_code == 404
    done = pages.post(resident, f"/resident/classes/enrolments/{enrolment.pk}/withdraw/")
    assert done.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.WITHDRAWN and enrolment.refunded_fen == YOGA_FEN
    assert unit_account(world.home.pk).prepaid == YOGA_FEN
    again = pages.post(resident, f"/resident/classes/enrolments/{enrolment.pk}/withdraw/")
    assert again.status_code == 409 and unit_account(world.home.pk).prepaid == YOGA_FEN


# --- attendance, enrolments, the statement ------------------------------------------------------------------


def test_attendance_is_marked_on_the_session_page(world: Club, pages: Pages, yoga: Yoga):
    resident = pages.as_user(world.resident)
    pages.post(resident, f"/resident/classes/{yoga.klass.pk}/", {"unit": world.home.pk, "participant": "小明"})
    enrolment = Enrolment.objects.get(training_class=yoga.klass)
    desk = pages.staff()
    session = yoga.sessions[0]
    url = f"/staff/classes/sessions/{session.pk}/attendance/"
    early = pages.post(desk, url, {f"mark_{enrolment.pk}": "present"})
    assert early.status_code == 400 and "when the session is on" in text(early)
    soon = timezone.now() + dt.timedelta(minutes=10)
    ClassSession.objects.filter(pk=session.pk).update(starts_at=soon, ends_at=soon + dt.timedelta(hours=1))
    page = text(pages.get(desk, url))
    assert "小明" in page and 'name="viewport"' in page  # the phone page
    assert pages.post(desk, url, {f"mark_{enrolment.pk}": "present"}).status_code == 302
    assert Attendance.objects.get(session=session, enrolment=enrolment).status == "present"
    assert pages.post(desk, url, {f"mark_{enrolment.pk}": "excused"}).status_code == 302
    assert Attendance.objects.get(session=session, enrolment=enrolment).status == "excused"
    assert re.search(r'value="excused"[^>]*checked', text(pages.get(desk, url)))
    assert pages.post(desk, url, {}).status_code == 400  # nobody marked
    listed = text(pages.get(desk, f"/staff/classes/{yoga.klass.pk}/enrolments/"))
    assert "小明" in listed and world.home.label in listed and "unpaid" in listed


def test_the_statement_page_shows_the_split_and_downloads_pdf_and_xlsx(world: Club, pages: Pages, yoga: Yoga):
    resident = pages.as_user(world.resident)
    pages.post(resident, f"/resident/classes/{yoga.klass.pk}/", {"unit": world.home.pk})
    enrolment = Enrolment.objects.get(training_class=yoga.klass)
    ledger.payment_record(unit=world.home, amount=YOGA_FEN, method="cash", line_ids=[enrolment.charge_id])
    finance = pages.staff(["finance"])
    query = f"teacher={yoga.teacher.pk}&month=2030-03"
    page = text(pages.get(finance, f"/staff/classes/statement/?{query}"))
    # four sessions in March 2030 earn the whole ¥600; the teacher gets 60%
    assert "瑜伽班" in page and "¥600.00" in page
    assert re.search(r"data-teacher-total>¥360.00<", page)
    assert "export.pdf?" in page and "export.xlsx?" in page
    pdf = pages.get(finance, f"/staff/classes/statement/export.pdf?{query}")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    xlsx = pages.get(finance, f"/staff/classes/statement/export.xlsx?{query}")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert ["瑜伽班", "健身房", 4, 600.0, 0.0, 600.0, 360.0, 240.0] in rows
    # a month with nothing, and a bad month as a field error
    assert "Nothing for this teacher" in text(
        pages.get(finance, f"/staff/classes/statement/?teacher={yoga.teacher.pk}&month=2030-05")
    )
    bad = pages.get(finance, f"/staff/classes/statement/?teacher={yoga.teacher.pk}&month=March")
    assert bad.status_code == 400 and 'data-error-for="month"' in text(bad)
    assert pages.get(finance, "/staff/classes/statement/export.pdf?month=2030-03").status_code == 400
    # staff of another office see none of the class's money
    other = pages.staff(["finance"], office_ids=[world.other_office.pk])
    assert "瑜伽班" not in text(pages.get(other, f"/staff/classes/statement/?{query}"))
