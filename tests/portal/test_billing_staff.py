"""Staff billing pages: fee setup, bill runs with their preview and progress, a unit's statement and the bills
section of the unit page. Numbers on the pages are the ledger's; roles and data scope decide who sees what."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from backend.accounts.models import Membership
from backend.billing.ledger import deposit_hold, payment_record
from backend.billing.models import BillLine, BillRun, FeeAssignment, FeeItem, FeeStandard
from backend.billing.periods import add_months
from backend.billing.runs import bill_run_create, bill_run_execute
from backend.properties import services as registry
from tests.backend.billing.conftest import EVERYTHING, World
from tests.backend.billing.conftest import world as world  # noqa: PLC0414  (the billed world fixture)

THIS_MONTH = dt.date.today().replace(day=1)
PAST = add_months(THIS_MONTH, -2)  # due on the 10th of a month gone by: overdue
NEXT = add_months(THIS_MONTH, 1)  # due next month: unpaid, not overdue
# 89.50 m² × ¥2.50 + ¥10 garbage, per unit of building 1 and month; building 2: 120 m² × ¥2.50 + ¥10.
B1_MONTH = 22375 + 1000
B2_MONTH = 30000 + 1000


@pytest.fixture
def staff(tenant_a: Any, member: Callable[..., Any], client_for: Callable[..., Client]) -> Callable[..., Client]:
    """staff(roles, office=None) -> a signed-in client; with office, the member sees only that office."""

    def make(roles: list[str], office: Any = None, estate: Any = None) -> Client:
        user = member(tenant_a, roles)
        if office is not None or estate is not None:
            Membership.objects.filter(user=user, tenant=tenant_a).update(
                scope_all=False,
                scope_office_ids=[office.pk] if office is not None else [],
                scope_estate_ids=[estate.pk] if estate is not None else [],
            )
        client = client_for(tenant_a, user)
        client.user = user  # type: ignore[attr-defined]
        connection.set_tenant(tenant_a)
        return client

    return make


@pytest.fixture
def other_office(world: World) -> Any:
    office = registry.office_create(name="另一个管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=office.pk, name="别的小区", scope=EVERYTHING)
    registry.building_create(estate_id=estate.pk, name="9栋", scope=EVERYTHING)
    return office


def post_run(period: dt.date, **scope: Any) -> BillRun:
    run = bill_run_create(period=period, scope=EVERYTHING, by=None, **scope)
    return bill_run_execute(run.pk)


def errors_for(html: str, field: str) -> list[str]:
    return re.findall(rf'data-error-for="{field}">([^<]+)<', html)


def text(response: Any) -> str:
    return response.content.decode()


# -- fee items ------------------------------------------------------------------------------------------------


def test_fee_list_shows_items_prices_in_force_and_units_billed(world: World, staff: Any) -> None:
    html = text(staff(["finance"]).get("/staff/billing/fees/"))
    row = html.split('data-fee-item="mgmt"', 1)[1].split("</tr>", 1)[0]
    assert "物业费" in row and "¥2.5" in row
    assert '<td class="money">8</td>' in row  # both buildings carry it
    assert "data-fee-item-form" in html  # finance may create items


def test_finance_creates_a_fee_item_and_is_taken_to_it(world: World, staff: Any) -> None:
    client = staff(["finance"])
    response = client.post(
        "/staff/billing/fees/",
        {
            "office": world.office.pk,
            "code": "Parking",
            "name": "停车费",
            "category": "parking",
            "method": "fixed",
            "cycle": "monthly",
            "priority": "50",
            "late_fee_mode": "fixed",
            "late_fee_fixed": "20.50",
        },
    )
    item = FeeItem.objects.get(office=world.office, code="parking")
    assert response.status_code == 302 and response["Location"] == f"/staff/billing/fees/{item.pk}/"
    assert (item.name, item.priority, item.late_fee_mode, item.late_fee_fixed) == ("停车费", 50, "fixed", 2050)


def test_a_bad_fee_item_shows_the_services_field_messages(world: World, staff: Any) -> None:
    client = staff(["company_admin"])
    response = client.post(
        "/staff/billing/fees/",
        {"office": world.office.pk, "code": "mgmt", "name": "", "category": "water", "method": "meter"},
    )
    html = text(response)
    assert response.status_code == 400
    assert errors_for(html, "name") and errors_for(html, "meter_kind")
    response = client.post(
        "/staff/billing/fees/",
        {
            "office": world.office.pk,
            "code": "mgmt",
            "name": "物业费2",
            "category": "management",
            "method": "area",
            "cycle": "monthly",
        },
    )
    assert response.status_code == 400 and errors_for(text(response), "code")  # the office has code mgmt
    response = client.post(
        "/staff/billing/fees/", {"office": world.office.pk, "code": "x", "late_fee_fixed": "1.234", "name": "x"}
    )
    assert errors_for(text(response), "late_fee_fixed")
    response = client.post("/staff/billing/fees/", {"office": world.office.pk, "code": "停车 费", "name": "x"})
    assert errors_for(text(response), "code")
    assert FeeItem.objects.filter(office=world.office).count() == 3


def test_customer_service_may_look_at_fees_but_not_change_them(world: World, staff: Any) -> None:
    client = staff(["customer_service"])
    page = client.get("/staff/billing/fees/")
    assert page.status_code == 200 and "data-fee-item-form" not in text(page)
    assert client.get(f"/staff/billing/fees/{world.management.pk}/").status_code == 200
    denied = client.post(
        f"/staff/billing/fees/{world.management.pk}/",
        {"form": "standard", "standard-effective_from": "2030-01", "standard-rate": "9"},
    )
    assert denied.status_code == 403
    assert not FeeStandard.objects.filter(fee_item=world.management, rate=9).exists()


@pytest.mark.parametrize("roles", [["engineer"], ["security"], ["resident"]])
def test_billing_pages_are_closed_to_other_roles(world: World, staff: Any, roles: list[str]) -> None:
    client = staff(roles)
    unit = world.units[0]
    for url in (
        "/staff/billing/fees/",
        f"/staff/billing/fees/{world.management.pk}/",
        "/staff/billing/runs/",
        f"/staff/billing/units/{unit.pk}/statement/",
    ):
        assert client.get(url).status_code == 403, url


def test_customer_service_cannot_run_bills(world: World, staff: Any) -> None:
    client = staff(["customer_service"])
    assert client.get("/staff/billing/runs/").status_code == 403
    assert client.post("/staff/billing/runs/", {"period": "2026-06"}).status_code == 403
    assert not BillRun.objects.exists()


def test_a_new_price_from_a_month_is_a_new_version(world: World, staff: Any) -> None:
    client = staff(["finance"])
    url = f"/staff/billing/fees/{world.management.pk}/"
    response = client.post(
        url,
        {
            "form": "standard",
            "standard-effective_from": "2030-07",
            "standard-unit_type": "shop",
            "standard-rate": "3.20",
            "standard-custody_percent": "70",
        },
    )
    assert response.status_code == 302
    st = FeeStandard.objects.get(fee_item=world.management, effective_from=dt.date(2030, 7, 1))
    assert (st.rate, st.unit_type, st.custody_percent) == (Decimal("3.2"), "shop", Decimal(70))
    html = text(client.get(url))
    assert 'data-standard="2030-07-shop"' in html and 'data-standard="2026-01"' in html
    assert "data-in-force" in html.split('data-standard="2026-01"', 1)[1].split("</tr>", 1)[0]
    assert "data-in-force" not in html.split('data-standard="2030-07-shop"', 1)[1].split("</tr>", 1)[0]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"standard-effective_from": "2030-13", "standard-rate": "3"}, "effective_from"),
        ({"standard-effective_from": "", "standard-rate": "3"}, "effective_from"),
        ({"standard-effective_from": "2030-07", "standard-rate": "abc"}, "rate"),
        ({"standard-effective_from": "2030-07", "standard-rate": "-1"}, "rate"),
        (
            {"standard-effective_from": "2030-07", "standard-rate": "3", "standard-custody_percent": "120"},
            "custody_percent",
        ),
    ],
)
def test_bad_prices_are_refused_with_a_message_on_the_field(
    world: World, staff: Any, data: dict[str, str], field: str
) -> None:
    response = staff(["finance"]).post(f"/staff/billing/fees/{world.management.pk}/", {"form": "standard", **data})
    assert response.status_code == 400
    assert errors_for(text(response), field)
    assert FeeStandard.objects.filter(fee_item=world.management).count() == 1


def test_a_price_cannot_start_in_a_month_already_billed(world: World, staff: Any) -> None:
    post_run(PAST)
    response = staff(["finance"]).post(
        f"/staff/billing/fees/{world.management.pk}/",
        {"form": "standard", "standard-effective_from": f"{PAST:%Y-%m}", "standard-rate": "9"},
    )
    assert response.status_code == 400 and errors_for(text(response), "effective_from")
    assert FeeStandard.objects.filter(fee_item=world.management).count() == 1


def test_assign_by_building_and_stop_billing_some_units(world: World, staff: Any) -> None:
    client = staff(["finance"])
    item = FeeItem.objects.create(office=world.office, code="tv", name="有线电视", category="other", method="fixed")
    url = f"/staff/billing/fees/{item.pk}/"
    response = client.post(url, {"form": "assign", "assign-building": world.building2.pk, "assign-month": "2026-03"})
    assert response.status_code == 302
    carried = FeeAssignment.objects.filter(fee_item=item)
    assert sorted(carried.values_list("unit_id", flat=True)) == sorted(u.pk for u in world.units2)
    assert set(carried.values_list("start_date", flat=True)) == {dt.date(2026, 3, 1)}
    response = client.post(
        url,
        {
            "form": "unassign",
            "unassign-building": world.building2.pk,
            "unassign-units": "101, 102",
            "unassign-month": "2026-08",
        },
    )
    assert response.status_code == 302
    ended = dict(carried.values_list("unit__number", "end_date"))
    assert ended == {"101": dt.date(2026, 8, 31), "102": dt.date(2026, 8, 31), "201": None, "202": None}
    html = text(client.get(url))
    row = html.split(f'data-assigned-building="{world.building2.pk}"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="money">2</td><td class="money">2</td>' in row  # two billed now, two ended


def test_a_manager_of_one_estate_assigns_its_units_but_does_not_set_the_offices_prices(
    world: World, staff: Any
) -> None:
    client = staff(["finance"], estate=world.estate)
    url = f"/staff/billing/fees/{world.management.pk}/"
    page = text(client.get(url))
    assert "data-assign-form" in page and "data-standard-form" not in page and "data-item-form" not in page
    denied = client.post(url, {"form": "standard", "standard-effective_from": "2030-01", "standard-rate": "9"})
    assert denied.status_code == 403
    denied = client.post(url, {"form": "item", "item-name": "改名", "item-priority": "1"})
    assert denied.status_code == 403
    world.management.refresh_from_db()
    assert world.management.name == "物业费" and world.management.standards.count() == 1
    item = FeeItem.objects.create(office=world.office, code="tv", name="有线电视", category="other", method="fixed")
    ok = client.post(
        f"/staff/billing/fees/{item.pk}/",
        {"form": "assign", "assign-estate": world.estate.pk, "assign-month": "2026-03"},
    )
    assert ok.status_code == 302 and FeeAssignment.objects.filter(fee_item=item).count() == 8
    # and no fee item of its own for the office: the office is not in the choices
    created = client.post("/staff/billing/fees/", {"office": world.office.pk, "code": "x", "name": "x"})
    assert created.status_code == 400 and errors_for(text(created), "office")


def test_assignment_errors_name_the_field(world: World, staff: Any) -> None:
    client = staff(["finance"])
    url = f"/staff/billing/fees/{world.management.pk}/"
    nothing = client.post(url, {"form": "assign", "assign-month": "2026-03"})
    assert nothing.status_code == 400 and errors_for(text(nothing), "estate")
    unknown = client.post(
        url,
        {"form": "assign", "assign-building": world.building.pk, "assign-units": "101, 999", "assign-month": "2026-03"},
    )
    assert unknown.status_code == 400 and "999" in " ".join(errors_for(text(unknown), "units"))
    bad_month = client.post(url, {"form": "assign", "assign-building": world.building.pk, "assign-month": "March"})
    assert bad_month.status_code == 400 and errors_for(text(bad_month), "month")


def test_edit_item_and_its_late_fee_rule(world: World, staff: Any) -> None:
    client = staff(["finance"])
    url = f"/staff/billing/fees/{world.garbage.pk}/"
    bad = client.post(url, {"form": "item", "item-name": "垃圾费", "item-priority": "5", "item-late_fee_mode": "fixed"})
    assert bad.status_code == 400 and errors_for(text(bad), "late_fee_fixed")
    ok = client.post(
        url,
        {
            "form": "item",
            "item-name": "垃圾费",
            "item-priority": "5",
            "item-late_fee_mode": "daily_percent",
            "item-late_fee_daily_percent": "0.05",
            "item-late_fee_grace_days": "15",
            "item-late_fee_cap": "100",
            "item-is_active": "on",
        },
    )
    assert ok.status_code == 302
    world.garbage.refresh_from_db()
    g = world.garbage
    assert (g.name, g.priority, g.late_fee_mode, g.late_fee_daily_percent, g.late_fee_grace_days, g.late_fee_cap) == (
        "垃圾费",
        5,
        "daily_percent",
        Decimal("0.05"),
        15,
        10000,
    )
    assert g.is_active


# -- bill runs ------------------------------------------------------------------------------------------------


def test_a_run_for_one_building_previews_then_posts(
    world: World, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = staff(["finance"])
    tv = FeeItem.objects.create(office=world.office, code="tv", name="有线电视", category="other", method="fixed")
    FeeAssignment.objects.create(unit=world.units[0], fee_item=tv, start_date=dt.date(2026, 1, 1))
    response = client.post("/staff/billing/runs/", {"period": f"{PAST:%Y-%m}", "building_ids": [world.building.pk]})
    run = BillRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/billing/runs/{run.pk}/"
    assert run.building_ids == [world.building.pk] and run.created_by_id == client.user.pk  # type: ignore[attr-defined]
    html = text(client.get(f"/staff/billing/runs/{run.pk}/"))
    assert "data-post-run" in html and 'data-run-progress="' not in html
    assert f"data-preview-total>¥{4 * B1_MONTH // 100:,}.{4 * B1_MONTH % 100:02d}<" in html  # ¥935.00
    assert "data-preview-new-lines>8<" in html
    assert "有线电视" in html.split("data-no-standard", 1)[1].split("</p>", 1)[0]  # assigned, but no price
    assert not BillLine.objects.exists()  # a preview bills nothing

    with django_capture_on_commit_callbacks(execute=False) as queued:
        posted = client.post(f"/staff/billing/runs/{run.pk}/", HTTP_HX_REQUEST="true")
    assert len(queued) == 1  # the Celery task is enqueued after commit
    # the page's button gets the progress card back (polling itself), the button removed, the badge updated
    card = text(posted)
    assert posted.status_code == 200 and 'data-run-progress="' in card and 'data-state="queued"' in card
    assert 'hx-trigger="every 1s, billrun-finished"' in card and 'data-percent="0"' in card
    assert '<form id="post-run" hx-swap-oob="delete">' in card and 'class="state state-queued" id="run-status"' in card
    run.refresh_from_db()
    assert run.status == "queued"
    html = text(client.get(f"/staff/billing/runs/{run.pk}/"))
    assert "data-post-run" not in html and 'data-run-progress="' in html
    progress = text(client.get(f"/staff/billing/runs/{run.pk}/progress/"))
    assert 'hx-trigger="every 1s, billrun-finished"' in progress and 'data-percent="0"' in progress
    again = client.post(f"/staff/billing/runs/{run.pk}/", HTTP_HX_REQUEST="true")
    assert "data-run-start-error" in text(again) and "hx-swap-oob" not in text(again).split("</section>")[0]

    bill_run_execute(run.pk)  # what the worker does
    progress = text(client.get(f"/staff/billing/runs/{run.pk}/progress/"))
    assert "hx-get" not in progress  # finished: the card stops polling
    assert 'data-percent="100"' in progress
    assert "data-lines-created>8<" in progress and "data-amount-created>¥935.00<" in progress
    assert progress.count("/statement/") == 4  # each unit billed links to its statement
    assert BillLine.objects.filter(unit__building=world.building2).count() == 0
    listing = text(client.get("/staff/billing/runs/"))
    row = listing.split(f'data-run="{run.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "1栋" in row and "¥935.00" in row and ">8<" in row


def test_posting_twice_is_refused_on_the_page(
    world: World, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = staff(["finance"])
    run = post_run(PAST, building_ids=[world.building.pk])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(f"/staff/billing/runs/{run.pk}/", follow=True)  # without JavaScript
    assert 'class="msg msg-error"' in text(response) and not queued
    assert BillRun.objects.get(pk=run.pk).status == "posted"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"period": ""}, "period"),
        ({"period": "2026-06", "building_ids": ["999999"]}, "building_ids"),
    ],
)
def test_bad_run_input_is_a_field_error(world: World, staff: Any, data: dict[str, Any], field: str) -> None:
    response = staff(["company_admin"]).post("/staff/billing/runs/", data)
    assert response.status_code == 400 and errors_for(text(response), field)
    assert not BillRun.objects.exists()


def test_a_scoped_member_must_choose_what_to_bill_and_only_in_their_scope(
    world: World, other_office: Any, staff: Any
) -> None:
    client = staff(["finance"], office=other_office)
    response = client.post("/staff/billing/runs/", {"period": "2026-06"})
    assert response.status_code == 400 and errors_for(text(response), "building_ids")
    response = client.post("/staff/billing/runs/", {"period": "2026-06", "building_ids": [world.building.pk]})
    assert response.status_code == 400 and errors_for(text(response), "building_ids")  # not one of theirs
    assert f'value="{world.building.pk}"' not in text(client.get("/staff/billing/runs/"))


def test_a_member_of_another_office_gets_404_everywhere(world: World, other_office: Any, staff: Any) -> None:
    run = post_run(PAST, building_ids=[world.building.pk])
    client = staff(["finance"], office=other_office)
    for url in (
        f"/staff/billing/fees/{world.management.pk}/",
        f"/staff/billing/runs/{run.pk}/",
        f"/staff/billing/runs/{run.pk}/progress/",
        f"/staff/billing/units/{world.units[0].pk}/statement/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/staff/billing/runs/{run.pk}/").status_code == 404
    assert 'data-fee-item="mgmt"' not in text(client.get("/staff/billing/fees/"))
    assert f'data-run="{run.pk}"' not in text(client.get("/staff/billing/runs/"))
    # a member of the office itself sees it all
    own = staff(["finance"], office=world.office)
    assert own.get(f"/staff/billing/runs/{run.pk}/").status_code == 200
    assert own.get(f"/staff/billing/units/{world.units[0].pk}/statement/").status_code == 200


def test_company_beta_sees_nothing_of_alpha(
    world: World, tenant_b: Any, member: Any, client_for: Any, staff: Any
) -> None:
    run = post_run(PAST, building_ids=[world.building.pk])
    unit, item = world.units[0], world.management
    beta = client_for(tenant_b, member(tenant_b, ["company_admin"]))
    for url in (
        f"/staff/billing/fees/{item.pk}/",
        f"/staff/billing/runs/{run.pk}/",
        f"/staff/billing/units/{unit.pk}/statement/",
    ):
        assert beta.get(url).status_code == 404, url
    assert 'data-fee-item="mgmt"' not in text(beta.get("/staff/billing/fees/"))
    assert "1栋" not in text(beta.get("/staff/billing/runs/"))


# -- statement and the unit page ------------------------------------------------------------------------------


def test_the_statement_shows_the_account_bills_ledger_and_deposits(world: World, staff: Any) -> None:
    unit = world.units[0]
    post_run(PAST)
    post_run(NEXT)
    garbage_past = BillLine.objects.get(unit=unit, fee_item=world.garbage, period_start=PAST)
    payment_record(unit=unit, amount=1000, method="cash", line_ids=[garbage_past.pk], reference="R-1")
    deposit_hold(unit=unit, amount=200000, purpose="装修押金", method="cash")
    html = text(staff(["finance"]).get(f"/staff/billing/units/{unit.pk}/statement/"))
    assert "data-owed>¥457.50<" in html  # 2 × (223.75 + 10) − 10 paid
    assert "data-overdue>¥223.75<" in html  # last-but-one month's management fee is past its due date
    assert "data-deposits>¥2,000.00<" in html and "data-prepaid>¥0.00<" in html
    # unpaid first (newest period first), the overdue one marked, the paid line last
    states = re.findall(r'data-bill-line="(\d+)" data-state="(\w+)"', html)
    assert [s for _pk, s in states] == ["unpaid", "unpaid", "overdue", "paid"]
    assert states[-1][0] == str(garbage_past.pk)
    paid_row = html.split(f'data-bill-line="{garbage_past.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "data-charged>¥10.00<" in paid_row and "data-line-owed><b>¥0.00</b>" in paid_row
    assert "state-paid" in paid_row
    # ledger: four charges and the payment, with a running balance ending at what is owed
    assert html.count('data-entry="charge"') == 4 and html.count('data-entry="payment"') == 1
    running = re.findall(r"data-running>([^<]+)<", html)
    assert running[0] in ("¥10.00", "¥223.75") and running[-2] == "¥467.50" and running[-1] == "¥457.50"
    assert "data-closing>¥457.50<" in html and "R-1" in html
    assert "装修押金" in html


def test_the_statement_filters_by_date_and_rejects_a_bad_range(world: World, staff: Any) -> None:
    unit = world.units[0]
    post_run(PAST)
    client = staff(["finance"])
    today = dt.date.today()
    future = client.get(f"/staff/billing/units/{unit.pk}/statement/?start={add_months(today, 1)}")
    html = text(future)
    assert future.status_code == 200 and 'data-entry="charge"' not in html
    assert f"data-closing>¥{B1_MONTH // 100}.{B1_MONTH % 100:02d}<" in html  # the opening carries the balance
    bad = client.get(f"/staff/billing/units/{unit.pk}/statement/?start=2026-06-01&end=2026-05-01")
    assert bad.status_code == 400 and errors_for(text(bad), "end")


def test_the_unit_page_has_a_bills_section_for_money_roles_only(world: World, staff: Any) -> None:
    unit = world.units[0]
    post_run(PAST)
    html = text(staff(["customer_service"]).get(f"/staff/units/{unit.pk}/"))
    section = html.split('data-section="bills"', 1)[1].split("</section>", 1)[0]
    assert f"data-owed><b>¥{B1_MONTH // 100}.{B1_MONTH % 100:02d}</b>" in section
    assert section.count("data-bill-line=") == 2 and section.count("data-overdue") == 2
    assert f'href="/staff/billing/units/{unit.pk}/statement/"' in section
    assert 'data-section="bills"' not in text(staff(["engineer"]).get(f"/staff/units/{unit.pk}/"))
