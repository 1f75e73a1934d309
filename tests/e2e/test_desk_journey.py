"""A repair from report to revisit in real browsers: a resident on a phone reports a leak with a photo;
customer service dispatches it from the dispatch board; the engineer, on a phone, accepts it, starts, and
finishes with a photo, the materials used and the labour (a paid repair: its charge goes on the home's
ledger), then records the leak test; the resident pays the charge online with 4242 4242 4242 4242 in
localstripe's card element and confirms and rates the repair; the revisit falls due (the leak test is moved
back two days, as if they had passed) and customer service does it from the revisits queue; the SLA dashboard
lists the repair as finished within its target.

A company of its own (dropped afterwards) and this module's own uvicorn, started after the `localstripe`
fixture has put STRIPE_* into the environment."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import asgi_server, free_port, subprocess_env
from tests.e2e.test_payment_journey import VISA, enter_card

# No django_db mark on the journey: what it writes must be committed, for the server to see it.
pytestmark = [pytest.mark.browser]

PASSWORD = "Repairs-2026-ok"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}
QUIET_KINDS = ("ticket.update", "desk.assigned", "payment.succeeded", "payment.failed")


@pytest.fixture
def desk_server(localstripe: str, django_db_setup: None, django_db_blocker: Any, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    with django_db_blocker.unblock():
        env = subprocess_env(PLATFORM_URL_PORT=f":{port}")
    assert env["STRIPE_API_BASE"] == localstripe
    with asgi_server(port, env, tmp_path / "uvicorn.log") as where:
        yield where


def png(colour: str) -> dict[str, Any]:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="PNG")
    return {"name": f"{colour}.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


@pytest.fixture
def desk_company(committed: list[str], django_db_blocker: Any) -> dict[str, Any]:
    """A company with one estate (阳光花园 1栋 101, the resident's home), customer service, an engineer and a
    paid leak category (渗漏: revisit 3 days after the leak test)."""
    from backend.accounts.models import Membership, User
    from backend.desk import services as desk
    from backend.desk.models import RevisitRule
    from backend.notifications.models import NotificationPreference
    from backend.properties import services as registry
    from backend.properties.models import Person, Unit
    from backend.properties.scope import Scope
    from tenants.db import connection
    from tenants.services import company_onboard

    slug = f"desk{uuid.uuid4().hex[:6]}"
    everything = Scope.everything()
    with django_db_blocker.unblock():
        tenant = company_onboard(
            company_name="报修物业",
            subdomain=slug,
            admin_name="管理员",
            admin_email=f"admin-{slug}@example.test",
            admin_phone=f"136{uuid.uuid4().int % 10**8:08d}",
            admin_password=PASSWORD,
        ).tenant
        committed.append(slug)
        people = {}
        for role, name in (("customer_service", "王客服"), ("engineer", "赵师傅"), ("resident", "陈业主")):
            user = User.objects.create_user(email=f"{role}-{slug}@example.test", password=PASSWORD, name=name)
            Membership.objects.create(user=user, tenant=tenant, roles=[role])
            people[role] = user
        connection.set_tenant(tenant)
        office = registry.office_create(name="示范管理处", scope=everything)
        estate = registry.estate_create(office_id=office.pk, name="阳光花园", scope=everything)
        building = registry.building_create(estate_id=estate.pk, name="1栋", scope=everything)
        registry.units_generate(
            building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="89.50", scope=everything
        )
        home = Unit.objects.get(building=building)
        person = Person.objects.create(name="陈业主", phone="13900000006", user=people["resident"])
        registry.occupancy_move_in(
            unit_id=home.pk, person=person, role="owner", start_date=dt.date(2025, 1, 1), scope=everything
        )
        leak = desk.category_save(
            code="leak", name="渗漏（有偿）", paid=True, revisit_rule=RevisitRule.LEAK, targets={"normal": (120, 960)}
        )
        for user in people.values():
            for kind in QUIET_KINDS:
                NotificationPreference.objects.create(user=user, kind=kind, email=False, sms=False)
        connection.set_schema_to_public()
    return {"tenant": tenant, "slug": slug, "home": home, "leak": leak, **people}


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("[data-login-form] button[type=submit]")
    page.wait_for_load_state()


def in_company(django_db_blocker: Any, tenant: Any, fn: Any) -> Any:
    from tenants.db import connection

    with django_db_blocker.unblock():
        connection.set_tenant(tenant)
        try:
            return fn()
        finally:
            connection.set_schema_to_public()


def test_a_leak_from_report_to_revisit(
    browser: Any, desk_server: str, desk_company: dict[str, Any], django_db_blocker: Any
) -> None:
    from backend.billing.models import BillLine
    from backend.billing.selectors import lines_with_balances
    from backend.desk.models import Ticket, TicketPhoto

    w = desk_company
    base = f"http://{w['slug']}.localhost{desk_server}"

    # The resident reports the leak on their phone, with a photo.
    resident_context = browser.new_context(**PHONE)
    resident_context.set_default_timeout(60_000)
    resident = resident_context.new_page()
    sign_in(resident, base, w["resident"].email)
    resident.goto(f"{base}/resident/repairs/new/")
    resident.select_option("#id_category", str(w["leak"].pk))
    resident.fill("#id_description", "卫生间天花板渗水，滴到地上")
    resident.fill("#id_contact_phone", "13900000006")
    resident.fill("#id_preferred_time", "今天下午")
    resident.set_input_files("#id_photo1", png("blue"))
    assert resident.evaluate("document.documentElement.scrollWidth") <= 390
    with resident.expect_navigation():
        resident.click("[data-repair-form] button[type=submit]")
    ticket = in_company(django_db_blocker, w["tenant"], lambda: Ticket.objects.get())
    assert resident.url == f"{base}/resident/repairs/{ticket.pk}/"
    assert (ticket.status, ticket.paid, ticket.reporter_id) == ("new", True, w["resident"].pk)
    assert in_company(django_db_blocker, w["tenant"], lambda: TicketPhoto.objects.filter(stage="intake").count()) == 1

    # Customer service dispatches it from the board to the engineer.
    staff_context = browser.new_context()
    staff_context.set_default_timeout(60_000)
    staff = staff_context.new_page()
    sign_in(staff, base, w["customer_service"].email)
    staff.goto(f"{base}/staff/desk/board/")
    assert staff.locator(f"[data-pool] [data-ticket='{ticket.pk}']").count() == 1
    assert "赵师傅" in staff.locator(f"[data-engineer='{w['engineer'].pk}']").inner_text()
    form = staff.locator(f"[data-assign='{ticket.pk}']")
    form.locator("select[name=engineer]").select_option(str(w["engineer"].pk))
    with staff.expect_navigation():
        form.locator("button[type=submit]").click()
    assert staff.locator(f"[data-pool] [data-ticket='{ticket.pk}']").count() == 0
    assert in_company(django_db_blocker, w["tenant"], lambda: Ticket.objects.get().assignee_id) == w["engineer"].pk

    # The engineer, on a phone: their queue, accept, on the way, start, finish with photo, materials, labour.
    engineer_context = browser.new_context(**PHONE)
    engineer_context.set_default_timeout(60_000)
    engineer = engineer_context.new_page()
    sign_in(engineer, base, w["engineer"].email)
    engineer.goto(f"{base}/staff/desk/")
    engineer.locator(f"[data-queue='mine'] [data-ticket='{ticket.pk}'] a").click()
    engineer.wait_for_url(f"{base}/staff/desk/tickets/{ticket.pk}/")
    for step in ("accept", "on_the_way", "start"):
        with engineer.expect_navigation():
            engineer.click(f"[data-step='{step}']")
    finish = engineer.locator("[data-finish]")
    finish.locator("#id_photo1").set_input_files(png("green"))
    finish.locator("#id_materials").fill("防水涂料, 1, 45.50\n密封胶, 2, 12")
    finish.locator("#id_labour").fill("80")
    assert engineer.evaluate("document.documentElement.scrollWidth") <= 390
    with engineer.expect_navigation():
        finish.locator("button[type=submit]").click()
    assert engineer.locator("[data-ticket-status]").get_attribute("data-ticket-status") == "completed"
    # ¥80 labour + ¥45.50 + 2 × ¥12 materials
    assert "¥149.50" in engineer.locator("[data-paid]").inner_text()
    with engineer.expect_navigation():
        engineer.click(f"form[action='/staff/desk/tickets/{ticket.pk}/leak_test/'] button")
    ticket = in_company(django_db_blocker, w["tenant"], lambda: Ticket.objects.get())
    assert ticket.status == "completed" and ticket.charge_fen == 14950 and ticket.charge_id is not None
    assert ticket.leak_tested_at is not None and ticket.revisit_due == ticket.leak_tested_at + dt.timedelta(days=3)
    assert ticket.finished_at is not None and ticket.resolution_due is not None
    assert ticket.finished_at <= ticket.resolution_due
    engineer_context.close()

    # The resident pays the charge online, then confirms and rates the repair.
    resident.goto(f"{base}/resident/repairs/{ticket.pk}/")
    assert "¥149.50" in resident.locator("[data-pay]").inner_text()
    with resident.expect_navigation():
        resident.click("[data-pay]")
    assert resident.locator("[data-pay-total]").inner_text() == "¥149.50"
    resident.wait_for_function("() => document.documentElement.getAttribute('data-realtime') === 'open'")
    enter_card(resident, VISA)
    resident.locator("[data-pay-submit]").click()
    resident.locator("[data-pay-result][data-status='succeeded']").wait_for()

    def owed() -> int:
        line = lines_with_balances(BillLine.objects.filter(pk=ticket.charge_id)).get()
        return int(line.owed)  # type: ignore[attr-defined]

    assert in_company(django_db_blocker, w["tenant"], owed) == 0
    resident.goto(f"{base}/resident/repairs/{ticket.pk}/")
    assert resident.locator("[data-pay]").count() == 0  # nothing left to pay
    confirm = resident.locator("[data-confirm-form]")
    confirm.locator("input[name=fixed][value='1']").check()
    confirm.locator("select[name=rating]").select_option("5")
    confirm.locator("input[name=comment]").fill("师傅很专业")
    with resident.expect_navigation():
        confirm.locator("button[type=submit]").click()
    assert resident.locator("[data-rating]").count() == 1
    assert resident.locator("[data-ticket-status]").get_attribute("data-ticket-status") == "confirmed"
    resident_context.close()

    # Two days after the leak test the revisit is due within a day: customer service's revisits queue.
    def two_days_pass() -> None:
        tested = ticket.leak_tested_at - dt.timedelta(days=2)  # type: ignore[operator]
        Ticket.objects.filter(pk=ticket.pk).update(leak_tested_at=tested, revisit_due=tested + dt.timedelta(days=3))

    in_company(django_db_blocker, w["tenant"], two_days_pass)
    staff.goto(f"{base}/staff/desk/?tab=revisits")
    row = staff.locator(f"[data-queue='revisits'] [data-ticket='{ticket.pk}']")
    assert row.count() == 1
    row.locator("a").click()
    staff.wait_for_url(f"{base}/staff/desk/tickets/{ticket.pk}/")
    revisit = staff.locator("[data-revisit]")
    revisit.locator("input[name=note]").fill("电话回访：已不渗水，业主满意")
    with staff.expect_navigation():
        revisit.locator("button[type=submit]").click()
    assert staff.locator("[data-ticket-status]").get_attribute("data-ticket-status") == "closed"
    ticket = in_company(django_db_blocker, w["tenant"], lambda: Ticket.objects.get())
    assert ticket.closed_at is not None and ticket.revisit_due is not None and ticket.closed_at <= ticket.revisit_due
    assert ticket.rating == 5

    # The SLA dashboard: the repair finished within its target; nothing past its limits.
    staff.goto(f"{base}/staff/desk/sla/")
    finished = staff.locator(f"[data-finished='{ticket.pk}']")
    assert finished.get_attribute("data-within") == "yes"
    assert ticket.code in finished.inner_text()
    assert staff.locator("[data-breached-count]").inner_text() == "0"
    assert staff.locator("[data-attainment]").inner_text() == "100.0%"
    assert staff.locator("[data-attainment-chart='sla-estates'] [data-bar='阳光花园']").count() == 1
    staff_context.close()

    # The dashboard and the report fit a supervisor's phone too.
    phone_context = browser.new_context(**PHONE)
    phone_context.set_default_timeout(60_000)
    phone = phone_context.new_page()
    sign_in(phone, base, w["customer_service"].email)
    for path in ("/staff/desk/sla/", "/staff/desk/reports/?months=1&group=engineer"):
        phone.goto(f"{base}{path}")
        wide = phone.evaluate(
            "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
            ".slice(0, 8).map(e => e.tagName + '.' + e.className + '[' + Object.keys(e.dataset).join(',') + '] '"
            " + Math.round(e.getBoundingClientRect().right))"
        )
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, (path, wide)
    assert (
        phone.locator(
            f"[data-report-table='engineer'] [data-row='{w['engineer'].pk}'] [data-col='reported']"
        ).inner_text()
        == "1"
    )
    phone_context.close()
