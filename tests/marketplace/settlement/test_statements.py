"""Monthly statements (结算单): a month's entries once, a refund after settlement on the next statement, an amount
below zero carried, the merchant's confirmation, the index and the notice, PDF and xlsx, the monthly task."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from backend.billing.periods import add_months, month_start
from backend.errors import ApplicationError
from marketplace.models import MerchantNotice
from marketplace.orders import flow
from marketplace.settlement import documents, payouts, statements
from marketplace.settlement.ledger import merchant_totals
from marketplace.settlement.models import StatementLine
from marketplace.settlement_index.models import MerchantStatement
from tenants.db import company_time_zone

from .conftest import Shop, buy

pytestmark = pytest.mark.django_db


def in_month(offset: int, day: int = 10) -> dt.datetime:
    """Noon on `day` of the month `offset` months from this one, company time."""
    tz = company_time_zone()
    this = month_start(timezone.now().astimezone(tz).date())
    return dt.datetime.combine(add_months(this, offset).replace(day=day), dt.time(12), tzinfo=tz)


def after(month: dt.datetime) -> dt.datetime:
    """01:00 on the first day of the month after `month`'s."""
    return (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1, hour=1)


def test_a_month_is_settled_once_and_a_refund_after_settlement_is_on_the_next_statement(funded: Shop) -> None:
    fruit = funded.fruit.pk
    order = buy(funded, 2, now=in_month(-2))  # ¥25.60, commission ¥2.05
    first = statements.statement_build(merchant_id=fruit, month=in_month(-2).date())
    assert first is not None
    assert (first.sales_fen, first.commission_fen, first.net_fen, first.due_fen, first.status) == (
        2560,
        205,
        2355,
        2355,
        "issued",
    )
    assert first.code == f"JS{in_month(-2):%Y%m}-{fruit:05d}"
    assert statements.statement_build(merchant_id=fruit, month=in_month(-2).date()) == first  # once
    assert StatementLine.objects.filter(statement=first).count() == 2
    index = MerchantStatement.objects.get(merchant_id=fruit)
    assert (index.tenant_id, index.statement_id, index.due_fen, index.status) == (
        funded.tenant.pk,
        first.pk,
        2355,
        "issued",
    )
    notice = MerchantNotice.objects.get(merchant_id=fruit, kind="settlement.statement_ready")
    assert notice.data["statement"] == first.pk
    assert statements.statement_build(merchant_id=funded.cleaner.pk, month=in_month(-2).date()) is None  # nothing

    statements.statement_confirm(statement_id=first.pk, merchant_id=fruit, user_id=None)
    payouts.payout_record_bank(statement_id=first.pk, reference="ICBC20261201001", by=None)
    assert merchant_totals(fruit)["balance_fen"] == 0

    # The order is refunded after its month was settled and paid: the next statement carries it.
    flow.order_reject(order_id=order.pk, merchant_id=fruit, reason="变质", by=None)
    assert statements.statement_build(merchant_id=fruit, month=in_month(-1).date()) is None
    carried = statements.statement_build(merchant_id=fruit, month=in_month(0).date(), now=after(in_month(0)))
    assert carried is not None
    assert (carried.refunds_fen, carried.reversal_fen, carried.net_fen, carried.due_fen, carried.status) == (
        2560,
        205,
        -2355,
        -2355,
        "carried",
    )
    assert merchant_totals(fruit)["balance_fen"] == -2355  # the merchant owes it back, off the next payout
    with pytest.raises(ApplicationError) as refused:
        payouts.payout_record_bank(statement_id=carried.pk, reference="X1", by=None)
    assert refused.value.code == "invalid_state"

    # Next month's sales pay the carried amount first.
    buy(funded, 5, now=in_month(1))  # ¥64.00, commission ¥5.12
    nxt = statements.statement_build(merchant_id=fruit, month=in_month(1).date(), now=after(in_month(1)))
    assert nxt is not None
    assert (nxt.net_fen, nxt.carried_in_fen, nxt.due_fen, nxt.status) == (
        6400 - 512,
        -2355,
        6400 - 512 - 2355,
        "issued",
    )


def test_a_month_not_over_is_not_settled_and_a_month_before_a_settled_one_is_refused(funded: Shop) -> None:
    buy(funded, 1)
    with pytest.raises(ApplicationError) as early:
        statements.statement_build(merchant_id=funded.fruit.pk, month=in_month(0).date())
    assert early.value.code == "month_not_over"
    buy(funded, 1, now=in_month(-1))
    buy(funded, 1, now=in_month(-3))
    assert statements.statement_build(merchant_id=funded.fruit.pk, month=in_month(-1).date()) is not None
    with pytest.raises(ApplicationError) as late:
        statements.statement_build(merchant_id=funded.fruit.pk, month=in_month(-3).date())
    assert late.value.code == "later_statement_exists"


def test_the_merchant_confirms_its_own_statement_only_and_once(funded: Shop) -> None:
    buy(funded, 1, now=in_month(-1))
    st = statements.statement_build(merchant_id=funded.fruit.pk, month=in_month(-1).date())
    assert st is not None
    with pytest.raises(ApplicationError) as other:
        statements.statement_confirm(statement_id=st.pk, merchant_id=funded.cleaner.pk, user_id=None)
    assert other.value.code == "not_found"
    done = statements.statement_confirm(statement_id=st.pk, merchant_id=funded.fruit.pk, user_id=7)
    assert (done.status, done.confirmed_by_id) == ("confirmed", 7)
    again = statements.statement_confirm(statement_id=st.pk, merchant_id=funded.fruit.pk, user_id=8)
    assert again.confirmed_by_id == 7
    assert MerchantStatement.objects.get(statement_id=st.pk, tenant=funded.tenant).status == "confirmed"


def test_the_monthly_task_builds_last_months_statements_for_every_merchant(funded: Shop) -> None:
    from django.conf import settings

    from marketplace.settlement.tasks import settlement_statements_build
    from tenants.dispatch import DISPATCH_TASK, dispatch_entries

    buy(funded, 1, now=in_month(-1))
    buy(funded, 1, now=in_month(-1), listing=funded.grapes, variant=funded.red)
    assert settlement_statements_build() == 1  # one merchant (both lines are fruit)
    assert settlement_statements_build() == 0  # issued once
    entry = dispatch_entries(settings.CELERY_BEAT_SCHEDULE)["settlement-statements-build"]
    assert entry["task"] == DISPATCH_TASK and entry["kwargs"] == {"local_hour": 3}
    assert entry["args"][0] == "marketplace.settlement.tasks.settlement_statements_build"


def test_the_statement_as_pdf_and_xlsx(funded: Shop) -> None:
    buy(funded, 2, now=in_month(-1))
    st = statements.statement_build(merchant_id=funded.fruit.pk, month=in_month(-1).date())
    assert st is not None
    pdf = documents.statement_pdf(st, company_name="阿尔法物业")
    assert pdf.startswith(b"%PDF") and len(pdf) > 1500
    sheet = load_workbook(io.BytesIO(documents.statement_xlsx(st, company_name="阿尔法物业"))).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["Amount due", 23.55] in [row[:2] for row in values]
    assert any(row[1] == st.lines.first().entry.order_code and row[4] == 25.6 for row in values)  # type: ignore[union-attr]
