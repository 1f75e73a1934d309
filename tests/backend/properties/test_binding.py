"""A resident asks to be bound to a unit; customer service approves or rejects with a note; the resident is
notified and then sees that unit and only that unit."""

from __future__ import annotations

import pytest
from django.db import connection

from backend.notifications.models import Notification
from backend.properties.models import BindingRequest, Person, Unit

from ..uploads.samples import image_bytes
from .conftest import scoped_member


def units_of(client):
    return [u["id"] for u in client.get("/api/v1/units/").json()["results"]]


def test_resident_binding_flow(tenant_a, member, client_for, registry, django_capture_on_commit_callbacks):
    resident = member(tenant_a, ["resident"], phone="13600002222", name="赵住户")
    staff = member(tenant_a, ["customer_service"])
    connection.set_tenant(tenant_a)
    unit, other = Unit.objects.filter(building=registry.building).order_by("number")[:2]
    res_client, staff_client = client_for(tenant_a, resident), client_for(tenant_a, staff)
    assert units_of(res_client) == []

    created = res_client.post(
        "/api/v1/binding-requests/", {"unit": unit.pk, "relation": "owner"}, content_type="application/json"
    )
    assert created.status_code == 201
    request_id = created.json()["id"]
    connection.set_tenant(tenant_a)
    assert Notification.objects.filter(recipient=staff, kind="binding.requested").count() == 1
    assert units_of(res_client) == []  # not before approval

    pending = staff_client.get("/api/v1/binding-requests/?status=pending").json()["results"]
    assert [r["id"] for r in pending] == [request_id]
    approved = staff_client.post(
        f"/api/v1/binding-requests/{request_id}/approve/", {"note": "已核对房产证"}, content_type="application/json"
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    connection.set_tenant(tenant_a)
    note = Notification.objects.get(recipient=resident, kind="binding.approved")
    assert unit.label in note.title and note.body == "已核对房产证"

    assert units_of(res_client) == [unit.pk]  # that unit and only that unit
    assert res_client.get(f"/api/v1/units/{unit.pk}/").status_code == 200
    assert res_client.get(f"/api/v1/units/{other.pk}/").status_code == 404
    assert "阳光花园 1栋" in res_client.get("/resident/").content.decode()
    person = Person.objects.get(user=resident)
    assert person.occupancies.get().role == "owner"

    again = staff_client.post(f"/api/v1/binding-requests/{request_id}/approve/", content_type="application/json")
    assert again.status_code == 409


def test_a_resident_may_be_bound_to_several_units(tenant_a, member, client_for, registry):
    resident = member(tenant_a, ["resident"])
    staff_client = client_for(tenant_a, member(tenant_a, ["company_admin"]))
    res_client = client_for(tenant_a, resident)
    connection.set_tenant(tenant_a)
    units = list(Unit.objects.filter(building=registry.building).order_by("number")[:2])
    for unit in units:
        rid = res_client.post(
            "/api/v1/binding-requests/", {"unit": unit.pk, "relation": "tenant"}, content_type="application/json"
        ).json()["id"]
        assert staff_client.post(f"/api/v1/binding-requests/{rid}/approve/").status_code == 200
    assert sorted(units_of(res_client)) == sorted(u.pk for u in units)


def test_rejection_needs_a_note_and_tells_the_resident(tenant_a, member, client_for, registry):
    resident = member(tenant_a, ["resident"])
    staff_client = client_for(tenant_a, member(tenant_a, ["customer_service"]))
    connection.set_tenant(tenant_a)
    unit = Unit.objects.filter(building=registry.building).first()
    rid = (
        client_for(tenant_a, resident)
        .post("/api/v1/binding-requests/", {"unit": unit.pk, "relation": "owner"}, content_type="application/json")
        .json()["id"]
    )
    no_note = staff_client.post(
        f"/api/v1/binding-requests/{rid}/reject/", {"note": " "}, content_type="application/json"
    )
    assert no_note.status_code == 400 and "note" in no_note.json()["error"]["fields"]
    rejected = staff_client.post(
        f"/api/v1/binding-requests/{rid}/reject/", {"note": "房号与合同不符"}, content_type="application/json"
    )
    assert rejected.json()["status"] == "rejected"
    connection.set_tenant(tenant_a)
    assert Notification.objects.get(recipient=resident, kind="binding.rejected").body == "房号与合同不符"
    assert units_of(client_for(tenant_a, resident)) == []


def test_a_second_pending_request_for_the_same_unit_is_refused(tenant_a, member, client_for, registry):
    client = client_for(tenant_a, member(tenant_a, ["resident"]))
    connection.set_tenant(tenant_a)
    unit = Unit.objects.filter(building=registry.building).first()
    body = {"unit": unit.pk, "relation": "owner"}
    assert client.post("/api/v1/binding-requests/", body, content_type="application/json").status_code == 201
    second = client.post("/api/v1/binding-requests/", body, content_type="application/json")
    assert second.status_code == 400 and "unit" in second.json()["error"]["fields"]


def test_staff_of_another_office_cannot_decide(tenant_a, member, client_for, registry):
    resident = member(tenant_a, ["resident"])
    outsider = scoped_member(member, tenant_a, ["customer_service"], [registry.other_office.pk])
    unit = Unit.objects.filter(building=registry.building).first()
    rid = (
        client_for(tenant_a, resident)
        .post("/api/v1/binding-requests/", {"unit": unit.pk, "relation": "owner"}, content_type="application/json")
        .json()["id"]
    )
    client = client_for(tenant_a, outsider)
    assert client.get("/api/v1/binding-requests/").json()["results"] == []
    assert client.post(f"/api/v1/binding-requests/{rid}/approve/").status_code == 404
    connection.set_tenant(tenant_a)
    assert BindingRequest.objects.get(pk=rid).status == "pending"


@pytest.mark.parametrize("bad", [{"unit": 0, "relation": "owner"}, {"unit": 1, "relation": "landlord"}])
def test_bad_binding_requests_get_field_errors(tenant_a, member, client_for, registry, bad):
    response = client_for(tenant_a, member(tenant_a, ["resident"])).post(
        "/api/v1/binding-requests/", bad, content_type="application/json"
    )
    assert response.status_code == 400


def test_a_document_photo_must_be_an_image_or_pdf(tenant_a, member, client_for, registry):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(tenant_a, member(tenant_a, ["resident"]))
    connection.set_tenant(tenant_a)
    unit = Unit.objects.filter(building=registry.building).first()
    bad = client.post(
        "/api/v1/binding-requests/",
        {
            "unit": unit.pk,
            "relation": "owner",
            "document": SimpleUploadedFile("x.exe", b"MZ...", content_type="application/x-msdownload"),
        },
    )
    assert bad.status_code == 400 and "document" in bad.json()["error"]["fields"]
    good = client.post(
        "/api/v1/binding-requests/",
        {
            "unit": unit.pk,
            "relation": "owner",
            "document": SimpleUploadedFile("cert.png", image_bytes("PNG"), content_type="image/png"),
        },
    )
    assert good.status_code == 201


def test_documents_are_stored_per_company_and_served_only_to_staff_in_scope(
    tenant_a, tenant_b, member, client_for, registry, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    resident_client = client_for(tenant_a, member(tenant_a, ["resident"]))
    connection.set_tenant(tenant_a)
    unit = Unit.objects.filter(building=registry.building).first()
    rid = resident_client.post(
        "/api/v1/binding-requests/",
        {
            "unit": unit.pk,
            "relation": "owner",
            "document": SimpleUploadedFile("cert.png", image_bytes("PNG"), content_type="image/png"),
        },
    ).json()["id"]
    connection.set_tenant(tenant_a)
    stored = BindingRequest.objects.get(pk=rid).document.name
    assert stored.startswith("alpha/binding/")
    stored_bytes = (tmp_path / stored).read_bytes()  # re-encoded on the way in (tests/backend/uploads)

    staff = client_for(tenant_a, member(tenant_a, ["customer_service"]))
    response = staff.get(f"/staff/bindings/{rid}/document/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == stored_bytes
    assert resident_client.get(f"/staff/bindings/{rid}/document/").status_code == 403
    outsider = scoped_member(member, tenant_a, ["customer_service"], [registry.other_office.pk])
    assert client_for(tenant_a, outsider).get(f"/staff/bindings/{rid}/document/").status_code == 404
    other_company = client_for(tenant_b, member(tenant_b, ["company_admin"]))
    assert other_company.get(f"/staff/bindings/{rid}/document/").status_code == 404
