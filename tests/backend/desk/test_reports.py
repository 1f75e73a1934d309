"""The repairs report and the SLA dashboard (backend/desk/reports.py) against a handful of tickets whose
figures are worked out by hand below, in the supervisor's scope (office 西湖) and the company's; charts and
the .xlsx carry the same numbers.

March 2030 (NOW: Monday 03-04 09:00; plumbing: 60 / 480 business minutes, due Tuesday 09:30):
- t1 plumbing, accepted 09:30 (response on time), finished Monday 15:00 (270 minutes: within), rated 5,
  revisited Tuesday (closed, on time);
- t2 plumbing, accepted 11:00 (120 > 60: response late), finished Wednesday 09:00 (past Tuesday 09:30: late),
  rated 2, not revisited;
- t3 electrical (paid, high: 60 / 480 from 10:00), never dispatched: on Thursday both clocks are past due;
- t4 plumbing, cancelled: not counted;
- t5 plumbing in 滨江 (the other office), finished within: only the company's and 滨江's figures;
- t6 plumbing reported in February: outside March."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from backend.desk import report_charts, report_xlsx
from backend.desk import services as desk
from backend.desk.models import Ticket
from backend.desk.reports import ReportQuery, desk_report, parse_query, sla_dashboard
from backend.errors import ApplicationError
from backend.properties.scope import Scope

from .conftest import EVERYTHING, Desk, at, photo

MARCH = dt.date(2030, 3, 1)
THURSDAY = at(3, "09:00")


def _report(world: Desk, category: Any = None, when: dt.datetime | None = None, unit: Any = None) -> Ticket:
    return desk.ticket_report(
        user=world.resident,
        unit_id=(unit or world.home).pk,
        category=category or world.plumbing,
        description="漏水",
        contact_phone="13900000001",
        now=when or at(0, "09:00"),
    )


def _done(ticket: Ticket, engineer: Any, *, by: Any, accepted: dt.datetime, finished: dt.datetime) -> Ticket:
    desk.ticket_assign(ticket=ticket, engineer=engineer, by=by, now=accepted)
    desk.ticket_accept(ticket=ticket, engineer=engineer, now=accepted)
    desk.ticket_start(ticket=ticket, engineer=engineer, now=accepted)
    return desk.ticket_finish(ticket=ticket, engineer=engineer, photos=[photo()], now=finished)


def tickets(world: Desk) -> dict[str, Ticket]:
    t1 = _report(world)
    _done(t1, world.engineer, by=world.supervisor, accepted=at(0, "09:30"), finished=at(0, "15:00"))
    desk.ticket_confirm(ticket=t1, user=world.resident, fixed=True, rating=5, now=at(0, "18:00"))
    desk.ticket_revisit(ticket=t1, by=world.supervisor, fixed=True, note="满意", now=at(1, "10:00"))
    t2 = _report(world)
    _done(t2, world.engineer, by=world.supervisor, accepted=at(0, "11:00"), finished=at(2, "09:00"))
    desk.ticket_confirm(ticket=t2, user=world.resident, fixed=True, rating=2, now=at(2, "12:00"))
    t3 = _report(world, world.electrical, at(0, "10:00"))
    t4 = _report(world)
    desk.ticket_cancel(ticket=t4, by=world.resident, reason="不用了", now=at(0, "09:10"))
    t5 = desk.ticket_intake(
        by=world.other_supervisor,
        scope=EVERYTHING,
        category=world.plumbing,
        channel="phone",
        description="门口灯坏了",
        contact_name="业主",
        contact_phone="13800000000",
        unit_id=world.other_units[0].pk,
        now=at(0, "09:00"),
    )
    _done(t5, world.other_engineer, by=world.other_supervisor, accepted=at(0, "09:10"), finished=at(0, "10:00"))
    t6 = _report(world, when=at(-10, "09:00"))
    for t in (t1, t2, t3, t5, t6):
        t.refresh_from_db()
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5, "t6": t6}


def march(group: str = "category", estate_id: int | None = None) -> ReportQuery:
    return ReportQuery(first_month=MARCH, months=1, group=group, estate_id=estate_id)


def test_the_figures_are_the_hand_computed_ones(world: Desk) -> None:
    tickets(world)
    report = desk_report(scope=world.scope, query=march(), now=THURSDAY)
    t = report.total
    assert (t.reported, t.finished, t.open) == (3, 2, 1)
    assert (t.within, t.late, t.attainment) == (1, 2, Decimal("33.3"))
    assert (t.response_within, t.response_late, t.response_attainment) == (1, 2, Decimal("33.3"))
    assert (t.revisited, t.revisit_on_time, t.revisit_rate) == (1, 1, Decimal("50.0"))
    assert (t.rated, t.rating_sum, t.satisfied) == (2, 7, 1)
    assert (t.average_rating, t.satisfaction) == (Decimal("3.50"), Decimal("50.0"))
    assert t.reopened == 0
    rows = {r.label: r.figures for r in report.rows}
    assert set(rows) == {"水管", "电路(有偿)"}
    assert (rows["水管"].reported, rows["水管"].within, rows["水管"].late) == (2, 1, 1)
    assert (rows["电路(有偿)"].reported, rows["电路(有偿)"].open, rows["电路(有偿)"].attainment) == (1, 1, Decimal(0))
    assert [p.month for p in report.months] == [MARCH]

    by_engineer = {r.key: r for r in desk_report(scope=world.scope, query=march("engineer"), now=THURSDAY).rows}
    assert set(by_engineer) == {world.engineer.pk, None}
    assert by_engineer[world.engineer.pk].figures.attainment == Decimal("50.0")
    assert by_engineer[None].label == "Not dispatched" or by_engineer[None].label == "未派工"
    assert by_engineer[None].figures.late == 1

    by_estate = desk_report(scope=world.scope, query=march("estate"), now=THURSDAY).rows
    assert [(r.label, r.figures.reported) for r in by_estate] == [("阳光花园", 3)]

    # Two months: February's ticket (open, past due by now) joins, in its own month.
    two = desk_report(scope=world.scope, query=ReportQuery(dt.date(2030, 2, 1), 2, "month"), now=THURSDAY)
    assert [(r.label, r.figures.reported, r.figures.late) for r in two.rows] == [("2030-02", 1, 1), ("2030-03", 3, 2)]
    assert two.total.reported == 4


def test_scope_the_other_office_and_the_company(world: Desk) -> None:
    found = tickets(world)
    other = Scope(all_offices=False, office_ids=frozenset({world.other_office.pk}))
    theirs = desk_report(scope=other, query=march("estate"), now=THURSDAY)
    assert [(r.label, r.figures.reported, r.figures.within) for r in theirs.rows] == [("江景苑", 1, 1)]
    assert theirs.total.attainment == Decimal("100.0")
    assert [e[1] for e in theirs.estates] == ["江景苑"]
    # An estate outside the caller's scope yields nothing.
    assert desk_report(scope=other, query=march(estate_id=world.estate.pk), now=THURSDAY).total.reported == 0
    everything = desk_report(scope=EVERYTHING, query=march(), now=THURSDAY)
    assert (everything.total.reported, everything.total.within, everything.total.late) == (4, 2, 2)
    board = sla_dashboard(scope=other, now=THURSDAY)
    assert [t.pk for t in board.finished] == [found["t5"].pk] and board.breached == []


def test_the_dashboard_lists_breaches_and_the_latest_finished(world: Desk) -> None:
    found = tickets(world)
    board = sla_dashboard(scope=world.scope, now=THURSDAY)
    assert board.month == MARCH
    assert board.open == 2  # t3 and February's t6
    assert sorted(t.pk for t in board.breached) == sorted([found["t3"].pk, found["t6"].pk])
    assert board.breached_count == 2 and board.near_count == 0
    within = {t.pk: t.within for t in board.finished}  # type: ignore[attr-defined]
    assert within == {found["t1"].pk: True, found["t2"].pk: False}
    assert board.figures.reported == 3 and board.figures.attainment == Decimal("33.3")
    # The sweep's near-breach warning puts an open ticket on the "close" list (not yet past due).
    near = _report(world, when=at(3, "08:40"))
    Ticket.objects.filter(pk=near.pk).update(alerted=["response.near"])
    board = sla_dashboard(scope=world.scope, now=THURSDAY)
    assert [t.pk for t in board.near] == [near.pk] and board.near_count == 1


def test_charts_and_xlsx_carry_the_figures(world: Desk) -> None:
    tickets(world)
    report = desk_report(scope=world.scope, query=march(), now=THURSDAY)
    chart = report_charts.attainment_chart(report.rows)
    assert chart is not None
    assert {b["full_label"]: b["value"] for b in chart["bars"]} == {"水管": "50.0%", "电路(有偿)": "0.0%"}
    assert not any(b["meets"] for b in chart["bars"])
    trend = report_charts.trend_chart(report.months)
    assert trend is not None and trend["months"][0]["reported"] == 3 and trend["months"][0]["rate"] == "33.3%"
    book = load_workbook(io.BytesIO(report_xlsx.report_xlsx(report)))
    sheet = book.worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    total = values[-1]
    assert total[1:7] == [3, 2, 1, 1, 2, 0.333]  # reported, finished, open, within, late, attainment
    assert total[7:] == [0.333, 1, 1, 0.5, 0, 2, 3.5, 0.5]  # response, revisits, reopened, ratings
    assert sheet.cell(row=5 + len(values) - 1, column=7).number_format == "0.0%"
    months = book.worksheets[1]
    assert [c.value for c in months[2]][:2] == ["2030-03", 3]


def test_parse_query_checks_its_fields() -> None:
    now = dt.datetime(2030, 3, 4, 1, tzinfo=dt.UTC)
    query = parse_query({}, now=now)
    assert (query.first_month, query.months, query.group) == (dt.date(2029, 4, 1), 12, "category")
    assert parse_query({"from": "2030-01", "months": "3", "group": "engineer", "estate": "7"}, now=now) == ReportQuery(
        dt.date(2030, 1, 1), 3, "engineer", 7
    )
    try:
        parse_query({"from": "2030-13", "months": "5", "group": "x", "estate": "a"}, now=now)
    except ApplicationError as error:
        assert set(error.fields) == {"from", "months", "group", "estate"}
    else:
        raise AssertionError("bad parameters were accepted")
