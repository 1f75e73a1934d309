"""Reviews (one per completed order, 1–5 stars, text and photos; the order becomes reviewed; the merchant
replies once; the listing's and merchant's ratings follow every company's stars and the search is told) and
complaints (投诉: to the company's staff within their scope, a status and an outcome, the resident told, an
upheld one may suspend the merchant through vetting)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from backend.audit.models import AuditEntry
from backend.errors import ApplicationError
from backend.notifications.models import Notification
from backend.properties.scope import Scope
from marketplace.aftersale_index.models import ReviewEntry, ReviewListing
from marketplace.models import Listing, Merchant, MerchantApplication, MerchantNotice
from marketplace.orders import complaints, reviews
from marketplace.orders.flow import Item
from marketplace.orders.models import AftersalePhoto, Complaint
from marketplace.orders_index.models import MerchantOrder

from .aftersale_helpers import completed, delivered, fresh, photo
from .conftest import Shop

pytestmark = pytest.mark.django_db
EVERYTHING = Scope.everything()


def test_one_review_per_completed_order_and_the_ratings_follow(shop: Shop, monkeypatch: Any) -> None:
    told: list[tuple[str, Any]] = []
    monkeypatch.setattr(reviews, "listings_changed", lambda ids: told.append(("listings", sorted(ids))))
    monkeypatch.setattr(reviews, "merchant_changed", lambda pk: told.append(("merchant", pk)))
    order = delivered(shop)
    with pytest.raises(ApplicationError) as caught:  # delivered, not completed yet
        reviews.review_create(user=shop.resident, order_id=order.pk, stars=5)
    assert caught.value.code == "invalid_state"
    order = completed(shop)
    for bad in (0, 6, "x", None):
        with pytest.raises(ApplicationError) as caught:
            reviews.review_create(user=shop.resident, order_id=order.pk, stars=bad)
        assert "stars" in caught.value.fields
    with pytest.raises(ApplicationError) as caught:
        reviews.review_create(user=shop.neighbour, order_id=order.pk, stars=5)
    assert caught.value.status == 404
    review = reviews.review_create(user=shop.resident, order_id=order.pk, stars=4, text="很新鲜", photos=[photo()])
    assert fresh(order).status == "reviewed"
    assert MerchantOrder.objects.get(order_id=order.pk).status == "reviewed"
    assert AftersalePhoto.objects.filter(review=review).count() == 1
    with pytest.raises(ApplicationError) as caught:  # once
        reviews.review_create(user=shop.resident, order_id=order.pk, stars=1)
    assert caught.value.code == "already_reviewed"
    apple, grapes = Listing.objects.get(pk=shop.apple.pk), Listing.objects.get(pk=shop.grapes.pk)
    assert (apple.rating, apple.rating_count) == (Decimal("4.00"), 1)
    assert (grapes.rating, grapes.rating_count) == (Decimal("4.00"), 1)
    assert Merchant.objects.get(pk=shop.fruit.pk).rating == Decimal("4.00")
    # A second order (apples only) with 1 star: the apples average 2.5, the grapes keep 4, the merchant 2.5.
    second = completed(shop, items=[Item(shop.apple.pk, 1)])
    reviews.review_create(user=shop.resident, order_id=second.pk, stars=1)
    apple, grapes = Listing.objects.get(pk=shop.apple.pk), Listing.objects.get(pk=shop.grapes.pk)
    assert (apple.rating, apple.rating_count) == (Decimal("2.50"), 2)
    assert (grapes.rating, grapes.rating_count) == (Decimal("4.00"), 1)
    assert Merchant.objects.get(pk=shop.fruit.pk).rating == Decimal("2.50")
    assert ReviewEntry.objects.filter(merchant=shop.fruit).count() == 2
    assert ReviewListing.objects.filter(listing_id=shop.apple.pk).count() == 2
    assert told == [
        ("listings", sorted([shop.apple.pk, shop.grapes.pk])),
        ("merchant", shop.fruit.pk),
        ("listings", [shop.apple.pk]),
        ("merchant", shop.fruit.pk),
    ]
    assert MerchantNotice.objects.filter(merchant=shop.fruit, kind="shop.review_new").count() == 2
    assert AuditEntry.objects.filter(action="shop.order_review").count() == 2


def test_the_merchant_replies_once_and_only_its_own(shop: Shop) -> None:
    order = completed(shop)
    review = reviews.review_create(user=shop.resident, order_id=order.pk, stars=3)
    with pytest.raises(ApplicationError) as caught:
        reviews.review_reply(review_id=review.pk, merchant_id=shop.cleaner.pk, text="谢谢", by=None)
    assert caught.value.status == 404
    with pytest.raises(ApplicationError) as caught:
        reviews.review_reply(review_id=review.pk, merchant_id=shop.fruit.pk, text=" ", by=None)
    assert "reply" in caught.value.fields
    reviews.review_reply(review_id=review.pk, merchant_id=shop.fruit.pk, text="感谢支持，下次更好", by=None)
    with pytest.raises(ApplicationError) as caught:
        reviews.review_reply(review_id=review.pk, merchant_id=shop.fruit.pk, text="再说一句", by=None)
    assert caught.value.code == "already_replied"
    review.refresh_from_db()
    assert review.reply == "感谢支持，下次更好" and review.replied_at is not None
    assert ReviewEntry.objects.get(review_id=review.pk).replied
    assert Notification.objects.filter(recipient=shop.resident, kind="shop.review_replied").count() == 1


def test_a_complaint_goes_to_the_staff_in_scope_is_decided_and_the_resident_told(shop: Shop, member: Any) -> None:
    desk = member(shop.tenant, ["customer_service"])
    engineer = member(shop.tenant, ["engineer"])
    order = delivered(shop)
    with pytest.raises(ApplicationError) as caught:  # an order that is not with this merchant
        complaints.complaint_create(
            user=shop.resident, merchant_id=shop.cleaner.pk, order_id=order.pk, subject="态度差", text="送货员骂人"
        )
    assert "order" in caught.value.fields
    with pytest.raises(ApplicationError) as caught:  # another resident's order
        complaints.complaint_create(
            user=shop.neighbour, merchant_id=shop.fruit.pk, order_id=order.pk, subject="x", text="y"
        )
    assert "order" in caught.value.fields
    with pytest.raises(ApplicationError) as caught:
        complaints.complaint_create(user=shop.resident, merchant_id=shop.fruit.pk, subject="", text="y")
    assert "subject" in caught.value.fields
    complaint = complaints.complaint_create(
        user=shop.resident,
        merchant_id=shop.fruit.pk,
        order_id=order.pk,
        subject="态度差",
        text="送货员骂人",
        photos=[photo()],
    )
    assert (complaint.status, complaint.unit_id, complaint.merchant_name) == ("open", shop.home.pk, "鲜果坊")
    told = set(Notification.objects.filter(kind="shop.complaint_filed").values_list("recipient_id", flat=True))
    assert desk.pk in told and engineer.pk not in told
    other_office = Scope(all_offices=False, office_ids=frozenset({shop.other_estate.office_id}))
    assert complaints.staff_complaint_get(other_office, complaint.pk) is None
    with pytest.raises(ApplicationError) as caught:
        complaints.complaint_decide(complaint_id=complaint.pk, upheld=True, outcome="x", by=desk, scope=other_office)
    assert caught.value.status == 404
    complaints.complaint_take(complaint_id=complaint.pk, by=desk, scope=EVERYTHING)
    with pytest.raises(ApplicationError):
        complaints.complaint_take(complaint_id=complaint.pk, by=desk, scope=EVERYTHING)
    with pytest.raises(ApplicationError) as caught:
        complaints.complaint_decide(complaint_id=complaint.pk, upheld=True, outcome=" ", by=desk, scope=EVERYTHING)
    assert "outcome" in caught.value.fields
    with pytest.raises(ApplicationError) as caught:  # suspending needs an upheld complaint
        complaints.complaint_decide(
            complaint_id=complaint.pk, upheld=False, outcome="不成立", by=desk, scope=EVERYTHING, suspend=True
        )
    assert "suspend" in caught.value.fields
    complaints.complaint_decide(
        complaint_id=complaint.pk, upheld=True, outcome="已约谈商家，警告一次", by=desk, scope=EVERYTHING
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.suspended, complaint.decided_by_id) == ("upheld", False, desk.pk)
    decided = Notification.objects.get(recipient=shop.resident, kind="shop.complaint_decided")
    assert "警告" in decided.body
    with pytest.raises(ApplicationError):  # decided once
        complaints.complaint_decide(complaint_id=complaint.pk, upheld=False, outcome="改判", by=desk, scope=EVERYTHING)
    assert MerchantApplication.objects.get(merchant=shop.fruit, tenant=shop.tenant).status == "approved"
    assert complaints.merchant_complaint_counts(shop.fruit.pk) == {"all": 1, "upheld": 1, "recent": 1}


def test_repeated_complaints_and_the_staff_suspend_the_merchant_by_decision(shop: Shop, member: Any) -> None:
    admin = member(shop.tenant, ["company_admin"])
    for n in range(2):
        complaints.complaint_create(user=shop.resident, merchant_id=shop.fruit.pk, subject=f"第{n}次", text="又坏了")
    last = complaints.complaint_create(user=shop.neighbour, merchant_id=shop.fruit.pk, subject="第三次", text="烂")
    assert complaints.merchant_complaint_counts(shop.fruit.pk)["recent"] == 3
    complaints.complaint_decide(
        complaint_id=last.pk, upheld=True, outcome="多次投诉属实，暂停合作", by=admin, scope=EVERYTHING, suspend=True
    )
    application = MerchantApplication.objects.get(merchant=shop.fruit, tenant=shop.tenant)
    assert application.status == "suspended" and "暂停合作" in application.reason
    assert Complaint.objects.get(pk=last.pk).suspended
    assert AuditEntry.objects.filter(action="marketplace.application_suspend").count() == 1
    assert MerchantNotice.objects.filter(merchant=shop.fruit, kind="application.suspended").count() == 1
    # Another complaint upheld with suspension on an already suspended merchant: noted, no second suspension.
    first = Complaint.objects.exclude(pk=last.pk).first()
    assert first is not None
    complaints.complaint_decide(
        complaint_id=first.pk, upheld=True, outcome="同上", by=admin, scope=EVERYTHING, suspend=True
    )
    assert AuditEntry.objects.filter(action="marketplace.application_suspend").count() == 1
    # A merchant that never served this company cannot be complained about by someone who never ordered.
    stranger = Merchant.objects.create(
        name="外地商家", licence_number="91310000MA9999999X", contact_name="x", contact_phone="1", address="x"
    )
    with pytest.raises(ApplicationError) as caught:
        complaints.complaint_create(user=shop.resident, merchant_id=stranger.pk, subject="x", text="y")
    assert "merchant" in caught.value.fields
