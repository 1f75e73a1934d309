"""What a company's staff read of the marketplace, in one place, always scoped to the company whose schema is
current: the applications made to it (never another company's), the merchants it admitted with their status
per estate, the listings of those merchants for moderation, its category settings, and a merchant's licence
file (only of a merchant that applied to this company). Pages and the API both read through here, so a lookup
by id outside the company is a miss (404) everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.fields.files import FieldFile

from backend.properties.models import Estate
from marketplace.models import ApplicationStatus, Category, Listing, MerchantApplication
from marketplace.vetting import company_tenant

from .models import DEFAULT_COMMISSION_BP, CategorySetting, ListingHide

ADMITTED = (ApplicationStatus.APPROVED, ApplicationStatus.SUSPENDED)


def application_list(*, status: str | None = None, q: str | None = None) -> QuerySet[MerchantApplication]:
    """The applications made to this company (pending first, then the newest)."""
    qs = MerchantApplication.objects.filter(tenant=company_tenant()).select_related("merchant", "decided_by")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(merchant__name__icontains=q) | Q(merchant__licence_number__icontains=q))
    return qs.order_by("-submitted_at", "-id")


def application_get(application_id: int) -> MerchantApplication | None:
    return application_list().filter(pk=application_id).first()


def merchant_list(*, status: str | None = None) -> QuerySet[MerchantApplication]:
    """The merchants this company admitted (approved or suspended), as their applications."""
    qs = application_list().filter(status__in=ADMITTED)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("merchant__name", "id")


@dataclass(frozen=True)
class EstateStatus:
    estate_id: int
    name: str
    status: str  # pending, approved, suspended, rejected, not_granted


def estate_statuses(application: MerchantApplication, names: dict[int, str] | None = None) -> list[EstateStatus]:
    """The merchant's standing in each estate it asked for: what it was granted carries the application's
    status; what it asked for and was not granted is "not_granted"."""
    if names is None:
        names = estate_names([application])
    granted = set(application.approved_estate_ids)
    rows = []
    for estate_id in application.estate_ids:
        if application.status in ADMITTED:
            status = application.status if estate_id in granted else "not_granted"
        else:
            status = application.status
        name = names.get(estate_id) or application.estate_names.get(str(estate_id), str(estate_id))
        rows.append(EstateStatus(estate_id, name, status))
    return rows


def estate_names(applications: Any) -> dict[int, str]:
    """The current names of the estates these applications name (one query)."""
    ids = {i for a in applications for i in a.estate_ids}
    return dict(Estate.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def company_estates() -> QuerySet[Estate]:
    return Estate.objects.select_related("office").order_by("office__name", "name")


def category_names(codes: Any) -> dict[str, str]:
    return dict(Category.objects.filter(code__in=list(codes)).values_list("code", "name_zh"))


# --- categories ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryRow:
    category: Category
    depth: int
    enabled: bool
    commission_bp: int

    @property
    def commission_percent(self) -> str:
        return f"{self.commission_bp / 100:.2f}"


def category_settings() -> list[CategoryRow]:
    """Every platform category in tree order with this company's switch and commission (the default where it
    has set nothing)."""
    company_tenant()
    settings = {s.category_code: s for s in CategorySetting.objects.all()}
    categories = list(Category.objects.all())
    children: dict[int | None, list[Category]] = {}
    for c in categories:
        children.setdefault(c.parent_id, []).append(c)
    rows: list[CategoryRow] = []

    def walk(parent: int | None, depth: int) -> None:
        for c in children.get(parent, []):
            s = settings.get(c.code)
            rows.append(
                CategoryRow(
                    c,
                    depth,
                    s.enabled if s else True,
                    s.commission_bp if s else DEFAULT_COMMISSION_BP,
                )
            )
            walk(c.pk, depth + 1)

    walk(None, 0)
    return rows


# --- listings and their moderation ----------------------------------------------------------------------------


def moderation_listings(
    *, merchant_id: int | None = None, hidden: bool | None = None, q: str | None = None
) -> QuerySet[Listing]:
    """The listings of the merchants this company admitted, each with `is_hidden` (hidden by this company)."""
    merchants = MerchantApplication.objects.filter(tenant=company_tenant(), status__in=ADMITTED).values("merchant_id")
    qs = (
        Listing.objects.filter(merchant_id__in=merchants)
        .select_related("merchant", "category")
        .annotate(is_hidden=Exists(ListingHide.objects.filter(listing_id=OuterRef("pk"))))
    )
    if merchant_id is not None:
        qs = qs.filter(merchant_id=merchant_id)
    if hidden is not None:
        qs = qs.filter(is_hidden=hidden)
    if q:
        qs = qs.filter(title__icontains=q)
    return qs.order_by("-created_at", "-id")


def listing_hide_list() -> QuerySet[ListingHide]:
    company_tenant()
    return ListingHide.objects.select_related("hidden_by").order_by("-hidden_at", "-id")


def listings_by_id(ids: Any) -> dict[int, Listing]:
    return {listing.pk: listing for listing in Listing.objects.filter(pk__in=list(ids)).select_related("merchant")}


# --- the licence --------------------------------------------------------------------------------------------------


def licence_of(application_id: int) -> FieldFile | None:
    """The licence (营业执照) of the merchant of this company's application; None for another company's."""
    application = application_list().filter(pk=application_id).first()
    return application.merchant.licence if application is not None else None


def licence_is_pdf(application: MerchantApplication) -> bool:
    return str(application.merchant.licence.name or "").lower().endswith(".pdf")
