"""Listings into search documents (marketplace.search.documents.ListingDoc), with their visibility.

A listing is visible to the residents of a company's estate when all of these hold:
- the listing is on sale and its merchant is not closed (otherwise it gets no document at all);
- the merchant's application to that company is approved (pending, rejected and suspended ones give nothing),
  and the estate is among the approved estates;
- the listing's category, or one of its ancestors, is among the approved categories;
- the company has not switched that category (or an ancestor) off: CategorySetting.enabled False; a category
  without a row is on;
- the company has not hidden the listing (ListingHide).

The public schema holds listings, merchants and applications; each company's switches and hides live in its own
schema, read with schema_context once per company for a whole batch of listings, never once per listing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django_tenants.utils import schema_context

from marketplace.company.models import CategorySetting, ListingHide
from marketplace.models import (
    ApplicationStatus,
    Category,
    Listing,
    ListingKind,
    ListingVariant,
    MerchantApplication,
    MerchantStatus,
)
from marketplace.search.documents import ListingDoc, visibility_token


@dataclass(frozen=True)
class Built:
    docs: list[ListingDoc]  # to index (add or replace)
    gone: list[int]  # listing ids that must have no document: unknown, off sale, closed or visible nowhere


@dataclass(frozen=True)
class _Categories:
    chain: dict[str, tuple[str, ...]]  # code -> (root, ..., parent, code)
    names: dict[str, str]  # code -> "水果 fruit"


def _categories() -> _Categories:
    rows = list(Category.objects.values_list("pk", "code", "parent_id", "name_zh", "name_en"))
    code_of = {pk: code for pk, code, *_ in rows}
    parent = {code: code_of.get(parent_id) for _, code, parent_id, *_ in rows}
    chain: dict[str, tuple[str, ...]] = {}
    for code in parent:
        seen: list[str] = []
        at: str | None = code
        while at is not None and at not in seen:
            seen.append(at)
            at = parent.get(at)
        chain[code] = tuple(reversed(seen))  # the root first: ("home", "housekeeping")
    return _Categories(chain=chain, names={code: f"{zh} {en}" for _, code, _, zh, en in rows})


@dataclass(frozen=True)
class _Company:
    schema_name: str
    disabled: frozenset[str]  # category codes switched off
    hidden: frozenset[int]  # listing ids hidden by moderation


def _companies(schema_names: Iterable[str], listing_ids: list[int]) -> dict[str, _Company]:
    """Each company's switches and hides: one schema_context per company."""
    out = {}
    for schema in sorted(set(schema_names)):
        with schema_context(schema):
            disabled = frozenset(CategorySetting.objects.filter(enabled=False).values_list("category_code", flat=True))
            hidden = frozenset(
                ListingHide.objects.filter(listing_id__in=listing_ids).values_list("listing_id", flat=True)
            )
        out[schema] = _Company(schema_name=schema, disabled=disabled, hidden=hidden)
    return out


def listing_docs(listing_ids: Iterable[int]) -> Built:
    """The documents of these listings as they stand now (call it in batches of a few thousand ids)."""
    ids = sorted(set(listing_ids))
    if not ids:
        return Built(docs=[], gone=[])
    in_stock_variant = ListingVariant.objects.filter(listing=OuterRef("pk"), is_active=True).filter(
        Q(stock__isnull=True) | Q(stock__gt=0)
    )
    listings = list(
        Listing.objects.filter(pk__in=ids, is_active=True)
        .exclude(merchant__status=MerchantStatus.CLOSED)
        .select_related("merchant", "category")
        .annotate(
            has_variants=Exists(ListingVariant.objects.filter(listing=OuterRef("pk"), is_active=True)),
            variant_in_stock=Exists(in_stock_variant),
        )
        .order_by("pk")
    )
    applications = defaultdict(list)
    for application in MerchantApplication.objects.filter(
        merchant_id__in={listing.merchant_id for listing in listings},
        status=ApplicationStatus.APPROVED,
        tenant__status__in=["active", "suspended"],
    ).select_related("tenant"):
        applications[application.merchant_id].append(application)
    companies = _companies(
        (a.tenant.schema_name for apps in applications.values() for a in apps), [listing.pk for listing in listings]
    )
    categories = _categories()

    docs = []
    for listing in listings:
        chain = categories.chain.get(listing.category.code, (listing.category.code,))
        visibility: list[str] = []
        for application in applications.get(listing.merchant_id, []):
            company = companies[application.tenant.schema_name]
            if not set(chain) & set(application.approved_category_codes):
                continue
            if set(chain) & company.disabled or listing.pk in company.hidden:
                continue
            visibility.extend(visibility_token(company.schema_name, e) for e in sorted(application.approved_estate_ids))
        if visibility:
            docs.append(_doc(listing, chain, categories, tuple(dict.fromkeys(visibility))))
    indexed = {d.id for d in docs}
    return Built(docs=docs, gone=[i for i in ids if i not in indexed])


def _in_stock(listing: Listing) -> bool:
    """Services are bookable (their slots' places are the order's business); goods have stock left, counted on
    the listing or, when it has variants, on any variant. None is unlimited."""
    if listing.kind == ListingKind.SERVICE:
        return True
    if listing.has_variants:  # type: ignore[attr-defined]
        return bool(listing.variant_in_stock)  # type: ignore[attr-defined]
    return listing.stock is None or listing.stock > 0


def _doc(listing: Listing, chain: tuple[str, ...], categories: _Categories, visibility: tuple[str, ...]) -> ListingDoc:
    words = [listing.description, listing.service_area, listing.unit, *(categories.names.get(c, "") for c in chain)]
    return ListingDoc(
        id=listing.pk,
        merchant_id=listing.merchant_id,
        merchant_name=listing.merchant.name,
        kind=listing.kind,
        title=listing.title,
        text=" ".join(w for w in words if w),
        category_codes=chain,
        price_fen=listing.price_fen,
        rating=float(listing.rating) if listing.rating is not None else None,
        sales=listing.sales,
        in_stock=_in_stock(listing),
        created_at=listing.created_at,
        visibility=visibility,
    )
