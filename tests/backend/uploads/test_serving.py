"""Files are served with the type sniffed from the stored bytes, nosniff, a sandboxing CSP, and as a download
unless they are images; files stored before uploads were checked are served safely too; one company cannot
fetch another's file."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from backend.notifications import announcements as ann
from backend.properties.models import BindingRequest
from backend.properties.scope import Scope
from backend.uploads.kinds import ANNOUNCEMENT_IMAGE, BINDING_DOCUMENT
from backend.uploads.serving import FILE_CSP
from backend.uploads.validation import upload_accept

from .conftest import unit_in
from .samples import HTML, SVG, image_bytes, pdf_bytes, upload

EVERYTHING = Scope.everything()


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def assert_locked_down(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == FILE_CSP
    assert "sandbox" in FILE_CSP and "default-src 'none'" in FILE_CSP
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Cache-Control"] == "private"


def binding_with(tenant, member, unit, *, document=None, legacy_name="", legacy_bytes=b""):
    """A binding request as the service stores it, or one whose file was stored before uploads were checked."""
    connection.set_tenant(tenant)
    user = member(tenant, ["resident"])
    connection.set_tenant(tenant)
    if document is not None:
        accepted = upload_accept(kind=BINDING_DOCUMENT, upload=upload("doc", document))
        return BindingRequest.objects.create(user=user, unit=unit, relation="owner", document=accepted.content_file())
    name = default_storage.save(legacy_name, ContentFile(legacy_bytes))
    return BindingRequest.objects.create(user=user, unit=unit, relation="owner", document=name)


@pytest.fixture
def staff(tenant_a, member, client_for):
    return client_for(tenant_a, member(tenant_a, ["customer_service"]))


def test_an_image_is_served_inline_as_its_detected_type(tenant_a, member, staff, unit_a, media):
    binding = binding_with(tenant_a, member, unit_a, document=image_bytes("PNG"))
    response = staff.get(f"/staff/bindings/{binding.pk}/document/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'inline; filename="binding-{binding.pk}.png"'
    assert_locked_down(response)
    assert body(response) == (media / binding.document.name).read_bytes()


def test_a_pdf_is_served_as_a_download(tenant_a, member, staff, unit_a, media):
    binding = binding_with(tenant_a, member, unit_a, document=pdf_bytes())
    response = staff.get(f"/staff/bindings/{binding.pk}/document/")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="binding-{binding.pk}.pdf"'
    assert_locked_down(response)


def test_a_legacy_png_that_is_really_html_is_served_as_an_octet_stream_download(tenant_a, member, staff, unit_a, media):
    """A file stored before this check, named .png by the resident who sent it: never text/html, never inline."""
    binding = binding_with(tenant_a, member, unit_a, legacy_name="alpha/binding/2026/01/old.png", legacy_bytes=HTML)
    response = staff.get(f"/staff/bindings/{binding.pk}/document/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="binding-{binding.pk}.bin"'
    assert_locked_down(response)
    assert body(response) == HTML  # handed over untouched, as a download the browser will not render


def test_a_legacy_announcement_image_that_is_svg_is_not_served_as_an_image(
    tenant_a, member, client_for, media, estate_with_residents
):
    e = estate_with_residents
    connection.set_tenant(tenant_a)
    a = ann.announcement_create(title="旧公告", body="旧图片", by=e["finance"], scope=EVERYTHING, target_all=True)
    a.image = default_storage.save("alpha/announcements/2026/01/old.png", ContentFile(SVG))
    a.save(update_fields=["image"])
    response = client_for(tenant_a, e["r1"]).get(f"/announcements/{a.pk}/image/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert_locked_down(response)


def test_a_pdf_is_not_served_where_only_images_belong(tenant_a, member, client_for, media, estate_with_residents):
    e = estate_with_residents
    connection.set_tenant(tenant_a)
    a = ann.announcement_create(title="旧公告", body="旧附件", by=e["finance"], scope=EVERYTHING, target_all=True)
    a.image = default_storage.save("alpha/announcements/2026/01/old.pdf", ContentFile(pdf_bytes()))
    a.save(update_fields=["image"])
    response = client_for(tenant_a, e["r1"]).get(f"/announcements/{a.pk}/image/")
    assert response["Content-Type"] == "application/octet-stream"


def test_an_announcement_image_is_served_inline(tenant_a, member, client_for, media, estate_with_residents):
    e = estate_with_residents
    poster = upload_accept(kind=ANNOUNCEMENT_IMAGE, upload=upload("poster.webp", image_bytes("WEBP")))
    connection.set_tenant(tenant_a)
    a = ann.announcement_create(
        title="活动", body="海报", by=e["finance"], scope=EVERYTHING, target_all=True, image=poster
    )
    response = client_for(tenant_a, e["r1"]).get(f"/announcements/{a.pk}/image/")
    assert response["Content-Type"] == "image/webp"
    assert response["Content-Disposition"] == f'inline; filename="announcement-{a.pk}.webp"'
    assert_locked_down(response)


def test_a_file_missing_from_storage_is_not_found(tenant_a, member, staff, unit_a, media):
    binding = binding_with(tenant_a, member, unit_a, document=image_bytes("PNG"))
    default_storage.delete(binding.document.name)
    assert staff.get(f"/staff/bindings/{binding.pk}/document/").status_code == 404


def test_a_binding_without_a_document_is_not_found(tenant_a, member, staff, unit_a, media):
    connection.set_tenant(tenant_a)
    binding = BindingRequest.objects.create(user=member(tenant_a, ["resident"]), unit=unit_a, relation="owner")
    assert staff.get(f"/staff/bindings/{binding.pk}/document/").status_code == 404


def test_company_b_cannot_fetch_company_a_file_by_its_id(tenant_a, tenant_b, member, client_for, unit_a, media):
    a_file = image_bytes("PNG", (40, 40))
    a_binding = binding_with(tenant_a, member, unit_a, document=a_file)
    a_bytes = (media / a_binding.document.name).read_bytes()
    assert a_binding.document.name.startswith("alpha/binding/")

    b_admin = client_for(tenant_b, member(tenant_b, ["company_admin"]))
    assert b_admin.get(f"/staff/bindings/{a_binding.pk}/document/").status_code == 404

    # B's own request, which may well have the same id in B's schema, serves B's file and never A's.
    b_binding = binding_with(tenant_b, member, unit_in(tenant_b), document=image_bytes("PNG", (30, 30)))
    assert b_binding.document.name.startswith("beta/binding/")
    response = b_admin.get(f"/staff/bindings/{b_binding.pk}/document/")
    served = body(response)
    assert response.status_code == 200 and served != a_bytes
    assert served == (media / b_binding.document.name).read_bytes()
