"""Marketplace rows for tests, made directly (the services under test make their own)."""

from __future__ import annotations

import itertools
from typing import Any

from django.utils import timezone

from marketplace.models import (
    ApplicationStatus,
    Category,
    Listing,
    ListingKind,
    Merchant,
    MerchantApplication,
    MerchantMember,
    MerchantRole,
)
from tests.factories import UserFactory

_licences = itertools.count(1)


def make_merchant(name: str = "鲜果坊", *, owner: Any = None, **fields: Any) -> Merchant:
    """A merchant with a unique licence number; `owner` (a User, or True for a new one) becomes its owner."""
    merchant = Merchant.objects.create(
        name=name,
        licence_number=fields.pop("licence_number", f"91310000MA{next(_licences):07d}X"),
        licence=fields.pop("licence", "merchants/2026/12/licence.png"),
        contact_name=fields.pop("contact_name", "王经理"),
        contact_phone=fields.pop("contact_phone", "13800000000"),
        address=fields.pop("address", "阳光路1号"),
        **fields,
    )
    if owner is not None:
        user = UserFactory() if owner is True else owner
        MerchantMember.objects.create(merchant=merchant, user=user, role=MerchantRole.OWNER)
    return merchant


def make_application(
    merchant: Merchant,
    tenant: Any,
    *,
    status: str = ApplicationStatus.PENDING,
    estates: dict[int, str] | None = None,
    categories: list[str] | None = None,
) -> MerchantApplication:
    """An application for these estates ({id: name}) and category codes; approved/suspended ones are granted
    everything they asked for."""
    estates = estates or {}
    categories = categories or ["fresh"]
    granted = status in (ApplicationStatus.APPROVED, ApplicationStatus.SUSPENDED)
    return MerchantApplication.objects.create(
        merchant=merchant,
        tenant=tenant,
        status=status,
        estate_ids=list(estates),
        estate_names={str(k): v for k, v in estates.items()},
        category_codes=categories,
        approved_estate_ids=list(estates) if granted else [],
        approved_category_codes=categories if granted else [],
        submitted_at=timezone.now(),
        decided_at=timezone.now() if status != ApplicationStatus.PENDING else None,
    )


def make_listing(
    merchant: Merchant,
    *,
    category: str = "fruit",
    kind: str = ListingKind.GOOD,
    title: str = "新鲜苹果",
    price_fen: int = 1280,
    **fields: Any,
) -> Listing:
    if kind == ListingKind.SERVICE:
        fields.setdefault("duration_minutes", 120)
    return Listing.objects.create(
        merchant=merchant,
        kind=kind,
        category=Category.objects.get(code=category),
        title=title,
        price_fen=price_fen,
        **fields,
    )


def payables_purge(orders: Any) -> None:
    """Remove the payables entries (and their statement lines) that committed test orders posted, so that the
    orders themselves can be deleted afterwards. The ledger is append-only by trigger, so this turns triggers
    off for the one transaction (`session_replication_role = replica`, which the tests' superuser may set);
    the application never does this."""
    from django.db import connection, transaction

    from marketplace.settlement.models import PayableEntry, StatementLine

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        entries = PayableEntry.objects.filter(order_id__in=[order.pk for order in orders])
        StatementLine.objects.filter(entry__in=entries)._raw_delete(connection.alias)  # type: ignore[attr-defined]
        entries._raw_delete(connection.alias)  # type: ignore[attr-defined]
