"""The merchant API on the platform domain: merchant tokens only (never a company's), field-level 400s, owner
and clerk rights, and another merchant's objects answering 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from backend.access.services import api_token_issue
from marketplace import catalogue, catalogue_slots
from marketplace.models import Listing, Merchant, MerchantApplication
from tests.conftest import host_of

from .conftest import PASSWORD, PLATFORM, accepted_photo, image_upload, licence_number

pytestmark = pytest.mark.django_db
GOOD = {"kind": "good", "title": "新鲜苹果", "category_code": "fruit", "price_fen": 1280, "unit": "斤", "stock": 30}


def test_token_then_me(owner: Any) -> None:
    member = owner()
    client = Client(HTTP_HOST=PLATFORM)
    answer = client.post(
        "/api/v1/merchant/auth/token/",
        {"username": member.user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert answer.status_code == 200
    token = answer.json()["token"]
    assert token.startswith("mt_")
    me = client.get("/api/v1/merchant/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200
    assert me.json()["merchant"]["id"] == member.merchant_id and me.json()["role"] == "owner"


def test_a_company_member_gets_no_merchant_token(tenant_a: Any, member: Any) -> None:
    staff = member(tenant_a, ["company_admin"])
    answer = Client(HTTP_HOST=PLATFORM).post(
        "/api/v1/merchant/auth/token/",
        {"username": staff.email, "password": "Test-pass-2026!"},
        content_type="application/json",
    )
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "not_a_merchant"


def test_a_company_token_does_not_open_the_merchant_api(tenant_a: Any, member: Any, owner: Any) -> None:
    from django.db import connection

    staff = member(tenant_a, ["company_admin"])
    connection.set_tenant(tenant_a)
    _token, raw = api_token_issue(user=staff, name="t")
    connection.set_schema_to_public()
    assert Client(HTTP_HOST=host_of(tenant_a)).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    answer = Client(HTTP_HOST=PLATFORM).get("/api/v1/merchant/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 401


def test_a_merchant_token_does_not_open_a_company_api(tenant_a: Any, owner: Any, api_for: Any) -> None:
    member = owner()
    client = api_for(member)
    raw = client.defaults["HTTP_AUTHORIZATION"]
    assert Client(HTTP_HOST=host_of(tenant_a)).get("/api/v1/me/", HTTP_AUTHORIZATION=raw).status_code == 401
    # Nor are the merchant endpoints served on a company's domain at all.
    assert Client(HTTP_HOST=host_of(tenant_a)).get("/api/v1/merchant/me/", HTTP_AUTHORIZATION=raw).status_code == 404


def test_no_token_is_401(db: None) -> None:
    assert Client(HTTP_HOST=PLATFORM).get("/api/v1/merchant/listings/").status_code in (401, 403)
    assert (
        Client(HTTP_HOST=PLATFORM).get("/api/v1/merchant/listings/", HTTP_AUTHORIZATION="Bearer mt_nope").status_code
        == 401
    )


def test_signup_over_the_api_with_field_errors_first(db: None) -> None:
    client = Client(HTTP_HOST=PLATFORM)
    bad = client.post("/api/v1/merchant/signup/", {"name": "", "licence_number": "123", "category_codes": ["fruit"]})
    assert bad.status_code == 400
    fields = bad.json()["error"]["fields"]
    assert {"name", "licence_number", "licence"} <= set(fields)
    html = client.post(
        "/api/v1/merchant/signup/",
        {
            "name": "面包房",
            "licence_number": licence_number(7),
            "licence": SimpleUploadedFile("licence.png", b"<html><script>1</script></html>", content_type="image/png"),
            "contact_name": "张",
            "contact_phone": "13800138000",
            "address": "面包路2号",
            "category_codes": ["bakery"],
            "owner_name": "张老板",
            "owner_email": "bread@merchant.test",
            "owner_password": PASSWORD,
        },
    )
    assert html.status_code == 400 and "licence" in html.json()["error"]["fields"]
    good = client.post(
        "/api/v1/merchant/signup/",
        {
            "name": "面包房",
            "licence_number": licence_number(7),
            "licence": image_upload("licence.png"),
            "contact_name": "张",
            "contact_phone": "13800138000",
            "address": "面包路2号",
            "category_codes": ["bakery"],
            "owner_name": "张老板",
            "owner_email": "bread@merchant.test",
            "owner_password": PASSWORD,
        },
    )
    assert good.status_code == 201, good.content
    assert Merchant.objects.get(name="面包房").licence_number == licence_number(7)


def test_listings_crud_with_field_level_400s(owner: Any, api_for: Any) -> None:
    client = api_for(owner())
    bad = client.post(
        "/api/v1/merchant/listings/", {**GOOD, "price_fen": 0, "title": ""}, content_type="application/json"
    )
    assert bad.status_code == 400 and {"price_fen", "title"} <= set(bad.json()["error"]["fields"])
    made = client.post("/api/v1/merchant/listings/", GOOD, content_type="application/json")
    assert made.status_code == 201
    pk = made.json()["id"]
    put = client.put(f"/api/v1/merchant/listings/{pk}/", {**GOOD, "price_fen": 990}, content_type="application/json")
    assert put.status_code == 200 and put.json()["price_fen"] == 990
    off = client.post(f"/api/v1/merchant/listings/{pk}/active/", {"is_active": False}, content_type="application/json")
    assert off.json()["is_active"] is False
    variant = client.post(
        f"/api/v1/merchant/listings/{pk}/variants/",
        {"name": "5斤装", "price_fen": 5000},
        content_type="application/json",
    )
    assert variant.status_code == 201 and variant.json()["stock"] is None
    photo = client.post(f"/api/v1/merchant/listings/{pk}/photos/", {"photo": image_upload()})
    assert photo.status_code == 201
    image = client.get(photo.json()["url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image["X-Content-Type-Options"] == "nosniff"
    page = client.get("/api/v1/merchant/listings/").json()
    assert page["count"] == 1 and page["results"][0]["variants"][0]["name"] == "5斤装"


def test_slots_and_specials_over_the_api(owner: Any, api_for: Any) -> None:
    client = api_for(owner(category_codes=["housekeeping"]))
    service = client.post(
        "/api/v1/merchant/listings/",
        {
            "kind": "service",
            "title": "上门保洁",
            "category_code": "housekeeping",
            "price_fen": 8800,
            "duration_minutes": 90,
        },
        content_type="application/json",
    ).json()
    day = timezone.localdate() + dt.timedelta(days=2)
    slots = client.post(
        f"/api/v1/merchant/listings/{service['id']}/slots/",
        {"first_date": day.isoformat(), "last_date": day.isoformat(), "weekdays": [day.weekday()],
         "start_times": ["09:00", "13:30"], "capacity": 2},
        content_type="application/json",
    )  # fmt: skip
    assert slots.status_code == 201 and len(slots.json()) == 2
    slot_id = slots.json()[0]["id"]
    patched = client.patch(f"/api/v1/merchant/slots/{slot_id}/", {"capacity": 4}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["capacity"] == 4
    bad = client.post(
        "/api/v1/merchant/specials/",
        {"listing_id": service["id"], "month": day.isoformat(), "price_fen": 9900},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "price_fen" in bad.json()["error"]["fields"]
    ok = client.post(
        "/api/v1/merchant/specials/",
        {"listing_id": service["id"], "month": timezone.localdate().isoformat(), "price_fen": 6600},
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["month"].endswith("-01")


def test_another_merchants_objects_are_404_over_the_api(owner: Any, api_for: Any, estates: dict, tenant_a: Any) -> None:
    from marketplace.applications import application_submit

    mine, theirs = owner(), owner(category_codes=["housekeeping"])
    good = catalogue.listing_create(member=theirs, kind="good", **{k: v for k, v in GOOD.items() if k != "kind"})
    service = catalogue.listing_create(
        member=theirs, kind="service", title="保洁", category_code="housekeeping", price_fen=100, duration_minutes=60
    )
    photo = catalogue.photo_add(member=theirs, listing_id=good.pk, photo=accepted_photo())
    day = timezone.localdate() + dt.timedelta(days=1)
    [slot] = catalogue_slots.slot_series_create(
        member=theirs, listing_id=service.pk, first_date=day, last_date=day, weekdays=[day.weekday()],
        start_times=[dt.time(10)], capacity=1,
    )  # fmt: skip
    application = application_submit(
        member=theirs, tenant_id=tenant_a.pk, estate_ids=[estates["阳光花园"].pk], category_codes=["fruit"]
    )
    client = api_for(mine)
    j = "application/json"
    assert client.get(f"/api/v1/merchant/listings/{good.pk}/").status_code == 404
    assert client.put(f"/api/v1/merchant/listings/{good.pk}/", GOOD, content_type=j).status_code == 404
    assert (
        client.post(f"/api/v1/merchant/listings/{good.pk}/active/", {"is_active": False}, content_type=j).status_code
        == 404
    )
    assert client.post(f"/api/v1/merchant/listings/{good.pk}/photos/", {"photo": image_upload()}).status_code == 404
    assert client.get(f"/api/v1/merchant/photos/{photo.pk}/image/").status_code == 404
    assert client.delete(f"/api/v1/merchant/photos/{photo.pk}/").status_code == 404
    assert client.get(f"/api/v1/merchant/listings/{service.pk}/slots/").status_code == 404
    assert client.patch(f"/api/v1/merchant/slots/{slot.pk}/", {"capacity": 9}, content_type=j).status_code == 404
    assert client.get(f"/api/v1/merchant/applications/{application.pk}/").status_code == 404
    assert client.post(f"/api/v1/merchant/applications/{application.pk}/withdraw/").status_code == 404
    assert client.get("/api/v1/merchant/listings/").json()["count"] == 0
    assert client.get("/api/v1/merchant/applications/").json()["count"] == 0
    assert Listing.objects.get(pk=good.pk).is_active
    assert MerchantApplication.objects.get(pk=application.pk).status == "pending"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("put", "/api/v1/merchant/profile/", {"name": "x"}),
        ("get", "/api/v1/merchant/members/", None),
        ("post", "/api/v1/merchant/members/", {"name": "x"}),
        ("post", "/api/v1/merchant/applications/", {"company_id": 1, "estate_ids": [1], "category_codes": ["fruit"]}),
    ],
)
def test_a_clerk_cannot_do_owner_things(
    owner: Any, clerk_of: Any, api_for: Any, method: str, path: str, body: Any
) -> None:
    member = owner()
    clerk = clerk_of(member)
    answer = getattr(api_for(clerk), method)(path, body, content_type="application/json")
    assert answer.status_code == 403
    # The owner may.
    assert getattr(api_for(member), method)(path, body, content_type="application/json").status_code != 403
    # What a clerk may: the catalogue.
    assert api_for(clerk).post("/api/v1/merchant/listings/", GOOD, content_type="application/json").status_code == 201


def test_apply_and_see_the_directory_over_the_api(owner: Any, api_for: Any, estates: dict, tenant_a: Any) -> None:
    client = api_for(owner())
    companies = {c["name"]: c for c in client.get("/api/v1/merchant/companies/").json()}
    alpha = companies[tenant_a.name]
    assert {e["name"] for e in alpha["estates"]} == {"阳光花园", "翠湖苑"} and alpha["application"] is None
    sunny = next(e["id"] for e in alpha["estates"] if e["name"] == "阳光花园")
    answer = client.post(
        "/api/v1/merchant/applications/",
        {"company_id": alpha["id"], "estate_ids": [sunny], "category_codes": ["fruit"], "message": "您好"},
        content_type="application/json",
    )
    assert answer.status_code == 201 and answer.json()["estates"] == [{"id": sunny, "name": "阳光花园"}]
    dashboard = client.get("/api/v1/merchant/dashboard/").json()
    assert dashboard["applications"] == {"pending": 1}


def test_the_platform_openapi_documents_the_merchant_api(db: None) -> None:
    schema = Client(HTTP_HOST=PLATFORM).get("/api/schema/?format=json").json()
    assert "/api/v1/merchant/listings/" in schema["paths"]
    assert "merchantBearerAuth" in schema["components"]["securitySchemes"]
    listing_post = schema["paths"]["/api/v1/merchant/listings/"]["post"]["responses"]
    assert {"201", "400", "401", "403"} <= set(listing_post)
    # The company's schema does not carry them.
    company = Client(HTTP_HOST="alpha.localhost").get("/api/schema/?format=json").json()
    assert not any(p.startswith("/api/v1/merchant/") for p in company["paths"])


def test_the_owner_reads_the_merchants_own_audit_trail(owner: Any, clerk_of: Any, api_for: Any) -> None:
    mine, theirs = owner(), owner()
    clerk = clerk_of(mine)
    api_for(clerk).post("/api/v1/merchant/listings/", GOOD, content_type="application/json")
    api_for(theirs).post("/api/v1/merchant/listings/", GOOD, content_type="application/json")
    assert api_for(clerk).get("/api/v1/merchant/audit-log/").status_code == 403
    rows = api_for(mine).get("/api/v1/merchant/audit-log/").json()["results"]
    actions = [(r["action"], r["user_id"]) for r in rows]
    assert ("listing.create", clerk.user_id) in actions and ("merchant.sign_up", mine.user_id) in actions
    assert all(r["user_id"] in (mine.user_id, clerk.user_id) for r in rows)  # nothing of the other merchant's
