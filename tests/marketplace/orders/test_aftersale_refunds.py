"""Refund requests per line after delivery: the resident's rules (after delivery, within the window, at most
what was paid for the line less what went back, one open request a line), the merchant's approval in full or
in part through the existing refund (money.order_refund: the ledger's correction, then Stripe), a decline, the
escalation to the company and its final word; audits and live notices; who may not see or act."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from backend.audit.models import AuditEntry
from backend.billing.selectors import unit_account
from backend.errors import ApplicationError
from backend.notifications.models import Notification
from backend.payments.models import Refund
from backend.properties.scope import Scope
from marketplace.aftersale_index.models import RefundEntry
from marketplace.models import MerchantNotice
from marketplace.orders import refunds
from marketplace.orders.models import AftersalePhoto, OrderLine, RefundRequest

from .aftersale_helpers import delivered, fresh, photo
from .conftest import Shop

pytestmark = pytest.mark.django_db
EVERYTHING = Scope.everything()


def apple_line(order: Any) -> OrderLine:
    return order.lines.get(variant_id=None)


def ask(shop: Shop, order: Any, amount: int, line: OrderLine | None = None, **kw: Any) -> RefundRequest:
    line = line or apple_line(order)
    return refunds.refund_request_create(
        user=kw.pop("user", shop.resident),
        order_id=order.pk,
        line_id=line.pk,
        amount_fen=amount,
        reason=kw.pop("reason", "苹果坏了两个"),
        **kw,
    )


def test_the_resident_asks_per_line_within_the_rules(shop: Shop) -> None:
    from marketplace.orders import flow
    from marketplace.orders.flow import Item

    order = delivered(shop)
    line = apple_line(order)
    assert line.amount_fen == 2560
    with pytest.raises(ApplicationError) as caught:  # more than the line cost
        ask(shop, order, 2561)
    assert caught.value.code == "over_refund" and "amount_fen" in caught.value.fields
    for bad in (0, -5, "x"):
        with pytest.raises(ApplicationError) as caught:
            ask(shop, order, bad)  # type: ignore[arg-type]
        assert "amount_fen" in caught.value.fields
    with pytest.raises(ApplicationError) as caught:
        ask(shop, order, 100, reason="  ")
    assert "reason" in caught.value.fields
    with pytest.raises(ApplicationError) as caught:  # not the neighbour's to ask
        ask(shop, order, 100, user=shop.neighbour)
    assert caught.value.status == 404
    with pytest.raises(ApplicationError) as caught:  # a line of another order
        other = delivered(shop, [Item(shop.apple.pk, 1)])
        ask(shop, order, 100, line=apple_line(other))
    assert "line" in caught.value.fields
    req = ask(shop, order, 1280, photos=[photo(), photo("blue")])
    assert (req.status, req.amount_fen, req.unit_id, req.merchant_id) == ("pending", 1280, shop.home.pk, shop.fruit.pk)
    assert AftersalePhoto.objects.filter(refund=req).count() == 2
    assert AftersalePhoto.objects.get(refund=req, pk=req.photos.first().pk).image.name.startswith(
        f"{shop.tenant.schema_name}/shop-aftersale/"
    )
    with pytest.raises(ApplicationError) as caught:  # one open request per line
        ask(shop, order, 100)
    assert caught.value.code == "already_open"
    grapes = order.lines.get(variant_id=shop.green.pk)
    ask(shop, order, grapes.amount_fen, line=grapes)  # another line may have its own
    entry = RefundEntry.objects.get(request_id=req.pk)
    assert (entry.merchant_id, entry.tenant_id, entry.status, entry.amount_fen) == (
        shop.fruit.pk,
        shop.tenant.pk,
        "pending",
        1280,
    )
    assert MerchantNotice.objects.filter(merchant=shop.fruit, kind="shop.refund_requested").count() == 2
    assert AuditEntry.objects.filter(action="shop.refund_request").count() == 2
    # Not before delivery; not after the window.
    ledger_order = delivered(shop, [Item(shop.apple.pk, 1)])
    (paid,) = flow.checkout(user=shop.resident, unit=shop.home, items=[Item(shop.red.listing_id, 1, shop.red.pk)])
    with pytest.raises(ApplicationError) as caught:
        ask(shop, paid, 100, line=paid.lines.get())
    assert caught.value.code == "invalid_state"
    late = timezone.now() + dt.timedelta(days=refunds.request_days(), hours=1)
    with pytest.raises(ApplicationError) as caught:
        ask(shop, ledger_order, 100, now=late)
    assert caught.value.code == "too_late"


def test_too_many_photos_are_refused(shop: Shop) -> None:
    order = delivered(shop)
    with pytest.raises(ApplicationError) as caught:
        ask(shop, order, 100, photos=[photo() for _ in range(7)])
    assert "photos" in caught.value.fields
    assert not RefundRequest.objects.exists()


@pytest.mark.usefixtures("localstripe")
def test_a_partial_approval_goes_back_to_the_card_and_the_line_never_gives_back_more_than_was_paid(
    shop: Shop, localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    order = delivered(shop, localstripe=localstripe)
    line = apple_line(order)
    req = ask(shop, order, 2000)
    with pytest.raises(ApplicationError) as caught:  # more than asked
        refunds.refund_merchant_decide(
            request_id=req.pk, merchant_id=shop.fruit.pk, approve=True, amount_fen=2001, by=None
        )
    assert "amount_fen" in caught.value.fields
    with pytest.raises(ApplicationError) as caught:  # another merchant
        refunds.refund_merchant_decide(request_id=req.pk, merchant_id=shop.cleaner.pk, approve=True, by=None)
    assert caught.value.status == 404
    with django_capture_on_commit_callbacks(execute=True):
        refunds.refund_merchant_decide(
            request_id=req.pk, merchant_id=shop.fruit.pk, approve=True, amount_fen=1500, note="给您退一半多", by=None
        )
    req.refresh_from_db()
    assert (req.status, req.approved_fen, req.partial) == ("approved", 1500, True)
    (refund,) = Refund.objects.filter(pk__in=req.refund_ids)
    assert (refund.amount, refund.status) == (1500, "succeeded")
    assert OrderLine.objects.get(pk=line.pk).refunded_fen == 1500
    o = fresh(order)
    assert (o.refunded_fen, o.refund_state, o.status) == (1500, "done", "delivered")
    assert OrderLine.objects.get(order=order, variant_id=shop.green.pk).refunded_fen == 0  # the other line kept
    account = unit_account(shop.home.pk)
    assert (account.owed, account.prepaid) == (0, 0)  # the card got it, not the prepaid balance
    with pytest.raises(ApplicationError) as caught:  # decided once
        refunds.refund_merchant_decide(request_id=req.pk, merchant_id=shop.fruit.pk, approve=True, by=None)
    assert caught.value.code == "already_decided"
    # What is left on the line: 2560 - 1500 = 1060.
    with pytest.raises(ApplicationError) as caught:
        ask(shop, order, 1061)
    assert caught.value.code == "over_refund"
    again = ask(shop, order, 1060)
    with django_capture_on_commit_callbacks(execute=True):
        refunds.refund_merchant_decide(request_id=again.pk, merchant_id=shop.fruit.pk, approve=True, by=None)
    assert OrderLine.objects.get(pk=line.pk).refunded_fen == 2560
    assert (
        sum(Refund.objects.filter(payment__isnull=False, status="succeeded").values_list("amount", flat=True)) == 2560
    )
    with pytest.raises(ApplicationError) as caught:  # nothing left
        ask(shop, order, 1)
    assert caught.value.code == "over_refund"
    titles = list(
        Notification.objects.filter(recipient=shop.resident, kind="shop.refund_decided").values_list("title", flat=True)
    )
    assert len(titles) == 2 and any("15.00" in t for t in titles)
    assert AuditEntry.objects.filter(action="shop.refund_approve").count() == 2


def test_declined_then_escalated_then_the_company_decides_once_and_finally(
    shop: Shop, member: Any, django_capture_on_commit_callbacks: Any
) -> None:
    staff = member(shop.tenant, ["customer_service"])
    finance = member(shop.tenant, ["finance"])
    order = delivered(shop)
    req = ask(shop, order, 1000)
    with pytest.raises(ApplicationError):  # escalating needs a decline first
        refunds.refund_escalate(request_id=req.pk, user=shop.resident, note="商家不理")
    with pytest.raises(ApplicationError) as caught:  # a decline says why
        refunds.refund_merchant_decide(request_id=req.pk, merchant_id=shop.fruit.pk, approve=False, by=None)
    assert "note" in caught.value.fields
    refunds.refund_merchant_decide(
        request_id=req.pk, merchant_id=shop.fruit.pk, approve=False, note="照片看不出问题", by=None
    )
    assert RefundRequest.objects.get(pk=req.pk).status == "declined"
    with pytest.raises(ApplicationError):  # the company decides only escalated requests
        refunds.refund_company_decide(request_id=req.pk, approve=True, note="x", by=staff, scope=EVERYTHING)
    with pytest.raises(ApplicationError) as caught:  # not the neighbour's to escalate
        refunds.refund_escalate(request_id=req.pk, user=shop.neighbour, note="x")
    assert caught.value.status == 404
    refunds.refund_escalate(request_id=req.pk, user=shop.resident, note="苹果确实烂了")
    assert RefundRequest.objects.get(pk=req.pk).status == "escalated"
    # The staff who run the marketplace are told (finance is not).
    told = set(Notification.objects.filter(kind="shop.refund_escalated").values_list("recipient_id", flat=True))
    assert staff.pk in told and finance.pk not in told
    with pytest.raises(ApplicationError):  # the merchant's turn has passed
        refunds.refund_merchant_decide(request_id=req.pk, merchant_id=shop.fruit.pk, approve=True, by=None)
    # Staff scoped to the other office do not find it.
    other_office = Scope(all_offices=False, office_ids=frozenset({shop.other_estate.office_id}))
    with pytest.raises(ApplicationError) as caught:
        refunds.refund_company_decide(request_id=req.pk, approve=True, note="x", by=staff, scope=other_office)
    assert caught.value.status == 404
    assert refunds.staff_refund_get(other_office, req.pk) is None
    assert refunds.staff_refund_get(EVERYTHING, req.pk) is not None
    with django_capture_on_commit_callbacks(execute=True):
        refunds.refund_company_decide(
            request_id=req.pk, approve=True, amount_fen=800, note="按八元退", by=staff, scope=EVERYTHING
        )
    req.refresh_from_db()
    assert (req.status, req.approved_fen, req.company_decided_by_id) == ("company_approved", 800, staff.pk)
    assert apple_line(order).refunded_fen == 800
    assert unit_account(shop.home.pk).prepaid >= 800  # paid from prepaid money: it went back there
    for attempt in (
        lambda: refunds.refund_company_decide(request_id=req.pk, approve=True, note="再退", by=staff, scope=EVERYTHING),
        lambda: refunds.refund_escalate(request_id=req.pk, user=shop.resident, note="再议"),
    ):
        with pytest.raises(ApplicationError):  # final
            attempt()
    assert apple_line(order).refunded_fen == 800
    assert RefundEntry.objects.get(request_id=req.pk).status == "company_approved"
    assert AuditEntry.objects.filter(action="shop.refund_company_approve").count() == 1
    assert MerchantNotice.objects.filter(merchant=shop.fruit, kind="shop.refund_escalated").count() == 1


def test_the_company_declines_and_nothing_is_refunded(shop: Shop, member: Any) -> None:
    staff = member(shop.tenant, ["company_admin"])
    order = delivered(shop)
    req = ask(shop, order, 500)
    refunds.refund_merchant_decide(request_id=req.pk, merchant_id=shop.fruit.pk, approve=False, note="不退", by=None)
    refunds.refund_escalate(request_id=req.pk, user=shop.resident, note="请物业评理")
    with pytest.raises(ApplicationError) as caught:
        refunds.refund_company_decide(request_id=req.pk, approve=False, note="", by=staff, scope=EVERYTHING)
    assert "note" in caught.value.fields
    refunds.refund_company_decide(request_id=req.pk, approve=False, note="证据不足", by=staff, scope=EVERYTHING)
    req.refresh_from_db()
    assert (req.status, req.approved_fen) == ("company_declined", 0)
    assert apple_line(order).refunded_fen == 0 and fresh(order).refunded_fen == 0
    assert Notification.objects.filter(recipient=shop.resident, kind="shop.refund_decided").count() == 2


def test_the_resident_withdraws_a_pending_request_only(shop: Shop) -> None:
    order = delivered(shop)
    req = ask(shop, order, 500)
    with pytest.raises(ApplicationError):
        refunds.refund_withdraw(request_id=req.pk, user=shop.neighbour)
    assert refunds.refund_withdraw(request_id=req.pk, user=shop.resident).status == "withdrawn"
    with pytest.raises(ApplicationError):
        refunds.refund_withdraw(request_id=req.pk, user=shop.resident)
    with pytest.raises(ApplicationError):
        refunds.refund_merchant_decide(request_id=req.pk, merchant_id=shop.fruit.pk, approve=True, by=None)
    ask(shop, order, 500)  # the line is free again
