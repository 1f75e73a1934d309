"""The after-sale pages (zh-hans, amounts in yuan): the resident's refund form and its status on the order
page, escalation, the review and complaint forms; the merchant's refund requests (decide in part) and review
reply; the staff's refund disputes and complaints. Another resident, merchant or office finds nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from backend.accounts.models import Membership
from marketplace.aftersale_index.models import RefundEntry, ReviewEntry
from marketplace.models import MerchantApplication
from marketplace.orders import reviews
from marketplace.orders.models import AftersalePhoto, Complaint, OrderLine, RefundRequest, Review
from tenants.db import connection
from tests.conftest import host_of

from .aftersale_helpers import completed, delivered, png_file
from .conftest import Shop
from .test_pages import merchant_portal

pytestmark = pytest.mark.django_db


def company_client(shop: Shop, user: Any) -> Client:
    connection.set_tenant(shop.tenant)
    client = Client(HTTP_HOST=host_of(shop.tenant))
    client.force_login(user, backend="backend.accounts.backends.EmailOrPhoneBackend")
    return client


def html(response: Any) -> str:
    return response.content.decode()


def test_refund_from_the_order_page_to_the_merchant_then_the_company(shop: Shop, member: Any) -> None:
    order = delivered(shop)
    line = order.lines.get(variant_id=None)
    client = company_client(shop, shop.resident)
    page = html(client.get(f"/resident/shop/orders/{order.pk}/"))
    assert "申请退款" in page and "data-refund-new" in page
    form = html(client.get(f"/resident/shop/orders/{order.pk}/refund/"))
    assert "¥25.60" in form and 'enctype="multipart/form-data"' in form and "data-refund-form" in form
    too_much = client.post(
        f"/resident/shop/orders/{order.pk}/refund/", {"line": line.pk, "amount_fen": "25.61", "reason": "坏了"}
    )
    assert too_much.status_code == 400 and "最多 ¥25.60" in html(too_much)
    sent = client.post(
        f"/resident/shop/orders/{order.pk}/refund/",
        {"line": line.pk, "amount_fen": "12.80", "reason": "有一个烂了", "photo1": png_file()},
    )
    assert sent.status_code == 302 and sent["Location"] == f"/resident/shop/orders/{order.pk}/"
    connection.set_tenant(shop.tenant)
    req = RefundRequest.objects.get()
    assert req.amount_fen == 1280 and AftersalePhoto.objects.filter(refund=req).count() == 1
    photo = req.photos.get()
    page = html(client.get(f"/resident/shop/orders/{order.pk}/", HTTP_HX_REQUEST="true"))
    assert 'data-refund-status="pending"' in page and "等待商家处理" in page and "¥12.80" in page
    served = client.get(f"/resident/shop/aftersale-photos/{photo.pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    neighbour = company_client(shop, shop.neighbour)
    assert neighbour.get(f"/resident/shop/orders/{order.pk}/refund/").status_code == 404
    assert neighbour.get(f"/resident/shop/aftersale-photos/{photo.pk}/").status_code == 404
    assert neighbour.post(f"/resident/shop/refunds/{req.pk}/withdraw/").status_code == 404
    # The merchant's pages: the list, the request, a decline.
    fruit = merchant_portal(shop.fruit)
    listed = html(fruit.get("/merchant/refunds/"))
    entry = RefundEntry.objects.get(request_id=req.pk)
    assert order.code in listed and f'data-refund-row="{entry.pk}"' in listed
    detail = html(fruit.get(f"/merchant/refunds/{entry.pk}/"))
    assert "有一个烂了" in detail and "¥12.80" in detail and f"/merchant/aftersale/refund/{entry.pk}/photos/" in detail
    assert fruit.get(f"/merchant/aftersale/refund/{entry.pk}/photos/{photo.pk}/").status_code == 200
    cleaner = merchant_portal(shop.cleaner)
    assert cleaner.get(f"/merchant/refunds/{entry.pk}/").status_code == 404
    assert cleaner.get(f"/merchant/aftersale/refund/{entry.pk}/photos/{photo.pk}/").status_code == 404
    assert order.code not in html(cleaner.get("/merchant/refunds/"))
    no_note = fruit.post(f"/merchant/refunds/{entry.pk}/", {"decision": "decline", "note": ""})
    assert no_note.status_code == 400
    declined = fruit.post(f"/merchant/refunds/{entry.pk}/", {"decision": "decline", "note": "照片不清楚"})
    assert declined.status_code == 302
    # Back to the resident: escalate from the order page.
    page = html(client.get(f"/resident/shop/orders/{order.pk}/"))
    assert "照片不清楚" in page and "data-refund-escalate" in page
    client.post(f"/resident/shop/refunds/{req.pk}/escalate/", {"note": "确实烂了，请物业评理"})
    connection.set_tenant(shop.tenant)
    assert RefundRequest.objects.get(pk=req.pk).status == "escalated"
    # The company's staff: the disputes list, the page, a partial approval (yuan).
    desk = company_client(shop, member(shop.tenant, ["customer_service"]))
    listed = html(desk.get("/staff/marketplace/refunds/"))
    assert "退款争议" in listed and f'data-refund-row="{req.pk}"' in listed
    detail = html(desk.get(f"/staff/marketplace/refunds/{req.pk}/"))
    assert "确实烂了" in detail and "照片不清楚" in detail and "data-refund-decide" in detail
    assert desk.get(f"/staff/marketplace/aftersale-photos/{photo.pk}/").status_code == 200
    scoped = member(shop.tenant, ["customer_service"])
    Membership.objects.filter(user=scoped).update(scope_all=False, scope_office_ids=[shop.other_estate.office_id])
    elsewhere = company_client(shop, scoped)
    assert elsewhere.get(f"/staff/marketplace/refunds/{req.pk}/").status_code == 404
    assert elsewhere.get(f"/staff/marketplace/aftersale-photos/{photo.pk}/").status_code == 404
    assert f'data-refund-row="{req.pk}"' not in html(elsewhere.get("/staff/marketplace/refunds/"))
    decided = desk.post(
        f"/staff/marketplace/refunds/{req.pk}/", {"decision": "approve", "amount_fen": "6.40", "note": "退一半"}
    )
    assert decided.status_code == 302
    connection.set_tenant(shop.tenant)
    assert OrderLine.objects.get(pk=line.pk).refunded_fen == 640
    page = html(client.get(f"/resident/shop/orders/{order.pk}/"))
    assert "物业公司已同意" in page and "¥6.40" in page and "退一半" in page


def test_the_merchant_approves_part_on_its_page(shop: Shop) -> None:
    order = delivered(shop)
    line = order.lines.get(variant_id=shop.green.pk)
    client = company_client(shop, shop.resident)
    client.post(f"/resident/shop/orders/{order.pk}/refund/", {"line": line.pk, "amount_fen": "19.90", "reason": "酸"})
    connection.set_tenant(shop.tenant)
    entry = RefundEntry.objects.get()
    fruit = merchant_portal(shop.fruit)
    over = fruit.post(f"/merchant/refunds/{entry.pk}/", {"decision": "approve", "amount_fen": "20.00"})
    assert over.status_code == 400 and "¥19.90" in html(over)
    done = fruit.post(f"/merchant/refunds/{entry.pk}/", {"decision": "approve", "amount_fen": "10.00"})
    assert done.status_code == 302
    connection.set_tenant(shop.tenant)
    assert OrderLine.objects.get(pk=line.pk).refunded_fen == 1000
    assert "商家已同意" in html(fruit.get(f"/merchant/refunds/{entry.pk}/"))


def test_review_form_and_the_merchants_reply_page(shop: Shop) -> None:
    order = completed(shop)
    client = company_client(shop, shop.resident)
    assert "data-review-new" in html(client.get(f"/resident/shop/orders/{order.pk}/"))
    form = html(client.get(f"/resident/shop/orders/{order.pk}/review/"))
    assert "data-review-form" in form and "★★★★★" in form
    bad = client.post(f"/resident/shop/orders/{order.pk}/review/", {"stars": "9"})
    assert bad.status_code == 400
    sent = client.post(
        f"/resident/shop/orders/{order.pk}/review/", {"stars": "4", "text": "挺好", "photo1": png_file()}
    )
    assert sent.status_code == 302
    connection.set_tenant(shop.tenant)
    review = Review.objects.get(order=order)
    assert review.stars == 4 and review.photos.count() == 1
    assert "data-reviewed" in html(client.get(f"/resident/shop/orders/{order.pk}/review/"))
    assert company_client(shop, shop.neighbour).get(f"/resident/shop/orders/{order.pk}/review/").status_code == 404
    fruit = merchant_portal(shop.fruit)
    entry = ReviewEntry.objects.get()
    assert f'data-review-row="{entry.pk}"' in html(fruit.get("/merchant/reviews/"))
    assert "挺好" in html(fruit.get(f"/merchant/reviews/{entry.pk}/"))
    assert merchant_portal(shop.cleaner).get(f"/merchant/reviews/{entry.pk}/").status_code == 404
    assert fruit.post(f"/merchant/reviews/{entry.pk}/", {"reply": "谢谢您"}).status_code == 302
    again = html(fruit.get(f"/merchant/reviews/{entry.pk}/"))
    assert "data-reply" in again and "data-review-reply" not in again  # once
    connection.set_tenant(shop.tenant)
    assert "谢谢您" in html(client.get(f"/resident/shop/orders/{order.pk}/"))
    # The listing's page shows the company's reviews of it (no reviewer named) and its rating.
    listing = html(company_client(shop, shop.neighbour).get(f"/resident/shop/listings/{shop.apple.pk}/"))
    assert "data-reviews" in listing and "挺好" in listing and "谢谢您" in listing and "4.0" in listing
    with pytest.raises(Exception):  # noqa: B017 - the service refuses a second reply
        reviews.review_reply(review_id=review.pk, merchant_id=shop.fruit.pk, text="x", by=None)


def test_complaint_form_staff_decision_with_suspension_and_the_resident_reads_it(shop: Shop, member: Any) -> None:
    order = delivered(shop)
    client = company_client(shop, shop.resident)
    form = html(client.get(f"/resident/shop/complaints/new/?order={order.pk}"))
    assert "投诉商家" in form and "鲜果坊" in form and "data-complaint-form" in form
    sent = client.post(
        "/resident/shop/complaints/new/",
        {"merchant": shop.fruit.pk, "order": order.pk, "subject": "缺斤少两", "text": "少了半斤", "photo1": png_file()},
    )
    assert sent.status_code == 302
    connection.set_tenant(shop.tenant)
    complaint = Complaint.objects.get()
    assert sent["Location"] == f"/resident/shop/complaints/{complaint.pk}/"
    assert "缺斤少两" in html(client.get("/resident/shop/complaints/"))
    assert company_client(shop, shop.neighbour).get(f"/resident/shop/complaints/{complaint.pk}/").status_code == 404
    admin = company_client(shop, member(shop.tenant, ["company_admin"]))
    assert f'data-complaint-row="{complaint.pk}"' in html(admin.get("/staff/marketplace/complaints/"))
    page = html(admin.get(f"/staff/marketplace/complaints/{complaint.pk}/"))
    assert "少了半斤" in page and "共 1 条" in page
    admin.post(f"/staff/marketplace/complaints/{complaint.pk}/", {"action": "take"})
    decided = admin.post(
        f"/staff/marketplace/complaints/{complaint.pk}/",
        {"action": "decide", "decision": "upheld", "outcome": "多次缺斤少两，暂停合作", "suspend": "on"},
    )
    assert decided.status_code == 302
    connection.set_schema_to_public()
    assert MerchantApplication.objects.get(merchant=shop.fruit, tenant=shop.tenant).status == "suspended"
    connection.set_tenant(shop.tenant)
    mine = html(client.get(f"/resident/shop/complaints/{complaint.pk}/"))
    assert "属实" in mine and "暂停合作" in mine and "该商家已被暂停" in mine
    engineer = company_client(shop, member(shop.tenant, ["engineer"]))
    assert engineer.get(f"/staff/marketplace/complaints/{complaint.pk}/").status_code == 403


def test_the_merchant_after_sale_pages_need_a_signed_in_merchant(shop: Shop) -> None:
    from django.conf import settings

    connection.set_schema_to_public()
    anonymous = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    for url in ("/merchant/refunds/", "/merchant/refunds/1/", "/merchant/reviews/", "/merchant/reviews/1/"):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/merchant/login/?next="), url
    # A resident's session on the company's domain is not a merchant's on the platform.
    resident = company_client(shop, shop.resident)
    assert resident.get("/merchant/refunds/").status_code == 404
