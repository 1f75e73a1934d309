"""The merchant portal's pages on the platform domain: sign-up, sign-in, the pages each role may open, and
another merchant's objects answering 404; merchant accounts get nothing of a company's portal."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern
from django.utils import timezone

import portal.merchant.urls
from marketplace import catalogue, catalogue_slots
from marketplace.applications import application_submit
from marketplace.models import ApplicationStatus, Listing, Merchant, MerchantApplication, ServiceSlot
from portal.access import access_of
from tests.conftest import host_of

from .conftest import PASSWORD, PLATFORM, accepted_photo, image_upload, licence_number

pytestmark = pytest.mark.django_db
GOOD = {"title": "新鲜苹果", "category_code": "fruit", "price_fen": 1280, "unit": "斤", "stock": 30}


def test_every_merchant_page_declares_who_may_open_it() -> None:
    for pattern in portal.merchant.urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        assert access_of(pattern.callback) is not None, pattern.name


def test_signing_up_on_the_portal_lands_signed_in(db: None) -> None:
    client = Client(HTTP_HOST=PLATFORM)
    page = client.get("/merchant/signup/")
    assert page.status_code == 200 and "营业执照" in page.content.decode()
    assert "在社区商城开店" in page.content.decode()  # zh-hans first: the platform's language
    answer = client.post(
        "/merchant/signup/",
        {
            "name": "李记水果",
            "licence_number": licence_number(9),
            "licence": image_upload("licence.png"),
            "contact_name": "李",
            "contact_phone": "13800138001",
            "address": "阳光路3号",
            "service_area": "1公里内",
            "category_codes": ["fruit"],
            "owner_name": "李老板",
            "owner_email": "li@merchant.test",
            "owner_phone": "",
            "owner_password": PASSWORD,
        },
    )
    assert answer.status_code == 302 and answer["Location"] == "/merchant/applications/"
    assert Merchant.objects.filter(name="李记水果").exists()
    assert client.get("/merchant/").status_code == 200


def test_a_sign_up_with_mistakes_shows_them_per_field(db: None) -> None:
    answer = Client(HTTP_HOST=PLATFORM).post("/merchant/signup/", {"name": "", "licence_number": "123"})
    assert answer.status_code == 400
    html = answer.content.decode()
    for field in ("name", "licence_number", "licence", "owner_password"):
        assert f'data-error-for="{field}"' in html
    assert not Merchant.objects.exists()


def test_sign_in_and_out(owner: Any) -> None:
    member = owner()
    client = Client(HTTP_HOST=PLATFORM)
    assert client.get("/merchant/listings/")["Location"].startswith("/merchant/login/?next=")
    wrong = client.post("/merchant/login/", {"username": member.user.email, "password": "nope-nope-1"})
    assert wrong.status_code == 400
    ok = client.post(
        "/merchant/login/", {"username": member.user.email, "password": PASSWORD, "next": "/merchant/listings/"}
    )
    assert ok.status_code == 302 and ok["Location"] == "/merchant/listings/"
    assert client.get("/merchant/listings/").status_code == 200
    client.post("/merchant/logout/")
    assert client.get("/merchant/").status_code == 302


def test_a_company_member_is_refused_by_the_merchant_sign_in(tenant_a: Any, member: Any) -> None:
    staff = member(tenant_a, ["company_admin"])
    answer = Client(HTTP_HOST=PLATFORM).post(
        "/merchant/login/", {"username": staff.email, "password": "Test-pass-2026!"}
    )
    assert answer.status_code == 403 and 'data-error-for="username"' in answer.content.decode()


def test_a_merchant_account_cannot_sign_in_to_a_company_portal(owner: Any, tenant_a: Any) -> None:
    member = owner()
    client = Client(HTTP_HOST=host_of(tenant_a))
    answer = client.post("/login/", {"username": member.user.email, "password": PASSWORD})
    assert answer.status_code == 403
    assert "merchant" in answer.content.decode().lower() or "商家" in answer.content.decode()
    # No session there: the staff and resident pages send it to sign in.
    assert client.get("/staff/").status_code == 302
    assert client.get("/resident/").status_code == 302
    token = Client(HTTP_HOST=host_of(tenant_a)).post(
        "/api/v1/auth/token/", {"username": member.user.email, "password": PASSWORD}, content_type="application/json"
    )
    assert token.status_code == 403


def test_a_merchant_session_is_nothing_on_a_company_domain(owner: Any, portal_for: Any, tenant_a: Any) -> None:
    client = portal_for(owner())
    cookie = client.cookies["sessionid"].value
    company = Client(HTTP_HOST=host_of(tenant_a))
    company.cookies["sessionid"] = cookie
    assert company.get("/staff/").status_code == 302
    assert company.get("/api/v1/me/").status_code in (401, 403)


def test_a_company_members_session_opens_no_merchant_page(tenant_a: Any, member: Any, client_for: Any) -> None:
    staff_client = client_for(tenant_a, member(tenant_a, ["company_admin"]))
    platform = Client(HTTP_HOST=PLATFORM)
    platform.cookies["sessionid"] = staff_client.cookies["sessionid"].value
    assert platform.get("/merchant/").status_code == 302


@pytest.mark.parametrize(
    "path", ["/merchant/profile/", "/merchant/members/", "/merchant/applications/company/1/", "/merchant/statements/"]
)
def test_a_clerk_cannot_open_the_owners_pages(owner: Any, clerk_of: Any, portal_for: Any, path: str) -> None:
    assert portal_for(clerk_of(owner())).get(path).status_code == 403


def test_a_clerk_keeps_the_catalogue(owner: Any, clerk_of: Any, portal_for: Any) -> None:
    client = portal_for(clerk_of(owner()))
    for path in (
        "/merchant/",
        "/merchant/listings/",
        "/merchant/listings/new/",
        "/merchant/specials/",
        "/merchant/applications/",
    ):
        assert client.get(path).status_code == 200, path
    assert "merchant/profile/" not in client.get("/merchant/").content.decode()


def test_every_page_opens_for_the_owner(owner: Any, portal_for: Any, estates: dict, tenant_a: Any) -> None:
    member = owner(category_codes=["fruit", "housekeeping"])
    client = portal_for(member)
    good = catalogue.listing_create(member=member, kind="good", **GOOD)
    service = catalogue.listing_create(
        member=member, kind="service", title="保洁", category_code="housekeeping", price_fen=100, duration_minutes=60
    )
    photo = catalogue.photo_add(member=member, listing_id=good.pk, photo=accepted_photo())
    for path in (
        "/merchant/",
        "/merchant/figures/",
        "/merchant/profile/",
        "/merchant/members/",
        "/merchant/applications/",
        f"/merchant/applications/company/{tenant_a.pk}/",
        "/merchant/listings/",
        "/merchant/listings/new/",
        f"/merchant/listings/{good.pk}/",
        f"/merchant/listings/{service.pk}/",
        "/merchant/specials/",
        "/merchant/statements/",
    ):
        answer = client.get(path)
        assert answer.status_code == 200, path
    assert "¥12.80" in client.get("/merchant/listings/").content.decode()
    image = client.get(f"/merchant/photos/{photo.pk}/")
    assert image.status_code == 200 and image["X-Content-Type-Options"] == "nosniff"
    assert client.get("/merchant/profile/licence/")["X-Content-Type-Options"] == "nosniff"


def test_listing_photo_variant_slot_and_special_through_the_pages(owner: Any, portal_for: Any) -> None:
    member = owner(category_codes=["fruit", "housekeeping"])
    client = portal_for(member)
    made = client.post(
        "/merchant/listings/new/",
        {
            "kind": "good",
            "category_code": "fruit",
            "title": "红富士",
            "price_fen": "12.80",
            "unit": "斤",
            "stock": "20",
        },
    )
    assert made.status_code == 302
    listing = Listing.objects.get(title="红富士")
    assert (listing.price_fen, listing.stock) == (1280, 20)
    url = f"/merchant/listings/{listing.pk}/"
    assert client.post(url, {"form": "photo", "photo": image_upload()}).status_code == 302
    assert listing.photos.count() == 1
    bad_photo = client.post(
        url, {"form": "photo", "photo": image_upload("x.png").__class__("x.png", b"<html>", "image/png")}
    )
    assert bad_photo.status_code == 400 and listing.photos.count() == 1
    assert client.post(url, {"form": "variant", "name": "10斤装", "price_fen": "110", "stock": ""}).status_code == 302
    assert listing.variants.get().price_fen == 11000
    bad = client.post(url, {"form": "listing", "category_code": "fruit", "title": "", "price_fen": "12"})
    assert bad.status_code == 400 and 'data-error-for="title"' in bad.content.decode()
    bad = client.post(url, {"form": "listing", "category_code": "fruit", "title": "苹果", "price_fen": "abc"})
    assert bad.status_code == 400 and 'data-error-for="price_fen"' in bad.content.decode()
    service = client.post(
        "/merchant/listings/new/",
        {
            "kind": "service",
            "category_code": "housekeeping",
            "title": "深度保洁",
            "price_fen": "199",
            "duration_minutes": "180",
        },
    )
    assert service.status_code == 302
    service_listing = Listing.objects.get(title="深度保洁")
    day = timezone.localdate() + dt.timedelta(days=1)
    slots = client.post(
        f"/merchant/listings/{service_listing.pk}/",
        {"form": "slots", "first_date": day.isoformat(), "last_date": day.isoformat(), "weekdays": [str(day.weekday())],
         "start_times": "09:00, 14:00", "capacity": "2"},
    )  # fmt: skip
    assert slots.status_code == 302 and ServiceSlot.objects.filter(listing=service_listing).count() == 2
    special = client.post(
        "/merchant/specials/",
        {"listing_id": str(listing.pk), "month": timezone.localdate().strftime("%Y-%m"), "price_fen": "9.90"},
    )
    assert special.status_code == 302 and listing.specials.get().price_fen == 990


def test_apply_withdraw_and_reapply_through_the_pages(
    owner: Any, portal_for: Any, estates: dict, tenant_a: Any
) -> None:
    member = owner()
    client = portal_for(member)
    sunny = estates["阳光花园"].pk
    page = client.get("/merchant/applications/").content.decode()
    assert "阳光花园" in page and f'data-apply="{tenant_a.pk}"' in page
    sent = client.post(
        f"/merchant/applications/company/{tenant_a.pk}/",
        {"estate_ids": [str(sunny)], "category_codes": ["fruit"], "message": "请审核"},
    )
    assert sent.status_code == 302
    application = MerchantApplication.objects.get(merchant=member.merchant)
    assert 'data-application-status="pending"' in client.get("/merchant/applications/").content.decode()
    assert client.post(f"/merchant/applications/{application.pk}/withdraw/").status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN


def test_another_merchants_objects_are_404_on_the_pages(
    owner: Any, portal_for: Any, estates: dict, tenant_a: Any
) -> None:
    mine, theirs = owner(), owner(category_codes=["housekeeping"])
    good = catalogue.listing_create(member=theirs, kind="good", **GOOD)
    service = catalogue.listing_create(
        member=theirs, kind="service", title="保洁", category_code="housekeeping", price_fen=100, duration_minutes=60
    )
    photo = catalogue.photo_add(member=theirs, listing_id=good.pk, photo=accepted_photo())
    variant = catalogue.variant_add(member=theirs, listing_id=good.pk, name="大", price_fen=100)
    day = timezone.localdate() + dt.timedelta(days=1)
    [slot] = catalogue_slots.slot_series_create(
        member=theirs, listing_id=service.pk, first_date=day, last_date=day, weekdays=[day.weekday()],
        start_times=[dt.time(10)], capacity=1,
    )  # fmt: skip
    special = catalogue_slots.special_create(
        member=theirs, listing_id=good.pk, month=timezone.localdate(), price_fen=99
    )
    application = application_submit(
        member=theirs, tenant_id=tenant_a.pk, estate_ids=[estates["阳光花园"].pk], category_codes=["fruit"]
    )
    client = portal_for(mine)
    gets = [f"/merchant/listings/{good.pk}/", f"/merchant/listings/{service.pk}/", f"/merchant/photos/{photo.pk}/"]
    posts = [
        (f"/merchant/listings/{good.pk}/", {"form": "listing", **GOOD}),
        (f"/merchant/listings/{good.pk}/active/", {"active": "0"}),
        (f"/merchant/photos/{photo.pk}/remove/", {}),
        (f"/merchant/photos/{photo.pk}/first/", {}),
        (f"/merchant/variants/{variant.pk}/", {"remove": "1"}),
        (f"/merchant/slots/{slot.pk}/", {"capacity": "5"}),
        (f"/merchant/specials/{special.pk}/remove/", {}),
        (f"/merchant/applications/{application.pk}/withdraw/", {}),
    ]
    for path in gets:
        assert client.get(path).status_code == 404, path
    for path, body in posts:
        assert client.post(path, body).status_code == 404, path
    assert not re.search(r"data-listing=", client.get("/merchant/listings/").content.decode())
    slot.refresh_from_db()
    good.refresh_from_db()
    assert slot.capacity == 1 and good.is_active and theirs.merchant.specials.count() == 1
    assert MerchantApplication.objects.get(pk=application.pk).status == ApplicationStatus.PENDING


def test_the_dashboard_shows_figures_and_notices(owner: Any, portal_for: Any, tenant_a: Any) -> None:
    from marketplace.notices import notify_merchant

    member = owner()
    catalogue.listing_create(member=member, kind="good", **GOOD)
    notify_merchant(
        merchant_id=member.merchant_id,
        kind="application.approved",
        title="阿尔法物业已通过您的申请",
        tenant_id=tenant_a.pk,
    )
    html = portal_for(member).get("/merchant/").content.decode()
    assert "阿尔法物业已通过您的申请" in html and "data-listings-active>1<" in html
    assert 'data-merchant-realtime-url="/ws/merchant/"' in html


def test_notices_are_marked_read_for_the_merchant_only(owner: Any, portal_for: Any, api_for: Any) -> None:
    from marketplace.models import MerchantNotice
    from marketplace.notices import notify_merchant

    mine, theirs = owner(), owner()
    for member in (mine, theirs):
        notify_merchant(merchant_id=member.merchant_id, kind="x", title="通知")
    client = portal_for(mine)
    assert "data-notices-unread>1<" in client.get("/merchant/").content.decode()
    assert client.post("/merchant/notices/read/").status_code == 302
    assert not MerchantNotice.objects.filter(merchant=mine.merchant, read_at__isnull=True).exists()
    assert MerchantNotice.objects.filter(merchant=theirs.merchant, read_at__isnull=True).count() == 1
    assert api_for(theirs).post("/api/v1/merchant/notices/read-all/").json() == {"marked": 1}


def test_the_platform_landing_page_leads_merchants_to_their_portal(db: None) -> None:
    html = Client(HTTP_HOST=PLATFORM).get("/").content.decode()
    assert 'href="/merchant/signup/"' in html and 'href="/merchant/login/"' in html
