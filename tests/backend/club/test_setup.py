"""Facility setup beyond the rules checked elsewhere: photos come in through backend.uploads (re-encoded,
stored under the company's folder, removed with their row), the setup writes are audited, and the hold-expiry
task runs the engine's sweep."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from backend.audit.models import AuditEntry
from backend.club import booking as engine
from backend.club import services as club
from backend.club.models import Booking, FacilityPhoto
from backend.club.tasks import holds_expire
from backend.errors import ApplicationError
from backend.uploads.kinds import FACILITY_PHOTO
from backend.uploads.validation import upload_accept
from tests.backend.uploads.samples import image_bytes

from .conftest import Club

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def photo_upload(fmt: str = "PNG") -> Any:
    import io

    upload = io.BytesIO(image_bytes(fmt, (900, 600)))
    upload.name = "场馆.png"
    return upload_accept(kind=FACILITY_PHOTO, upload=upload)


def test_a_photo_is_stored_re_encoded_under_the_company_and_removed_with_its_row(
    world: Club, media: Path, settings: Any, django_capture_on_commit_callbacks
):
    settings.UPLOAD_IMAGE_MAX_SIDE = 300
    photo = club.facility_photo_add(facility=world.gym, image=photo_upload(), caption="器械区")
    assert photo.image.name.startswith("alpha/facilities/") and photo.image.name.endswith(".png")
    stored = media / photo.image.name
    assert stored.exists()
    from PIL import Image

    with Image.open(stored) as image:
        assert image.size == (300, 200)  # scaled to the photo kind's longest side
    second = club.facility_photo_add(facility=world.gym, image=photo_upload("JPEG"))
    assert [p.position for p in FacilityPhoto.objects.filter(facility=world.gym)] == [0, 1] and second.pk
    photo_id = photo.pk
    with django_capture_on_commit_callbacks(execute=True):
        club.facility_photo_remove(photo=photo)
    assert not stored.exists() and not FacilityPhoto.objects.filter(pk=photo_id).exists()
    assert AuditEntry.objects.filter(action="club.photo_remove", object_id=str(photo_id)).exists()


def test_a_caption_too_long_is_refused_and_nothing_is_stored(world: Club, media: Path):
    with pytest.raises(ApplicationError) as excinfo:
        club.facility_photo_add(facility=world.gym, image=photo_upload(), caption="长" * 101)
    assert "caption" in excinfo.value.fields
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_facility_changes_are_audited_with_before_and_after(world: Club):
    club.facility_update(facility=world.gym, capacity=5, price_mode="per_person", resident_price_fen=1500)
    entry = AuditEntry.objects.filter(action="club.facility_update", object_id=str(world.gym.pk)).latest("id")
    assert entry.changes["before"]["capacity"] == 2 and entry.changes["after"]["capacity"] == 5
    assert entry.changes["after"]["resident_price_fen"] == 1500


def test_a_facility_name_is_unique_in_its_estate(world: Club):
    from .conftest import EVERYTHING

    with pytest.raises(ApplicationError) as excinfo:
        club.facility_create(estate_id=world.estate.pk, scope=EVERYTHING, name="健身房", kind="gym")
    assert "name" in excinfo.value.fields


def test_opening_hours_that_a_future_booking_no_longer_fits_are_refused(world: Club):
    from .conftest import NOW, at

    engine.booking_create(
        facility=world.gym,
        user=world.resident,
        unit=world.home,
        starts_at=at(1, "20:00"),
        ends_at=at(1, "21:00"),
        now=NOW,
    )
    with pytest.raises(ApplicationError) as excinfo:
        club.opening_hours_set(facility=world.gym, hours=[(d, 360, 1200) for d in range(7)], now=NOW)
    assert "1 future bookings" in excinfo.value.fields["hours"][0]
    club.opening_hours_set(facility=world.gym, hours=[(d, 360, 1320) for d in range(7)], now=NOW)  # still fits


def test_the_hold_expiry_task_expires_what_is_due(world: Club):
    from django.utils import timezone

    from .conftest import SHANGHAI

    tomorrow = (timezone.now() + dt.timedelta(days=1)).astimezone(SHANGHAI)
    slot = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)
    held = engine.booking_create(
        facility=world.court, user=world.resident, unit=world.home, starts_at=slot, ends_at=slot + dt.timedelta(hours=1)
    )
    Booking.objects.filter(pk=held.pk).update(hold_expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert holds_expire.apply().get() == 1
    held.refresh_from_db()
    assert held.status == "expired"
