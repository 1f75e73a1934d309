"""Two approvals of one refund request at the same moment, on committed rows, from threads on their own
connections (the merchant's two clerks; the company's two staff): the line is refunded once, the other
decision is refused; and many requests for one line at once open exactly one."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from backend.billing import ledger
from backend.billing.models import LedgerEntry
from backend.errors import ApplicationError
from backend.properties import services as registry
from backend.properties.models import Person, Unit
from backend.properties.scope import Scope
from marketplace.models import Merchant
from marketplace.orders import flow, refunds
from marketplace.orders.flow import Item
from marketplace.orders.models import AftersalePhoto, Order, OrderLine, RefundRequest
from tenants.db import connection
from tests.backend.club.test_races import run_together
from tests.factories import MemberFactory
from tests.marketplace.factories import make_application, make_listing, make_merchant, shop_world_purge

EVERYTHING = Scope.everything()
THREADS = 6


@dataclass
class World:
    tenant: Any
    user: Any
    unit: Unit
    merchant: Merchant
    order: Order
    line: OrderLine


@contextlib.contextmanager
def committed_order() -> Iterator[World]:
    """A delivered order of ¥50.00 (one line), paid from prepaid money, in its own office of company alpha;
    everything it made is removed afterwards."""
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug="alpha")
    connection.set_tenant(tenant)
    since = dt.datetime.now(dt.UTC)
    office = registry.office_create(name=f"并发售后{uuid.uuid4().hex[:6]}", scope=EVERYTHING)
    user = MemberFactory(tenant=tenant, roles=["resident"]).user
    connection.set_tenant(tenant)
    merchant = make_merchant(f"并发退款{uuid.uuid4().hex[:4]}")
    try:
        estate = registry.estate_create(office_id=office.pk, name="并发售后苑", scope=EVERYTHING)
        building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
        registry.units_generate(
            building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="50", scope=EVERYTHING
        )
        unit = Unit.objects.get(building=building)
        person = registry.person_create(name="并发业主")
        Person.objects.filter(pk=person.pk).update(user=user)
        person.refresh_from_db()
        registry.occupancy_move_in(
            unit_id=unit.pk, person=person, role="owner", start_date=dt.date(2025, 1, 1), scope=EVERYTHING
        )
        make_application(merchant, tenant, status="approved", estates={estate.pk: estate.name}, categories=["fruit"])
        listing = make_listing(merchant, title="并发西瓜", price_fen=5000)
        ledger.payment_record(unit=unit, amount=5000, method="cash", to_prepaid=True)
        (order,) = flow.checkout(user=user, unit=unit, items=[Item(listing.pk, 1)])
        for action in ("accept", "deliver"):
            flow.order_merchant_move(order_id=order.pk, merchant_id=merchant.pk, action=action, by=None)
        yield World(tenant, user, unit, merchant, Order.objects.get(pk=order.pk), order.lines.get())
    finally:
        connection.set_tenant(tenant)
        AftersalePhoto.objects.filter(refund__order__unit__estate__office=office).delete()
        RefundRequest.objects.filter(order__unit__estate__office=office).delete()
        shop_world_purge(tenant=tenant, office=office, merchant=merchant, users=[user], since=since)


def _outcomes(results: list[Any]) -> tuple[list[Any], list[Any]]:
    won = [r for r in results if isinstance(r, RefundRequest)]
    lost = [r for r in results if isinstance(r, ApplicationError)]
    assert len(won) + len(lost) == len(results), [repr(r) for r in results]
    return won, lost


def test_two_merchant_approvals_at_once_refund_once(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), committed_order() as w:
        req = refunds.refund_request_create(
            user=w.user, order_id=w.order.pk, line_id=w.line.pk, amount_fen=3000, reason="坏了"
        )

        def approve() -> Any:
            return refunds.refund_merchant_decide(request_id=req.pk, merchant_id=w.merchant.pk, approve=True, by=None)

        won, lost = _outcomes(run_together(w.tenant, [approve for _ in range(THREADS)]))
        assert len(won) == 1 and {e.code for e in lost} == {"already_decided"}, (won, lost)
        line = OrderLine.objects.get(pk=w.line.pk)
        assert line.refunded_fen == 3000
        assert Order.objects.get(pk=w.order.pk).refunded_fen == 3000
        corrections = LedgerEntry.objects.filter(bill_line_id=line.charge_id, kind=LedgerEntry.Kind.WAIVER)
        assert corrections.count() == 1 and corrections.get().amount == 3000


def test_two_company_approvals_at_once_refund_once_and_requests_for_one_line_open_one(
    django_db_setup: None, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock(), committed_order() as w:

        def ask() -> Any:
            return refunds.refund_request_create(
                user=w.user, order_id=w.order.pk, line_id=w.line.pk, amount_fen=5000, reason="全坏了"
            )

        won, lost = _outcomes(run_together(w.tenant, [ask for _ in range(THREADS)]))
        assert len(won) == 1 and {e.code for e in lost} == {"already_open"}, (won, lost)
        req = won[0]
        refunds.refund_merchant_decide(
            request_id=req.pk, merchant_id=w.merchant.pk, approve=False, note="不退", by=None
        )
        refunds.refund_escalate(request_id=req.pk, user=w.user, note="请物业评理")

        def decide() -> Any:
            return refunds.refund_company_decide(
                request_id=req.pk, approve=True, amount_fen=4000, note="退四十", by=None, scope=EVERYTHING
            )

        won, lost = _outcomes(run_together(w.tenant, [decide for _ in range(THREADS)]))
        assert len(won) == 1 and {e.code for e in lost} == {"already_decided"}, (won, lost)
        assert OrderLine.objects.get(pk=w.line.pk).refunded_fen == 4000
        assert LedgerEntry.objects.filter(bill_line_id=w.line.charge_id, kind=LedgerEntry.Kind.WAIVER).count() == 1
