"""What a merchant may keep seeing of a resident: an order carries, from checkout, what fulfilment needs (the
resident's name, a phone, the home's label, a note). Once the order has been closed (completed, rejected,
cancelled, expired) for SHOP_PERSONAL_DATA_DAYS (30), the merchant sees them masked: 王** · 138****5678 ·
阳光花园 ***, no note.

Two guards, on purpose: the merchant's one shape of an order (merchant.order_fulfilment, read by its pages and
its API) masks at read time from the close time, so day 30 holds to the minute whatever the beat does; and the
nightly `shop_orders_personal_data_scrub` task overwrites the stored name and phone copies with the masked forms
and drops the note, so the company's schema keeps no full copy either (the person's record stays the company's
source; the unit label stays, as the order's unit does)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Order, OrderStatus

CLOSED = (
    OrderStatus.COMPLETED,
    OrderStatus.REVIEWED,
    OrderStatus.REJECTED,
    OrderStatus.CANCELLED,
    OrderStatus.EXPIRED,
)


def personal_data_days() -> int:
    return int(getattr(settings, "SHOP_PERSONAL_DATA_DAYS", 30))


def order_closed_at(order: Order) -> dt.datetime | None:
    """When the order closed: its closing time (rejected, cancelled, expired, completed), else the completion
    (orders completed before closed_at was set on completion)."""
    if order.status not in CLOSED:
        return None
    return order.closed_at or order.completed_at


def order_is_masked(order: Order, *, now: dt.datetime | None = None) -> bool:
    closed = order_closed_at(order)
    if closed is None:
        return False
    return (now or timezone.now()) >= closed + dt.timedelta(days=personal_data_days())


def mask_name(name: str) -> str:
    name = (name or "").strip()
    return (name[0] + "*" * max(len(name) - 1, 1)) if name else ""


def mask_phone(phone: str) -> str:
    digits = (phone or "").strip()
    if not digits:
        return ""
    if "*" in digits:  # already masked
        return digits
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 11 else "****"


def mask_unit_label(label: str) -> str:
    """'阳光花园 1栋 101' → '阳光花园 ***': the estate stays (it is no one's), the home goes."""
    estate, _, rest = (label or "").partition(" ")
    return f"{estate} ***" if rest else "***"


def order_contact(order: Order, *, now: dt.datetime | None = None) -> dict[str, object]:
    """The resident's details as the merchant may see them now."""
    if order_is_masked(order, now=now):
        return {
            "contact_name": mask_name(order.contact_name),
            "contact_phone": mask_phone(order.contact_phone),
            "unit_label": mask_unit_label(order.unit_label),
            "note": "",
            "personal_data_masked": True,
        }
    return {
        "contact_name": order.contact_name,
        "contact_phone": order.contact_phone,
        "unit_label": order.unit_label,
        "note": order.note,
        "personal_data_masked": False,
    }


def orders_personal_data_scrub(*, now: dt.datetime | None = None, limit: int = 2000) -> int:
    """The nightly sweep (this company's schema): orders closed for SHOP_PERSONAL_DATA_DAYS keep only the masked
    name and phone, and no note. Idempotent (a scrubbed order is marked and skipped), in batches of `limit`."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=personal_data_days())
    due = (
        Order.objects.filter(status__in=CLOSED, personal_data_scrubbed_at__isnull=True)
        .annotate(closed=Coalesce("closed_at", "completed_at"))
        .filter(Q(closed__lte=cutoff))
        .order_by("pk")
    )
    done = 0
    while True:
        batch = list(due.only("pk", "contact_name", "contact_phone", "note")[:limit])
        if not batch:
            return done
        for order in batch:
            order.contact_name = mask_name(order.contact_name)
            order.contact_phone = mask_phone(order.contact_phone)
            order.note = ""
            order.personal_data_scrubbed_at = now
        Order.objects.bulk_update(batch, ["contact_name", "contact_phone", "note", "personal_data_scrubbed_at"])
        done += len(batch)
