"""After-sale over the API: a resident asks (multipart with photos) and escalates; the merchant lists and
decides over the platform API across companies; the company's staff decide escalations and complaints; the
review and the merchant's reply. Isolation: another resident, another merchant, another company's staff or
domain find nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from backend.properties.models import Unit
from marketplace.aftersale_index.models import RefundEntry, ReviewEntry
from marketplace.models import Listing
from marketplace.orders import flow
from marketplace.orders.models import AftersalePhoto, Complaint, OrderLine, RefundRequest
from tenants.db import connection
from tests.conftest import host_of

from .aftersale_helpers import completed, delivered, png_file
from .conftest import Shop
from .test_api_and_isolation import beta_home, merchant_api, paid_order, resident_api

pytestmark = pytest.mark.django_db


def staff_api(tenant: Any, member: Any, roles: list[str], **scope: Any) -> Client:
    user = member(tenant, roles)
    if scope:
        from backend.accounts.models import Membership

        Membership.objects.filter(user=user, tenant=tenant).update(scope_all=False, **scope)
    return resident_api(tenant, user)


def test_the_resident_asks_with_photos_the_merchant_declines_the_company_approves(shop: Shop, member: Any) -> None:
    order = delivered(shop)
    line = order.lines.get(variant_id=None)
    api = resident_api(shop.tenant, shop.resident)
    too_much = api.post(
        f"/api/v1/shop/orders/{order.pk}/refunds/",
        {"line": line.pk, "amount_fen": 99999, "reason": "坏了"},
        content_type="application/json",
    )
    assert too_much.status_code == 400 and too_much.json()["error"]["code"] == "over_refund"
    bad_photo = api.post(
        f"/api/v1/shop/orders/{order.pk}/refunds/",
        {
            "line": line.pk,
            "amount_fen": 500,
            "reason": "坏了",
            "photos": [SimpleUploadedFile("x.png", b"<html>")],
        },
    )
    assert bad_photo.status_code == 400 and "photos.0" in bad_photo.json()["error"]["fields"]
    asked = api.post(
        f"/api/v1/shop/orders/{order.pk}/refunds/",
        {"line": line.pk, "amount_fen": 500, "reason": "有两个烂的", "photos": [png_file(), png_file("b.png")]},
    )
    assert asked.status_code == 201, asked.content
    body = asked.json()
    assert (body["status"], body["amount_fen"], len(body["photo_ids"])) == ("pending", 500, 2)
    assert [r["id"] for r in api.get(f"/api/v1/shop/orders/{order.pk}/refunds/").json()] == [body["id"]]
    neighbour = resident_api(shop.tenant, shop.neighbour)
    assert neighbour.get(f"/api/v1/shop/orders/{order.pk}/refunds/").status_code == 404
    assert neighbour.post(f"/api/v1/shop/refunds/{body['id']}/withdraw/").status_code == 404
    assert neighbour.get("/api/v1/shop/refunds/").json() == []
    # The merchant, over the platform API.
    fruit = merchant_api(shop.fruit)
    rows = fruit.get("/api/v1/merchant/refunds/?status=open").json()["results"]
    assert [(r["code"], r["amount_fen"], r["status"]) for r in rows] == [(order.code, 500, "pending")]
    entry = rows[0]["id"]
    detail = fruit.get(f"/api/v1/merchant/refunds/{entry}/").json()
    assert detail["reason"] == "有两个烂的" and len(detail["photo_ids"]) == 2
    assert "contact_phone" not in detail and "user" not in detail
    cleaner = merchant_api(shop.cleaner)
    assert cleaner.get(f"/api/v1/merchant/refunds/{entry}/").status_code == 404
    refused = cleaner.post(
        f"/api/v1/merchant/refunds/{entry}/decide/", {"approve": True}, content_type="application/json"
    )
    assert refused.status_code == 404
    assert cleaner.get("/api/v1/merchant/refunds/").json()["results"] == []
    declined = fruit.post(
        f"/api/v1/merchant/refunds/{entry}/decide/",
        {"approve": False, "note": "看不出问题"},
        content_type="application/json",
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    again = fruit.post(f"/api/v1/merchant/refunds/{entry}/decide/", {"approve": True}, content_type="application/json")
    assert again.status_code == 409
    # The resident escalates; the company decides.
    escalated = api.post(
        f"/api/v1/shop/refunds/{body['id']}/escalate/", {"note": "确实烂了"}, content_type="application/json"
    )
    assert escalated.status_code == 200 and escalated.json()["status"] == "escalated"
    desk = staff_api(shop.tenant, member, ["customer_service"])
    listed = desk.get("/api/v1/marketplace/refunds/").json()["results"]
    assert [r["id"] for r in listed] == [body["id"]] and listed[0]["order_code"] == order.code
    elsewhere = staff_api(shop.tenant, member, ["customer_service"], scope_office_ids=[shop.other_estate.office_id])
    assert elsewhere.get("/api/v1/marketplace/refunds/").json()["results"] == []
    assert elsewhere.get(f"/api/v1/marketplace/refunds/{body['id']}/").status_code == 404
    finance = staff_api(shop.tenant, member, ["finance"])
    assert finance.get("/api/v1/marketplace/refunds/").status_code == 403
    decided = desk.post(
        f"/api/v1/marketplace/refunds/{body['id']}/decide/",
        {"approve": True, "amount_fen": 300, "note": "退三元"},
        content_type="application/json",
    )
    assert decided.status_code == 200, decided.content
    assert (decided.json()["status"], decided.json()["approved_fen"]) == ("company_approved", 300)
    assert OrderLine.objects.get(pk=line.pk).refunded_fen == 300
    assert RefundEntry.objects.get(request_id=body["id"]).status == "company_approved"
    final = desk.post(
        f"/api/v1/marketplace/refunds/{body['id']}/decide/",
        {"approve": True, "note": "再退"},
        content_type="application/json",
    )
    assert final.status_code == 409


def test_a_merchant_decides_a_refund_in_another_company_in_that_company(shop: Shop, tenant_b: Any, member: Any) -> None:
    beta_user, beta_unit = beta_home(tenant_b, member, shop)
    beta_order = paid_order(tenant_b, beta_user, beta_unit, shop.apple.pk, n=2)
    for action in ("accept", "deliver"):
        flow.order_merchant_move(order_id=beta_order.pk, merchant_id=shop.fruit.pk, action=action, by=None)
    line = beta_order.lines.get()
    api = resident_api(tenant_b, beta_user)
    asked = api.post(
        f"/api/v1/shop/orders/{beta_order.pk}/refunds/",
        {"line": line.pk, "amount_fen": 1280, "reason": "少了一个"},
        content_type="application/json",
    )
    assert asked.status_code == 201, asked.content
    # Alpha's resident and alpha's domain know nothing of it.
    alpha_api = resident_api(shop.tenant, shop.resident)
    assert alpha_api.get(f"/api/v1/shop/orders/{beta_order.pk}/refunds/").status_code == 404
    connection.set_tenant(shop.tenant)
    assert not RefundRequest.objects.filter(pk=asked.json()["id"], order__code=beta_order.code).exists()
    fruit = merchant_api(shop.fruit)
    (row,) = fruit.get("/api/v1/merchant/refunds/").json()["results"]
    assert row["company"] == tenant_b.name
    approved = fruit.post(
        f"/api/v1/merchant/refunds/{row['id']}/decide/",
        {"approve": True, "amount_fen": 1000},
        content_type="application/json",
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["approved_fen"] == 1000 and approved.json()["line_refunded_fen"] == 1000
    connection.set_tenant(tenant_b)
    assert OrderLine.objects.get(pk=line.pk).refunded_fen == 1000


def test_review_over_the_api_and_the_merchants_one_reply(shop: Shop) -> None:
    order = completed(shop)
    api = resident_api(shop.tenant, shop.resident)
    assert api.get(f"/api/v1/shop/orders/{order.pk}/review/").status_code == 404
    bad = api.post(f"/api/v1/shop/orders/{order.pk}/review/", {"stars": 6}, content_type="application/json")
    assert bad.status_code == 400 and "stars" in bad.json()["error"]["fields"]
    neighbour = resident_api(shop.tenant, shop.neighbour)
    assert neighbour.post(f"/api/v1/shop/orders/{order.pk}/review/", {"stars": 1}).status_code == 404
    made = api.post(f"/api/v1/shop/orders/{order.pk}/review/", {"stars": "5", "text": "好吃", "photos": [png_file()]})
    assert made.status_code == 201, made.content
    assert made.json()["stars"] == 5 and len(made.json()["photo_ids"]) == 1
    assert api.post(f"/api/v1/shop/orders/{order.pk}/review/", {"stars": 4}).status_code == 409
    assert api.get(f"/api/v1/shop/orders/{order.pk}/").json()["status"] == "reviewed"
    assert str(Listing.objects.get(pk=shop.apple.pk).rating) == "5.00"
    fruit = merchant_api(shop.fruit)
    (row,) = fruit.get("/api/v1/merchant/reviews/").json()["results"]
    assert (row["stars"], row["replied"]) == (5, False)
    assert merchant_api(shop.cleaner).get(f"/api/v1/merchant/reviews/{row['id']}/").status_code == 404
    replied = fruit.post(
        f"/api/v1/merchant/reviews/{row['id']}/reply/", {"reply": "谢谢惠顾"}, content_type="application/json"
    )
    assert replied.status_code == 200 and replied.json()["reply"] == "谢谢惠顾"
    twice = fruit.post(
        f"/api/v1/merchant/reviews/{row['id']}/reply/", {"reply": "再谢"}, content_type="application/json"
    )
    assert twice.status_code == 409
    assert ReviewEntry.objects.get(pk=row["id"]).replied
    assert api.get(f"/api/v1/shop/orders/{order.pk}/review/").json()["reply"] == "谢谢惠顾"


def test_complaints_over_the_api(shop: Shop, member: Any, tenant_b: Any) -> None:
    api = resident_api(shop.tenant, shop.resident)
    made = api.post(
        "/api/v1/shop/complaints/",
        {"merchant": shop.fruit.pk, "subject": "缺斤少两", "text": "称重不对", "photos": [png_file()]},
    )
    assert made.status_code == 201, made.content
    cid = made.json()["id"]
    assert AftersalePhoto.objects.filter(complaint_id=cid).count() == 1
    assert Complaint.objects.get(pk=cid).unit_id == shop.home.pk
    assert resident_api(shop.tenant, shop.neighbour).get(f"/api/v1/shop/complaints/{cid}/").status_code == 404
    desk = staff_api(shop.tenant, member, ["company_admin"])
    (row,) = desk.get("/api/v1/marketplace/complaints/?status=open").json()["results"]
    assert row["subject"] == "缺斤少两"
    detail = desk.get(f"/api/v1/marketplace/complaints/{cid}/").json()
    assert detail["merchant_complaints"] == {"all": 1, "upheld": 0, "recent": 1}
    assert desk.post(f"/api/v1/marketplace/complaints/{cid}/take/").json()["status"] == "in_review"
    decided = desk.post(
        f"/api/v1/marketplace/complaints/{cid}/decide/",
        {"upheld": True, "outcome": "已责令整改", "suspend": False},
        content_type="application/json",
    )
    assert decided.status_code == 200 and decided.json()["status"] == "upheld"
    assert api.get(f"/api/v1/shop/complaints/{cid}/").json()["outcome"] == "已责令整改"
    # Company beta's staff, on beta's domain, find nothing of alpha's.
    beta_staff = staff_api(tenant_b, member, ["company_admin"])
    assert beta_staff.get("/api/v1/marketplace/complaints/").json()["results"] == []
    assert beta_staff.get(f"/api/v1/marketplace/complaints/{cid}/").status_code == 404
    # A session of beta presented to alpha's domain is not signed in there.
    cross = Client(HTTP_HOST=host_of(shop.tenant))
    cross.cookies["sessionid"] = beta_staff.cookies["sessionid"].value
    assert cross.get(f"/api/v1/marketplace/complaints/{cid}/").status_code == 401


def test_unit_is_a_home_of_mine(shop: Shop) -> None:
    api = resident_api(shop.tenant, shop.resident)
    other = Unit.objects.get(pk=shop.other_home.pk)
    refused = api.post(
        "/api/v1/shop/complaints/",
        {"merchant": shop.fruit.pk, "subject": "x", "text": "y", "unit": other.pk},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "unit" in refused.json()["error"]["fields"]
