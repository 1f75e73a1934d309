"""Which listings a company's residents may see: the one rule, for the database side (the resident's shop
pages read listings straight from the catalogue; search documents carry the same rule as tokens).

A listing is visible to the residents of one company estate when
- it is on sale, and its merchant is active;
- the merchant's application to that company is approved (not pending, rejected or suspended) for that
  estate, and for the listing's category or a parent of it;
- the company has not switched that category (or its parent) off;
- the company has not hidden the listing (moderation).

Called inside the company's schema (its CategorySetting and ListingHide rows are read from there)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from backend.properties.selectors import resident_units
from marketplace.company.models import CategorySetting, ListingHide
from marketplace.models import ApplicationStatus, Category, Listing, MerchantApplication, MerchantStatus

CATEGORY_CACHE_SECONDS = 60
_categories: tuple[float, list[Category]] | None = None


def categories() -> list[Category]:
    """The platform's category tree (seeded by migration, changed only by the platform), read at most once a
    minute per process: every shop page and search asks for it."""
    global _categories
    now = time.monotonic()
    if _categories is None or now - _categories[0] > CATEGORY_CACHE_SECONDS:
        _categories = (now, list(Category.objects.select_related("parent").order_by("position", "code")))
    return _categories[1]


def category_descendants() -> dict[str, set[str]]:
    """code → the code itself and every code under it."""
    parent: dict[str, str | None] = {c.code: c.parent.code if c.parent else None for c in categories()}
    below: dict[str, set[str]] = {code: {code} for code in parent}
    for code in parent:
        up = parent[code]
        while up:
            below[up].add(code)
            up = parent.get(up)
    return below


def company_switched_off() -> set[str]:
    """The category codes this company has switched off, with everything under them."""
    off = set(CategorySetting.objects.filter(enabled=False).values_list("category_code", flat=True))
    if not off:
        return set()
    below = category_descendants()
    return {c for code in off for c in below.get(code, {code})}


@dataclass(frozen=True)
class Grant:
    """What one approved merchant may sell to the asking estates: category codes, expanded to their subtree."""

    merchant_id: int
    category_codes: frozenset[str]


def grants(*, tenant_id: int, estate_ids: Iterable[int]) -> list[Grant]:
    """The approved merchants of this company serving at least one of these estates, each with the categories
    it may sell, less the ones the company switched off."""
    estate_ids = list(estate_ids)
    if not estate_ids:
        return []
    applications = list(
        MerchantApplication.objects.filter(
            tenant_id=tenant_id,
            status=ApplicationStatus.APPROVED,
            approved_estate_ids__overlap=estate_ids,
            merchant__status=MerchantStatus.ACTIVE,
        ).values_list("merchant_id", "approved_category_codes")
    )
    if not applications:
        return []
    below = category_descendants()
    off = company_switched_off()
    result = []
    for merchant_id, codes in applications:
        allowed = frozenset(c for code in codes for c in below.get(code, {code}) if c not in off)
        if allowed:
            result.append(Grant(merchant_id, allowed))
    return result


def visible_listings(*, tenant_id: int, estate_ids: Iterable[int]) -> QuerySet[Listing]:
    """The listings these estates' residents may see (see the module docstring); none for no estate."""
    allowed = grants(tenant_id=tenant_id, estate_ids=estate_ids)
    if not allowed:
        return Listing.objects.none()
    q = Q()
    for grant in allowed:
        q |= Q(merchant_id=grant.merchant_id, category__code__in=grant.category_codes)
    hidden = ListingHide.objects.values_list("listing_id", flat=True)
    return Listing.objects.filter(q, is_active=True).exclude(pk__in=list(hidden))


def resident_estate_ids(*, user_id: int) -> list[int]:
    """The estates of the homes a resident is bound to now (in the current company)."""
    return sorted(set(resident_units(user_id=user_id).values_list("estate_id", flat=True)))
