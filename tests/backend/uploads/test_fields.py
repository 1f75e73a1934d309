"""Every upload path, through the real portal pages and API endpoints: a bad file is an error on its field and
nothing is stored (no row, no file on disk); a good one is stored re-encoded, under the company's folder,
with the detected format's extension."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from PIL import Image

from backend.notifications.models import Announcement
from backend.properties.models import BindingRequest, ImportJob

from .conftest import stored_files
from .samples import APPENDED_HTML, ELF, HTML, PE, SVG, camera_exif, image_bytes, png_claiming, upload, xlsx_bytes

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

BAD_IMAGES = [
    ("cert.png", HTML, "image/png"),
    ("cert.png", SVG, "image/png"),
    ("cert.jpg", ELF, "image/jpeg"),
    ("cert.jpg", PE, "image/jpeg"),
    ("cert.png", image_bytes("PNG", (300, 200))[:-500], "image/png"),
    ("cert.jpg", image_bytes("JPEG", (300, 200))[:-300], "image/jpeg"),
    ("cert.png", png_claiming(30000, 30000), "image/png"),
    ("cert.png", image_bytes("PNG", (1200, 1200)), "image/png"),  # over the 1 MB limit set below
]
BAD_IDS = ["html-as-png", "svg-as-png", "elf-as-jpg", "pe-as-jpg", "cut-png", "cut-jpeg", "bomb", "too-large"]


def bind_via_api(client, unit, document):
    return client.post("/api/v1/binding-requests/", {"unit": unit.pk, "relation": "owner", "document": document})


def nothing_stored(media, tenant, model) -> bool:
    connection.set_tenant(tenant)
    return stored_files(media) == [] and not model.objects.exists()


def test_html_declared_as_png_to_a_binding_request_is_refused(tenant_a, member, client_for, unit_a, media):
    """The stored-XSS report of issue 11: the page came back to customer service as text/html."""
    client = client_for(tenant_a, member(tenant_a, ["resident"]))
    response = bind_via_api(client, unit_a, upload("房产证.png", HTML, "image/png"))
    assert response.status_code == 400
    assert "JPEG, PNG, WebP, PDF" in response.json()["error"]["fields"]["document"][0]
    assert nothing_stored(media, tenant_a, BindingRequest)


@pytest.mark.parametrize(("name", "data", "declared"), BAD_IMAGES, ids=BAD_IDS)
def test_a_bad_binding_document_is_a_field_error_and_stores_nothing(
    tenant_a, member, client_for, unit_a, media, settings, name, data, declared
):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    assert len(image_bytes("PNG", (1200, 1200))) > settings.UPLOAD_MAX_BYTES
    client = client_for(tenant_a, member(tenant_a, ["resident"]))
    response = bind_via_api(client, unit_a, upload(name, data, declared))
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == ["document"]
    assert nothing_stored(media, tenant_a, BindingRequest)


def test_the_resident_bind_page_shows_the_refusal_on_the_document_field(tenant_a, member, client_for, unit_a, media):
    client = client_for(tenant_a, member(tenant_a, ["resident"]))
    response = client.post(
        "/resident/bind/",
        {
            "estate": unit_a.building.estate_id,
            "building": unit_a.building_id,
            "unit": unit_a.pk,
            "relation": "owner",
            "document": upload("cert.png", HTML, "image/png"),
        },
    )
    assert response.status_code == 400
    assert 'data-error-for="document"' in response.content.decode()
    assert nothing_stored(media, tenant_a, BindingRequest)


def test_a_jpeg_with_html_appended_is_accepted_without_the_html(tenant_a, member, client_for, unit_a, media):
    client = client_for(tenant_a, member(tenant_a, ["resident"]))
    response = bind_via_api(client, unit_a, upload("cert.jpg", image_bytes("JPEG") + APPENDED_HTML, "image/jpeg"))
    assert response.status_code == 201
    connection.set_tenant(tenant_a)
    stored = BindingRequest.objects.get(pk=response.json()["id"]).document
    assert stored.name.startswith("alpha/binding/") and stored.name.endswith(".jpg")
    data = (media / stored.name).read_bytes()
    assert b"<script" not in data and b"<html" not in data
    assert Image.open(io.BytesIO(data)).format == "JPEG"


def test_an_announcement_image_through_the_api_is_stored_without_exif(tenant_a, member, client_for, media):
    client = client_for(tenant_a, member(tenant_a, ["company_admin"]))
    photo = image_bytes("JPEG", (200, 100), exif=camera_exif(orientation=6))
    response = client.post(
        "/api/v1/announcements/",
        {"title": "义诊", "body": "周六上午", "target_all": True, "image": upload("poster.png", photo, "image/png")},
    )
    assert response.status_code == 201, response.content
    connection.set_tenant(tenant_a)
    image = Announcement.objects.get(pk=response.json()["id"]).image
    assert image.name.startswith("alpha/announcements/") and image.name.endswith(".jpg")  # not the .png it was named
    stored = Image.open(io.BytesIO((media / image.name).read_bytes()))
    assert stored.size == (100, 200) and not stored.getexif()


def test_svg_as_an_announcement_image_is_refused_by_the_api(tenant_a, member, client_for, media):
    client = client_for(tenant_a, member(tenant_a, ["company_admin"]))
    response = client.post(
        "/api/v1/announcements/",
        {"title": "x", "body": "y", "target_all": True, "image": upload("poster.png", SVG, "image/png")},
    )
    assert response.status_code == 400 and "image" in response.json()["error"]["fields"]
    assert nothing_stored(media, tenant_a, Announcement)


def test_a_decompression_bomb_on_the_announcement_page_is_a_form_error(tenant_a, member, client_for, media):
    client = client_for(tenant_a, member(tenant_a, ["customer_service"]))
    response = client.post(
        "/staff/announcements/",
        {"title": "x", "body": "y", "target_all": "on", "image": upload("p.png", png_claiming(30000, 30000))},
    )
    assert response.status_code == 400
    assert 'data-error-for="image"' in response.content.decode()
    assert nothing_stored(media, tenant_a, Announcement)


def test_a_text_file_named_xlsx_is_refused_by_the_registry_import(tenant_a, member, client_for, media):
    client = client_for(tenant_a, member(tenant_a, ["customer_service"]))
    response = client.post(
        "/staff/imports/", {"kind": "units", "file": upload("units.xlsx", b"estate,number\nA,101\n", XLSX_TYPE)}
    )
    assert response.status_code == 400
    assert 'data-error-for="file"' in response.content.decode()
    assert nothing_stored(media, tenant_a, ImportJob)


def test_a_registry_import_is_stored_as_xlsx_under_the_company(tenant_a, member, client_for, media):
    from backend.properties.sheets import UNIT_COLUMNS

    client = client_for(tenant_a, member(tenant_a, ["customer_service"]))
    workbook = xlsx_bytes([[h for _k, h in UNIT_COLUMNS]])
    response = client.post("/staff/imports/", {"kind": "units", "file": upload("units.csv", workbook, "text/csv")})
    assert response.status_code == 400  # no rows below the headers: refused by the importer, after the upload check
    assert nothing_stored(media, tenant_a, ImportJob)
    workbook = xlsx_bytes([[h for _k, h in UNIT_COLUMNS], ["无此小区", "1栋", "101", 1, "80", "住宅", "空置"]])
    response = client.post("/staff/imports/", {"kind": "units", "file": upload("units.csv", workbook, "text/csv")})
    assert response.status_code == 302
    connection.set_tenant(tenant_a)
    job = ImportJob.objects.get()
    assert job.file.name.startswith("alpha/imports/") and job.file.name.endswith(".xlsx")
    assert (media / job.file.name).read_bytes() == workbook


@pytest.mark.parametrize("data", [b"meter,reading\nW-1,12\n", image_bytes("PNG")], ids=["text", "png"])
def test_a_file_that_is_not_a_workbook_is_refused_by_the_readings_import(tenant_a, member, client_for, data):
    client = client_for(tenant_a, member(tenant_a, ["engineer"]))
    page = client.post("/staff/billing/readings/import/", {"file": upload("readings.xlsx", data, XLSX_TYPE)})
    assert page.status_code == 400 and 'data-error-for="file"' in page.content.decode()
    api = client.post("/api/v1/readings/import/", {"file": upload("readings.xlsx", data, XLSX_TYPE)})
    assert api.status_code == 400 and "xlsx" in api.json()["error"]["fields"]["file"][0]


def test_the_readings_import_size_limit_is_its_own(tenant_a, member, client_for, settings):
    settings.UPLOAD_READINGS_IMPORT_MAX_BYTES = 1000
    client = client_for(tenant_a, member(tenant_a, ["engineer"]))
    response = client.post("/api/v1/readings/import/", {"file": upload("r.xlsx", xlsx_bytes(), XLSX_TYPE)})
    assert response.status_code == 400 and "MB" in response.json()["error"]["fields"]["file"][0]
