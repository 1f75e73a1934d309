"""Orders brought to delivery for the after-sale tests, and photos as they arrive."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from backend.billing import ledger
from backend.payments.online import online_payment_confirm, online_payment_start
from backend.uploads.kinds import SHOP_AFTERSALE_PHOTO
from backend.uploads.validation import AcceptedUpload, upload_accept
from marketplace.orders import flow
from marketplace.orders.flow import Item
from marketplace.orders.models import Order
from marketplace.orders.money import order_payable
from tests.backend.payments.test_online import saved_card

from .conftest import Shop


def png_bytes(colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def photo(colour: str = "red") -> AcceptedUpload:
    buffer = io.BytesIO(png_bytes(colour))
    buffer.name = "p.png"  # type: ignore[attr-defined]
    return upload_accept(kind=SHOP_AFTERSALE_PHOTO, upload=buffer)


def png_file(name: str = "p.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def delivered(shop: Shop, items: list[Item] | None = None, *, localstripe: str = "", user: Any = None) -> Order:
    """An order of the resident's (apples ×2 and green grapes ×1 unless said), paid by card through localstripe
    when given (else from prepaid money), accepted and delivered by the fruit merchant."""
    user = user or shop.resident
    unit = shop.home if user == shop.resident else shop.neighbour_home
    items = items or [Item(shop.apple.pk, 2), Item(shop.grapes.pk, 1, variant_id=shop.green.pk)]
    if not localstripe:
        ledger.payment_record(unit=unit, amount=100000, method="cash", to_prepaid=True)
    (order,) = flow.checkout(user=user, unit=unit, items=items)
    if localstripe:
        op, _created = online_payment_start(
            user=user, unit=unit, line_ids=order_payable(order)["line_ids"], idempotency_key=f"as{order.pk}"
        )
        online_payment_confirm(op, payment_method=saved_card(localstripe, user))
    assert fresh(order).status == "paid"
    merchant_id = order.merchant_id
    for action in ("accept", "deliver"):
        flow.order_merchant_move(order_id=order.pk, merchant_id=merchant_id, action=action, by=None)
    return fresh(order)


def completed(shop: Shop, **kwargs: Any) -> Order:
    order = delivered(shop, **kwargs)
    flow.order_confirm(order_id=order.pk, user=order.user)
    return fresh(order)
