"""Fixtures of the upload tests: a media folder of the test's own (so "nothing is stored" can be checked on
disk) and a unit in company alpha for binding requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from backend.properties import services as registry
from backend.properties.models import Unit
from backend.properties.scope import Scope
from tests.backend.notifications.conftest import estate_with_residents  # noqa: F401 - the fixture

EVERYTHING = Scope.everything()


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def unit_in(tenant: Any) -> Unit:
    connection.set_tenant(tenant)
    office = registry.office_create(name="上传管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=office.pk, name="上传小区", scope=EVERYTHING)
    building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
    registry.units_generate(
        building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=2, area="80", scope=EVERYTHING
    )
    return Unit.objects.filter(building=building).select_related("building__estate").order_by("number").first()


@pytest.fixture
def unit_a(tenant_a: Any) -> Unit:
    return unit_in(tenant_a)
