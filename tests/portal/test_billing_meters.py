"""Staff pages for meters and readings: the entry grid, the review queue, meter setup, the meter page, import."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from openpyxl import load_workbook

from backend.accounts.models import Membership
from backend.billing import meters
from backend.billing.models import Meter, MeterReading
from backend.properties.models import Unit
from tests.backend.billing.conftest import EVERYTHING, World, world  # noqa: F401 - the fixture
from tests.backend.billing.test_meters import history, month, post, rec, shared_item
from tests.backend.billing.test_meters_import import xlsx

GRID = "/staff/billing/readings/"


@pytest.fixture
def signed_in(world: World, tenant_a: Any, member: Any, client_for: Any) -> Any:  # noqa: F811
    def make(roles: list[str], office_ids: list[int] | None = None) -> Any:
        user = member(tenant_a, roles)
        if office_ids is not None:
            Membership.objects.filter(user=user, tenant=tenant_a).update(scope_all=False, scope_office_ids=office_ids)
        client = client_for(tenant_a, user)
        connection.set_tenant(tenant_a)
        return client

    return make


@pytest.fixture
def building_meters(world: World) -> list[Meter]:  # noqa: F811
    return [
        meters.meter_create(scope=EVERYTHING, unit_id=u.pk, kind="water", number=f"W-{u.number}") for u in world.units
    ]


def grid_url(world: World, period: str = "2026-05") -> str:  # noqa: F811
    return f"{GRID}?building={world.building.pk}&month={period}"


def test_an_engineer_enters_a_months_readings_through_the_grid(
    world: World,  # noqa: F811
    building_meters: list[Meter],
    signed_in: Any,
) -> None:
    first, second, third, fourth = building_meters
    last = history(first, usages=(10, 10, 10))  # 130 in April, average 10
    rec(second, month(4), 50)
    client = signed_in(["engineer"])
    page = client.get(grid_url(world))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("data-grid-row=") == 4
    row = html.split(f'data-grid-row="{first.pk}"', 1)[1].split("</tr>", 1)[0]
    assert str(last) in row and "10.00" in row  # last reading and the average
    response = client.post(
        grid_url(world),
        {
            "action": "grid",
            "read_on": "2026-05-30",
            f"r{first.pk}": str(last + 100),  # far above the average: flagged
            f"r{second.pk}": "62.5",
            f"r{third.pk}": "",  # not read this month
            f"r{fourth.pk}": "7",
        },
    )
    assert response.status_code == 302
    saved = {r.meter_id: r for r in MeterReading.objects.filter(period=month(5))}
    assert set(saved) == {first.pk, second.pk, fourth.pk}
    assert saved[first.pk].status == "flagged"
    assert (saved[second.pk].usage, saved[second.pk].status) == (Decimal("12.5"), "ok")
    assert all(r.read_on and r.read_on.isoformat() == "2026-05-30" for r in saved.values())
    # the grid now shows what was entered, and the flagged one waits in the review queue
    html = client.get(response["Location"]).content.decode()
    assert 'value="62.5' in html
    assert f'data-flagged="{saved[first.pk].pk}"' in html
    assert "data-confirm" not in html  # engineers do not review


def test_a_bad_value_is_marked_on_its_row_and_the_good_ones_are_kept(
    world: World,  # noqa: F811
    building_meters: list[Meter],
    signed_in: Any,
) -> None:
    first, second, *_ = building_meters
    client = signed_in(["customer_service"])
    response = client.post(grid_url(world), {"action": "grid", f"r{first.pk}": "abc", f"r{second.pk}": "12"})
    assert response.status_code == 400
    html = response.content.decode()
    row = html.split(f'data-grid-row="{first.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "data-row-error" in row and 'value="abc"' in row
    assert list(MeterReading.objects.values_list("meter_id", flat=True)) == [second.pk]


def test_a_billed_month_shows_no_input(
    world: World,  # noqa: F811
    building_meters: list[Meter],
    signed_in: Any,
) -> None:
    first = building_meters[0]
    rec(first, month(4), 100)
    rec(first, month(5), 110)
    post(month(5))
    client = signed_in(["finance"])
    html = client.get(grid_url(world)).content.decode()
    row = html.split(f'data-grid-row="{first.pk}"', 1)[1].split("</tr>", 1)[0]
    assert f'name="r{first.pk}"' not in row
    # a forged post does not change it either
    client.post(grid_url(world), {"action": "grid", f"r{first.pk}": "999"})
    assert MeterReading.objects.get(meter=first, period=month(5)).reading == Decimal(110)


def test_finance_confirms_and_rejects_from_the_review_queue(
    world: World,  # noqa: F811
    building_meters: list[Meter],
    signed_in: Any,
) -> None:
    first, second, *_ = building_meters
    rec(first, month(1), 100)
    low = rec(first, month(2), 90)
    rec(second, month(1), 100)
    low2 = rec(second, month(2), 80)
    engineer = signed_in(["engineer"])
    assert engineer.post(GRID, {"action": "confirm", "reading": low.pk}).status_code == 403
    finance = signed_in(["finance"])
    html = finance.get(GRID).content.decode()
    assert f'data-flagged="{low.pk}"' in html and "data-confirm" in html
    assert 'data-error-for="building"' not in html  # no building chosen yet is not an error
    assert finance.post(GRID, {"action": "confirm", "reading": low.pk}).status_code == 302
    finance.post(GRID, {"action": "reject", "reading": low2.pk, "reason": ""})  # a reason is needed
    assert MeterReading.objects.get(pk=low2.pk).status == "flagged"
    finance.post(GRID, {"action": "reject", "reading": low2.pk, "reason": "看错了"})
    assert MeterReading.objects.get(pk=low.pk).status == "confirmed"
    assert MeterReading.objects.get(pk=low2.pk).status == "rejected"
    assert f'data-flagged="{low.pk}"' not in finance.get(GRID).content.decode()


def test_finance_adds_unit_and_shared_meters_from_the_meters_page(world: World, signed_in: Any) -> None:  # noqa: F811
    item = shared_item(world)
    finance = signed_in(["finance"])
    assert finance.get("/staff/billing/meters/").status_code == 200
    response = finance.post(
        "/staff/billing/meters/",
        {
            "add": "unit",
            "unit-building": world.building.pk,
            "unit-unit_number": world.units[0].number,
            "unit-kind": "water",
            "unit-number": "W-A",
            "unit-multiplier": "1",
        },
    )
    assert response.status_code == 302
    meter = Meter.objects.get(number="W-A")
    assert meter.unit_id == world.units[0].pk and response["Location"] == f"/staff/billing/meters/{meter.pk}/"
    # the same number again, and a unit that does not exist: errors on the form
    for unit_number, field in ((world.units[1].number, "number"), ("9999", "unit_number")):
        response = finance.post(
            "/staff/billing/meters/",
            {
                "add": "unit",
                "unit-building": world.building.pk,
                "unit-unit_number": unit_number,
                "unit-kind": "water",
                "unit-number": "W-A",
                "unit-multiplier": "1",
            },
        )
        assert response.status_code == 400
        assert set(re.findall(r'data-error-for="([a-z_]+)"', response.content.decode())) == {field}
    response = finance.post(
        "/staff/billing/meters/",
        {
            "add": "shared",
            "shared-estate": world.estate.pk,
            "shared-kind": "electricity",
            "shared-number": "E-LIFT",
            "shared-fee_item": item.pk,
            "shared-building_ids": [world.building2.pk],
            "shared-multiplier": "1",
        },
    )
    assert response.status_code == 302
    shared = Meter.objects.get(number="E-LIFT")
    assert set(shared.shared_units.values_list("pk", flat=True)) == {u.pk for u in world.units2}
    listed = finance.get("/staff/billing/meters/?kind=electricity").content.decode()
    assert f'data-meter="{shared.pk}"' in listed and f'data-meter="{meter.pk}"' not in listed
    # engineers see meters but do not set them up
    engineer = signed_in(["engineer"])
    assert "data-add-unit-meter" not in engineer.get("/staff/billing/meters/").content.decode()
    assert engineer.post("/staff/billing/meters/", {"add": "unit"}).status_code == 403


def test_the_meter_page_shows_history_and_trend_and_records_a_reading(
    world: World,  # noqa: F811
    building_meters: list[Meter],
    signed_in: Any,
) -> None:
    meter = building_meters[0]
    last = history(meter, usages=(10, 20, 30))
    client = signed_in(["engineer"])
    html = client.get(f"/staff/billing/meters/{meter.pk}/").content.decode()
    assert html.count("data-reading=") == 4 and "<svg" in html and html.count("data-bar") == 4
    assert "reading-starting" not in html  # a starting reading only for a meter without readings
    response = client.post(
        f"/staff/billing/meters/{meter.pk}/",
        {
            "action": "reading",
            "reading-period": "2026-05",
            "reading-reading": str(last + 15),
            "reading-read_on": "2026-05-31",
        },
    )
    assert response.status_code == 302
    assert MeterReading.objects.get(meter=meter, period=month(5)).usage == Decimal(15)
    response = client.post(
        f"/staff/billing/meters/{meter.pk}/",
        {"action": "reading", "reading-period": "2026-06", "reading-reading": "x", "reading-read_on": ""},
    )
    assert response.status_code == 400 and 'data-error-for="reading"' in response.content.decode()
    assert client.post(f"/staff/billing/meters/{meter.pk}/", {"action": "edit", "edit-number": "Z"}).status_code == 403


def test_staff_of_another_office_do_not_see_the_meter(
    world: World,  # noqa: F811
    building_meters: list[Meter],
    signed_in: Any,
) -> None:
    from backend.properties import services as registry

    office = registry.office_create(name="第二管理处", scope=EVERYTHING)
    client = signed_in(["finance"], office_ids=[office.pk])
    assert client.get(f"/staff/billing/meters/{building_meters[0].pk}/").status_code == 404
    assert "data-meter=" not in client.get("/staff/billing/meters/").content.decode()
    assert "data-grid-row" not in client.get(grid_url(world)).content.decode()


def test_residents_do_not_open_meter_pages(world: World, signed_in: Any) -> None:  # noqa: F811
    client = signed_in(["resident"])
    for url in ("/staff/billing/meters/", GRID, "/staff/billing/readings/import/"):
        assert client.get(url).status_code == 403
    assert signed_in(["security"]).get("/staff/billing/readings/import/").status_code == 403


def test_importing_readings_from_the_page(
    world: World,  # noqa: F811
    building_meters: list[Meter],
    signed_in: Any,
) -> None:
    client = signed_in(["engineer"])
    template = client.get("/staff/billing/readings/import/template.xlsx")
    assert template.status_code == 200
    ws = load_workbook(io.BytesIO(template.content)).active
    assert ws is not None and next(ws.iter_rows(values_only=True))[:2] == ("小区", "表号")
    estate = world.estate.name
    good = xlsx([[estate, "W-101", "2026-04", 100, ""], [estate, "W-101", "2026-05", 110, "2026-05-31"]])
    upload = io.BytesIO(good)
    upload.name = "readings.xlsx"
    response = client.post("/staff/billing/readings/import/", {"file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"data-created>2<", html) and re.search(r"data-flagged>0<", html)
    bad = io.BytesIO(xlsx([[estate, "W-999", "2026-05", 1, ""]]))
    bad.name = "bad.xlsx"
    response = client.post("/staff/billing/readings/import/", {"file": bad})
    assert response.status_code == 400 and "data-import-errors" in response.content.decode()
    assert MeterReading.objects.count() == 2


def test_meter_pages_fit_a_phone(world: World, building_meters: list[Meter], signed_in: Any) -> None:  # noqa: F811
    client = signed_in(["engineer"])
    for url in (grid_url(world), "/staff/billing/meters/", f"/staff/billing/meters/{building_meters[0].pk}/"):
        html = client.get(url).content.decode()
        assert 'name="viewport"' in html
        assert "<table" not in html.replace('<div class="table-wrap"><table', "")  # every table scrolls sideways
    assert Unit.objects.count() == 8
