"""催缴函: the formal demand letter for a unit in arrears, as a PDF (backend/billing/pdf.py).

It names the company, the unit and its occupant, lists every unpaid overdue line (item, period, amount,
days overdue), gives the total in figures and in Chinese capitals (大写), a deadline to pay by, the service
hotline and the date. Issuing one (demand_letter_issue) logs a DunningContact with channel "letter" and an
audit entry; rendering alone (demand_letter_pdf) writes nothing.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.properties.models import Occupancy, Unit
from tenants.company.models import CompanySettings
from tenants.db import connection

from . import pdf
from .arrears import unit_unpaid_lines
from .models import BillLine, DunningContact
from .money import chinese_capital, yuan

DEFAULT_DEADLINE_DAYS = 15


def _company() -> tuple[str, str]:
    row = CompanySettings.objects.first()
    name = (row.display_name if row else "") or getattr(connection.tenant, "name", "")
    return name, (row.service_phone if row else "")


def occupant_name(unit: Unit) -> str:
    """The person the letter is addressed to: the current owner, else the first current occupant."""
    current = list(
        Occupancy.objects.filter(unit=unit, end_date__isnull=True).select_related("person").order_by("start_date", "id")
    )
    current.sort(key=lambda o: o.role != "owner")
    return current[0].person.name if current else ""


def _period(line: BillLine) -> str:
    if line.period_start.replace(day=1) == line.period_end.replace(day=1):
        return f"{line.period_start:%Y-%m}"
    return f"{line.period_start:%Y-%m} – {line.period_end:%Y-%m}"


def _item(line: BillLine) -> str:
    if line.kind == BillLine.Kind.LATE_FEE:
        return _("Late fee (滞纳金): %(item)s") % {"item": line.fee_item.name}
    if line.kind == BillLine.Kind.ADHOC and line.description:
        return f"{line.fee_item.name} · {line.description}"
    return line.fee_item.name


def _unpaid(unit: Unit, today: dt.date) -> tuple[list[BillLine], int]:
    lines = unit_unpaid_lines(unit.pk, today=today)
    if not lines:
        raise ApplicationError(_("This unit has no overdue unpaid bills."), code="not_in_arrears", status=400)
    return lines, sum(int(line.owed) for line in lines)  # type: ignore[attr-defined,misc]


def demand_letter_pdf(unit: Unit, *, today: dt.date | None = None, deadline: dt.date | None = None) -> bytes:
    """Render the letter for what the unit owes now. Raises ApplicationError when it owes nothing overdue."""
    today = today or timezone.localdate()
    deadline = deadline or today + dt.timedelta(days=DEFAULT_DEADLINE_DAYS)
    lines, total = _unpaid(unit, today)
    return _render(unit, lines, total, today=today, deadline=deadline)


def _render(unit: Unit, lines: list[BillLine], total: int, *, today: dt.date, deadline: dt.date) -> bytes:
    company, hotline = _company()
    who = occupant_name(unit)
    s = pdf.styles()

    def p(text: str, style: str = "base") -> pdf.Paragraph:
        return pdf.Paragraph(text, s[style])

    rows: list[list[str]] = [[_("Fee item"), _("Period"), _("Amount owed"), _("Days overdue")]]
    for line in lines:
        rows.append(
            [
                escape(_item(line)),
                _period(line),
                yuan(int(line.owed)),  # type: ignore[attr-defined]
                str(line.days_overdue),  # type: ignore[attr-defined]
            ]
        )
    rows.append([_("Total"), "", yuan(total), ""])
    table = pdf.table(rows, widths=[70 * pdf.mm, 38 * pdf.mm, 36 * pdf.mm, 28 * pdf.mm])
    story = [
        p(escape(company), "subtitle"),
        p(_("Demand for payment (催缴函)"), "title"),
        pdf.Spacer(1, 4 * pdf.mm),
        p(
            _("To: %(name)s, occupant of %(unit)s")
            % {"name": escape(who or _("the owner")), "unit": escape(unit.label)}
        ),
        pdf.Spacer(1, 3 * pdf.mm),
        p(
            _(
                "Our records show that the following fees for your home are overdue and unpaid. Waived amounts "
                "and payments already received have been deducted."
            )
        ),
        pdf.Spacer(1, 3 * pdf.mm),
        table,
        pdf.Spacer(1, 3 * pdf.mm),
        p(
            _("Total owed: %(figures)s (in words: %(capital)s)")
            % {"figures": yuan(total), "capital": chinese_capital(total)}
        ),
        pdf.Spacer(1, 3 * pdf.mm),
        p(
            _(
                "Please pay the full amount by %(deadline)s, online in the resident portal or at the management "
                "office. If you have already paid, or if you disagree with any item, please contact us."
            )
            % {"deadline": deadline.isoformat()}
        ),
        pdf.Spacer(1, 3 * pdf.mm),
        p(_("Service hotline: %(phone)s") % {"phone": escape(hotline or "—")}),
        pdf.Spacer(1, 10 * pdf.mm),
        p(escape(company), "right"),
        p(_("Date: %(date)s") % {"date": today.isoformat()}, "right"),
    ]
    return pdf.render([story], title=_("Demand for payment (催缴函)") + f" {unit.label}")


def demand_letter_issue(
    *, unit: Unit, by: User, today: dt.date | None = None, deadline: dt.date | None = None
) -> tuple[bytes, DunningContact]:
    """Render the letter and put it on the record: a DunningContact (channel letter) and an audit entry."""
    today = today or timezone.localdate()
    if deadline is not None and deadline <= today:
        raise ApplicationError.for_fields({"deadline": [_("The deadline lies in the future.")]})
    deadline = deadline or today + dt.timedelta(days=DEFAULT_DEADLINE_DAYS)
    lines, total = _unpaid(unit, today)
    data = _render(unit, lines, total, today=today, deadline=deadline)
    with transaction.atomic():
        contact = DunningContact.objects.create(
            unit=unit,
            staff=by,
            channel=DunningContact.Channel.LETTER,
            contact_name=occupant_name(unit)[:60],
            summary=(
                _("Demand letter issued: %(amount)s, to pay by %(deadline)s")
                % {"amount": yuan(total), "deadline": deadline.isoformat()}
            )[:500],
            category=DunningContact.Category.OTHER,
            amount_owed=total,
            contacted_at=timezone.now(),
        )
        audit_record(
            action="billing.demand_letter",
            target=contact,
            object_repr=f"{unit.label} {yuan(total)}",
            changes={"unit": unit.pk, "amount": total, "deadline": deadline.isoformat()},
        )
    return data, contact
