"""收费通知单: the fee notice of one unit for one month as PDF, and a batch of them for a building (one page
per unit billed that month).

A notice shows the month's bill lines (item, period, quantity × rate, amount, what is already paid or
waived, what is still owed), the arrears of earlier periods, the prepaid balance, the total due in figures
and in Chinese capitals (大写), the due date and how to pay. Everything is read from the ledger in a few
queries for all the units of a batch together."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.db.models import Case, F, IntegerField, Q, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.properties.models import Building, Occupancy, Unit
from tenants.company.models import CompanySettings
from tenants.db import connection
from tenants.services import company_url

from . import pdf
from .models import BillLine, LedgerEntry
from .money import chinese_capital, yuan
from .periods import month_end
from .selectors import lines_with_balances

_UNIT_OF = {"area": "m²", "water": "t", "electricity": "kWh", "gas": "m³"}


@dataclass
class NoticeLine:
    item: str
    period: str
    basis: str  # "89.50 m² × ¥2.50", "1 × ¥10.00"
    amount: int
    cleared: int  # paid or waived
    owed: int
    due_date: dt.date


@dataclass
class Notice:
    unit: Unit
    period: dt.date
    company: str
    hotline: str
    office_name: str
    office_phone: str
    office_address: str
    portal: str
    occupants: list[str]
    lines: list[NoticeLine] = field(default_factory=list)
    earlier_arrears: int = 0
    prepaid: int = 0
    issued_on: dt.date = field(default_factory=timezone.localdate)

    @property
    def charged(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def cleared(self) -> int:
        return sum(line.cleared for line in self.lines)

    @property
    def owed(self) -> int:
        return sum(line.owed for line in self.lines)

    @property
    def total_due(self) -> int:
        """This month's owed plus earlier arrears, less the prepaid balance not yet applied; never below 0."""
        return max(0, self.owed + self.earlier_arrears - self.prepaid)

    @property
    def due_date(self) -> dt.date | None:
        open_ = [line.due_date for line in self.lines if line.owed > 0]
        dates = open_ or [line.due_date for line in self.lines]
        return min(dates) if dates else None


def _number(value: Decimal | None, places: int = 2) -> str:
    """A quantity or rate without pointless zeros: 89.5000 → '89.50', 2.8000 → '2.80', 0.0375 → '0.0375'."""
    if value is None:
        return ""
    text = f"{value:.4f}".rstrip("0")
    whole, _dot, frac = text.partition(".")
    return f"{whole}.{frac.ljust(places, '0')}" if places else whole


def _basis(line: BillLine) -> str:
    item = line.fee_item
    if line.kind != BillLine.Kind.CHARGE or line.quantity is None or line.rate is None:
        return ""
    unit_word = _UNIT_OF.get(item.method if item.method == "area" else item.meter_kind, "")
    qty = _number(line.quantity, 0 if line.quantity == line.quantity.to_integral_value() else 2)
    text = f"{qty}{(' ' + unit_word) if unit_word else ''} × ¥{_number(line.rate)}"
    if line.percent != 100:
        text += f" × {_number(line.percent, 0)}%"
    return text


def _period_text(line: BillLine) -> str:
    if line.kind == BillLine.Kind.ADHOC:
        return line.period_start.isoformat()
    if line.period_start.replace(day=1) == line.period_end.replace(day=1):
        return f"{line.period_start:%Y-%m}"
    return f"{line.period_start:%Y-%m} – {line.period_end:%Y-%m}"


def _item_text(line: BillLine) -> str:
    name = line.fee_item.name
    if line.kind == BillLine.Kind.LATE_FEE:
        return _("Late fee (滞纳金): %(item)s") % {"item": name}
    if line.description:
        return f"{name} · {line.description}"
    return name


def _company() -> tuple[str, str]:
    row: dict[str, Any] = dict(CompanySettings.objects.values("display_name", "service_phone").first() or {})
    tenant = getattr(connection, "tenant", None)
    return (row.get("display_name") or getattr(tenant, "name", "") or ""), (row.get("service_phone") or "")


def _portal() -> str:
    tenant = getattr(connection, "tenant", None)
    slug = getattr(tenant, "slug", "")
    if not slug:
        return ""

    return company_url(slug)


def _signed(plus: list[str]) -> Case:
    return Case(When(kind__in=plus, then=F("amount")), default=-F("amount"), output_field=IntegerField())


def notices_for(units: Sequence[Unit], period: dt.date) -> list[Notice]:
    """The notices of `units` (with office loaded) for the month starting `period`, in their order."""
    ids = [u.pk for u in units]
    last = month_end(period)
    company, hotline = _company()
    portal = _portal()
    lines: dict[int, list[NoticeLine]] = defaultdict(list)
    qs = lines_with_balances(
        BillLine.objects.filter(unit_id__in=ids, period_start__gte=period, period_start__lte=last).select_related(
            "fee_item"
        )
    ).order_by("unit_id", "kind", "fee_item__priority", "fee_item__code", "period_start", "id")
    for line in qs:
        owed = int(line.owed)  # type: ignore[attr-defined]
        lines[line.unit_id].append(
            NoticeLine(
                item=_item_text(line),
                period=_period_text(line),
                basis=_basis(line),
                amount=int(line.charged),  # type: ignore[attr-defined]
                cleared=int(line.charged) - owed,  # type: ignore[attr-defined]
                owed=owed,
                due_date=line.due_date,
            )
        )
    earlier = dict(
        LedgerEntry.objects.filter(unit_id__in=ids, kind__in=LedgerEntry.LINE_KINDS, bill_line__period_start__lt=period)
        .values("unit_id")
        .annotate(owed=Sum(_signed(["charge", "unsettle"])))
        .values_list("unit_id", "owed")
        .order_by()
    )
    prepaid = dict(
        LedgerEntry.objects.filter(unit_id__in=ids, kind__in=LedgerEntry.PAYMENT_KINDS)
        .values("unit_id")
        .annotate(credit=Sum(_signed(["payment", "prepayment", "unsettle"])))
        .values_list("unit_id", "credit")
        .order_by()
    )
    occupants: dict[int, list[str]] = defaultdict(list)
    role_order = {"owner": 0, "tenant": 1, "member": 2}
    current = Occupancy.objects.filter(unit_id__in=ids, end_date__isnull=True).select_related("person")
    for occ in sorted(current, key=lambda o: (role_order.get(o.role, 9), o.start_date, o.pk)):
        if occ.person.name not in occupants[occ.unit_id]:
            occupants[occ.unit_id].append(occ.person.name)
    return [
        Notice(
            unit=u,
            period=period,
            company=company,
            hotline=hotline or u.office.phone,
            office_name=u.office.name,
            office_phone=u.office.phone,
            office_address=u.office.address,
            portal=portal,
            occupants=occupants.get(u.pk, []),
            lines=lines.get(u.pk, []),
            earlier_arrears=max(0, int(earlier.get(u.pk) or 0)),
            prepaid=max(0, int(prepaid.get(u.pk) or 0)),
        )
        for u in units
    ]


def _p(text: str, style: Any) -> Any:
    return pdf.Paragraph(escape(text), style)


def notice_page(notice: Notice) -> list[Any]:
    """The flowables of one notice (one A4 page for a usual month)."""
    st = pdf.styles()
    small = st["small"]
    cell = pdf.styles()["base"].clone("cell", fontSize=9.5, leading=12)
    right = cell.clone("cell-right", alignment=2)
    page: list[Any] = [
        _p(notice.company, st["title"]),
        _p(_("Fee notice (收费通知单)") + f" · {notice.period:%Y-%m}", st["subtitle"]),
        pdf.Spacer(1, 4 * pdf.mm),
    ]
    facts = [
        [_("Unit"), _p(notice.unit.label, cell)],
        [_("Occupant"), _p("、".join(notice.occupants) or _("(not recorded)"), cell)],
        [_("Billing month"), f"{notice.period:%Y-%m}"],
        [_("Issued on"), notice.issued_on.isoformat()],
    ]
    page.append(pdf.table(facts, widths=[32 * pdf.mm, 142 * pdf.mm], header=False))
    page.append(pdf.Spacer(1, 4 * pdf.mm))
    rows: list[list[Any]] = [
        [_("Item"), _("Period"), _("Quantity × rate"), _("Amount"), _("Paid or waived"), _("Still owed")]
    ]
    for line in notice.lines:
        rows.append(
            [
                _p(line.item, cell),
                line.period,
                _p(line.basis, cell),
                _p(yuan(line.amount), right),
                _p(yuan(line.cleared), right),
                _p(yuan(line.owed), right),
            ]
        )
    if not notice.lines:
        rows.append([_p(_("No charges for this month."), cell), "", "", "", "", ""])
    rows.append(
        [
            _p(_("This month"), cell),
            "",
            "",
            _p(yuan(notice.charged), right),
            _p(yuan(notice.cleared), right),
            _p(yuan(notice.owed), right),
        ]
    )
    page.append(pdf.table(rows, widths=[42 * pdf.mm, 26 * pdf.mm, 40 * pdf.mm, 22 * pdf.mm, 22 * pdf.mm, 22 * pdf.mm]))
    page.append(pdf.Spacer(1, 4 * pdf.mm))
    due = notice.due_date
    summary: list[list[Any]] = [
        [_("Still owed this month"), _p(yuan(notice.owed), right)],
        [_("Arrears from earlier months"), _p(yuan(notice.earlier_arrears), right)],
        [_("Prepaid balance (预收)"), _p(yuan(-notice.prepaid) if notice.prepaid else yuan(0), right)],
        [_("Total due"), _p(yuan(notice.total_due), right)],
        [_("In words (大写)"), _p(chinese_capital(notice.total_due), right)],
        [_("Please pay by"), _p(due.isoformat() if due and notice.total_due else "—", right)],
    ]
    page.append(pdf.table(summary, widths=[60 * pdf.mm, 114 * pdf.mm], header=False))
    page.append(pdf.Spacer(1, 5 * pdf.mm))
    page.append(_p(_("How to pay"), st["base"].clone("h", fontSize=12, leading=16)))
    ways = []
    if notice.portal:
        ways.append(_("Online: sign in at %(url)s and pay by card, Alipay or WeChat Pay.") % {"url": notice.portal})
    counter = _("At the counter of %(office)s: cash, POS card or bank transfer.") % {"office": notice.office_name}
    if notice.office_address:
        counter += " " + _("Address: %(address)s.") % {"address": notice.office_address}
    ways.append(counter)
    ways.append(
        _("When paying by bank transfer, write the unit (%(unit)s) in the remark.") % {"unit": notice.unit.label}
    )
    for way in ways:
        page.append(_p("• " + way, st["base"]))
    if notice.prepaid and notice.prepaid >= notice.owed + notice.earlier_arrears:
        page.append(_p(_("Your prepaid balance covers this notice: nothing to pay."), st["base"]))
    page.append(pdf.Spacer(1, 4 * pdf.mm))
    if notice.hotline:
        page.append(_p(_("Questions? Call %(phone)s.") % {"phone": notice.hotline}, small))
    page.append(
        _p(_("Payments already recorded after the issue date are not shown. Keep this notice for your records."), small)
    )
    return page


def _with_office(qs: Any) -> Any:
    return qs.select_related("office", "estate", "building")


def unit_notice_pdf(unit: Unit, period: dt.date) -> bytes:
    unit = _with_office(Unit.objects.filter(pk=unit.pk)).get()
    notice = notices_for([unit], period)[0]
    return pdf.render([notice_page(notice)], title=f"{_('Fee notice (收费通知单)')} {unit.label} {period:%Y-%m}")


def building_notice_units(building: Building, period: dt.date) -> list[Unit]:
    """The units of the building with bill lines in that month, floor by floor."""
    billed = BillLine.objects.filter(
        Q(unit__building=building), period_start__gte=period, period_start__lte=month_end(period)
    ).values("unit_id")
    return list(_with_office(Unit.objects.filter(pk__in=billed)).order_by("floor", "number"))


def building_notices_pdf(building: Building, period: dt.date) -> bytes | None:
    """One page per unit billed that month; None when no unit of the building was."""
    units = building_notice_units(building, period)
    if not units:
        return None
    pages = [notice_page(n) for n in notices_for(units, period)]
    title = f"{_('Fee notices (收费通知单)')} {building.estate.name} {building.name} {period:%Y-%m}"
    return pdf.render(pages, title=title)
