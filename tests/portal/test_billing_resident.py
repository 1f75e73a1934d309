"""Resident billing pages: my bills (per home, unpaid first, what is due and overdue, prepaid, deposits) and a
home's statement. A resident sees only the homes they live in now."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from backend.billing.ledger import deposit_hold, payment_record
from backend.billing.models import BillLine, LedgerEntry
from backend.billing.periods import add_months
from backend.billing.runs import bill_run_create, bill_run_execute
from backend.properties.models import Occupancy, Person, Unit
from tests.backend.billing.conftest import EVERYTHING, World
from tests.backend.billing.conftest import world as world  # noqa: PLC0414  (the billed world fixture)
from tests.backend.billing.test_arrears import charge

THIS_MONTH = dt.date.today().replace(day=1)
PAST = add_months(THIS_MONTH, -2)
NEXT = add_months(THIS_MONTH, 1)


def post_run(period: dt.date) -> None:
    bill_run_execute(bill_run_create(period=period, scope=EVERYTHING, by=None).pk)


def text(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def resident(tenant_a: Any, member: Callable[..., Any], client_for: Callable[..., Client]) -> Callable[..., Client]:
    """resident(*units, roles=["resident"], moved_out=()) -> a signed-in client of a person living in units."""

    def make(*units: Unit, roles: list[str] | None = None, moved_out: tuple[Unit, ...] = ()) -> Client:
        user = member(tenant_a, roles or ["resident"])
        client = client_for(tenant_a, user)
        connection.set_tenant(tenant_a)
        person = Person.objects.create(name="住户", user=user)
        for unit in units:
            Occupancy.objects.create(unit=unit, person=person, role="owner", start_date=dt.date(2025, 1, 1))
        for unit in moved_out:
            Occupancy.objects.create(
                unit=unit, person=person, role="tenant", start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 6, 30)
            )
        return client

    return make


def test_my_bills_shows_each_home_with_what_is_due_unpaid_first(world: World, resident: Any) -> None:
    home, other_home = world.units[0], world.units2[0]
    post_run(PAST)
    post_run(NEXT)
    garbage_past = BillLine.objects.get(unit=home, fee_item=world.garbage, period_start=PAST)
    payment_record(unit=home, amount=1000, method="cash", line_ids=[garbage_past.pk])
    payment_record(unit=home, amount=8800, method="wechat", to_prepaid=True)
    deposit_hold(unit=home, amount=50000, purpose="装修押金", method="cash")
    html = text(resident(home, other_home).get("/resident/bills/"))
    assert html.count("data-home=") == 2
    card = html.split(f'data-home="{home.pk}"', 1)[1].split("</section>", 1)[0]
    # PAST: ¥223.75 management still owed (overdue); NEXT: ¥233.75, not due yet. The ¥88 top-up sits as
    # prepaid (it settles bills when they are issued, not the ones already there).
    assert "data-due-total>¥457.50<" in card
    assert "data-arrears>¥223.75<" in card
    assert "data-prepaid>¥88.00<" in card and "data-deposits>¥500.00<" in card
    assert "data-overdue-note" in card
    to_pay = card.split("data-paid-bills", 1)[0]
    assert re.findall(r'data-state="(\w+)"', to_pay) == ["unpaid", "unpaid", "overdue"]
    assert re.findall(r'data-state="(\w+)"', card.split("data-paid-bills", 1)[1]) == ["paid"]
    assert f'href="/resident/bills/{home.pk}/statement/"' in card
    second = html.split(f'data-home="{other_home.pk}"', 1)[1].split("</section>", 1)[0]
    assert "data-due-total>¥620.00<" in second  # 2 × (120 m² × ¥2.50 + ¥10)
    assert 'data-pay-line-choice="' in card and "data-pay-online" in card  # pay the chosen lines online


def test_a_home_without_bills_says_so(world: World, resident: Any) -> None:
    html = text(resident(world.units[1]).get("/resident/bills/"))
    assert "data-all-paid" in html and "data-due-total>¥0.00<" in html


def test_a_resident_without_a_home_is_pointed_to_linking_one(world: World, resident: Any) -> None:
    html = text(resident().get("/resident/bills/"))
    assert "data-home=" not in html and 'href="/resident/bind/"' in html


def test_periods_link_to_the_fee_notice_when_that_page_exists(world: World, resident: Any) -> None:
    from django.urls import NoReverseMatch, reverse

    home = world.units[0]
    post_run(PAST)
    html = text(resident(home).get("/resident/bills/"))
    try:
        url = reverse("portal:billing-notice", args=[home.pk, f"{PAST:%Y-%m}"])
    except NoReverseMatch:
        assert "data-notice" not in html  # the notice page is not there yet: plain text, no broken link
    else:
        assert f'href="{url}"' in html


def test_the_statement_of_my_home(world: World, resident: Any) -> None:
    home = world.units[0]
    post_run(PAST)
    payment_record(unit=home, amount=5000, method="cash", reference="WX-88")
    response = resident(home).get(f"/resident/bills/{home.pk}/statement/")
    html = text(response)
    assert response.status_code == 200
    assert "data-owed>¥183.75<" in html  # 223.75 + 10 − 50
    assert html.count('data-entry="charge"') == 2 and html.count('data-entry="payment"') == 1
    assert re.findall(r"data-running>([^<]+)<", html)[-1] == "¥183.75" and "WX-88" in html
    assert "data-closing>¥183.75<" in html
    # the staff actions (payments, waivers) are not on a resident's page
    assert "/staff/" not in html.split('id="main"', 1)[1]


def test_a_bad_date_range_on_my_statement_is_a_field_error(world: World, resident: Any) -> None:
    home = world.units[0]
    response = resident(home).get(f"/resident/bills/{home.pk}/statement/?start=2026-06-01&end=2026-01-01")
    assert response.status_code == 400 and 'data-error-for="end"' in text(response)
    response = resident(home).get(f"/resident/bills/{home.pk}/statement/?start=June")
    assert response.status_code == 400 and 'data-error-for="start"' in text(response)


def test_a_resident_gets_404_for_a_home_not_theirs(world: World, resident: Any) -> None:
    mine, neighbour, former = world.units[0], world.units[1], world.units[2]
    post_run(PAST)
    client = resident(mine, moved_out=(former,))
    assert client.get(f"/resident/bills/{neighbour.pk}/statement/").status_code == 404
    assert client.get(f"/resident/bills/{former.pk}/statement/").status_code == 404  # moved out
    assert client.get(f"/resident/bills/{mine.pk}/statement/").status_code == 200
    html = text(client.get("/resident/bills/"))
    assert f'data-home="{neighbour.pk}"' not in html and f'data-home="{former.pk}"' not in html


def test_staff_who_also_live_here_see_only_their_own_home_on_resident_pages(world: World, resident: Any) -> None:
    mine, other = world.units[0], world.units[1]
    client = resident(mine, roles=["finance", "resident"])  # company-wide finance, and a resident
    assert client.get(f"/resident/bills/{other.pk}/statement/").status_code == 404
    assert client.get(f"/resident/bills/{mine.pk}/statement/").status_code == 200


def test_resident_pages_need_the_resident_role(world: World, member: Any, client_for: Any, tenant_a: Any) -> None:
    client = client_for(tenant_a, member(tenant_a, ["finance"]))
    connection.set_tenant(tenant_a)
    assert client.get("/resident/bills/").status_code == 403
    assert client.get(f"/resident/bills/{world.units[0].pk}/statement/").status_code == 403
    anonymous = client_for(tenant_a)
    assert anonymous.get("/resident/bills/").status_code == 302


def test_company_beta_residents_see_nothing_of_alpha(
    world: World, tenant_b: Any, member: Any, client_for: Any, resident: Any
) -> None:
    home = world.units[0]
    post_run(PAST)
    resident(home)  # someone lives there in alpha
    beta = client_for(tenant_b, member(tenant_b, ["resident"]))
    assert beta.get(f"/resident/bills/{home.pk}/statement/").status_code == 404
    connection.set_schema_to_public()
    html = text(beta.get("/resident/bills/"))
    assert "data-home=" not in html and "金色家园" not in html


def test_a_bill_row_shows_a_late_fee_a_several_month_period_and_what_a_part_payment_left(
    world: World, resident: Any
) -> None:
    """The compact rows (built in Python, portal/common/statements.py bills_compact_html): a late fee is named
    so, a line covering several months shows both, a part-paid line shows what is left 'of' its amount, and
    text from the database is escaped."""
    home = world.units[0]
    world.garbage.name = "垃圾<b>费"
    world.garbage.save()
    parent = charge(home, world.garbage, PAST, 1000)
    line = BillLine.objects.create(
        unit=home,
        fee_item=world.garbage,
        parent=parent,
        kind="late_fee",
        period_start=PAST,
        period_end=add_months(PAST, 2),
        amount=3000,
        due_date=PAST.replace(day=10),
    )
    LedgerEntry.objects.create(unit=home, kind="charge", amount=3000, bill_line=line, occurred_on=line.due_date)
    payment_record(unit=home, amount=1000, method="cash", line_ids=[line.pk])
    html = text(resident(home).get("/resident/bills/"))
    row = html.split(f'data-bill-line="{line.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-state="overdue"' in row and "state-overdue" in row
    assert "滞纳金: 垃圾&lt;b&gt;费</span>" in row
    assert f"data-notice>{PAST:%Y-%m}</a> – {add_months(PAST, 2):%Y-%m} · " in row
    assert "<b data-line-owed>¥20.00</b><small>" in row and "¥30.00</small>" in row
    assert "<span hidden data-charged>¥30.00</span>" in row
