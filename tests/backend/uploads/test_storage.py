"""A file written for a row that never commits is removed again: no orphans on disk."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from backend.notifications import announcements as ann
from backend.properties.models import BindingRequest
from backend.properties.scope import Scope
from backend.uploads.kinds import ANNOUNCEMENT_IMAGE, BINDING_DOCUMENT
from backend.uploads.storage import files_removed_on_error
from backend.uploads.validation import upload_accept

from .conftest import stored_files
from .samples import image_bytes, upload


def test_a_second_pending_request_for_the_same_unit_leaves_no_file(tenant_a, member, client_for, unit_a, media):
    client = client_for(tenant_a, member(tenant_a, ["resident"]))
    post = {"unit": unit_a.pk, "relation": "owner"}
    first = client.post("/api/v1/binding-requests/", {**post, "document": upload("a.png", image_bytes("PNG"))})
    assert first.status_code == 201 and len(stored_files(media)) == 1
    again = client.post("/api/v1/binding-requests/", {**post, "document": upload("b.png", image_bytes("PNG"))})
    assert again.status_code == 400 and "unit" in again.json()["error"]["fields"]
    connection.set_tenant(tenant_a)
    kept = BindingRequest.objects.get().document.name
    assert [p.relative_to(media).as_posix() for p in stored_files(media)] == [kept]


def test_an_announcement_whose_publishing_fails_leaves_no_file(tenant_a, member, media, monkeypatch):
    author = member(tenant_a, ["company_admin"])
    connection.set_tenant(tenant_a)

    def broken(**kwargs):
        raise RuntimeError("notify failed")

    monkeypatch.setattr(ann, "announcement_publish", broken)
    poster = upload_accept(kind=ANNOUNCEMENT_IMAGE, upload=upload("p.png", image_bytes("PNG")))
    with pytest.raises(RuntimeError):
        ann.announcement_create(title="t", body="b", by=author, scope=Scope.everything(), target_all=True, image=poster)
    assert stored_files(media) == []


def test_files_of_a_row_that_saved_stay(tenant_a, member, unit_a, media):
    user = member(tenant_a, ["resident"])
    connection.set_tenant(tenant_a)
    document = upload_accept(kind=BINDING_DOCUMENT, upload=upload("a.png", image_bytes("PNG")))
    request = BindingRequest(user=user, unit=unit_a, relation="owner", document=document.content_file())
    with files_removed_on_error(request), transaction.atomic():
        request.save()
    assert len(stored_files(media)) == 1
    with pytest.raises(ValueError), files_removed_on_error(request):
        request.note = "later change"
        request.save()
        raise ValueError("a later step fails")
    assert len(stored_files(media)) == 1  # the file was there before the block: it is not this block's to remove
