"""The company's marketplace API end to end, on each company's own domain: the queue holds only this company's
applications, decisions move only this company's application, the licence file is served safely to this
company's staff only, field-level 400s, 409 for a decision the status forbids, and 403 without the permission."""

from __future__ import annotations

from typing import Any

import pytest

from backend.audit.models import AuditEntry
from marketplace.company.models import CategorySetting, ListingHide
from marketplace.models import MerchantApplication, MerchantNotice
from tenants.db import connection
from tests.marketplace.factories import make_application, make_listing, make_merchant

pytestmark = pytest.mark.django_db
API = "/api/v1/marketplace"


@pytest.fixture
def staff(world: Any, member: Any, client_for: Any) -> Any:
    """staff(tenant, role="customer_service") -> a client on that company's domain."""

    def make(tenant: Any, role: str = "customer_service") -> Any:
        return client_for(tenant, member(tenant, [role]))

    return make


def post(client: Any, path: str, body: Any) -> Any:
    return client.post(path, body, content_type="application/json")


def test_the_queue_lists_this_companys_applications_only(world: Any, staff: Any) -> None:
    other = make_merchant("面包房")
    make_application(other, world.beta, categories=["bakery"])
    alpha = staff(world.alpha).get(f"{API}/applications/?status=pending").json()
    assert [row["id"] for row in alpha["results"]] == [world.app_a.pk]
    row = alpha["results"][0]
    assert row["merchant"]["name"] == "鲜果坊"
    assert {e["name"] for e in row["estates"]} == {"阳光花园", "翠竹苑"}
    assert {e["status"] for e in row["estates"]} == {"pending"}
    beta = staff(world.beta).get(f"{API}/applications/").json()
    assert sorted(r["id"] for r in beta["results"]) == sorted([world.app_b.pk, other.applications.get().pk])
    assert "阳光花园" not in str(beta) and "翠竹苑" not in str(beta)


def test_approve_reject_suspend_resume_over_the_api(world: Any, staff: Any) -> None:
    client = staff(world.alpha)
    sun = world.estates["阳光花园"]
    url = f"{API}/applications/{world.app_a.pk}"
    response = post(client, f"{url}/approve/", {"estate_ids": [sun], "category_codes": ["fruit"]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved" and body["approved_estate_ids"] == [sun]
    assert {e["name"]: e["status"] for e in body["estates"]} == {"阳光花园": "approved", "翠竹苑": "not_granted"}
    assert body["decided_by_name"]
    assert post(client, f"{url}/approve/", {"estate_ids": [sun], "category_codes": ["fruit"]}).status_code == 409
    assert post(client, f"{url}/suspend/", {"reason": "投诉较多"}).json()["status"] == "suspended"
    resumed = post(client, f"{url}/resume/", {})
    assert resumed.status_code == 200 and resumed.json()["status"] == "approved"
    kinds = list(MerchantNotice.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["application.approved", "application.suspended", "application.resumed"]
    connection.set_tenant(world.alpha)
    assert AuditEntry.objects.filter(action__startswith="marketplace.application_").count() == 3
    # Beta's application of the same merchant stayed pending.
    world.app_b.refresh_from_db()
    assert world.app_b.status == "pending"


@pytest.mark.parametrize(
    ("decision", "body", "field"),
    [
        ("approve", {"estate_ids": [], "category_codes": ["fruit"]}, "estate_ids"),
        ("approve", {"estate_ids": ["x"], "category_codes": ["fruit"]}, "estate_ids"),
        ("approve", {"category_codes": ["fruit"]}, "estate_ids"),
        ("approve", {"estate_ids": "OTHER", "category_codes": ["tutoring"]}, "category_codes"),
        ("reject", {}, "reason"),
        ("reject", {"reason": ""}, "reason"),
        ("reject", {"reason": "x" * 501}, "reason"),
    ],
)
def test_bad_input_is_a_field_level_400(world: Any, staff: Any, decision: str, body: Any, field: str) -> None:
    if body.get("estate_ids") == "OTHER":
        body = {**body, "estate_ids": [world.estates["阳光花园"]]}
    response = post(staff(world.alpha), f"{API}/applications/{world.app_a.pk}/{decision}/", body)
    assert response.status_code == 400, response.content
    assert any(name.split(".")[0] == field for name in response.json()["error"]["fields"])
    world.app_a.refresh_from_db()
    assert world.app_a.status == "pending" and not MerchantNotice.objects.exists()


def test_another_companys_application_is_not_found_on_this_domain(world: Any, staff: Any) -> None:
    client = staff(world.alpha, "company_admin")
    url = f"{API}/applications/{world.app_b.pk}"
    assert client.get(f"{url}/").status_code == 404
    assert client.get(f"{url}/licence/").status_code == 404
    assert post(client, f"{url}/reject/", {"reason": "x"}).status_code == 404
    assert post(client, f"{url}/approve/", {"estate_ids": [1], "category_codes": ["fruit"]}).status_code == 404
    world.app_b.refresh_from_db()
    assert world.app_b.status == "pending" and not MerchantNotice.objects.exists()


@pytest.mark.parametrize("role", ["finance", "engineer", "security", "resident"])
def test_a_role_without_the_marketplace_permission_is_refused(world: Any, staff: Any, role: str) -> None:
    client = staff(world.alpha, role)
    assert client.get(f"{API}/applications/").status_code == 403
    assert client.get(f"{API}/applications/{world.app_a.pk}/licence/").status_code == 403
    assert post(client, f"{API}/applications/{world.app_a.pk}/reject/", {"reason": "x"}).status_code == 403
    world.app_a.refresh_from_db()
    assert world.app_a.status == "pending"


def test_the_licence_is_served_with_the_upload_modules_safe_headers(world: Any, staff: Any) -> None:
    response = staff(world.alpha).get(f"{API}/applications/{world.app_a.pk}/licence/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_category_settings_in_percent_and_basis_points(world: Any, staff: Any) -> None:
    client = staff(world.alpha)
    rows = {r["code"]: r for r in client.get(f"{API}/categories/?page_size=100").json()["results"]}
    assert rows["fruit"] == {
        "code": "fruit",
        "parent_code": "fresh",
        "name": "时令水果",  # the company's language
        "depth": 1,
        "enabled": True,
        "commission_bp": 500,
        "commission_percent": "5.00",
    }
    changed = client.patch(
        f"{API}/categories/fruit/", {"enabled": False, "commission_percent": "7.25"}, content_type="application/json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["enabled"] is False and changed.json()["commission_bp"] == 725
    for bad in ({"commission_percent": "100.01"}, {"commission_percent": "1.234"}, {"commission_bp": 10001}):
        response = client.patch(f"{API}/categories/fruit/", bad, content_type="application/json")
        assert response.status_code == 400 and set(response.json()["error"]["fields"]) & set(bad), bad
    assert client.get(f"{API}/categories/weapons/").status_code == 404
    # Beta's fruit is untouched.
    beta = {r["code"]: r for r in staff(world.beta).get(f"{API}/categories/?page_size=100").json()["results"]}
    assert beta["fruit"]["enabled"] is True and beta["fruit"]["commission_bp"] == 500
    connection.set_tenant(world.beta)
    assert not CategorySetting.objects.exists()


def test_hiding_and_unhiding_a_listing_over_the_api(world: Any, staff: Any) -> None:
    MerchantApplication.objects.filter(pk=world.app_a.pk).update(status="approved")
    apples = make_listing(world.merchant, title="阿克苏苹果")
    stranger = make_merchant("别家店")
    make_application(stranger, world.beta, status="approved")
    theirs = make_listing(stranger, title="别家的菜")
    client = staff(world.alpha)
    listings = client.get(f"{API}/listings/").json()["results"]
    assert [(r["id"], r["is_hidden"]) for r in listings] == [(apples.pk, False)]
    refused = post(client, f"{API}/listing-hides/", {"listing": theirs.pk, "reason": "x"})
    assert refused.status_code == 400 and "listing" in refused.json()["error"]["fields"]
    assert post(client, f"{API}/listing-hides/", {"listing": apples.pk}).status_code == 400
    created = post(client, f"{API}/listing-hides/", {"listing": apples.pk, "reason": "价格虚高"})
    assert created.status_code == 201, created.content
    assert created.json()["listing_title"] == "阿克苏苹果" and created.json()["merchant_name"] == "鲜果坊"
    assert post(client, f"{API}/listing-hides/", {"listing": apples.pk, "reason": "又一次"}).status_code == 409
    assert client.get(f"{API}/listings/?hidden=true").json()["count"] == 1
    hides = client.get(f"{API}/listing-hides/").json()["results"]
    assert [h["reason"] for h in hides] == ["价格虚高"]
    # Beta's staff see no hide of alpha's, and cannot lift it.
    beta = staff(world.beta)
    assert beta.get(f"{API}/listing-hides/").json()["count"] == 0
    assert beta.delete(f"{API}/listing-hides/{hides[0]['id']}/").status_code == 404
    assert client.delete(f"{API}/listing-hides/{hides[0]['id']}/").status_code == 204
    connection.set_tenant(world.alpha)
    assert not ListingHide.objects.exists()
    kinds = list(MerchantNotice.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["listing.hidden", "listing.unhidden"]


def test_the_openapi_schema_documents_the_marketplace(world: Any, staff: Any) -> None:
    schema = staff(world.alpha, "company_admin").get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/marketplace/applications/",
        "/api/v1/marketplace/applications/{id}/approve/",
        "/api/v1/marketplace/categories/{code}/",
        "/api/v1/marketplace/listing-hides/",
    ):
        assert path in paths, path
    approve = paths["/api/v1/marketplace/applications/{id}/approve/"]["post"]
    assert {"200", "400", "404", "409"} <= set(approve["responses"])
