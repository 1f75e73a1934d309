"""The community marketplace end to end, in a real browser against a real uvicorn and a real Celery worker that
indexes, on PostgreSQL search (E2E_SEARCH_BACKENDS=postgres,elasticsearch adds noida-db 0.2.2):

a merchant signs up on the platform site and applies to 示范物业 for 阳光花园; its customer service approves;
the merchant lists a service and a good; 阳光花园's resident finds both by a Chinese prefix, typed; staff
suspend the merchant and its listings leave the resident's search (and the index); the other company's
resident never sees them."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import asgi_server, celery_worker, free_port, subprocess_env
from tests.e2e.conftest import browser as browser  # noqa: PLC0414  (fixture)
from tests.e2e.conftest import committed as committed  # noqa: PLC0414  (fixture)
from tests.e2e.conftest import no_csp_violations as no_csp_violations  # noqa: PLC0414  (fixture)
from tests.marketplace.merchant.conftest import licence_number

pytestmark = [pytest.mark.browser]
PASSWORD = "Journey-2026-ok"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


@dataclass
class Stack:
    backend: str
    port: str  # ":<port>"
    settings: dict[str, str]  # what the server and the worker were told about search


# The journey runs on PostgreSQL search by default; the Elasticsearch protocol (noida-db) is covered by
# tests/marketplace/search (the indexing worker and the resident's search, on both backends), so driving the
# browser through it again is opt-in: E2E_SEARCH_BACKENDS=postgres,elasticsearch.
SEARCH_BACKENDS = os.environ.get("E2E_SEARCH_BACKENDS", "postgres").split(",")


@pytest.fixture(scope="module", params=SEARCH_BACKENDS)
def stack(request: Any, django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Stack]:
    """A web server and an indexing worker sharing one search configuration (their own index and queue)."""
    tag = uuid.uuid4().hex[:6]
    search = {
        "SEARCH_BACKEND": request.param,
        "SEARCH_INDEX_PREFIX": f"e2e_{tag}_",
        "SEARCH_INDEX_QUEUE": f"search-{tag}",
    }
    logs = tmp_path_factory.mktemp(f"journey-{request.param}")
    with contextlib.ExitStack() as running:
        if request.param == "elasticsearch":
            from infra.noida_server import noida_elasticsearch

            search["ELASTICSEARCH_URL"] = running.enter_context(noida_elasticsearch(logs / "noida"))
        port = free_port()
        with django_db_blocker.unblock():
            env = subprocess_env(PLATFORM_URL_PORT=f":{port}", **search)
        where = running.enter_context(asgi_server(port, env, logs / "uvicorn.log"))
        running.enter_context(celery_worker(search["SEARCH_INDEX_QUEUE"], env, logs / "worker.log"))
        yield Stack(request.param, where, search)


@dataclass
class Company:
    slug: str
    tenant: Any
    estate: Any
    desk: Any  # customer service
    resident: Any


def _company(name: str, estate_name: str, slug: str) -> Company:
    from backend.accounts.models import Membership, User
    from backend.properties import services as registry
    from backend.properties.models import Person, Unit
    from backend.properties.scope import Scope
    from tenants.db import connection
    from tenants.services import company_onboard

    everything = Scope.everything()
    tenant = company_onboard(
        company_name=name,
        subdomain=slug,
        admin_name="管理员",
        admin_email=f"admin-{slug}@example.test",
        admin_phone=f"136{uuid.uuid4().int % 10**8:08d}",
        admin_password=PASSWORD,
    ).tenant
    desk = User.objects.create_user(email=f"desk-{slug}@example.test", password=PASSWORD, name="王客服")
    resident = User.objects.create_user(email=f"resident-{slug}@example.test", password=PASSWORD, name="陈业主")
    Membership.objects.create(user=desk, tenant=tenant, roles=["customer_service"])
    Membership.objects.create(user=resident, tenant=tenant, roles=["resident"])
    connection.set_tenant(tenant)
    office = registry.office_create(name="管理处", scope=everything)
    estate = registry.estate_create(office_id=office.pk, name=estate_name, scope=everything)
    building = registry.building_create(estate_id=estate.pk, name="1栋", scope=everything)
    registry.units_generate(
        building_id=building.pk, first_floor=12, last_floor=12, units_per_floor=1, area="89.5", scope=everything
    )
    person = Person.objects.create(name="陈业主", user=resident)
    registry.occupancy_move_in(
        unit_id=Unit.objects.get(building=building).pk,
        person=person,
        role="owner",
        start_date=dt.date(2025, 1, 1),
        scope=everything,
    )
    connection.set_schema_to_public()
    return Company(slug, tenant, estate, desk, resident)


@pytest.fixture
def companies(committed: list[str], django_db_blocker: Any) -> Iterator[tuple[Company, Company]]:
    """示范物业 (阳光花园) and another company (桂花园), each with customer service and a resident at home."""
    tag = uuid.uuid4().hex[:5]
    with django_db_blocker.unblock():
        shifan = _company("示范物业", "阳光花园", f"shop{tag}a")
        committed.append(shifan.slug)
        other = _company("绿城物业", "桂花园", f"shop{tag}b")
        committed.append(other.slug)
    yield shifan, other


@pytest.fixture
def merchant_names(django_db_blocker: Any, stack: Stack) -> Iterator[list[str]]:
    """Merchants the browser signed up; removed afterwards with their users and search entries."""
    names: list[str] = []
    yield names
    from django.db import connection
    from django.test import override_settings

    from marketplace.models import Merchant
    from marketplace.search.backends import get_backend

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for merchant in Merchant.objects.filter(name__in=names):
            ids = list(merchant.listings.values_list("pk", flat=True))
            with override_settings(**stack.settings):
                get_backend().delete(ids)
            users = [m.user for m in merchant.members.select_related("user")]
            merchant.delete()
            for user in users:
                user.delete()


def _image(path: Path, colour: str) -> Path:
    from PIL import Image

    Image.new("RGB", (320, 240), colour).save(path, format="PNG")
    return path


def _sign_in(browser: Any, base: str, email: str) -> Any:
    page = browser.new_context(**PHONE).new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("[data-login-form] button[type=submit]")
    page.wait_for_load_state()
    return page


def _eventually(check: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return check()


def _search_titles(page: Any, base: str, text: str) -> str:
    page.goto(f"{base}/resident/shop/search/?q={text}")
    return page.locator("[data-shop-results]").inner_text()


def test_a_merchant_is_vetted_lists_and_is_found_then_suspended(
    browser: Any,
    stack: Stack,
    companies: tuple[Company, Company],
    merchant_names: list[str],
    django_db_blocker: Any,
    tmp_path: Path,
) -> None:
    from django.test import override_settings

    from marketplace.models import Merchant, MerchantApplication
    from marketplace.search.selectors import search_for_resident

    shifan, other = companies
    platform = f"http://localhost{stack.port}"
    tag = uuid.uuid4().hex[:4]
    name = f"好帮手{tag}"
    merchant_names.append(name)

    # 1. The merchant signs up on the platform site, with its licence photo, and applies to 示范物业.
    page = browser.new_context(**PHONE).new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{platform}/merchant/signup/")
    page.fill("#id_name", name)
    page.fill("#id_licence_number", licence_number(uuid.uuid4().int % 9_000_000))
    page.set_input_files("#id_licence", str(_image(tmp_path / "licence.png", "#c8a000")))
    page.fill("#id_contact_name", "陈阿姨")
    page.fill("#id_contact_phone", "13800138009")
    page.fill("#id_address", "阳光路 8 号")
    page.fill("#id_service_area", "阳光花园")
    page.check("input[name=category_codes][value=housekeeping]")
    page.check("input[name=category_codes][value=fruit]")
    page.fill("#id_owner_name", "陈老板")
    page.fill("#id_owner_email", f"owner-{tag}-{uuid.uuid4().hex[:6]}@merchant.test")
    page.fill("#id_owner_phone", f"135{uuid.uuid4().int % 10**8:08d}")
    page.fill("#id_owner_password", PASSWORD)
    page.click("[data-merchant-signup] button[type=submit]")
    page.wait_for_url(f"{platform}/merchant/applications/")
    page.click(f'[data-apply="{shifan.tenant.pk}"]')
    page.check(f'input[name=estate_ids][value="{shifan.estate.pk}"]')
    page.check("input[name=category_codes][value=housekeeping]")
    page.check("input[name=category_codes][value=fruit]")
    page.fill("textarea[name=message]", "为阳光花园业主提供上门家政和水果。")
    page.click("[data-apply-form] button[type=submit]")
    page.wait_for_selector(f'[data-company="{shifan.tenant.pk}"] [data-application-status="pending"]')
    with django_db_blocker.unblock():
        application = MerchantApplication.objects.get(merchant__name=name, tenant=shifan.tenant)

    # 2. 示范物业's customer service reviews the licence and approves.
    shifan_base = f"http://{shifan.slug}.localhost{stack.port}"
    desk = _sign_in(browser, shifan_base, shifan.desk.email)
    desk.goto(f"{shifan_base}/staff/marketplace/")
    desk.locator(f'[data-application="{application.pk}"] [data-review]').click()
    desk.wait_for_selector("[data-approve-form]")
    desk.click("[data-approve]")
    desk.wait_for_selector("[data-suspend-form]")

    # 3. The merchant lists a service and a good.
    for kind, category, title, price, extra in (
        ("service", "housekeeping", "上门家政保洁", "80.00", {"#id_duration_minutes": "120"}),
        ("good", "fruit", "红富士苹果", "12.80", {"#id_unit": "斤", "#id_stock": "50"}),
    ):
        page.goto(f"{platform}/merchant/listings/new/?kind={kind}")
        page.select_option("#id_category_code", category)
        page.fill("#id_title", title)
        page.fill("#id_price_fen", price)
        for selector, value in extra.items():
            page.fill(selector, value)
        page.click("[data-listing-form] button[type=submit]")
        page.wait_for_selector("[data-listing-title]")

    # 4. 阳光花园's resident finds both by a Chinese prefix, as typed (the worker indexes after commit).
    resident = _sign_in(browser, shifan_base, shifan.resident.email)
    assert _eventually(lambda: "上门家政保洁" in _search_titles(resident, shifan_base, "上门家")), stack.backend
    resident.fill("#shop-q", "红富")
    resident.wait_for_function("() => document.querySelector('[data-shop-results]').textContent.includes('红富士苹果')")
    assert "上门家政保洁" not in resident.locator("[data-shop-results]").inner_text()

    # The other company's resident never sees them.
    other_base = f"http://{other.slug}.localhost{stack.port}"
    stranger = _sign_in(browser, other_base, other.resident.email)
    for text in ("上门家", "红富", "家政"):
        results = _search_titles(stranger, other_base, text)
        assert "上门家政保洁" not in results and "红富士苹果" not in results

    # 5. Staff suspend the merchant: its listings leave the resident's search, and the index.
    desk.goto(f"{shifan_base}/staff/marketplace/merchants/")
    row = desk.locator(f'[data-merchant-row="{application.pk}"]')
    row.locator("input[name=reason]").fill("业主投诉服务迟到")
    row.locator("[data-suspend]").click()
    desk.wait_for_selector(f'[data-merchant-row="{application.pk}"][data-status="suspended"]')
    results = _search_titles(resident, shifan_base, "上门家")
    assert "上门家政保洁" not in results

    def gone_from_index() -> bool:
        with django_db_blocker.unblock(), override_settings(**stack.settings):
            found = search_for_resident(shifan.tenant, [shifan.estate.pk], text="上门家")
        return found.total == 0

    assert _eventually(gone_from_index), f"still indexed for 示范物业 on {stack.backend}"
    with django_db_blocker.unblock():
        assert Merchant.objects.get(name=name).status == "active"  # suspended by one company, not closed
