"""收费票据 as PDF: the company's header, the receipt number, the unit and payer, the bill lines the payment
settled (item, period, amount), what went to the prepaid balance, the total in figures and in Chinese capitals,
method, channel, cashier and time (company time zone), refunds so far, and the 补打 / 作废 marks.

The lines are read from the ledger: a payment's settle entries less its unsettle entries, per bill line. A voided
receipt keeps showing what it settled before the void reversed it (the reversal is what 作废 means)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from django.db.models import Sum
from django.http import HttpResponse
from django.utils.translation import gettext as _
from reportlab.lib import colors

from backend.billing import pdf
from backend.billing.models import BillLine, LedgerEntry, Payment
from backend.billing.money import chinese_capital, yuan
from tenants.company.models import CompanySettings
from tenants.db import company_time_zone, connection

from .models import Receipt, Refund
from .receipts import receipt_printed


@dataclass
class ReceiptItem:
    item: str
    period: str
    amount: int


@dataclass
class ReceiptView:
    """What a receipt shows, for the PDF and the receipt page alike."""

    receipt: Receipt
    company: str
    unit_label: str
    payer: str
    cashier: str
    received_at: dt.datetime  # in the company's time zone
    items: list[ReceiptItem] = field(default_factory=list)
    refunded: int = 0  # refunds (not the void's reversal)

    @property
    def payment(self) -> Payment:
        return self.receipt.payment

    @property
    def items_total(self) -> int:
        return sum(i.amount for i in self.items)

    @property
    def prepaid(self) -> int:
        """The part of the payment no line took: the prepaid balance (预收)."""
        return max(0, self.payment.amount - self.items_total)


def _company_name() -> str:
    display = CompanySettings.objects.values_list("display_name", flat=True).first()
    tenant = getattr(connection, "tenant", None)
    return display or getattr(tenant, "name", "") or ""


def _period(line: BillLine) -> str:
    if line.kind == BillLine.Kind.ADHOC or line.period_start == line.period_end:
        return line.period_start.isoformat()
    return f"{line.period_start.isoformat()} – {line.period_end.isoformat()}"


def _item(line: BillLine) -> str:
    name = line.fee_item.name
    if line.kind == BillLine.Kind.LATE_FEE:
        return _("Late fee (滞纳金): %(item)s") % {"item": name}
    return f"{name} · {line.description}" if line.description else name


def _void_reversal_ids(receipt: Receipt) -> set[int]:
    """The unsettle entries the void posted (refund_record writes them just before its refund entry, with the
    same reason), so a voided receipt still lists what it had settled."""
    void = Refund.objects.filter(payment_id=receipt.payment_id, kind=Refund.Kind.VOID).select_related("entry").first()
    if void is None or void.entry is None:
        return set()
    earlier_refund = (
        LedgerEntry.objects.filter(payment_id=receipt.payment_id, kind="refund", pk__lt=void.entry.pk)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    ) or 0
    return set(
        LedgerEntry.objects.filter(
            payment_id=receipt.payment_id,
            kind="unsettle",
            reason=void.entry.reason,
            pk__gt=earlier_refund,
            pk__lt=void.entry.pk,
        ).values_list("pk", flat=True)
    )


def receipt_items(receipt: Receipt) -> list[ReceiptItem]:
    """The lines the payment settled, net of reversals, per bill line in the order they were settled."""
    skip = _void_reversal_ids(receipt) if receipt.status == Receipt.Status.VOIDED else set()
    net: dict[int, int] = defaultdict(int)
    first_seen: dict[int, int] = {}
    entries = LedgerEntry.objects.filter(payment_id=receipt.payment_id, kind__in=["settle", "unsettle"]).order_by("pk")
    for e in entries.values("pk", "kind", "amount", "bill_line_id"):
        if e["pk"] in skip or e["bill_line_id"] is None:
            continue
        net[e["bill_line_id"]] += e["amount"] if e["kind"] == "settle" else -e["amount"]
        first_seen.setdefault(e["bill_line_id"], e["pk"])
    lines = BillLine.objects.filter(pk__in=[pk for pk, amount in net.items() if amount > 0]).select_related("fee_item")
    ordered = sorted(lines, key=lambda line: first_seen[line.pk])
    return [ReceiptItem(item=_item(line), period=_period(line), amount=net[line.pk]) for line in ordered]


def receipt_view(receipt: Receipt) -> ReceiptView:
    payment = receipt.payment
    refunded = Refund.objects.filter(payment=payment, kind=Refund.Kind.REFUND, entry__isnull=False)
    cashier = payment.recorded_by.name if payment.recorded_by_id and payment.recorded_by else ""
    if not cashier:
        cashier = _("Online payment (在线支付)") if payment.channel != Payment.Channel.COUNTER else "—"
    return ReceiptView(
        receipt=receipt,
        company=_company_name(),
        unit_label=payment.unit.label,
        payer=payment.payer_name or "—",
        cashier=cashier,
        received_at=payment.received_at.astimezone(company_time_zone()),
        items=receipt_items(receipt),
        refunded=int(refunded.aggregate(t=Sum("amount"))["t"] or 0),
    )


def _p(text: str, style: Any) -> Any:
    return pdf.Paragraph(escape(text), style)


def render_receipt(receipt: Receipt, reprint: bool) -> bytes:
    """The receipt as a one-page A4 PDF. `reprint` prints the 补打 mark (a copy, not the original)."""
    receipt = Receipt.objects.select_related("payment__unit", "payment__recorded_by", "voided_by").get(pk=receipt.pk)
    view = receipt_view(receipt)
    payment = view.payment
    st = pdf.styles()
    cell = st["base"].clone("receipt-cell", fontSize=9.5, leading=12)
    right = cell.clone("receipt-right", alignment=2)
    mark = st["title"].clone(
        "receipt-mark", fontSize=16, leading=20, textColor=colors.HexColor("#b42318"), spaceAfter=2
    )
    page: list[Any] = [
        _p(view.company, st["title"]),
        _p(_("Receipt (收费票据)") + f" · {receipt.number}", st["subtitle"]),
    ]
    if receipt.status == Receipt.Status.VOIDED:
        page.append(_p(_("VOID (作废)"), mark))
    if reprint:
        page.append(_p(_("Reprint (补打)"), mark))
    page.append(pdf.Spacer(1, 4 * pdf.mm))
    facts: list[list[Any]] = [
        [_("Receipt number"), receipt.number],
        [_("Unit"), _p(view.unit_label, cell)],
        [_("Payer"), _p(view.payer, cell)],
        [_("Received at"), f"{view.received_at:%Y-%m-%d %H:%M}"],
    ]
    page.append(pdf.table(facts, widths=[36 * pdf.mm, 138 * pdf.mm], header=False))
    page.append(pdf.Spacer(1, 4 * pdf.mm))
    rows: list[list[Any]] = [[_("Item"), _("Period"), _("Amount")]]
    for item in view.items:
        rows.append([_p(item.item, cell), item.period, _p(yuan(item.amount), right)])
    if view.prepaid:
        rows.append([_p(_("To the prepaid balance (预收)"), cell), "", _p(yuan(view.prepaid), right)])
    rows.append([_p(_("Total"), cell), "", _p(yuan(payment.amount), right)])
    page.append(pdf.table(rows, widths=[84 * pdf.mm, 56 * pdf.mm, 34 * pdf.mm]))
    page.append(pdf.Spacer(1, 4 * pdf.mm))
    summary: list[list[Any]] = [
        [_("Total in figures"), _p(yuan(payment.amount), right)],
        [_("Total in words (大写)"), _p(chinese_capital(payment.amount), right)],
        [_("Method"), _p(str(payment.get_method_display()), right)],
        [_("Channel"), _p(str(payment.get_channel_display()), right)],
    ]
    if payment.reference:
        summary.append([_("Reference"), _p(payment.reference, right)])
    summary.append([_("Cashier"), _p(view.cashier, right)])
    if view.refunded:
        summary.append([_("Refunded so far"), _p(yuan(view.refunded), right)])
    if receipt.status == Receipt.Status.VOIDED:
        voided_at = receipt.voided_at.astimezone(company_time_zone()) if receipt.voided_at else None
        summary.append(
            [
                _("Voided"),
                _p(f"{voided_at:%Y-%m-%d %H:%M} · {receipt.void_reason}" if voided_at else receipt.void_reason, right),
            ]
        )
    page.append(pdf.table(summary, widths=[60 * pdf.mm, 114 * pdf.mm], header=False))
    page.append(pdf.Spacer(1, 5 * pdf.mm))
    page.append(_p(_("Keep this receipt for your records."), st["small"]))
    title = f"{_('Receipt (收费票据)')} {receipt.number}"
    return pdf.render([page], title=title)


def receipt_pdf_response(receipt: Receipt, *, count_print: bool) -> HttpResponse:
    """The receipt as an inline PDF download. `count_print`: this download is a print (the counter, the payer
    of an online payment), so from the second one on it is marked 补打; otherwise it is an uncounted copy,
    marked 补打 once the receipt has been printed."""
    reprint = receipt_printed(receipt) if count_print else receipt.print_count > 0
    response = HttpResponse(render_receipt(receipt, reprint), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipt.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
