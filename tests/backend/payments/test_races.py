"""Races on committed data, with threads on their own connections: two online payments of one line, the
webhook against the browser's refresh, a double-clicked start. Money is never lost nor counted twice."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from backend.billing import ledger
from backend.billing.models import BillLine, FeeAssignment, FeeItem, FeeStandard, LedgerEntry, Payment
from backend.billing.selectors import unit_account
from backend.gateway.models import WebhookEvent
from backend.gateway.webhooks import webhook_event_process_now
from backend.notifications.models import Notification
from backend.payments.models import OnlinePayment, Refund, StripeCustomer
from backend.payments.online import online_payment_confirm, online_payment_refresh, online_payment_start
from backend.properties import services as registry
from backend.properties.models import Building, Estate, ManagementOffice, Unit
from tenants.db import connection
from tests.backend.billing.conftest import EVERYTHING

from .cleanup import forget_payments
from .conftest import owed
from .test_online import saved_card
from .test_webhooks import pay_at_stripe

pytestmark = pytest.mark.usefixtures("localstripe")


@dataclass
class Committed:
    tenant: Any
    unit: Unit
    line: BillLine
    user: Any


@contextlib.contextmanager
def committed_line(amount: int = 1000) -> Iterator[Committed]:
    """A unit with one owed line in company alpha, committed (call under django_db_blocker.unblock()), and
    everything the test adds to it removed afterwards."""
    from backend.accounts.models import User
    from backend.billing import services
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug="alpha")
    connection.set_tenant(tenant)
    user = User.objects.get(email="admin@alpha.test")
    since = timezone.now()
    office = registry.office_create(name=f"并发{uuid.uuid4().hex[:6]}", scope=EVERYTHING)
    try:
        estate = registry.estate_create(office_id=office.pk, name="并发苑", scope=EVERYTHING)
        building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
        registry.units_generate(
            building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="50", scope=EVERYTHING
        )
        unit = Unit.objects.get(building=building)
        item = services.fee_item_create(
            office=office,
            scope=EVERYTHING,
            code="g",
            name="垃圾费",
            category="garbage",
            method="fixed",
            cycle="monthly",
        )
        line = ledger.adhoc_charge_post(unit=unit, fee_item=item, amount=amount, description="race")
        yield Committed(tenant, unit, line, user)
    finally:
        connection.set_tenant(tenant)
        units = Unit.objects.filter(building__estate__office=office)
        payments = Payment.objects.filter(unit__in=units)
        intents = list(OnlinePayment.objects.filter(unit__in=units).values_list("intent_id", flat=True))
        WebhookEvent.objects.filter(object_id__in=[i for i in intents if i]).delete()
        forget_payments(units)
        LedgerEntry.objects.filter(unit__in=units).delete()
        payments.delete()
        BillLine.objects.filter(unit__in=units).delete()
        FeeAssignment.objects.filter(unit__in=units).delete()
        FeeStandard.objects.filter(fee_item__office=office).delete()
        FeeItem.objects.filter(office=office).delete()
        units.delete()
        Building.objects.filter(estate__office=office).delete()
        Estate.objects.filter(office=office).delete()
        ManagementOffice.objects.filter(pk=office.pk).delete()
        Notification.objects.filter(recipient=user, kind__startswith="payment.", created_at__gte=since).delete()
        StripeCustomer.objects.filter(user=user).delete()
        connection.set_schema_to_public()


def run_together(tenant: Any, *jobs: Callable[[], Any]) -> list[Any]:
    """Run the jobs at the same moment, each on its own connection; their results (or errors) in order."""
    results: list[Any] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(n: int) -> None:
        try:
            connection.set_tenant(tenant)
            barrier.wait(timeout=10)
            results[n] = jobs[n]()
        except Exception as error:  # noqa: BLE001 - reported by the caller's assertions
            results[n] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    connection.set_tenant(tenant)
    return results


def test_two_concurrent_online_payments_of_one_line_settle_it_once_and_keep_the_rest(
    django_db_setup: None, django_db_blocker: Any, localstripe: str
) -> None:
    with django_db_blocker.unblock(), committed_line() as w:
        ops = [
            online_payment_start(user=w.user, unit=w.unit, line_ids=[w.line.pk], idempotency_key=f"race-{n}")[0]
            for n in range(2)
        ]
        cards = [saved_card(localstripe, w.user) for _ in ops]
        results = run_together(
            w.tenant,
            *[partial(online_payment_confirm, op, payment_method=pm) for op, pm in zip(ops, cards, strict=True)],
        )
        assert [getattr(r, "status", r) for r in results] == ["succeeded", "succeeded"]
        payments = list(Payment.objects.filter(unit=w.unit).order_by("pk"))
        assert [p.amount for p in payments] == [1000, 1000]
        money_in = LedgerEntry.objects.filter(unit=w.unit, kind__in=["payment", "prepayment"])
        assert sum(e.amount for e in money_in) == 2000
        assert LedgerEntry.objects.filter(bill_line=w.line, kind="settle").count() == 1
        assert owed(w.line) == 0
        account = unit_account(w.unit.pk)
        assert (account.owed, account.prepaid, account.paid) == (0, 1000, 2000)
        # The one that came second is the prepaid credit, in full.
        second = LedgerEntry.objects.get(unit=w.unit, kind="prepayment")
        assert second.amount == 1000 and not LedgerEntry.objects.filter(payment=second.payment, kind="settle").exists()


def test_the_webhook_and_the_browsers_refresh_at_once_post_one_payment(
    django_db_setup: None, django_db_blocker: Any, localstripe: str
) -> None:
    with django_db_blocker.unblock(), committed_line() as w:
        for attempt in range(3):  # a few rounds: the interleaving differs from run to run
            op, _ = online_payment_start(user=w.user, unit=w.unit, top_up=500 + attempt)
            intent = pay_at_stripe(localstripe, op, saved_card(localstripe, w.user))
            connection.set_schema_to_public()
            event = WebhookEvent.objects.create(
                event_id=f"evt_race_{uuid.uuid4().hex[:12]}",
                type="payment_intent.succeeded",
                tenant_schema=w.tenant.schema_name,
                object_id=intent["id"],
                payload={"id": "evt", "type": "payment_intent.succeeded", "data": {"object": intent}},
            )
            connection.set_tenant(w.tenant)
            results = run_together(
                w.tenant, partial(webhook_event_process_now, event.pk), partial(online_payment_refresh, op)
            )
            assert [getattr(r, "status", r) for r in results] == ["processed", "succeeded"], results
            assert Payment.objects.filter(reference=op.intent_id).count() == 1
            op.refresh_from_db()
            assert op.status == "succeeded" and op.payment_id is not None
            assert Payment.objects.get(pk=op.payment_id).amount == 500 + attempt


def test_two_concurrent_starts_with_one_idempotency_key_make_one_intent(
    django_db_setup: None, django_db_blocker: Any, localstripe: str
) -> None:
    with django_db_blocker.unblock(), committed_line() as w:
        key = f"double-click-{uuid.uuid4().hex[:6]}"

        def start() -> tuple[OnlinePayment, bool]:
            return online_payment_start(user=w.user, unit=w.unit, line_ids=[w.line.pk], idempotency_key=key)

        results = run_together(w.tenant, start, start)
        assert all(isinstance(r, tuple) for r in results), results
        assert sorted(created for _, created in results) == [False, True]
        assert len({op.pk for op, _ in results}) == 1 and len({op.intent_id for op, _ in results}) == 1
        assert OnlinePayment.objects.filter(unit=w.unit).count() == 1
        assert str(results[0][0].intent_id).startswith("pi_")


def test_two_concurrent_full_refunds_give_the_money_back_once(
    django_db_setup: None, django_db_blocker: Any, localstripe: str
) -> None:
    from backend.errors import ApplicationError
    from backend.payments.providers import stripe_provider
    from backend.payments.refunds import refund_create

    with django_db_blocker.unblock(), committed_line() as w:
        op, _ = online_payment_start(user=w.user, unit=w.unit, line_ids=[w.line.pk])
        op = online_payment_confirm(op, payment_method=saved_card(localstripe, w.user))
        payment = Payment.objects.get(reference=op.intent_id)
        results = run_together(
            w.tenant,
            *[partial(refund_create, payment=payment, amount=1000, reason=f"refund {n}", by=w.user) for n in range(2)],
        )
        assert sorted(type(r).__name__ for r in results) == ["ApplicationError", "Refund"], results
        refused = next(r for r in results if isinstance(r, ApplicationError))
        assert "amount" in refused.fields
        assert Refund.objects.filter(payment=payment).count() == 1
        assert [r.amount for r in stripe_provider().refunds_list(str(op.intent_id))] == [1000]
        assert owed(w.line) == 1000 and unit_account(w.unit.pk).prepaid == 0
