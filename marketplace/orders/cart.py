"""The resident's cart: one per resident, items checked against what the resident's homes may buy (the
visibility rule) and each listing's choices (variant, slot) when they go in. Checkout (marketplace/orders/flow.py)
turns it into orders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.errors import ApplicationError
from backend.properties.selectors import resident_units
from marketplace.models import Listing, ListingKind
from marketplace.visibility import visible_listings
from tenants.db import connection

from .models import Cart, CartItem

MAX_QUANTITY = 99  # per line, whatever the listing says


@dataclass(frozen=True)
class Item:
    listing_id: int
    quantity: int = 1
    variant_id: int | None = None
    slot_id: int | None = None


# --- the cart -------------------------------------------------------------------------------------------------


def cart_of(user: User) -> Cart:
    cart, _created = Cart.objects.get_or_create(user=user)
    return cart


def cart_add(*, user: User, item: Item) -> CartItem:
    """Put a listing (a variant, a slot) in the resident's cart, or add to its quantity there. Only what the
    resident's homes may buy (checkout checks everything again)."""
    listing = buyable(user).filter(pk=item.listing_id).first()
    if listing is None:
        raise ApplicationError.for_fields({"listing": [_("This item is not on sale in your estate.")]})
    check_choice(listing, item)
    if not 0 < item.quantity <= MAX_QUANTITY:
        raise ApplicationError.for_fields({"quantity": [_("Choose between 1 and %(n)s.") % {"n": MAX_QUANTITY}]})
    with transaction.atomic():
        cart = Cart.objects.select_for_update().get(pk=cart_of(user).pk)
        row, created = CartItem.objects.get_or_create(
            cart=cart,
            listing_id=listing.pk,
            variant_id=item.variant_id,
            slot_id=item.slot_id,
            defaults={"quantity": item.quantity},
        )
        if not created:
            row.quantity = min(MAX_QUANTITY, row.quantity + item.quantity)
            row.save(update_fields=["quantity"])
        cart.save(update_fields=["updated_at"])
    return row


def cart_set_quantity(*, user: User, item_id: int, quantity: int) -> None:
    """Change a line's quantity; 0 removes it."""
    row = CartItem.objects.filter(pk=item_id, cart__user=user).first()
    if row is None:
        raise ApplicationError(_("Not found."), code="not_found", status=404)
    if quantity <= 0:
        row.delete()
        return
    row.quantity = min(MAX_QUANTITY, quantity)
    row.save(update_fields=["quantity"])


def buyable(user: User) -> Any:
    estates = sorted(set(resident_units(user_id=user.pk).values_list("estate_id", flat=True)))
    return visible_listings(tenant_id=connection.tenant.pk, estate_ids=estates)


def check_choice(listing: Listing, item: Item) -> None:
    if listing.kind == ListingKind.SERVICE:
        if item.slot_id is None and listing.slots.filter(is_active=True).exists():
            raise ApplicationError.for_fields({"slot": [_("Choose a time.")]})
        if item.slot_id is not None and not listing.slots.filter(pk=item.slot_id, is_active=True).exists():
            raise ApplicationError.for_fields({"slot": [_("This time is not offered.")]})
        if item.variant_id is not None:
            raise ApplicationError.for_fields({"variant": [_("A service has no variants.")]})
        return
    if item.slot_id is not None:
        raise ApplicationError.for_fields({"slot": [_("Goods have no appointment times.")]})
    has_variants = listing.variants.filter(is_active=True).exists()
    if has_variants and item.variant_id is None:
        raise ApplicationError.for_fields({"variant": [_("Choose a variant.")]})
    if item.variant_id is not None and not listing.variants.filter(pk=item.variant_id, is_active=True).exists():
        raise ApplicationError.for_fields({"variant": [_("This variant is not offered.")]})
