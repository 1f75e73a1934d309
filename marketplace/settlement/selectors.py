"""Scoped reads of settlement. Company side: everything in the current company's schema (another company's
statement is not there: a 404). Merchant side (platform domain): the merchant's statements through the public
index, each read in its company's schema and only when it is that merchant's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django_tenants.utils import tenant_context

from backend.errors import not_found
from marketplace.models import Merchant
from marketplace.settlement_index.models import MerchantStatement

from .documents import statement_entries, summary_rows
from .ledger import merchant_totals
from .models import PayableEntry, Payout, PayoutAccount, Statement, StatementStatus


def statement_list(*, status: str = "", month: Any = None) -> QuerySet[Statement]:
    qs = Statement.objects.all()
    if status:
        qs = qs.filter(status=status)
    if month:
        qs = qs.filter(month=month)
    return qs


def statement_get(pk: int) -> Statement | None:
    return Statement.objects.filter(pk=pk).first()


def merchant_balances() -> list[dict[str, Any]]:
    """Each merchant with entries here: its totals and what the company still owes it."""
    ids = list(PayableEntry.objects.values_list("merchant_id", flat=True).distinct().order_by("merchant_id"))
    names = dict(Merchant.objects.filter(pk__in=ids).values_list("pk", "name"))
    accounts = {a.merchant_id: a for a in PayoutAccount.objects.filter(merchant_id__in=ids)}
    return [
        {"merchant_id": pk, "name": names.get(pk, str(pk)), "account": accounts.get(pk), **merchant_totals(pk)}
        for pk in ids
    ]


def statement_payouts(statement: Statement) -> list[Payout]:
    return list(statement.payouts.order_by("-created_at"))


def payout_account(merchant_id: int) -> PayoutAccount | None:
    return PayoutAccount.objects.filter(merchant_id=merchant_id).first()


# --- the merchant's side -----------------------------------------------------------------------------------


def merchant_statements(*, merchant_id: int) -> QuerySet[MerchantStatement]:
    return MerchantStatement.objects.filter(merchant_id=merchant_id).select_related("tenant")


@dataclass
class MerchantStatementView:
    entry: MerchantStatement
    statement: Statement
    entries: list[PayableEntry]
    summary: list[tuple[str, int]]
    payouts: list[Payout]

    @property
    def can_confirm(self) -> bool:
        return self.statement.confirmed_at is None and self.statement.status in (
            StatementStatus.ISSUED,
            StatementStatus.CARRIED,
        )


def merchant_statement_entry(*, merchant_id: int, pk: int) -> MerchantStatement:
    entry = MerchantStatement.objects.select_related("tenant").filter(pk=pk, merchant_id=merchant_id).first()
    if entry is None:
        raise not_found()
    return entry


def merchant_statement_read(*, merchant_id: int, pk: int) -> MerchantStatementView:
    entry = merchant_statement_entry(merchant_id=merchant_id, pk=pk)
    with tenant_context(entry.tenant):
        statement = Statement.objects.filter(pk=entry.statement_id, merchant_id=merchant_id).first()
        if statement is None:
            raise not_found()
        return MerchantStatementView(
            entry, statement, statement_entries(statement), summary_rows(statement), statement_payouts(statement)
        )
