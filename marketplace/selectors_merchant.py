"""Reads of the merchant side: who a signed-in user is at a merchant, and that merchant's own rows. Every
lookup by id is filtered by the merchant asking, so another merchant's listing, photo, slot or application is
not found (404), exactly like an id that does not exist.

The one read outside the public schema is the directory of companies a merchant may apply to: each company's
estate names, read inside that company's schema (`schema_context`), and nothing else of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django_tenants.utils import schema_context

from backend.properties.models import Estate
from tenants.models import Tenant

from .models import (
    Category,
    Listing,
    ListingPhoto,
    ListingVariant,
    Merchant,
    MerchantApplication,
    MerchantAuditEntry,
    MerchantMember,
    MerchantNotice,
    MerchantStatus,
    ServiceSlot,
    Special,
)


def merchant_member_active(*, user: Any) -> MerchantMember | None:
    """The user's active place at an open merchant, with the merchant, or None."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return (
        MerchantMember.objects.select_related("merchant", "user")
        .filter(user_id=user.pk, is_active=True, merchant__status=MerchantStatus.ACTIVE)
        .first()
    )


def merchant_is_user(*, user_id: int) -> bool:
    """Whether this account works for a merchant (any merchant, active or not)."""
    return MerchantMember.objects.filter(user_id=user_id, is_active=True).exists()


def category_leaves() -> QuerySet[Category]:
    """Categories a listing can be filed under: every category with a parent (the tree's second level)."""
    return Category.objects.filter(parent__isnull=False).select_related("parent").order_by("position", "code")


def member_list(*, merchant: Merchant) -> QuerySet[MerchantMember]:
    return merchant.members.select_related("user").filter(is_active=True).order_by("role", "created_at")


def listing_list(*, merchant: Merchant, kind: str | None = None, active: bool | None = None) -> QuerySet[Listing]:
    qs = Listing.objects.filter(merchant=merchant).select_related("category")
    if kind:
        qs = qs.filter(kind=kind)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.annotate(photo_count=Count("photos", distinct=True)).order_by("-created_at", "-id")


def listing_get(*, merchant: Merchant, listing_id: int) -> Listing | None:
    return Listing.objects.select_related("category").filter(merchant=merchant, pk=listing_id).first()


def photo_get(*, merchant: Merchant, photo_id: int) -> ListingPhoto | None:
    return ListingPhoto.objects.select_related("listing").filter(listing__merchant=merchant, pk=photo_id).first()


def variant_get(*, merchant: Merchant, variant_id: int) -> ListingVariant | None:
    return ListingVariant.objects.select_related("listing").filter(listing__merchant=merchant, pk=variant_id).first()


def slot_get(*, merchant: Merchant, slot_id: int) -> ServiceSlot | None:
    return ServiceSlot.objects.select_related("listing").filter(listing__merchant=merchant, pk=slot_id).first()


def slot_list(*, merchant: Merchant, listing: Listing, since: dt.datetime | None = None) -> QuerySet[ServiceSlot]:
    qs = ServiceSlot.objects.filter(listing__merchant=merchant, listing=listing)
    if since is not None:
        qs = qs.filter(ends_at__gt=since)
    return qs.order_by("starts_at", "id")


def special_list(*, merchant: Merchant, month: dt.date | None = None) -> QuerySet[Special]:
    qs = Special.objects.filter(merchant=merchant).select_related("listing")
    if month is not None:
        qs = qs.filter(month=month)
    return qs.order_by("-month", "id")


def special_get(*, merchant: Merchant, special_id: int) -> Special | None:
    return Special.objects.select_related("listing").filter(merchant=merchant, pk=special_id).first()


def application_list(*, merchant: Merchant) -> QuerySet[MerchantApplication]:
    return MerchantApplication.objects.filter(merchant=merchant).select_related("tenant")


def application_get(*, merchant: Merchant, application_id: int) -> MerchantApplication | None:
    return MerchantApplication.objects.select_related("tenant").filter(merchant=merchant, pk=application_id).first()


def audit_list(*, merchant: Merchant) -> QuerySet[MerchantAuditEntry]:
    return MerchantAuditEntry.objects.filter(merchant=merchant).order_by("-created_at", "-id")


def notice_list(*, merchant: Merchant) -> QuerySet[MerchantNotice]:
    return MerchantNotice.objects.filter(merchant=merchant).select_related("tenant")


# --- the directory of companies ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CompanyEntry:
    tenant_id: int
    name: str
    estates: tuple[tuple[int, str], ...]
    application: MerchantApplication | None = field(default=None)


def companies_open() -> QuerySet[Tenant]:
    """Companies a merchant may apply to: the active ones (not the platform, the template, spares or suspended)."""
    return Tenant.objects.filter(status=Tenant.Status.ACTIVE).order_by("name", "id")


def company_estates(*, tenant: Tenant) -> list[tuple[int, str]]:
    """One company's estates (id, name), read in its own schema: the only thing of it a merchant sees."""
    with schema_context(tenant.schema_name):
        return [(int(pk), str(name)) for pk, name in Estate.objects.order_by("name", "id").values_list("pk", "name")]


def company_directory(*, merchant: Merchant) -> list[CompanyEntry]:
    applications = {a.tenant_id: a for a in application_list(merchant=merchant)}
    return [
        CompanyEntry(
            tenant_id=t.pk,
            name=t.name,
            estates=tuple(company_estates(tenant=t)),
            application=applications.get(t.pk),
        )
        for t in companies_open()
    ]


def company_open_get(*, tenant_id: int) -> Tenant | None:
    return companies_open().filter(pk=tenant_id).first()


# --- the dashboard ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    listings_total: int
    listings_active: int
    views: int
    applications: dict[str, int]
    notices: list[MerchantNotice]
    unread: int


def merchant_dashboard(*, merchant: Merchant, notices: int = 10) -> Dashboard:
    figures = Listing.objects.filter(merchant=merchant).aggregate(
        total=Count("id"), views=Sum("views"), active=Count("id", filter=Q(is_active=True))
    )
    by_status = dict(
        MerchantApplication.objects.filter(merchant=merchant)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    feed = notice_list(merchant=merchant)
    return Dashboard(
        listings_total=figures["total"] or 0,
        listings_active=figures["active"] or 0,
        views=figures["views"] or 0,
        applications={str(k): int(v) for k, v in by_status.items()},
        notices=list(feed[:notices]),
        unread=feed.filter(read_at__isnull=True).count(),
    )
