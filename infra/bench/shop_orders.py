"""Shop orders' race benchmark (`bench stock-race`), in the club bench's company and estate (its homes, one
resident each, bearer tokens), through the server the HTTP benches use (infra/web.sh: uvicorn workers, pooled
connections):

- stock-race: SHOP_RACE_REQUESTS (100) concurrent POST /api/v1/shop/checkout/ from as many residents for the last
  SHOP_RACE_STOCK (5) apples: exactly 5 orders, 95 answered 409 "sold_out", 0 errors, and the stock at 0.
- slot-race: SHOP_SLOT_REQUESTS (50) concurrent checkouts of one service slot with 2 places: exactly 2.

The value is the p95 of the burst; the baseline the median of the same checkout sent one at a time.
Knobs (environment): SHOP_RACE_REQUESTS, SHOP_RACE_STOCK, SHOP_SLOT_REQUESTS."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import sys
from typing import Any

from django.utils import timezone

from tenants.db import connection

from . import club

RACE_REQUESTS = int(os.environ.get("SHOP_RACE_REQUESTS", "100"))
RACE_STOCK = int(os.environ.get("SHOP_RACE_STOCK", "5"))
SLOT_REQUESTS = int(os.environ.get("SHOP_SLOT_REQUESTS", "50"))
SLOT_PLACES = 2
SINGLES = 20
TOKEN_NAME = "shop bench"
PATH = "/api/v1/shop/checkout/"


def _merchant(estate: Any) -> Any:
    """The bench's merchant, approved by the company for the bench estate (fruit and housekeeping)."""
    from marketplace.models import ApplicationStatus, Merchant, MerchantApplication

    merchant, _created = Merchant.objects.get_or_create(
        licence_number="91310000BENCH0001X",
        defaults={
            "name": "基准鲜果家政",
            "licence": "merchants/bench/licence.png",
            "contact_name": "基准",
            "contact_phone": "16600000099",
            "address": "基准路1号",
        },
    )
    MerchantApplication.objects.update_or_create(
        merchant=merchant,
        tenant=connection.tenant,
        defaults={
            "status": ApplicationStatus.APPROVED,
            "estate_ids": [estate.pk],
            "estate_names": {str(estate.pk): estate.name},
            "category_codes": ["fruit", "housekeeping"],
            "approved_estate_ids": [estate.pk],
            "approved_category_codes": ["fruit", "housekeeping"],
            "submitted_at": timezone.now(),
            "decided_at": timezone.now(),
        },
    )
    return merchant


def _listings(merchant: Any) -> tuple[Any, Any, Any, Any]:
    """(the apples with RACE_STOCK left, a slot of 2 places, unlimited pears for the baseline, the cleaning)."""
    from marketplace.models import Category, Listing, ServiceSlot

    fruit, housekeeping = Category.objects.get(code="fruit"), Category.objects.get(code="housekeeping")
    apples, _c = Listing.objects.update_or_create(
        merchant=merchant,
        title="基准苹果",
        defaults={"kind": "good", "category": fruit, "price_fen": 1280, "stock": RACE_STOCK, "is_active": True},
    )
    pears, _c = Listing.objects.update_or_create(
        merchant=merchant,
        title="基准梨",
        defaults={"kind": "good", "category": fruit, "price_fen": 990, "stock": None, "is_active": True},
    )
    cleaning, _c = Listing.objects.update_or_create(
        merchant=merchant,
        title="基准保洁",
        defaults={
            "kind": "service",
            "category": housekeeping,
            "price_fen": 15000,
            "duration_minutes": 120,
            "is_active": True,
        },
    )
    ServiceSlot.objects.filter(listing=cleaning).delete()
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    slot = ServiceSlot.objects.create(
        listing=cleaning, starts_at=start, ends_at=start + dt.timedelta(hours=2), capacity=SLOT_PLACES
    )
    return apples, slot, pears, cleaning


def _clear(units: list[Any]) -> None:
    """Orders of earlier runs go (with their bill lines' correction: they are expired now)."""
    from marketplace.orders.flow import orders_expire
    from marketplace.orders.models import Order

    Order.objects.filter(unit__in=units, status="pending_payment").update(expires_at=timezone.now())
    orders_expire(now=timezone.now() + dt.timedelta(seconds=1), limit=100_000)


def run() -> str:
    from django.conf import settings

    from infra.bench.http import PLATFORM, _raise_fd_limit, _server
    from marketplace.models import Listing, ServiceSlot
    from marketplace.orders.models import Order

    connection.set_tenant(club._company())
    estate, units, residents = club._estate()
    racers = list(zip(units, residents, strict=True))[: max(RACE_REQUESTS, SLOT_REQUESTS) + SINGLES]
    _clear([u for u, _r in racers])
    merchant = _merchant(estate)
    apples, slot, pears, cleaning = _listings(merchant)
    tokens = club.bench_tokens([r for _u, r in racers], TOKEN_NAME)
    started_at = timezone.now()
    one = [
        (t, {"unit": u.pk, "items": [{"listing": apples.pk, "quantity": 1}]})
        for t, (u, _r) in zip(tokens, racers, strict=False)
    ]
    places = [
        (t, {"unit": u.pk, "items": [{"listing": cleaning.pk, "slot": slot.pk, "quantity": 1}]})
        for t, (u, _r) in zip(tokens, racers, strict=False)
    ]
    single = [
        (t, {"unit": u.pk, "items": [{"listing": pears.pk, "quantity": 1}]})
        for t, (u, _r) in zip(tokens, racers, strict=False)
    ]
    host = f"{club.BENCH_SLUG}.{settings.PLATFORM_DOMAIN}"
    tenant = connection.tenant
    connection.set_schema_to_public()
    _raise_fd_limit(RACE_REQUESTS * 4 + 256)
    with _server(PLATFORM) as port:
        asyncio.run(club.one_at_a_time(port, host, single[-5:], PATH))  # warm every worker
        singles = asyncio.run(club.one_at_a_time(port, host, single[-SINGLES:], PATH))
        stock_race = asyncio.run(club.post_all(port, host, one[:RACE_REQUESTS], PATH))
        slot_race = asyncio.run(club.post_all(port, host, places[:SLOT_REQUESTS], PATH))
    connection.set_tenant(tenant)
    apple_orders = Order.objects.filter(lines__listing_id=apples.pk, created_at__gte=started_at).count()
    slot_orders = Order.objects.filter(lines__slot_id=slot.pk, created_at__gte=started_at).count()
    stock_left = Listing.objects.get(pk=apples.pk).stock
    booked = ServiceSlot.objects.get(pk=slot.pk).booked
    _clear([u for u, _r in racers])  # leave nothing reserved
    connection.set_schema_to_public()
    baseline = statistics.median(singles) if singles else float("nan")
    lines = []
    for name, results, made, check in (
        (
            "stock-race",
            stock_race,
            apple_orders,
            f"{apple_orders} orders for {RACE_STOCK} left, stock now {stock_left}",
        ),
        ("slot-race", slot_race, slot_orders, f"{slot_orders} orders for {SLOT_PLACES} places, booked {booked}"),
    ):
        confirmed, refused, errors, p95, others = club._tally(results, "sold_out")
        check += f", {made} in the database"
        if others:
            print(f"  {name}: unexpected answers {others}", file=sys.stderr)
        lines.append(
            f"bench {name}: {p95:.1f} ms; baseline {baseline:.1f} ms; ratio {baseline / p95:.2f}x "
            f"({len(results)} concurrent checkouts: {confirmed} orders, {refused} sold_out, {errors} errors; "
            f"{check}; baseline: one checkout at a time, median)"
        )
    return "\n".join(lines)
