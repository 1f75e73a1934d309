"""The staff marketplace pages (portal/staff/marketplace/), in Chinese, on each company's own domain: the queue
and the licence preview, approve (prefilled with what was asked) and reject, merchants per estate with suspend
and resume, categories and commission, listing moderation; company A's staff never see B's applications."""

from __future__ import annotations

import re
from typing import Any

import pytest

from marketplace.company.models import CategorySetting, ListingHide
from marketplace.models import Merchant, MerchantApplication, MerchantNotice
from tenants.db import connection
from tests.marketplace.factories import make_application, make_listing, make_merchant

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def desk(world: Any, member: Any, client_for: Any) -> Any:
    def make(tenant: Any, role: str = "customer_service") -> Any:
        return client_for(tenant, member(tenant, [role]))

    return make


def text(response: Any) -> str:
    return response.content.decode()


def test_the_queue_shows_this_companys_applicants_only(world: Any, desk: Any) -> None:
    make_application(make_merchant("东城面包"), world.beta, categories=["bakery"])
    page = desk(world.alpha).get("/staff/marketplace/")
    assert page.status_code == 200
    body = text(page)
    assert "鲜果坊" in body and "东城面包" not in body and "东城花园" not in body
    assert "待审核" in body  # zh-hans first
    assert f'data-application="{world.app_a.pk}"' in body
    beta = text(desk(world.beta).get("/staff/marketplace/"))
    assert "东城面包" in beta and "阳光花园" not in beta


def test_the_application_page_previews_the_licence_and_prefills_what_was_asked(world: Any, desk: Any) -> None:
    client = desk(world.alpha)
    body = text(client.get(f"/staff/marketplace/applications/{world.app_a.pk}/"))
    licence_url = f"/staff/marketplace/applications/{world.app_a.pk}/licence/"
    assert f'<img src="{licence_url}"' in body
    checked = set(re.findall(r'name="estate_ids" value="(\d+)"[^>]*checked', body))
    assert checked == {str(world.estates["阳光花园"]), str(world.estates["翠竹苑"])}
    assert set(re.findall(r'name="category_codes" value="(\w+)"[^>]*checked', body)) == {"fruit", "bakery"}
    licence = client.get(licence_url)
    assert licence.status_code == 200 and licence["Content-Type"] == "image/png"
    assert licence["X-Content-Type-Options"] == "nosniff"


def test_a_pdf_licence_is_a_link(world: Any, desk: Any, settings: Any) -> None:
    from pathlib import Path

    path = Path(settings.MEDIA_ROOT) / "merchants/2026/12/licence.pdf"
    path.write_bytes(PDF)
    Merchant.objects.filter(pk=world.merchant.pk).update(licence="merchants/2026/12/licence.pdf")
    client = desk(world.alpha)
    body = text(client.get(f"/staff/marketplace/applications/{world.app_a.pk}/"))
    assert "data-licence-pdf" in body and "<img" not in body.split("data-licence")[1].split("</section>")[0]
    response = client.get(f"/staff/marketplace/applications/{world.app_a.pk}/licence/")
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]


def test_approving_part_of_what_was_asked_from_the_page(world: Any, desk: Any) -> None:
    client = desk(world.alpha)
    sun = world.estates["阳光花园"]
    response = client.post(
        f"/staff/marketplace/applications/{world.app_a.pk}/",
        {"decision": "approve", "estate_ids": [str(sun)], "category_codes": ["fruit"]},
    )
    assert response.status_code == 302
    world.app_a.refresh_from_db()
    assert world.app_a.status == "approved" and world.app_a.approved_estate_ids == [sun]
    body = text(client.get(f"/staff/marketplace/applications/{world.app_a.pk}/"))
    assert "data-suspend-form" in body and "data-approve-form" not in body
    world.app_b.refresh_from_db()
    assert world.app_b.status == "pending"


def test_approving_nothing_or_rejecting_without_a_reason_shows_the_error(world: Any, desk: Any) -> None:
    client = desk(world.alpha)
    url = f"/staff/marketplace/applications/{world.app_a.pk}/"
    none = client.post(url, {"decision": "approve", "category_codes": ["fruit"]})
    assert none.status_code == 400 and 'data-error-for="estate_ids"' in text(none)
    bare = client.post(url, {"decision": "reject", "reason": ""})
    assert bare.status_code == 400 and 'data-error-for="reason"' in text(bare)
    world.app_a.refresh_from_db()
    assert world.app_a.status == "pending" and not MerchantNotice.objects.exists()
    assert client.post(url, {"decision": "reject", "reason": "执照模糊"}).status_code == 302
    world.app_a.refresh_from_db()
    assert world.app_a.status == "rejected" and world.app_a.reason == "执照模糊"


def test_merchants_show_their_status_per_estate_and_can_be_suspended_and_resumed(world: Any, desk: Any) -> None:
    sun = world.estates["阳光花园"]
    MerchantApplication.objects.filter(pk=world.app_a.pk).update(
        status="approved", approved_estate_ids=[sun], approved_category_codes=["fruit"]
    )
    client = desk(world.alpha)
    body = text(client.get("/staff/marketplace/merchants/"))
    assert f'data-estate="{sun}" data-status="approved"' in body
    assert f'data-estate="{world.estates["翠竹苑"]}" data-status="not_granted"' in body
    refused = client.post(
        "/staff/marketplace/merchants/",
        {"application": world.app_a.pk, "decision": "suspend", "reason": ""},
        follow=True,
    )
    assert "请说明原因" in text(refused)
    world.app_a.refresh_from_db()
    assert world.app_a.status == "approved"
    client.post(
        "/staff/marketplace/merchants/", {"application": world.app_a.pk, "decision": "suspend", "reason": "投诉"}
    )
    world.app_a.refresh_from_db()
    assert world.app_a.status == "suspended"
    assert f'data-estate="{sun}" data-status="suspended"' in text(client.get("/staff/marketplace/merchants/"))
    client.post("/staff/marketplace/merchants/", {"application": world.app_a.pk, "decision": "resume", "reason": ""})
    world.app_a.refresh_from_db()
    assert world.app_a.status == "approved"
    # Beta's application cannot be decided from alpha's page.
    MerchantApplication.objects.filter(pk=world.app_b.pk).update(status="approved")
    response = client.post(
        "/staff/marketplace/merchants/", {"application": world.app_b.pk, "decision": "suspend", "reason": "x"}
    )
    assert response.status_code == 404
    world.app_b.refresh_from_db()
    assert world.app_b.status == "approved"


def test_categories_and_commission_in_percent(world: Any, desk: Any) -> None:
    client = desk(world.alpha)
    body = text(client.get("/staff/marketplace/categories/"))
    assert 'name="commission-fruit" value="5.00"' in body and "时令水果" in body
    form = {f"commission-{code}": "5.00" for code in re.findall(r'name="commission-(\w+)"', body)}
    form.update({f"enabled-{code}": "on" for code in re.findall(r'name="enabled-(\w+)"', body)})
    bad = {**form, "commission-fruit": "abc"}
    del bad["enabled-fruit"]
    response = client.post("/staff/marketplace/categories/", bad)
    assert response.status_code == 400 and 'data-error-for="commission-fruit"' in text(response)
    connection.set_tenant(world.alpha)
    assert not CategorySetting.objects.filter(category_code="fruit").exists()
    good = {**form, "commission-fruit": "7.5"}
    del good["enabled-fruit"]
    assert client.post("/staff/marketplace/categories/", good).status_code == 302
    connection.set_tenant(world.alpha)
    fruit = CategorySetting.objects.get(category_code="fruit")
    assert (fruit.enabled, fruit.commission_bp) == (False, 750)
    assert CategorySetting.objects.count() == 1  # only what changed got a row
    connection.set_tenant(world.beta)
    assert not CategorySetting.objects.exists()


def test_hiding_and_showing_a_listing_from_the_page(world: Any, desk: Any) -> None:
    MerchantApplication.objects.filter(pk=world.app_a.pk).update(status="approved")
    pears = make_listing(world.merchant, title="砀山梨", price_fen=990)
    client = desk(world.alpha)
    body = text(client.get("/staff/marketplace/listings/"))
    assert "砀山梨" in body and "¥9.90" in body
    client.post("/staff/marketplace/listings/", {"action": "hide", "listing": pears.pk, "reason": "标价错误"})
    connection.set_tenant(world.alpha)
    hide = ListingHide.objects.get(listing_id=pears.pk)
    assert hide.reason == "标价错误"
    assert "标价错误" in text(client.get("/staff/marketplace/listings/?hidden=1"))
    client.post("/staff/marketplace/listings/", {"action": "unhide", "hide": hide.pk})
    connection.set_tenant(world.alpha)
    assert not ListingHide.objects.exists()


def test_another_companys_application_and_licence_are_not_found(world: Any, desk: Any) -> None:
    client = desk(world.alpha, "company_admin")
    assert client.get(f"/staff/marketplace/applications/{world.app_b.pk}/").status_code == 404
    assert client.get(f"/staff/marketplace/applications/{world.app_b.pk}/licence/").status_code == 404
    response = client.post(f"/staff/marketplace/applications/{world.app_b.pk}/", {"decision": "reject", "reason": "x"})
    assert response.status_code == 404
    world.app_b.refresh_from_db()
    assert world.app_b.status == "pending"
    # Beta's staff open it, and see nothing of alpha's decision on alpha's application.
    MerchantApplication.objects.filter(pk=world.app_a.pk).update(status="rejected", reason="阿尔法的理由")
    beta = text(desk(world.beta).get(f"/staff/marketplace/applications/{world.app_b.pk}/"))
    assert "阿尔法的理由" not in beta and "阳光花园" not in beta


@pytest.mark.parametrize("role", ["finance", "engineer", "security"])
def test_staff_without_the_permission_are_refused(world: Any, desk: Any, role: str) -> None:
    client = desk(world.alpha, role)
    for url in ("/staff/marketplace/", f"/staff/marketplace/applications/{world.app_a.pk}/licence/"):
        assert client.get(url).status_code == 403
    response = client.post(f"/staff/marketplace/applications/{world.app_a.pk}/", {"decision": "reject", "reason": "x"})
    assert response.status_code == 403
    world.app_a.refresh_from_db()
    assert world.app_a.status == "pending"
    # (finance reaches the settlement pages under /staff/marketplace/settlement/, not the vetting ones)
    assert 'href="/staff/marketplace/"' not in text(client.get("/staff/"))


def test_the_navigation_links_the_marketplace_for_those_who_vet(world: Any, desk: Any) -> None:
    assert 'href="/staff/marketplace/"' in text(desk(world.alpha).get("/staff/"))
