"""Two companies with real estates and one merchant that applied to both.

alpha: office 西湖 with estates 阳光花园 and 翠竹苑, office 滨江 with 江景苑; beta: office 东城 with 东城花园. The
merchant 鲜果坊 (a real PNG licence under MEDIA_ROOT) asked alpha for 阳光花园 and 翠竹苑 in fruit and bakery, and
beta for 东城花园 in fruit. Services run in alpha's schema unless a test switches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from backend.properties import services as registry
from backend.properties.scope import Scope
from marketplace.models import Merchant, MerchantApplication
from tenants.db import connection
from tests.marketplace.factories import make_application, make_merchant

EVERYTHING = Scope.everything()
LICENCE = "merchants/2026/12/licence-test.png"


@dataclass
class World:
    alpha: Any
    beta: Any
    estates: dict[str, int]  # name -> id (both companies)
    offices: dict[str, int]
    merchant: Merchant
    app_a: MerchantApplication
    app_b: MerchantApplication


def write_png(root: Any, name: str = LICENCE) -> None:
    from PIL import Image

    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (4, 4), "red").save(path, format="PNG")


@pytest.fixture
def world(tenant_a: Any, tenant_b: Any, settings: Any, tmp_path: Any) -> Iterator[World]:
    settings.MEDIA_ROOT = str(tmp_path)
    write_png(tmp_path)
    estates: dict[str, int] = {}
    offices: dict[str, int] = {}
    connection.set_tenant(tenant_b)
    east = registry.office_create(name="东城管理处", scope=EVERYTHING)
    offices["东城"] = east.pk
    estates["东城花园"] = registry.estate_create(office_id=east.pk, name="东城花园", scope=EVERYTHING).pk
    connection.set_tenant(tenant_a)
    west = registry.office_create(name="西湖管理处", scope=EVERYTHING)
    river = registry.office_create(name="滨江管理处", scope=EVERYTHING)
    offices.update({"西湖": west.pk, "滨江": river.pk})
    for office, name in ((west, "阳光花园"), (west, "翠竹苑"), (river, "江景苑")):
        estates[name] = registry.estate_create(office_id=office.pk, name=name, scope=EVERYTHING).pk
    merchant = make_merchant("鲜果坊", owner=True, licence=LICENCE)
    app_a = make_application(
        merchant,
        tenant_a,
        estates={estates["阳光花园"]: "阳光花园", estates["翠竹苑"]: "翠竹苑"},
        categories=["fruit", "bakery"],
    )
    app_b = make_application(merchant, tenant_b, estates={estates["东城花园"]: "东城花园"}, categories=["fruit"])
    yield World(tenant_a, tenant_b, estates, offices, merchant, app_a, app_b)
    connection.set_schema_to_public()


@pytest.fixture
def hook_calls(monkeypatch: Any) -> list[dict[str, Any]]:
    """Records each call of the search visibility hook and passes it on to the real one (what the hook does
    is search's to test; here: that every decision calls it, with what)."""
    calls: list[dict[str, Any]] = []
    import marketplace.moderation
    import marketplace.vetting
    from marketplace.search.hooks import visibility_changed

    def record(**kw: Any) -> None:
        calls.append(kw)
        visibility_changed(**kw)

    monkeypatch.setattr(marketplace.vetting, "visibility_changed", record)
    monkeypatch.setattr(marketplace.moderation, "visibility_changed", record)
    return calls
