"""Portal: the collection report page (table, SVG charts, drill-down), its .xlsx export, and the fee-notice
PDFs for staff in scope and for the residents who live in the unit (anyone else: 404).

The figures are those of the June scenario in tests/backend/billing/test_reports.py."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.db import connection
from openpyxl import load_workbook
from pypdf import PdfReader

from backend.properties.models import Occupancy, Person
from tests.backend.billing.conftest import World, world  # noqa: F401  (the fixture)
from tests.backend.billing.test_reports import Scenario, build_scenario
from tests.factories import MemberFactory

REPORTS = "/staff/billing/reports/"


@pytest.fixture
def scenario(world: World, tenant_a: Any) -> Scenario:  # noqa: F811
    return build_scenario(world, tenant_a)


def get(client_for: Any, tenant: Any, user: Any, url: str, **extra: Any) -> Any:
    response = client_for(tenant, user).get(url, **extra)
    connection.set_tenant(tenant)
    return response


def notice_url(unit_pk: int, month: str = "2026-06") -> str:
    return f"/billing/units/{unit_pk}/notice/{month}/"  # portal:billing-notice


def building_url(building_pk: int, month: str = "2026-06") -> str:
    return f"/staff/billing/buildings/{building_pk}/notices/{month}/"  # portal:billing-building-notices


def resident_of(tenant: Any, member: Any, unit: Any, *, moved_out: Any = None) -> Any:
    user = member(tenant, ["resident"])
    person = Person.objects.create(name="王五", user=user)
    Occupancy.objects.create(unit=unit, person=person, role="owner", start_date="2025-01-01", end_date=moved_out)
    return user


def pdf_text(response: Any) -> list[str]:
    assert response["Content-Type"] == "application/pdf"
    return [p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages]


# --- the report page -------------------------------------------------------------------------------


def test_the_page_shows_the_table_the_charts_and_the_links(
    scenario: Scenario, tenant_a: Any, member: Any, client_for: Any
) -> None:
    r = get(client_for, tenant_a, member(tenant_a, ["finance"]), f"{REPORTS}?period=2026-06&group=building")
    assert r.status_code == 200
    html = r.content.decode()
    b1, b2 = scenario.world.building, scenario.world.building2
    row = html.split(f'data-row="{b2.pk}"', 1)[1].split("</tr>", 1)[0]
    for figure in ("¥1,240.00", "¥100.00", "¥520.00", "¥620.00", "45.61%", "¥90.00"):
        assert figure in row
    total = html.split("data-total-row", 1)[1].split("</tr>", 1)[0]
    assert "¥2,275.00" in total and "¥863.75" in total and "39.71%" in total
    # drill down to a building's fee items, and its batch of notices for the month
    assert f"group=fee_item&amp;building={b1.pk}" in html
    assert building_url(b1.pk) in html
    # the charts: inline SVG with a title and a description, nothing loaded from elsewhere
    assert html.count('role="img"') == 2
    rate_chart = html.split("data-rate-chart", 1)[1].split("</figure>", 1)[0]
    assert "<title" in rate_chart and "<desc" in rate_chart and "45.61%" in rate_chart
    assert rate_chart.count("data-bar") == 3
    assert "stroke-dasharray" in rate_chart  # the target line
    assert "<polyline" in html.split("data-trend-chart", 1)[1]
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http://", "https://", "//")), url
    assert "<script src" not in html.split('id="main"', 1)[1]
    # export link with the same parameters
    export = re.search(r'href="(/staff/billing/reports/export\.xlsx\?[^"]+)"', html)
    assert export and "period=2026-06" in export.group(1) and "group=building" in export.group(1)


def test_drilling_down_shows_the_path_and_the_next_level(
    scenario: Scenario, tenant_a: Any, member: Any, client_for: Any
) -> None:
    w = scenario.world
    user = member(tenant_a, ["company_admin"])
    offices = get(client_for, tenant_a, user, f"{REPORTS}?period=2026-06").content.decode()
    assert f"group=estate&amp;office={w.office.pk}" in offices
    estates = get(client_for, tenant_a, user, f"{REPORTS}?period=2026-06&group=estate&office={w.office.pk}")
    html = estates.content.decode()
    crumbs = html.split("data-crumbs", 1)[1].split("</nav>", 1)[0]
    assert "计费管理处" in crumbs
    assert f'data-row="{w.estate.pk}"' in html and "银色家园" not in html.split("data-report-table", 1)[1]
    items = get(
        client_for,
        tenant_a,
        user,
        f"{REPORTS}?period=2026-06&group=fee_item&estate={w.estate.pk}&building={w.building.pk}",
    ).content.decode()
    crumbs = items.split("data-crumbs", 1)[1].split("</nav>", 1)[0]
    assert "金色家园" in crumbs and "1栋" in crumbs
    assert "data-building-notices" in items
    table = items.split("data-report-table", 1)[1]
    assert "物业费" in table and "垃圾清运费" in table and "¥895.00" in table  # 4 × 223.75


def test_a_range_and_month_navigation(scenario: Scenario, tenant_a: Any, member: Any, client_for: Any) -> None:
    user = member(tenant_a, ["finance"])
    html = get(client_for, tenant_a, user, f"{REPORTS}?period=2026-06").content.decode()
    assert "period=2026-05" in html and "period=2026-07" in html
    ranged = get(client_for, tenant_a, user, f"{REPORTS}?start=2026-05&end=2026-06").content.decode()
    assert 'value="2026-05"' in ranged and 'value="2026-06"' in ranged
    assert "¥2,275.00" in ranged.split("data-total-row", 1)[1]


def test_bad_parameters_are_shown_on_the_form(tenant_a: Any, member: Any, client_for: Any) -> None:
    r = get(client_for, tenant_a, member(tenant_a, ["finance"]), f"{REPORTS}?start=2026-07&end=2026-01")
    assert r.status_code == 400
    form = r.content.decode().split("data-period-form", 1)[1].split("</form>", 1)[0]
    assert 'class="error"' in form


@pytest.mark.parametrize(
    ("roles", "status"),
    [(["finance"], 200), (["customer_service"], 200), (["engineer"], 403), (["security"], 403), (["resident"], 403)],
)
def test_who_may_read_the_reports(tenant_a: Any, member: Any, client_for: Any, roles: list[str], status: int) -> None:
    user = member(tenant_a, roles)
    assert get(client_for, tenant_a, user, REPORTS).status_code == status
    assert get(client_for, tenant_a, user, "/staff/billing/reports/export.xlsx").status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(tenant_a: Any, client_for: Any) -> None:
    for url in (REPORTS, "/staff/billing/reports/export.xlsx", notice_url(1)):
        r = client_for(tenant_a).get(url)
        assert r.status_code == 302 and "/login/" in r["Location"]


def test_a_staff_member_of_another_office_sees_only_theirs(scenario: Scenario, tenant_a: Any, client_for: Any) -> None:
    user = MemberFactory(
        tenant=tenant_a, roles=["finance"], scope_all=False, scope_office_ids=[scenario.office2.pk]
    ).user
    html = get(client_for, tenant_a, user, f"{REPORTS}?period=2026-06&group=building").content.decode()
    table = html.split("data-report-table", 1)[1]
    assert "A座" in table and "1栋" not in table and "2栋" not in table
    # naming a building outside the scope is not found, on the page and in the export
    other = f"?period=2026-06&group=fee_item&building={scenario.world.building.pk}"
    assert get(client_for, tenant_a, user, REPORTS + other).status_code == 404
    assert get(client_for, tenant_a, user, "/staff/billing/reports/export.xlsx" + other).status_code == 404
    # the export has only their rows
    data = get(client_for, tenant_a, user, "/staff/billing/reports/export.xlsx?period=2026-06&group=building").content
    names = [r[0] for r in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True)]
    assert "A座" in names and "1栋" not in names


def test_the_export_is_an_xlsx_with_numbers(scenario: Scenario, tenant_a: Any, member: Any, client_for: Any) -> None:
    r = get(
        client_for,
        tenant_a,
        member(tenant_a, ["finance"]),
        "/staff/billing/reports/export.xlsx?period=2026-06&group=office",
    )
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="collection-office-202606.xlsx"' in r["Content-Disposition"]
    rows = {row[0]: row for row in load_workbook(io.BytesIO(r.content)).worksheets[0].iter_rows(values_only=True)}
    office1 = rows["计费管理处"]
    assert list(office1[2:8]) == [2175.0, 100.0, 2075.0, 813.75, 1261.25, pytest.approx(0.3922)]


def test_another_company_sees_an_empty_report(scenario: Scenario, tenant_b: Any, member: Any, client_for: Any) -> None:
    html = get(client_for, tenant_b, member(tenant_b, ["finance"]), f"{REPORTS}?period=2026-06").content.decode()
    table = html.split("data-report-table", 1)[1]
    assert "计费管理处" not in table and "data-row=" not in table


# --- notices ---------------------------------------------------------------------------------------


def test_staff_in_scope_get_a_units_notice(scenario: Scenario, tenant_a: Any, member: Any, client_for: Any) -> None:
    unit = scenario.world.units[1]
    r = get(client_for, tenant_a, member(tenant_a, ["customer_service"]), notice_url(unit.pk))
    assert r.status_code == 200
    [text] = pdf_text(r)
    assert "金色家园 1栋 102" in text and "¥173.75" in text and "壹佰柒拾叁元柒角伍分" in text
    outsider = MemberFactory(
        tenant=tenant_a, roles=["finance"], scope_all=False, scope_office_ids=[scenario.office2.pk]
    )
    assert get(client_for, tenant_a, outsider.user, notice_url(unit.pk)).status_code == 404
    assert get(client_for, tenant_a, member(tenant_a, ["engineer"]), notice_url(unit.pk)).status_code == 403


def test_a_resident_gets_the_notice_of_their_home_only(
    scenario: Scenario, tenant_a: Any, member: Any, client_for: Any
) -> None:
    home, neighbour = scenario.world.units[1], scenario.world.units[2]
    resident = resident_of(tenant_a, member, home)
    r = get(client_for, tenant_a, resident, notice_url(home.pk))
    assert r.status_code == 200
    [text] = pdf_text(r)
    assert "金色家园 1栋 102" in text and "王五" in text
    assert get(client_for, tenant_a, resident, notice_url(neighbour.pk)).status_code == 404
    assert get(client_for, tenant_a, resident, notice_url(999999)).status_code == 404
    assert get(client_for, tenant_a, resident, notice_url(home.pk, "2026-13")).status_code == 404
    assert get(client_for, tenant_a, resident, notice_url(home.pk, "june")).status_code == 404
    # staff pages stay closed to them
    assert get(client_for, tenant_a, resident, building_url(scenario.world.building.pk)).status_code == 403


def test_a_resident_who_moved_out_no_longer_gets_it(
    scenario: Scenario, tenant_a: Any, member: Any, client_for: Any
) -> None:
    home = scenario.world.units[1]
    former = resident_of(tenant_a, member, home, moved_out="2026-05-31")
    assert get(client_for, tenant_a, former, notice_url(home.pk)).status_code == 404


def test_another_companys_resident_cannot_reach_the_unit(
    scenario: Scenario, tenant_a: Any, tenant_b: Any, member: Any, client_for: Any
) -> None:
    unit = scenario.world.units[1]
    beta_admin = member(tenant_b, ["company_admin"])
    assert get(client_for, tenant_b, beta_admin, notice_url(unit.pk)).status_code == 404
    assert get(client_for, tenant_b, beta_admin, building_url(scenario.world.building.pk)).status_code == 404


def test_the_building_batch(scenario: Scenario, tenant_a: Any, member: Any, client_for: Any) -> None:
    user = member(tenant_a, ["finance"])
    r = get(client_for, tenant_a, user, building_url(scenario.world.building2.pk))
    assert r.status_code == 200
    texts = pdf_text(r)
    assert [t.count("金色家园 2栋 ") >= 1 for t in texts] == [True] * 4
    assert "-¥90.00" in texts[1]  # 2栋-102's prepaid balance
    # no bills that month: back to the report with a message
    empty = get(client_for, tenant_a, user, building_url(scenario.world.building2.pk, "2026-03"))
    assert empty.status_code == 302 and f"building={scenario.world.building2.pk}" in empty["Location"]
    outsider = MemberFactory(
        tenant=tenant_a, roles=["finance"], scope_all=False, scope_office_ids=[scenario.office2.pk]
    )
    assert get(client_for, tenant_a, outsider.user, building_url(scenario.world.building2.pk)).status_code == 404
    assert get(client_for, tenant_a, outsider.user, building_url(scenario.building2.pk)).status_code == 200
