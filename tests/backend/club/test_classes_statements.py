"""The monthly teacher statement: income recognised by sessions held (a paid fee spread over the sessions; the
unearned part when an enrolment ends, with its refund, in that month), the 60/40 split rounded down for the
teacher, totals that reconcile to the fen month by month and over the class's life; the PDF and the xlsx."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from pypdf import PdfReader

from backend.club import classes, classes_money
from backend.club.models import TrainingClass
from backend.club.statements import statement_pdf, statement_xlsx, teacher_statement

from .conftest import NOW, Club, at
from .test_classes import enrol, make_class, pay

pytestmark = pytest.mark.django_db

MARCH, APRIL = dt.date(2030, 3, 1), dt.date(2030, 4, 1)


@pytest.fixture
def scenario(world: Club) -> Any:
    # 3 sessions: Tue 5 March, Tue 12 March, Wed 3 April (19:00); ¥100 the course, a 60/40 split.
    yoga = make_class(world, price=10_000, sessions=2)
    classes.session_add(training_class=yoga.klass, by=None, starts_at=at(30, "19:00"), ends_at=at(30, "20:00"), now=NOW)
    stays = enrol(world, yoga)
    pay(stays)
    leaves = enrol(world, yoga, participant="王小明")
    pay(leaves)
    enrol(world, yoga, user=world.neighbour, unit=world.units[1])  # never pays: earns nothing
    after_first = yoga.sessions[0].starts_at + dt.timedelta(minutes=5)
    ended = classes_money.enrolment_withdraw(enrolment=leaves, by=world.resident, now=after_first)
    assert ended.refunded_fen == 6667  # 10000 − floor(10000 × 1/3)
    return yoga


def test_the_statement_recognises_by_sessions_and_reconciles(world: Club, scenario: Any):
    everything = TrainingClass.objects.all()
    march = teacher_statement(teacher=scenario.teacher, month=MARCH, classes=everything)
    [line] = march.lines
    # stays: sessions 1 and 2 (3333 + 3333); leaves: session 1 (3333) + the unearned rest at withdrawal (6667)
    assert (line.income_fen, line.refunds_fen, line.sessions_held) == (16_666, 6_667, 2)
    assert (line.net_fen, line.teacher_fen, line.company_fen) == (9_999, 5_999, 4_000)
    assert line.teacher_fen + line.company_fen == line.income_fen - line.refunds_fen
    april = teacher_statement(teacher=scenario.teacher, month=dt.date(2030, 4, 17), classes=everything)
    [line] = april.lines
    assert (line.income_fen, line.refunds_fen, line.teacher_fen, line.company_fen) == (3_334, 0, 2_000, 1_334)
    # over the class's life: income − refunds = what the company kept (one full fee + a third of another)
    total_net = sum(s.total("income_fen") - s.total("refunds_fen") for s in (march, april))
    assert total_net == 10_000 + 3_333
    totals = march.as_dict()["totals"]
    assert totals["teacher_fen"] + totals["company_fen"] == totals["income_fen"] - totals["refunds_fen"]
    assert teacher_statement(teacher=scenario.teacher, month=dt.date(2030, 5, 1), classes=everything).lines == []


def test_a_cancelled_class_refunds_and_the_month_still_reconciles(world: Club):
    yoga = make_class(world, price=9_001, sessions=3)
    e = enrol(world, yoga)
    pay(e)
    during = yoga.sessions[1].starts_at + dt.timedelta(minutes=1)  # 2 of 3 held
    classes.class_cancel(training_class=yoga.klass, by=world.resident, reason="老师离职", now=during)
    e.refresh_from_db()
    assert e.refunded_fen == 9_001 - 9_001 * 2 // 3
    march = teacher_statement(teacher=yoga.teacher, month=MARCH, classes=TrainingClass.objects.all())
    [line] = march.lines
    assert line.income_fen == 9_001 and line.refunds_fen == e.refunded_fen
    assert line.teacher_fen + line.company_fen == 9_001 * 2 // 3
    assert line.teacher_fen == (9_001 * 2 // 3) * 60 // 100


def test_pdf_and_xlsx_open_with_the_teacher_and_the_figures(world: Club, scenario: Any):
    march = teacher_statement(teacher=scenario.teacher, month=MARCH, classes=TrainingClass.objects.all())
    pdf = statement_pdf(march, company_name="示范物业")
    assert pdf.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "林老师" in text and "瑜伽班" in text and "¥99.99" in text
    book = openpyxl.load_workbook(io.BytesIO(statement_xlsx(march)))
    sheet = book.active
    assert sheet is not None and sheet.title == "2030-03"
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][1] == "林老师"
    body = next(r for r in rows if r[0] == "瑜伽班")
    assert body[3:8] == [166.66, 66.67, 99.99, 59.99, 40.0]
    assert rows[-1][0] == "Total" and rows[-1][6] + rows[-1][7] == pytest.approx(99.99)
