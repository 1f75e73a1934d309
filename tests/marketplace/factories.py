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


def shop_world_purge(*, tenant: Any, office: Any, merchant: Any, users: list[Any], since: Any) -> None:
    """Remove a committed shop test world of company `tenant`: the orders of `office`'s homes (their payables,
    lines, refunds and charges), its registry, the notifications and audit entries written since `since`, then,
    in public, the merchant and the `users` with their memberships. Rows a caller added on top (deals, refund
    requests, …) are deleted by that caller first."""
    from django.db import connection

    from backend.accounts.models import Membership, User
    from backend.audit.models import AuditEntry
    from backend.billing.models import BillLine, FeeItem, LedgerEntry, Payment
    from backend.notifications.models import Notification
    from backend.payments.models import Receipt, Refund
    from backend.properties.models import Building, Estate, ManagementOffice, Occupancy, Person, Unit
    from marketplace.orders.models import Order, OrderLine

    connection.set_tenant(tenant)  # type: ignore[attr-defined]
    orders = list(Order.objects.filter(unit__estate__office=office))
    payables_purge(orders)
    OrderLine.objects.filter(order__in=orders).delete()
    units = Unit.objects.filter(building__estate__office=office)
    Refund.objects.filter(payment__unit__in=units).delete()
    Order.objects.filter(pk__in=[order.pk for order in orders]).delete()
    LedgerEntry.objects.filter(unit__in=units).delete()
    BillLine.objects.filter(unit__in=units).delete()
    Receipt.objects.filter(payment__unit__in=units).delete()
    Payment.objects.filter(unit__in=units).delete()
    FeeItem.objects.filter(office=office).delete()
    Occupancy.objects.filter(unit__in=units).delete()
    Person.objects.filter(user__in=users).delete()
    units.delete()
    Building.objects.filter(estate__office=office).delete()
    Estate.objects.filter(office=office).delete()
    ManagementOffice.objects.filter(pk=office.pk).delete()
    Notification.objects.filter(created_at__gte=since).delete()
    AuditEntry.objects.filter(created_at__gte=since).delete()
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    Merchant.objects.filter(pk=merchant.pk).delete()  # its listings, index rows and notices go with it
    Membership.objects.filter(user__in=users).delete()
    User.objects.filter(pk__in=[user.pk for user in users]).delete()
