"""Writes on a merchant's catalogue: listings (goods and services), their variants and their photos. Slots and
specials are catalogue_slots.py. Every write checks the member's permission, finds its objects only among the
merchant's own (another merchant's id is not found), is audited in the merchant's trail and tells the search
(listings_changed) after commit.

Goods carry a price in fen, a unit, a limit per order and a stock (a count, or None for unlimited) or, with
variants, a price and stock per variant. Services carry a duration and a service area, and take bookings in
slots (catalogue_slots.py)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from backend.errors import ApplicationError, not_found
from backend.uploads.storage import files_removed_on_error
from backend.uploads.validation import AcceptedUpload

from .merchant_audit import merchant_audit_record
from .merchant_permissions import CATALOGUE_WRITE
from .merchants import permission_require
from .models import Category, Listing, ListingKind, ListingPhoto, ListingVariant, MerchantMember
from .models.categories import CategoryKind
from .search.hooks import listings_changed

PRICE_MAX_FEN = 99_999_900  # ¥999,999.00
STOCK_MAX = 1_000_000
PER_ORDER_MAX = 9999
DURATION_MAX_MINUTES = 24 * 60
PHOTOS_MAX = 9
VARIANTS_MAX = 30


def _price_errors(value: Any, name: str, errors: dict[str, list[str]]) -> int | None:
    if value is None or value == "":
        errors[name] = [_("Enter a price.")]
        return None
    try:
        fen = int(value)
    except (TypeError, ValueError):
        errors[name] = [_("Enter the price in fen, a whole number.")]
        return None
    if fen <= 0 or fen > PRICE_MAX_FEN:
        errors[name] = [_("Enter a price between ¥0.01 and ¥999,999.00.")]
        return None
    return fen


def _count(value: Any, name: str, errors: dict[str, list[str]], *, low: int, high: int) -> int | None:
    """An optional whole number within [low, high] (None: not given)."""
    if value is None or value == "":
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        errors[name] = [_("Enter a whole number.")]
        return None
    if n < low or n > high:
        errors[name] = [_("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}]
        return None
    return n


def _listing_fields(*, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Check a listing's fields for its kind; returns the model's values or raises with every wrong field."""
    errors: dict[str, list[str]] = {}
    title = str(data.get("title") or "").strip()
    if not title:
        errors["title"] = [_("Enter a title.")]
    elif len(title) > 80:
        errors["title"] = [_("At most 80 characters.")]
    category = Category.objects.filter(code=str(data.get("category_code") or "")).first()
    if category is None:
        errors["category_code"] = [_("Choose a category from the list.")]
    elif kind == ListingKind.GOOD and category.kind == CategoryKind.SERVICES:
        errors["category_code"] = [_("This category is for services.")]
    elif kind == ListingKind.SERVICE and category.kind == CategoryKind.GOODS:
        errors["category_code"] = [_("This category is for goods.")]
    price = _price_errors(data.get("price_fen"), "price_fen", errors)
    unit = str(data.get("unit") or "").strip()
    if len(unit) > 10:
        errors["unit"] = [_("At most 10 characters.")]
    limit = _count(data.get("per_order_limit"), "per_order_limit", errors, low=1, high=PER_ORDER_MAX)
    description = str(data.get("description") or "").strip()
    if len(description) > 5000:
        errors["description"] = [_("At most 5000 characters.")]
    service_area = str(data.get("service_area") or "").strip()
    if len(service_area) > 200:
        errors["service_area"] = [_("At most 200 characters.")]
    stock = duration = None
    if kind == ListingKind.GOOD:
        stock = _count(data.get("stock"), "stock", errors, low=0, high=STOCK_MAX)
        if data.get("duration_minutes") not in (None, ""):
            errors["duration_minutes"] = [_("Goods have no duration.")]
    else:
        duration = _count(data.get("duration_minutes"), "duration_minutes", errors, low=1, high=DURATION_MAX_MINUTES)
        if duration is None and "duration_minutes" not in errors:
            errors["duration_minutes"] = [_("Enter how long the service takes, in minutes.")]
        if data.get("stock") not in (None, ""):
            errors["stock"] = [_("Services take bookings in slots, not stock.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    return {
        "title": title,
        "category": category,
        "price_fen": price,
        "unit": unit,
        "per_order_limit": limit,
        "description": description,
        "service_area": service_area,
        "stock": stock,
        "duration_minutes": duration,
    }


def _listing_locked(member: MerchantMember, listing_id: int) -> Listing:
    listing = Listing.objects.select_for_update().filter(merchant_id=member.merchant_id, pk=listing_id).first()
    if listing is None:
        raise not_found()
    return listing


def listing_create(*, member: MerchantMember, kind: str, is_active: bool = True, **data: Any) -> Listing:
    """`data`: title, category_code, price_fen, unit, per_order_limit, description, service_area, and stock
    (goods; None for unlimited) or duration_minutes (services)."""
    permission_require(member, CATALOGUE_WRITE)
    if kind not in ListingKind.values:
        raise ApplicationError.for_fields({"kind": [_("Choose goods or a service.")]})
    fields = _listing_fields(kind=kind, data=data)
    with transaction.atomic():
        listing = Listing.objects.create(merchant_id=member.merchant_id, kind=kind, is_active=bool(is_active), **fields)
        merchant_audit_record(
            member=member,
            merchant_id=member.merchant_id,
            action="listing.create",
            target=listing,
            changes={"price_fen": listing.price_fen, "kind": kind},
        )
    listings_changed([listing.pk])
    return listing


def listing_update(*, member: MerchantMember, listing_id: int, **data: Any) -> Listing:
    """The same fields as listing_create (the kind stays what it is)."""
    permission_require(member, CATALOGUE_WRITE)
    with transaction.atomic():
        listing = _listing_locked(member, listing_id)
        fields = _listing_fields(kind=listing.kind, data=data)
        before = {"price_fen": listing.price_fen, "stock": listing.stock, "title": listing.title}
        for name, value in fields.items():
            setattr(listing, name, value)
        listing.save()
        after = {"price_fen": listing.price_fen, "stock": listing.stock, "title": listing.title}
        merchant_audit_record(
            member=member,
            merchant_id=member.merchant_id,
            action="listing.update",
            target=listing,
            changes={k: {"before": before[k], "after": after[k]} for k in before if before[k] != after[k]},
        )
    listings_changed([listing.pk])
    return listing


def listing_set_active(*, member: MerchantMember, listing_id: int, active: bool) -> Listing:
    """Put a listing on sale (上架) or take it off (下架): residents stop seeing it, its history stays."""
    permission_require(member, CATALOGUE_WRITE)
    with transaction.atomic():
        listing = _listing_locked(member, listing_id)
        if listing.is_active != bool(active):
            listing.is_active = bool(active)
            listing.save(update_fields=["is_active", "updated_at"])
            merchant_audit_record(
                member=member,
                merchant_id=member.merchant_id,
                action="listing.activate" if active else "listing.deactivate",
                target=listing,
            )
    listings_changed([listing.pk])
    return listing


# --- variants ----------------------------------------------------------------------------------------------


def _variant_fields(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Name the variant, e.g. 500g or 大份.")]
    elif len(name) > 40:
        errors["name"] = [_("At most 40 characters.")]
    price = _price_errors(data.get("price_fen"), "price_fen", errors)
    stock = _count(data.get("stock"), "stock", errors, low=0, high=STOCK_MAX)
    if errors:
        raise ApplicationError.for_fields(errors)
    return {"name": name, "price_fen": price, "stock": stock}


def variant_add(
    *, member: MerchantMember, listing_id: int, name: str, price_fen: Any, stock: Any = None
) -> ListingVariant:
    permission_require(member, CATALOGUE_WRITE)
    fields = _variant_fields({"name": name, "price_fen": price_fen, "stock": stock})
    with transaction.atomic():
        listing = _listing_locked(member, listing_id)
        if listing.kind != ListingKind.GOOD:
            raise ApplicationError.for_fields({"name": [_("Only goods have variants.")]})
        if listing.variants.count() >= VARIANTS_MAX:
            raise ApplicationError.for_fields({"name": [_("At most %(n)d variants.") % {"n": VARIANTS_MAX}]})
        if listing.variants.filter(name=fields["name"]).exists():
            raise ApplicationError.for_fields({"name": [_("This listing already has a variant of this name.")]})
        position = (listing.variants.aggregate(m=Max("position"))["m"] or 0) + 1
        variant = ListingVariant.objects.create(listing=listing, position=position, **fields)
        merchant_audit_record(
            member=member,
            merchant_id=member.merchant_id,
            action="variant.add",
            target=variant,
            object_repr=f"{listing.title} · {variant.name}",
            changes={"price_fen": variant.price_fen, "stock": variant.stock},
        )
    listings_changed([listing.pk])
    return variant


def variant_update(
    *, member: MerchantMember, variant_id: int, name: str, price_fen: Any, stock: Any = None, is_active: bool = True
) -> ListingVariant:
    permission_require(member, CATALOGUE_WRITE)
    fields = _variant_fields({"name": name, "price_fen": price_fen, "stock": stock})
    with transaction.atomic():
        variant = (
            ListingVariant.objects.select_for_update()
            .select_related("listing")
            .filter(listing__merchant_id=member.merchant_id, pk=variant_id)
            .first()
        )
        if variant is None:
            raise not_found()
        before = {"price_fen": variant.price_fen, "stock": variant.stock, "is_active": variant.is_active}
        for key, value in fields.items():
            setattr(variant, key, value)
        variant.is_active = bool(is_active)
        try:
            with transaction.atomic():
                variant.save()
        except IntegrityError as exc:
            raise ApplicationError.for_fields(
                {"name": [_("This listing already has a variant of this name.")]}
            ) from exc
        after = {"price_fen": variant.price_fen, "stock": variant.stock, "is_active": variant.is_active}
        merchant_audit_record(
            member=member,
            merchant_id=member.merchant_id,
            action="variant.update",
            target=variant,
            changes={k: {"before": before[k], "after": after[k]} for k in before if before[k] != after[k]},
        )
    listings_changed([variant.listing_id])
    return variant


def variant_remove(*, member: MerchantMember, variant_id: int) -> None:
    permission_require(member, CATALOGUE_WRITE)
    with transaction.atomic():
        variant = (
            ListingVariant.objects.select_for_update()
            .filter(listing__merchant_id=member.merchant_id, pk=variant_id)
            .first()
        )
        if variant is None:
            raise not_found()
        listing_id = variant.listing_id
        merchant_audit_record(member=member, merchant_id=member.merchant_id, action="variant.remove", target=variant)
        variant.delete()
    listings_changed([listing_id])


# --- photos ------------------------------------------------------------------------------------------------


def photo_add(*, member: MerchantMember, listing_id: int, photo: AcceptedUpload) -> ListingPhoto:
    """`photo` (uploads kind PRODUCT_PHOTO) was checked and re-encoded by the field it came through. At most
    PHOTOS_MAX a listing: the listing's row is locked while counting, so two uploads cannot both be the ninth."""
    permission_require(member, CATALOGUE_WRITE)
    with transaction.atomic():
        listing = _listing_locked(member, listing_id)
        if listing.photos.count() >= PHOTOS_MAX:
            raise ApplicationError.for_fields({"photo": [_("At most %(n)d photos a listing.") % {"n": PHOTOS_MAX}]})
        position = (listing.photos.aggregate(m=Max("position"))["m"] or 0) + 1
        row = ListingPhoto(listing=listing, image=photo.content_file(), position=position)
        with files_removed_on_error(row):
            row.save()
            merchant_audit_record(
                member=member,
                merchant_id=member.merchant_id,
                action="photo.add",
                target=row,
                changes={"sha256": photo.sha256, "bytes": photo.size},
            )
    listings_changed([listing.pk])
    return row


def photo_remove(*, member: MerchantMember, photo_id: int) -> None:
    permission_require(member, CATALOGUE_WRITE)
    with transaction.atomic():
        row = (
            ListingPhoto.objects.select_for_update()
            .filter(listing__merchant_id=member.merchant_id, pk=photo_id)
            .first()
        )
        if row is None:
            raise not_found()
        listing_id, name, storage = row.listing_id, row.image.name, row.image.storage
        merchant_audit_record(member=member, merchant_id=member.merchant_id, action="photo.remove", target=row)
        row.delete()
        # The file goes once the row is gone for good (a rolled-back removal keeps both).
        transaction.on_commit(lambda: storage.delete(name) if name else None)
    listings_changed([listing_id])


def photo_reorder(*, member: MerchantMember, listing_id: int, photo_ids: list[int]) -> list[ListingPhoto]:
    """The listing's photos in this order (the first is the cover); every photo of it, each once."""
    permission_require(member, CATALOGUE_WRITE)
    with transaction.atomic():
        listing = _listing_locked(member, listing_id)
        photos = {p.pk: p for p in listing.photos.all()}
        ids = [int(i) for i in photo_ids or []]
        if sorted(ids) != sorted(photos):
            raise ApplicationError.for_fields({"photo_ids": [_("List every photo of this listing once.")]})
        for position, pk in enumerate(ids, start=1):
            photos[pk].position = position
        ListingPhoto.objects.bulk_update(photos.values(), ["position"])
        merchant_audit_record(
            member=member,
            merchant_id=member.merchant_id,
            action="photo.reorder",
            target=listing,
            changes={"order": ids},
        )
    listings_changed([listing.pk])
    return [photos[pk] for pk in ids]
