"""Monthly settlement statements (结算单): building them, the merchant's confirmation, and the index the
merchant portal lists them from.

A statement for merchant M and month X (the company's time zone) takes every entry of M that is on no
statement yet and happened before X's end, except payouts: X's sales, refunds, commission and reversals,
and any entry of an earlier month that was not on that month's statement (a refund given after the month
was settled; an entry posted late by the reconciliation). So each entry is on exactly one statement, once
(StatementLine.entry is unique), and the statements of a merchant add up to its ledger.

The amount due is the net plus the previous statement's amount when that was below zero (refunds of
earlier sales exceeding a month's sales): a statement due ≤ 0 is CARRIED (nothing to pay) and its amount
is taken off the next. A positive statement is confirmed by the merchant, then paid in full (payouts.py).
Statements are built in month order: a month is built only when it is over and no later one exists."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.audit.services import audit_record
from backend.billing.money import yuan
from backend.billing.periods import add_months, month_start
from backend.errors import ApplicationError
from marketplace.models import Merchant
from marketplace.notices import notify_merchant
from marketplace.settlement_index.models import MerchantStatement
from tenants.db import company_time_zone, connection

from .kinds import STATEMENT_READY
from .models import STATEMENT_KINDS, EntryKind, PayableEntry, Statement, StatementLine, StatementStatus
from .reconcile import payables_reconcile

log = logging.getLogger(__name__)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month's first instant and the next month's, in the company's time zone."""
    tz = company_time_zone()
    first = month_start(month)
    lo = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    return lo, dt.datetime.combine(add_months(first, 1), dt.time.min, tzinfo=tz)


def last_month(now: dt.datetime | None = None) -> dt.date:
    today = (now or timezone.now()).astimezone(company_time_zone()).date()
    return add_months(month_start(today), -1)


def index_sync(statement: Statement) -> None:
    """The public index row of the statement (created on issue, kept in step after)."""
    MerchantStatement.objects.update_or_create(
        tenant_id=connection.tenant.pk,
        statement_id=statement.pk,
        defaults={
            "merchant_id": statement.merchant_id,
            "code": statement.code,
            "month": statement.month,
            "status": statement.status,
            "net_fen": statement.net_fen,
            "commission_fen": statement.commission_fen - statement.reversal_fen,
            "due_fen": statement.due_fen,
        },
    )


def _code(merchant_id: int, month: dt.date) -> str:
    return f"JS{month:%Y%m}-{merchant_id:05d}"


def statement_build(*, merchant_id: int, month: dt.date, now: dt.datetime | None = None) -> Statement | None:
    """Issue merchant's statement for `month` (any day of it), once; None when there is nothing to put on it
    (or it exists already: that one is returned). The month must be over."""
    now = now or timezone.now()
    month = month_start(month)
    lo, hi = month_bounds(month)
    if hi > now:
        raise ApplicationError(_("A month is settled once it is over."), code="month_not_over", status=409)
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().filter(pk=merchant_id).first()
        if merchant is None:
            raise ApplicationError(_("No such merchant."), code="not_found", status=404)
        existing = Statement.objects.filter(merchant_id=merchant_id, month=month).first()
        if existing is not None:
            return existing
        latest = Statement.objects.filter(merchant_id=merchant_id).aggregate(m=Max("month"))["m"]
        if latest is not None and latest > month:
            raise ApplicationError(
                _("A later month is settled already; this month's entries are on the next statement."),
                code="later_statement_exists",
                status=409,
            )
        entries = list(
            PayableEntry.objects.filter(
                merchant_id=merchant_id,
                kind__in=STATEMENT_KINDS,
                occurred_at__lt=hi,
                statement_line__isnull=True,
            ).order_by("id")
        )
        if not entries:
            return None
        totals: Counter[str] = Counter()
        for e in entries:
            totals[e.kind] += e.amount_fen
        previous = Statement.objects.filter(merchant_id=merchant_id).order_by("-month").first()
        carried = previous.due_fen if previous is not None and previous.status == StatementStatus.CARRIED else 0
        net = (
            totals[EntryKind.SALE]
            - totals[EntryKind.REFUND]
            - totals[EntryKind.COMMISSION]
            + totals[EntryKind.COMMISSION_REVERSAL]
        )
        due = net + carried
        statement = Statement.objects.create(
            code=_code(merchant_id, month),
            merchant_id=merchant_id,
            merchant_name=merchant.name,
            month=month,
            status=StatementStatus.ISSUED if due > 0 else StatementStatus.CARRIED,
            sales_fen=totals[EntryKind.SALE],
            refunds_fen=totals[EntryKind.REFUND],
            commission_fen=totals[EntryKind.COMMISSION],
            reversal_fen=totals[EntryKind.COMMISSION_REVERSAL],
            net_fen=net,
            carried_in_fen=carried,
            due_fen=due,
            earlier_entries=sum(1 for e in entries if e.occurred_at < lo),
            issued_at=now,
        )
        StatementLine.objects.bulk_create([StatementLine(statement=statement, entry=e) for e in entries])
        index_sync(statement)
        audit_record(action="settlement.statement_issue", target=statement, changes={"due_fen": due, "net_fen": net})
        notify_merchant(
            merchant_id=merchant_id,
            tenant_id=connection.tenant.pk,
            kind=STATEMENT_READY,
            title=_("Settlement statement ready"),
            body=f"{connection.tenant.name} {month:%Y-%m} · {yuan(due)}",
            data={"statement": statement.pk, "tenant": connection.tenant.pk, "code": statement.code},
        )
    return statement


def statements_build_month(*, month: dt.date | None = None, now: dt.datetime | None = None) -> list[Statement]:
    """Every merchant's statement for `month` (default: last month), after catching the ledger up. Safe to
    repeat: a statement is issued once; a merchant with a later statement is skipped."""
    now = now or timezone.now()
    month = month_start(month) if month else last_month(now)
    payables_reconcile()
    _lo, hi = month_bounds(month)
    merchants = (
        PayableEntry.objects.filter(kind__in=STATEMENT_KINDS, occurred_at__lt=hi, statement_line__isnull=True)
        .values_list("merchant_id", flat=True)
        .distinct()
        .order_by("merchant_id")
    )
    made = []
    for merchant_id in list(merchants):
        try:
            statement = statement_build(merchant_id=merchant_id, month=month, now=now)
        except ApplicationError as exc:
            log.info("settlement: merchant %s month %s not built: %s", merchant_id, month, exc.code)
            continue
        if statement is not None:
            made.append(statement)
    return made


def statement_confirm(*, statement_id: int, merchant_id: int, user_id: int | None) -> Statement:
    """The merchant confirms its statement (the figures are agreed): it can then be paid. A repeat is a no-op."""
    with transaction.atomic():
        statement = Statement.objects.select_for_update().filter(pk=statement_id, merchant_id=merchant_id).first()
        if statement is None:
            raise ApplicationError(_("No such statement."), code="not_found", status=404)
        if statement.confirmed_at is not None:
            return statement
        if statement.status not in (StatementStatus.ISSUED, StatementStatus.CARRIED):
            raise ApplicationError(_("This statement cannot be confirmed now."), code="invalid_state", status=409)
        statement.confirmed_at = timezone.now()
        statement.confirmed_by_id = user_id
        if statement.status == StatementStatus.ISSUED:
            statement.status = StatementStatus.CONFIRMED
        statement.save(update_fields=["confirmed_at", "confirmed_by_id", "status"])
        index_sync(statement)
        audit_record(action="settlement.statement_confirm", target=statement, changes={"by": user_id})
        _tell_finance(statement)
    return statement


def _tell_finance(statement: Statement) -> None:
    from backend.accounts import permissions as perms
    from backend.notifications.recipients import Recipients
    from backend.notifications.services import notify

    notify(
        recipients=Recipients(roles=tuple(sorted(perms.MARKETPLACE_SETTLEMENT.roles))),
        kind="settlement.statement_confirmed",
        title=_("Statement confirmed: %(code)s") % {"code": statement.code},
        body=f"{statement.merchant_name} {statement.month:%Y-%m} · {yuan(statement.due_fen)}",
        url=f"/staff/marketplace/settlement/{statement.pk}/",
    )
