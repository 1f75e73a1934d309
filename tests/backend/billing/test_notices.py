"""Fee notices (收费通知单) as PDF, read back with pypdf. The world is the June scenario of test_reports.py:
1栋-102 was billed ¥223.75 + ¥10 and paid ¥10 + ¥50, so it still owes ¥173.75 for June; 2栋-102 paid ¥400
for ¥310 of bills and holds ¥90 prepaid."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from pypdf import PdfReader

from backend.billing import notices
from backend.billing.money import chinese_capital
from backend.properties.models import Occupancy, Person
from tenants.company.models import CompanySettings

from .test_reports import JUL, JUN, Scenario, build_scenario, run


@pytest.fixture
def scenario(world: Any, tenant_a: Any) -> Scenario:
    return build_scenario(world, tenant_a)


def pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def live_in(unit: Any, name: str, role: str = "owner", user: Any = None) -> Person:
    person = Person.objects.create(name=name, user=user)
    Occupancy.objects.create(unit=unit, person=person, role=role, start_date=dt.date(2025, 1, 1))
    return person


def test_a_unit_notice_has_company_unit_occupants_lines_and_the_total_in_capitals(scenario: Scenario) -> None:
    CompanySettings.objects.update_or_create(
        singleton=True, defaults={"display_name": "金色物业服务有限公司", "service_phone": "400-800-1234"}
    )
    unit = scenario.world.units[1]  # 1栋-102
    live_in(unit, "李四", role="tenant")
    live_in(unit, "张三")
    [text] = pages(notices.unit_notice_pdf(unit, JUN))
    assert "金色物业服务有限公司" in text and "400-800-1234" in text
    assert "收费通知单" in text and "2026-06" in text
    assert "金色家园 1栋 102" in text
    assert "张三、李四" in text  # the owner first
    # the lines: item, period, quantity × rate, amount, paid, still owed
    assert "物业费" in text and "垃圾清运费" in text
    assert "89.50 m² × ¥2.50" in text and "1 × ¥10.00" in text
    assert "¥223.75" in text and "¥50.00" in text and "¥173.75" in text
    # total due in figures and in capitals, with the due date
    assert chinese_capital(17375) == "壹佰柒拾叁元柒角伍分"
    assert "壹佰柒拾叁元柒角伍分" in text
    assert "2026-06-10" in text


def test_the_next_month_adds_earlier_arrears(scenario: Scenario) -> None:
    run(JUL)
    unit = scenario.world.units[1]
    notice = notices.notices_for([unit], JUL)[0]
    assert (notice.charged, notice.owed, notice.earlier_arrears, notice.prepaid) == (23375, 23375, 17375, 0)
    assert notice.total_due == 40750
    [text] = pages(notices.unit_notice_pdf(unit, JUL))
    assert "¥173.75" in text  # arrears from June
    assert "¥407.50" in text and chinese_capital(40750) in text
    assert chinese_capital(40750) == "肆佰零柒元伍角整"


def test_a_prepaid_balance_is_shown_and_taken_off_the_total(scenario: Scenario) -> None:
    unit = scenario.world.units2[1]  # 2栋-102: June paid, ¥90 prepaid
    notice = notices.notices_for([unit], JUN)[0]
    assert (notice.owed, notice.prepaid, notice.total_due) == (0, 9000, 0)
    [text] = pages(notices.unit_notice_pdf(unit, JUN))
    assert "-¥90.00" in text
    assert "零元整" in text
    assert "prepaid balance covers" in text
    # credit not yet applied to an owed line comes off the total: ¥233.75 owed − ¥90 prepaid
    notice.lines[0].owed = 23375
    assert notice.total_due == 23375 - 9000


def test_the_fallback_company_name_and_hotline(scenario: Scenario, tenant_a: Any) -> None:
    CompanySettings.objects.update_or_create(singleton=True, defaults={"display_name": "", "service_phone": ""})
    unit = scenario.units_b[0]  # office 2 has a phone of its own
    [text] = pages(notices.unit_notice_pdf(unit, JUN))
    assert tenant_a.name in text
    assert "0755-1111" in text
    assert "(not recorded)" in text  # nobody lives there


def test_a_month_without_bills_still_prints_the_balance(scenario: Scenario) -> None:
    run(JUL)
    unit = scenario.world.units[3]  # 1栋-202 paid nothing
    [text] = pages(notices.unit_notice_pdf(unit, dt.date(2026, 8, 1)))
    assert "No charges for this month." in text
    assert "¥467.50" in text  # June and July in arrears


def test_a_building_batch_has_one_page_per_billed_unit_in_floor_order(scenario: Scenario) -> None:
    data = notices.building_notices_pdf(scenario.world.building, JUN)
    assert data is not None
    texts = pages(data)
    assert len(texts) == 4
    labels = ["金色家园 1栋 101", "金色家园 1栋 102", "金色家园 1栋 201", "金色家园 1栋 202"]
    for text, label in zip(texts, labels, strict=True):
        assert label in text
        assert sum(other in text for other in labels) == 1
    assert "¥0.00" in texts[0] and "零元整" in texts[0]  # 101 paid in full
    assert chinese_capital(23375) in texts[3]  # 202 paid nothing: 贰佰叁拾叁元柒角伍分
    assert PdfReader(io.BytesIO(data)).metadata.title.endswith("金色家园 1栋 2026-06")


def test_a_batch_reads_the_ledger_for_all_its_units_at_once(scenario: Scenario) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for unit in scenario.world.units:
        live_in(unit, f"住户{unit.number}")
    with CaptureQueriesContext(connection) as ctx:
        notices.building_notices_pdf(scenario.world.building, JUN)
    # billed units, lines, earlier arrears, prepaid, occupants, company settings: not per unit
    assert len(ctx.captured_queries) <= 6


def test_a_building_without_bills_that_month_gives_no_pdf(scenario: Scenario) -> None:
    assert notices.building_notices_pdf(scenario.world.building, dt.date(2026, 3, 1)) is None
    assert notices.building_notice_units(scenario.building2, JUN) == scenario.units_b
