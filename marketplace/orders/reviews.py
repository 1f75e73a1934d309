"""Reviews of shop orders (issue 15 part 7): one per completed order, 1–5 stars, a text and photos; the
order becomes reviewed. The merchant may reply once. The stars count towards each listing of the order and
towards the merchant: the public index (marketplace.aftersale_index) keeps every company's stars, and the
listing's and merchant's `rating` / `rating_count` are recomputed from it under their row locks (two reviews
at once never lose one), then the search index is told (marketplace.search.hooks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError, not_found
from backend.notifications.services import notification_send
from backend.uploads.validation import AcceptedUpload
from marketplace.aftersale_index.models import ReviewEntry, ReviewListing
from marketplace.models import Listing, Merchant
from marketplace.notices import notify_merchant
from marketplace.orders_index.models import MerchantOrder
from marketplace.search.hooks import listings_changed, merchant_changed
from tenants.db import connection

from . import money
from .aftersale_common import photos_add, photos_check, text_clean
from .aftersale_models import Review
from .models import Order, OrderStatus

TEXT_MAX = 1000


def _stars(value: object) -> int:
    try:
        stars = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        stars = 0
    if not 1 <= stars <= 5:
        raise ApplicationError.for_fields({"stars": [_("Give 1 to 5 stars.")]})
    return stars


def _average(value: object) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def ratings_recompute(*, listing_ids: Iterable[int], merchant_id: int) -> None:
    """Each listing's and the merchant's stars from every company's reviews (the listings and the merchant
    locked, in id order, so concurrent reviews serialise here), then a re-index after commit."""
    ids = sorted(set(listing_ids))
    list(Listing.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    for listing_id in ids:
        agg = ReviewListing.objects.filter(listing_id=listing_id).aggregate(avg=Avg("stars"), n=Count("id"))
        Listing.objects.filter(pk=listing_id).update(rating=_average(agg["avg"]), rating_count=agg["n"])
    Merchant.objects.select_for_update().filter(pk=merchant_id).values_list("pk", flat=True).first()
    avg = ReviewEntry.objects.filter(merchant_id=merchant_id).aggregate(avg=Avg("stars"))["avg"]
    Merchant.objects.filter(pk=merchant_id).update(rating=_average(avg))
    listings_changed(ids)
    merchant_changed(merchant_id)


def review_create(
    *,
    user: User,
    order_id: int,
    stars: object,
    text: str = "",
    photos: Sequence[AcceptedUpload] | None = None,
    now: dt.datetime | None = None,
) -> Review:
    """The resident reviews their completed order, once: it becomes reviewed."""
    now = now or timezone.now()
    count_stars = _stars(stars)
    body = text_clean(text, "text", required=False, limit=TEXT_MAX)
    images = photos_check(photos)
    with transaction.atomic():
        if not Order.objects.filter(pk=order_id, user=user).exists():
            raise not_found()
        order = money.lock_unit_then_order(order_id)
        if Review.objects.filter(order=order).exists() or order.status == OrderStatus.REVIEWED:
            raise ApplicationError(_("This order was reviewed already."), code="already_reviewed", status=409)
        if order.status != OrderStatus.COMPLETED:
            raise ApplicationError(
                _("An order can be reviewed once it is completed."), code="invalid_state", status=409
            )
        review = Review.objects.create(
            order=order, user=user, merchant_id=order.merchant_id, stars=count_stars, text=body
        )
        n_photos = photos_add(images, review=review)
        order.status = OrderStatus.REVIEWED
        order.save(update_fields=["status"])
        entry = MerchantOrder.objects.filter(tenant_id=connection.tenant.pk, order_id=order.pk).first()
        listing_ids = sorted(set(order.lines.values_list("listing_id", flat=True)))
        if entry is not None:
            entry.status = order.status
            entry.save(update_fields=["status", "updated_at"])
            index = ReviewEntry.objects.create(
                merchant_id=order.merchant_id,
                tenant_id=connection.tenant.pk,
                review_id=review.pk,
                order_entry=entry,
                code=order.code,
                stars=count_stars,
                created_at=review.created_at,
            )
            existing = set(Listing.objects.filter(pk__in=listing_ids).values_list("pk", flat=True))
            ReviewListing.objects.bulk_create(
                [
                    ReviewListing(review=index, listing_id=lid, stars=count_stars)
                    for lid in listing_ids
                    if lid in existing
                ]
            )
            ratings_recompute(listing_ids=existing, merchant_id=order.merchant_id)
        audit_record(action="shop.order_review", target=order, changes={"stars": count_stars, "photos": n_photos})
        notify_merchant(
            merchant_id=order.merchant_id,
            tenant_id=connection.tenant.pk,
            kind="shop.review_new",
            title=_("New review: %(n)s★") % {"n": count_stars},
            body=f"{order.code} · {body[:60]}",
            data={"order": entry.pk if entry else None, "review": review.pk, "tenant": connection.tenant.pk},
        )
    return review


def review_reply(*, review_id: int, merchant_id: int, text: str, by: User | None) -> Review:
    """The merchant answers a review of one of its orders, once."""
    reply = text_clean(text, "reply", required=True, limit=TEXT_MAX)
    with transaction.atomic():
        locked = Review.objects.select_for_update().select_related("order").filter(pk=review_id).first()
        if locked is None or locked.merchant_id != merchant_id:
            raise not_found()
        if locked.replied_at is not None:
            raise ApplicationError(_("You have replied to this review already."), code="already_replied", status=409)
        locked.reply = reply
        locked.replied_at = timezone.now()
        locked.replied_by = by
        locked.save(update_fields=["reply", "replied_at", "replied_by"])
        ReviewEntry.objects.filter(tenant_id=connection.tenant.pk, review_id=locked.pk).update(replied=True)
        audit_record(action="shop.review_reply", target=locked, changes={"merchant_user": by.pk if by else None})
        notification_send(
            recipient=locked.order.user,
            kind="shop.review_replied",
            title=_("%(merchant)s replied to your review") % {"merchant": locked.order.merchant_name},
            body=reply[:200],
            url=f"/resident/shop/orders/{locked.order_id}/",
            payload={"order": locked.order_id, "review": locked.pk},
        )
    return locked


def listing_reviews(listing_id: int, *, limit: int = 10) -> list[Review]:
    """This company's latest reviews of orders holding the listing (no reviewer named), for its page."""
    return list(Review.objects.filter(order__lines__listing_id=listing_id).distinct().order_by("-created_at")[:limit])
