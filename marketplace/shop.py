"""The resident's side of the community shop (社区商城), read from the catalogue: the home of their estates
(categories, this month's specials, new listings), a category's listings, one listing, one merchant. Every
read goes through marketplace.visibility, so a listing the resident's estates may not see is simply absent
(the pages turn that into a 404). Search with facets is marketplace.search's.

Called inside the company's schema, with the resident's user id (their estates come from their homes)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from .models import Category, Listing, ListingPhoto, ListingVariant, Merchant, ServiceSlot, Special
from .search.documents import ListingResult
from .visibility import categories, resident_estate_ids, visible_listings

NEW_SHOWN = 12
SPECIALS_SHOWN = 12
PAGE_SIZE = 20
SLOTS_SHOWN = 9


@dataclass(frozen=True)
class ShopViewer:
    tenant_id: int
    estate_ids: tuple[int, ...]

    @classmethod
    def resident(cls, *, tenant_id: int, user_id: int) -> ShopViewer:
        return cls(tenant_id=tenant_id, estate_ids=tuple(resident_estate_ids(user_id=user_id)))

    def listings(self) -> QuerySet[Listing]:
        return visible_listings(tenant_id=self.tenant_id, estate_ids=self.estate_ids)


def _with_card(qs: QuerySet[Listing]) -> QuerySet[Listing]:
    """What a listing card shows: merchant, category and first photo, in three queries for any number."""
    return (
        qs.defer("description")
        .select_related("merchant", "category")
        .prefetch_related(
            Prefetch("photos", queryset=ListingPhoto.objects.order_by("position", "id"), to_attr="photo_list")
        )
    )


@dataclass(frozen=True)
class CategoryCount:
    category: Category
    count: int
    children: list[CategoryCount] = field(default_factory=list)


@dataclass(frozen=True)
class SpecialCard:
    listing: Listing
    price_fen: int  # this month's special price


@dataclass(frozen=True)
class ShopHome:
    categories: list[CategoryCount]  # top level, with the children that have listings
    specials: list[SpecialCard]
    new: list[Listing]
    total: int


def month_specials(listings: QuerySet[Listing] | list[int], today: dt.date) -> dict[int, int]:
    """listing id → this month's special price, for these listings (a queryset or their ids)."""
    month = today.replace(day=1)
    rows = Special.objects.filter(month=month, listing__in=listings).values_list("listing_id", "price_fen")
    return dict(rows)


def shop_home(viewer: ShopViewer, *, today: dt.date | None = None) -> ShopHome:
    """The visibility rule is applied once (the visible listings' ids, categories and dates); counts, this
    month's specials and the newest are worked out from them, and only the cards shown are read in full."""
    today = today or timezone.localdate()
    rows = list(viewer.listings().order_by().values_list("pk", "category_id", "created_at"))
    by_category = Counter(category_id for _pk, category_id, _created in rows)
    tops: list[CategoryCount] = []
    tree = categories()
    for top in (c for c in tree if c.parent_id is None):
        children = [CategoryCount(c, by_category[c.pk]) for c in tree if c.parent_id == top.pk and by_category[c.pk]]
        count = by_category[top.pk] + sum(c.count for c in children)
        if count:
            tops.append(CategoryCount(top, count, children))
    ids = [pk for pk, _category, _created in rows]
    specials = month_specials(ids, today) if ids else {}
    newest = [pk for pk, _c, _created in sorted(rows, key=lambda r: (r[2], r[0]), reverse=True)[:NEW_SHOWN]]
    cards = {listing.pk: listing for listing in _with_card(Listing.objects.filter(pk__in={*newest, *specials}))}
    special_cards = sorted((cards[pk] for pk in specials if pk in cards), key=lambda c: (c.price_fen, c.pk))
    return ShopHome(
        categories=tops,
        specials=[SpecialCard(c, specials[c.pk]) for c in special_cards[:SPECIALS_SHOWN]],
        new=[cards[pk] for pk in newest if pk in cards],
        total=len(rows),
    )


def category_listings(viewer: ShopViewer, *, code: str) -> tuple[Category, QuerySet[Listing]] | None:
    """A category and the visible listings in it and its children, newest first; None for an unknown code."""
    category = Category.objects.filter(code=code).first()
    if category is None:
        return None
    codes = [category.code, *Category.objects.filter(parent=category).values_list("code", flat=True)]
    return category, _with_card(viewer.listings().filter(category__code__in=codes)).order_by("-created_at", "-id")


@dataclass(frozen=True)
class ListingPage:
    listing: Listing
    photos: list[ListingPhoto]
    variants: list[ListingVariant]
    slots: list[ServiceSlot]  # the next free ones (services)
    special_price_fen: int | None
    more_from_merchant: list[Listing]


def listing_page(viewer: ShopViewer, *, pk: int, now: dt.datetime | None = None) -> ListingPage | None:
    now = now or timezone.now()
    visible = viewer.listings()
    listing = visible.select_related("merchant", "category").filter(pk=pk).first()
    if listing is None:
        return None
    slots = list(
        ServiceSlot.objects.filter(listing=listing, is_active=True, starts_at__gt=now, booked__lt=F("capacity"))[
            :SLOTS_SHOWN
        ]
    )
    return ListingPage(
        listing=listing,
        photos=list(listing.photos.order_by("position", "id")),
        variants=list(listing.variants.filter(is_active=True)),
        slots=slots,
        special_price_fen=month_specials(visible.filter(pk=pk), timezone.localdate(now)).get(pk),
        more_from_merchant=list(
            _with_card(visible.filter(merchant_id=listing.merchant_id).exclude(pk=pk)).order_by("-sales", "-id")[:6]
        ),
    )


@dataclass(frozen=True)
class MerchantPage:
    merchant: Merchant
    listings: QuerySet[Listing]


def merchant_page(viewer: ShopViewer, *, pk: int) -> MerchantPage | None:
    """A merchant the resident's estates may buy from, with its visible listings; None otherwise (a merchant
    not approved for them does not exist for them)."""
    listings = viewer.listings().filter(merchant_id=pk)
    merchant = Merchant.objects.filter(pk=pk, listings__in=listings).distinct().first()
    if merchant is None:
        return None
    return MerchantPage(merchant, _with_card(listings).order_by("-sales", "-id"))


def photo_visible(viewer: ShopViewer, *, pk: int) -> ListingPhoto | None:
    return ListingPhoto.objects.filter(pk=pk, listing__in=viewer.listings()).first()


def listing_viewed(listing_id: int) -> None:
    """Count one view of a listing (the merchant's dashboard shows it): one UPDATE, no read."""
    Listing.objects.filter(pk=listing_id).update(views=F("views") + 1)


# --- search -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHits:
    listings: list[Listing]  # this page's hits, in the backend's order, read back through visibility
    total: int
    facets: dict[str, dict[str, int]]  # as the backend counted them
    merchant_names: dict[int, str]  # of the merchants in the facets
    category_names: dict[str, str]


def search_hits(viewer: ShopViewer, result: ListingResult) -> SearchHits:
    """A search's hits (marketplace.search) as listing cards, read back through the visibility rule: a listing
    hidden, suspended or taken off sale since it was indexed never shows, whatever the index still says."""
    ids = [hit.id for hit in result.hits]
    rows = {listing.pk: listing for listing in _with_card(viewer.listings().filter(pk__in=ids))}
    merchants = [int(v) for v in result.facets.get("merchant", {}) if v.isdigit()]
    return SearchHits(
        listings=[rows[i] for i in ids if i in rows],
        total=result.total,
        facets=result.facets,
        merchant_names=dict(Merchant.objects.filter(pk__in=merchants).values_list("pk", "name")),
        category_names={c.code: c.name for c in categories()},
    )
