"""The monthly teacher statement (教师结算单): per class, the income recognised in the month, the refunds
given in it, and the split between the teacher and the company; as data (the API's JSON), PDF and xlsx.

**Recognition, by sessions held.** A paid enrolment's fee is spread over the class's sessions (all but those
cancelled one by one), the k-th session earning floor(fee × k ÷ n) − floor(fee × (k−1) ÷ n), so the sessions
add up to the fee exactly. A session's part is income in the month it starts (or, when the fee was paid later,
the month of the payment). When an enrolment ends (withdrawal, class cancelled) what the sessions held so far
have not earned is income in that month, and the refund given then is in the same month's refunds; so over a
class's life income − refunds is exactly what the company kept, and no month goes below zero under the refund
policies of classes_money.py. Unpaid enrolments earn nothing.

**The split**, per class and month: net = income − refunds; the teacher gets floor(net × share ÷ 100), the
company the remainder, so teacher + company = net to the fen; the statement's totals are the sums of its rows.
Statements are computed from the current data, not frozen: cancelling or adding a session re-spreads the fee,
so a month already issued can change (re-issue it)."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from backend.billing.money import yuan, yuan_plain
from backend.billing.pdf import Paragraph, Spacer, mm, render, styles, table
from tenants.db import company_time_zone

from .classes_money import earned_fen, held_by
from .models import ClassSession, Enrolment, Teacher, TrainingClass
from .rules import midnight


@dataclass
class ClassLine:
    class_id: int
    title: str
    facility: str
    sessions_held: int = 0
    paid_enrolments: int = 0
    income_fen: int = 0
    refunds_fen: int = 0
    net_fen: int = 0
    teacher_fen: int = 0
    company_fen: int = 0


@dataclass
class Statement:
    teacher: Teacher
    month: dt.date
    share_percent: int
    lines: list[ClassLine] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(int(getattr(line, name)) for line in self.lines)

    def as_dict(self) -> dict[str, Any]:
        sums = ("income_fen", "refunds_fen", "net_fen", "teacher_fen", "company_fen")
        return {
            "teacher": {"id": self.teacher.pk, "name": self.teacher.name, "phone": self.teacher.phone},
            "month": self.month.strftime("%Y-%m"),
            "share_percent": self.share_percent,
            "classes": [line.__dict__ for line in self.lines],
            "totals": {name: self.total(name) for name in sums},
        }


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = company_time_zone()
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return midnight(first, tz), midnight(following, tz)


def _within(moment: dt.datetime, lo: dt.datetime, hi: dt.datetime) -> bool:
    return lo <= moment < hi


def _recognised(e: Enrolment, sessions: list[ClassSession], lo: dt.datetime, hi: dt.datetime) -> int:
    assert e.paid_at is not None
    price, n, end = e.price_fen, len(sessions), e.ended_at
    income = 0
    for k, s in enumerate(sessions, start=1):
        if end is not None and s.starts_at > end:
            break
        if _within(max(s.starts_at, e.paid_at), lo, hi):
            income += earned_fen(price, k, n) - earned_fen(price, k - 1, n)
    if end is not None and _within(max(end, e.paid_at), lo, hi):
        income += price - earned_fen(price, held_by(sessions, end), n)
    return income


def teacher_statement(*, teacher: Teacher, month: dt.date, classes: QuerySet[TrainingClass]) -> Statement:
    """The teacher's statement for the month (any day of it), over `classes` (the caller's scope: those of
    the facilities a staff member sees). Three queries, whatever the number of classes and enrolments."""
    lo, hi = month_bounds(month)
    statement = Statement(teacher=teacher, month=month.replace(day=1), share_percent=teacher.share_percent)
    own = list(classes.filter(teacher=teacher).select_related("facility").order_by("title", "id"))
    ids = [c.pk for c in own]
    sessions: dict[int, list[ClassSession]] = defaultdict(list)
    for s in (
        ClassSession.objects.filter(training_class_id__in=ids)
        .exclude(status=ClassSession.Status.CANCELLED)
        .order_by("starts_at", "id")
    ):
        sessions[s.training_class_id].append(s)
    enrolments: dict[int, list[Enrolment]] = defaultdict(list)
    for e in Enrolment.objects.filter(training_class_id__in=ids, paid_at__isnull=False):
        enrolments[e.training_class_id].append(e)
    for klass in own:
        line = ClassLine(klass.pk, klass.title, klass.facility.name)
        held = [
            s for s in sessions[klass.pk] if _within(s.starts_at, lo, hi) and s.status == ClassSession.Status.SCHEDULED
        ]
        line.sessions_held = len(held)
        for e in enrolments[klass.pk]:
            line.income_fen += _recognised(e, sessions[klass.pk], lo, hi)
            if e.refunded_at is not None and _within(e.refunded_at, lo, hi):
                line.refunds_fen += e.refunded_fen
            line.paid_enrolments += 1
        if not (line.income_fen or line.refunds_fen or line.sessions_held):
            continue
        line.net_fen = line.income_fen - line.refunds_fen
        line.teacher_fen = line.net_fen * teacher.share_percent // 100
        line.company_fen = line.net_fen - line.teacher_fen
        statement.lines.append(line)
    return statement


# --- documents ------------------------------------------------------------------------------------------


def _headers() -> list[str]:
    return [
        _("Class"),
        _("Facility"),
        _("Sessions held"),
        _("Income"),
        _("Refunds"),
        _("Net"),
        _("Teacher's share"),
        _("Company's share"),
    ]


def statement_pdf(statement: Statement, *, company_name: str = "") -> bytes:
    st = styles()
    t = statement.teacher
    rows: list[list[Any]] = [_headers()]
    for line in statement.lines:
        rows.append(
            [
                Paragraph(line.title, st["base"]),
                Paragraph(line.facility, st["base"]),
                str(line.sessions_held),
                yuan(line.income_fen),
                yuan(line.refunds_fen),
                yuan(line.net_fen),
                yuan(line.teacher_fen),
                yuan(line.company_fen),
            ]
        )
    rows.append(
        [
            _("Total"),
            "",
            str(statement.total("sessions_held")),
            *(yuan(statement.total(n)) for n in ("income_fen", "refunds_fen", "net_fen", "teacher_fen", "company_fen")),
        ]
    )
    widths = [38 * mm, 26 * mm, 16 * mm, 20 * mm, 20 * mm, 20 * mm, 17 * mm, 17 * mm]
    page = [
        Paragraph(_("Teacher statement (教师结算单)"), st["title"]),
        Paragraph(f"{company_name} {statement.month:%Y-%m}".strip(), st["subtitle"]),
        Spacer(1, 6 * mm),
        Paragraph(
            _("Teacher: %(name)s %(phone)s · share %(pct)d%% (the company %(rest)d%%)")
            % {"name": t.name, "phone": t.phone, "pct": statement.share_percent, "rest": 100 - statement.share_percent},
            st["base"],
        ),
        Spacer(1, 4 * mm),
        table(rows, widths),
        Spacer(1, 4 * mm),
        Paragraph(
            _(
                "Income is recognised by sessions held: each paid fee is spread over the class's sessions; what is "
                "not yet earned when an enrolment ends counts in that month, with its refund. The teacher's share "
                "is rounded down to the fen; the company gets the remainder."
            ),
            st["small"],
        ),
    ]
    return render([page], title=f"{t.name} {statement.month:%Y-%m}")


def statement_xlsx(statement: Statement) -> bytes:
    """One sheet: the heading, a row per class, the totals; amounts as numbers in yuan (two decimals)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{statement.month:%Y-%m}"
    bold = Font(bold=True)
    t = statement.teacher
    ws.append([_("Teacher statement (教师结算单)"), t.name, t.phone, f"{statement.month:%Y-%m}"])
    ws.append([_("Teacher's share (%)"), statement.share_percent])
    ws.append([])
    ws.append(_headers())
    for cell in ws[ws.max_row]:
        cell.font = bold
    money_cols = (4, 5, 6, 7, 8)
    for line in statement.lines:
        ws.append(
            [
                line.title,
                line.facility,
                line.sessions_held,
                *(
                    float(yuan_plain(v))
                    for v in (line.income_fen, line.refunds_fen, line.net_fen, line.teacher_fen, line.company_fen)
                ),
            ]
        )
    names = ("income_fen", "refunds_fen", "net_fen", "teacher_fen", "company_fen")
    ws.append(
        [_("Total"), "", statement.total("sessions_held"), *(float(yuan_plain(statement.total(n))) for n in names)]
    )
    for cell in ws[ws.max_row]:
        cell.font = bold
    for row in ws.iter_rows(min_row=5):
        for col in money_cols:
            row[col - 1].number_format = "#,##0.00"
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 18
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
