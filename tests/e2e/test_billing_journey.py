"""The bill-run journey in a real browser: a finance user bills ONE building of 7,500 units for a month,
checks the preview, posts it and watches the progress bar move while a real Celery worker posts the bills
in chunks; then a resident of that building signs in on a phone and finds the new lines on My bills and on
their statement.

How the bar is made observable, honestly: a run posts 5,000 units per chunk (runs.CHUNK_UNITS) and pushes
its progress after each one, so 7,500 units give the real states running 0% → 66% → posted 100%. A chunk
takes well under a second, too fast to look at reliably, so the test holds each chunk back at a gate: it
inserts, each in its own uncommitted transaction, the bill line the worker is about to insert for the
building's first unit (chunk one) and for its last (chunk two). PostgreSQL makes the worker's INSERT … ON
CONFLICT wait for such a transaction. The test opens the gates one at a time: with the card's htmx polling
cut off, the page must reach 66% (the worker's own figure after chunk one) through the websocket alone;
then polling comes back and the run goes on to 100%. The gates' rows are rolled back, never committed:
nothing on the page or in the run is written by the test.

The run is started by the page ("Post bills" → runs.bill_run_start → bill_run_execute_task.delay()), so the
server process routes that task to the `worker` fixture's private queue: it runs with a settings module made
here that adds CELERY_TASK_ROUTES to the test settings (the shared `live_asgi` server routes to the default
queue, which no test worker consumes)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, asgi_server, free_port, subprocess_env

# No django_db mark: what this test writes must be committed, for the server and the worker to see it.
pytestmark = [pytest.mark.browser, pytest.mark.worker]

PASSWORD = "Billing-2026-ok"
FLOORS, PER_FLOOR = 75, 100  # 7,500 units: two chunks of the bill run
RESIDENT_UNIT = "12-034"
PERIOD = dt.date(2026, 9, 1)
# 89.50 m² × ¥2.50 management fee + ¥10 garbage removal, per unit
UNIT_TOTAL_FEN = 22375 + 1000


def worker_answers(queue: str, seconds: float = 300) -> None:
    """Wait until the worker on `queue` runs a task. It boots in its own time (slowly on a busy machine), and
    a message sent before it has declared its queue may never reach it: ask again every few seconds."""
    from celery.exceptions import TimeoutError as CeleryTimeout

    from backend.celery import app

    deadline = time.monotonic() + seconds
    while True:
        try:
            app.send_task("celery.accumulate", args=(1,), queue=queue).get(timeout=5)
            return
        except CeleryTimeout:
            if time.monotonic() > deadline:
                raise


@pytest.fixture
def billing_server(worker: str, django_db_blocker: Any, tmp_path: Path) -> Iterator[str]:
    """uvicorn serving backend.asgi with bill runs routed to the worker's private queue. Yields ':<port>'."""
    (tmp_path / "billing_journey_settings.py").write_text(
        "from backend.settings.test import *  # noqa: F403\n"
        f"CELERY_TASK_ROUTES = {{'backend.billing.tasks.bill_run_execute_task': {{'queue': {worker!r}}}}}\n"
    )
    port = free_port()
    with django_db_blocker.unblock():
        env = subprocess_env(
            DJANGO_SETTINGS_MODULE="billing_journey_settings",
            PYTHONPATH=f"{tmp_path}:{ROOT}",
            PLATFORM_URL_PORT=f":{port}",
        )
    with asgi_server(port, env, tmp_path / "uvicorn.log") as where:
        worker_answers(worker)
        yield where


def remove_billing_data(tag: str) -> None:
    """Delete what billed_building made (by its tag), whatever step it reached."""
    from django.db import connection

    from backend.accounts.models import Membership, User
    from backend.billing.models import BillLine, BillRun, FeeAssignment, FeeItem, FeeStandard, LedgerEntry
    from backend.notifications.models import Notification, NotificationPreference
    from backend.properties.models import Building, Estate, ManagementOffice, Occupancy, Person, Unit
    from tenants.models import Tenant

    connection.set_tenant(Tenant.objects.get(slug="alpha"))
    user_ids = list(User.objects.filter(email__endswith=f"-{tag}@example.test").values_list("pk", flat=True))
    # A run the test started may still be posting (a failed assertion does not stop the worker): let it end.
    deadline = time.monotonic() + 120
    while (
        time.monotonic() < deadline
        and BillRun.objects.filter(created_by_id__in=user_ids, status__in=["queued", "running"]).exists()
    ):
        time.sleep(0.5)
    offices = ManagementOffice.objects.filter(name__endswith=tag)
    units = Unit.objects.filter(office__in=offices)
    # The run made ~15,000 rows: deleted in one statement each, not row by row through the ORM's collector
    # (which took minutes here). Nothing else refers to them in this world (no payments were made).
    for rows in (
        LedgerEntry.objects.filter(unit__in=units),
        BillLine.objects.filter(unit__in=units),
        FeeAssignment.objects.filter(unit__in=units),
    ):
        rows._raw_delete(rows.db)  # type: ignore[attr-defined]
    BillRun.objects.filter(created_by_id__in=user_ids).delete()
    FeeStandard.objects.filter(fee_item__office__in=offices).delete()
    FeeItem.objects.filter(office__in=offices).delete()
    Occupancy.objects.filter(unit__in=units).delete()
    Person.objects.filter(user_id__in=user_ids).delete()
    NotificationPreference.objects.filter(user_id__in=user_ids).delete()
    Notification.objects.filter(recipient_id__in=user_ids).delete()
    units._raw_delete(units.db)  # type: ignore[attr-defined]  # 7,504 of them; a leftover reference would raise
    Building.objects.filter(estate__office__in=offices).delete()
    Estate.objects.filter(office__in=offices).delete()
    offices.delete()
    connection.set_schema_to_public()
    Membership.objects.filter(user_id__in=user_ids).delete()
    User.objects.filter(pk__in=user_ids).delete()


@pytest.fixture
def billed_building(django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    tag = uuid.uuid4().hex[:6]
    try:
        with django_db_blocker.unblock():
            world = make_billed_building(tag)
        yield world
    finally:
        with django_db_blocker.unblock():
            remove_billing_data(tag)


def make_billed_building(tag: str) -> dict[str, Any]:
    """Company alpha: an office with building 1栋 of 7,500 units (89.50 m²) and 2栋 of 4, a management fee
    (¥2.50/m²) and garbage removal (¥10) for the estate, a finance user and a resident of 1栋 12-034."""
    from django.db import connection

    from backend.accounts.models import Membership, User
    from backend.billing import services as billing
    from backend.notifications.models import NotificationPreference
    from backend.properties import services as registry
    from backend.properties.models import Occupancy, Person, Unit
    from backend.properties.scope import Scope
    from tenants.models import Tenant

    everything = Scope.everything()
    jan = dt.date(2026, 1, 1)
    tenant = Tenant.objects.get(slug="alpha")
    finance = User.objects.create_user(email=f"finance-{tag}@example.test", password=PASSWORD, name="会计")
    Membership.objects.create(user=finance, tenant=tenant, roles=["finance"])
    resident = User.objects.create_user(email=f"resident-{tag}@example.test", password=PASSWORD, name="业主")
    Membership.objects.create(user=resident, tenant=tenant, roles=["resident"])
    connection.set_tenant(tenant)
    office = registry.office_create(name=f"收费管理处{tag}", scope=everything)
    estate = registry.estate_create(office_id=office.pk, name=f"收费小区{tag}", scope=everything)
    building = registry.building_create(estate_id=estate.pk, name="1栋", scope=everything)
    other = registry.building_create(estate_id=estate.pk, name="2栋", scope=everything)
    registry.units_generate(
        building_id=building.pk,
        first_floor=1,
        last_floor=FLOORS,
        units_per_floor=PER_FLOOR,
        pattern="{floor}-{unit:03d}",
        area="89.50",
        scope=everything,
    )
    registry.units_generate(
        building_id=other.pk, first_floor=1, last_floor=1, units_per_floor=4, area="120", scope=everything
    )
    items = {}
    for code, name, category, method, rate in (
        ("mgmt", "物业费", "management", "area", "2.50"),
        ("garbage", "垃圾清运费", "garbage", "fixed", "10"),
    ):
        items[code] = billing.fee_item_create(
            office=office, scope=everything, code=code, name=name, category=category, method=method, cycle="monthly"
        )
        billing.fee_standard_create(item=items[code], effective_from=jan, rate=rate)
        billing.fee_assign(item=items[code], scope=everything, start_date=jan, estate_id=estate.pk)
    home = Unit.objects.get(building=building, number=RESIDENT_UNIT)
    person = Person.objects.create(name="业主", user=resident)
    Occupancy.objects.create(unit=home, person=person, role="owner", start_date=dt.date(2025, 1, 1))
    # This resident reads bills in the portal: no e-mail or SMS copy of "bill issued" (those would be queued
    # for a delivery worker this test does not run).
    NotificationPreference.objects.create(user=resident, kind="bill.issued", email=False, sms=False)
    in_order = Unit.objects.filter(building=building).order_by("pk")
    first_unit, last_unit = in_order.first(), in_order.last()
    connection.set_schema_to_public()
    return {
        "tenant": tenant,
        "finance": finance,
        "resident": resident,
        "building": building,
        "other": other,
        "home": home,
        "first_unit": first_unit,
        "last_unit": last_unit,
        "mgmt": items["mgmt"],
    }


class HeldLine:
    """An uncommitted bill line on a separate connection: the worker's insert of the same line waits on it."""

    def __init__(self, django_db_blocker: Any, schema: str) -> None:
        import psycopg
        from django.db import connection

        with django_db_blocker.unblock():
            s = connection.settings_dict
        self.conn = psycopg.connect(
            host=s.get("HOST") or "127.0.0.1",
            port=s.get("PORT") or 5432,
            user=s.get("USER") or "postgres",
            password=s.get("PASSWORD") or None,
            dbname=s["NAME"],
        )
        self.conn.execute(f'SET search_path TO "{schema}", public')

    def hold(self, *, unit_id: int, fee_item_id: int, period: dt.date) -> None:
        self.conn.execute(
            """
            INSERT INTO billing_billline (unit_id, fee_item_id, kind, period_start, period_end, amount, currency,
                                          percent, description, due_date, created_at)
            VALUES (%s, %s, 'charge', %s, %s, 1, 'CNY', 100, 'held by the test', %s, now())
            """,
            [unit_id, fee_item_id, period, period + dt.timedelta(days=29), period],
        )

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("[data-login-form] button[type=submit]")


# Predicates are functions, not expressions: Playwright evaluates a function once and polls it, but would
# eval an expression at every poll, which the page's CSP (no 'unsafe-eval') refuses.
BAR_AT_66_RUNNING = """() => {
  const box = document.querySelector("[data-run-progress]");
  const bar = box && box.querySelector("[data-progress]");
  return bar && bar.getAttribute("data-percent") === "66" && box.getAttribute("data-state") === "running";
}"""

RECORD_PROGRESS = """
window.__billrun = [];
window.__messages = [];
document.addEventListener("realtime:message", function (e) { window.__messages.push(e.detail.type); });
document.addEventListener("realtime:message", function (e) {
  if (e.detail && e.detail.type === "billrun.progress") window.__billrun.push(e.detail);
});
"""


def test_bill_run_for_a_building_with_live_progress_then_the_resident_sees_the_bills(
    browser: Any, billing_server: str, billed_building: dict[str, Any], django_db_blocker: Any
) -> None:
    from django.db import connection
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from backend.billing.models import BillLine, BillRun

    w = billed_building
    base = f"http://alpha.localhost{billing_server}"
    staff_context = browser.new_context()
    staff_context.set_default_timeout(90_000)  # a shared, busy machine: generous, the waits end on events
    staff_context.add_init_script(RECORD_PROGRESS)
    staff = staff_context.new_page()
    sign_in(staff, base, w["finance"].email)
    staff.wait_for_url(f"{base}/staff/")

    # A run for one building: the preview prices 7,500 units × 2 items and bills nothing yet.
    staff.goto(f"{base}/staff/billing/runs/")
    staff.fill("#id_period", f"{PERIOD:%Y-%m}")
    staff.select_option("#id_building_ids", value=str(w["building"].pk))
    staff.click("[data-run-form] button[type=submit]")
    staff.wait_for_url("**/staff/billing/runs/*/")
    units = FLOORS * PER_FLOOR
    assert staff.locator("[data-preview-new-lines]").inner_text() == str(2 * units)
    total = f"¥{units * UNIT_TOTAL_FEN // 100:,}.{units * UNIT_TOTAL_FEN % 100:02d}"  # ¥1,753,125.00
    assert staff.locator("[data-preview-total]").inner_text() == total
    with django_db_blocker.unblock():
        connection.set_tenant(w["tenant"])
        run = BillRun.objects.get(created_by_id=w["finance"].pk)
        assert run.status == "preview" and run.building_ids == [w["building"].pk]
        assert not BillLine.objects.filter(unit__building=w["building"]).exists()
        connection.set_schema_to_public()

    # Each chunk waits on a bill line the test holds: chunk one on the building's first unit, chunk two on its
    # last. Meanwhile the card's own polling is cut off, so what moves the bar to 66% is the websocket.
    first_gate = HeldLine(django_db_blocker, w["tenant"].schema_name)
    second_gate = HeldLine(django_db_blocker, w["tenant"].schema_name)
    try:
        first_gate.hold(unit_id=w["first_unit"].pk, fee_item_id=w["mgmt"].pk, period=PERIOD)
        second_gate.hold(unit_id=w["last_unit"].pk, fee_item_id=w["mgmt"].pk, period=PERIOD)
        staff.route("**/progress/", lambda route: route.abort())
        staff.wait_for_function("() => document.documentElement.getAttribute('data-realtime') === 'open'")
        preview_url = staff.url
        staff.click("[data-post-run] button[type=submit]")  # htmx: the card comes in, the page stays
        box = staff.locator("[data-run-progress]")
        box.wait_for()
        assert staff.url == preview_url and staff.locator("[data-post-run]").count() == 0
        # htmx settles a swapped element by keeping the old element's class for a moment (attributesToSettle):
        # read the status once the swap has settled, not while it still shows the preview's class.
        staff.wait_for_function(
            "() => { const s = document.querySelector('[data-run-status]');"
            " return s && !s.classList.contains('htmx-settling') && !s.classList.contains('htmx-added'); }"
        )
        assert staff.locator("[data-run-status]").get_attribute("class") in (
            "state state-queued",
            "state state-running",
        )
        assert box.get_attribute("hx-trigger") == "every 1s, billrun-finished"  # the fallback poll is there
        assert staff.locator("[data-run-progress] progress").evaluate("p => p.value") == 0
        first_gate.release()
        # The first chunk (5,000 of 7,500 units) is posted; the worker's push moves the bar while it runs.
        try:
            staff.wait_for_function(BAR_AT_66_RUNNING)
        except PlaywrightTimeout as exc:
            with django_db_blocker.unblock():
                connection.set_tenant(w["tenant"])
                state = BillRun.objects.filter(pk=run.pk).values("status", "done_units", "total_units").first()
                connection.set_schema_to_public()
            # Tell a lost push from a stuck worker.
            messages = staff.evaluate("window.__messages")
            messages = [messages, staff.evaluate("document.documentElement.getAttribute('data-realtime')")]
            raise AssertionError(f"the bar did not reach 66%: run {state}, socket messages {messages}") from exc
        assert staff.locator("[data-run-progress] [data-done]").inner_text() == "5000"
        assert staff.locator("[data-run-progress] progress").evaluate("p => p.value") == 66
        assert staff.evaluate("window.__billrun.map(m => [m.status, m.percent])")[-1] == ["running", 66]
        staff.unroute("**/progress/")
    finally:
        first_gate.release()
        second_gate.release()

    # The worker goes on to the end; the card fetches the result.
    staff.wait_for_function(
        "() => { const b = document.querySelector('[data-run-progress]');"
        " return b && b.getAttribute('data-state') === 'posted' && b.querySelector('[data-run-result]'); }"
    )
    assert staff.locator("[data-run-progress] progress").evaluate("p => p.value") == 100
    assert staff.locator("[data-run-status]").get_attribute("class") == "state state-posted"
    assert staff.locator("[data-run-progress] [data-percent-text]").inner_text() == "100"
    assert staff.locator("[data-lines-created]").inner_text() == str(2 * units)
    assert staff.locator("[data-amount-created]").inner_text() == total
    assert staff.locator("[data-lines-existing]").inner_text() == "0"
    staff.wait_for_function("() => window.__billrun.some(m => m.status === 'posted')")
    pushed = staff.evaluate("window.__billrun")
    assert any(m["run"] == run.pk and m["status"] == "posted" and m["percent"] == 100 for m in pushed), pushed
    assert [m["percent"] for m in pushed] == sorted(m["percent"] for m in pushed)  # the bar only moves forward
    assert staff.locator("[data-billed-units] a").count() == 50  # first page of units, each to its statement
    with django_db_blocker.unblock():
        connection.set_tenant(w["tenant"])
        assert BillLine.objects.filter(unit__building=w["building"], period_start=PERIOD).count() == 2 * units
        assert not BillLine.objects.filter(unit__building=w["other"]).exists()  # only the building chosen
        assert BillRun.objects.get(pk=run.pk).status == "posted"
        connection.set_schema_to_public()

    # The resident of 12-034, on a phone: My bills, then the statement.
    resident_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    resident_context.set_default_timeout(90_000)
    resident = resident_context.new_page()
    sign_in(resident, base, w["resident"].email)
    resident.wait_for_url(f"{base}/resident/")
    resident.goto(f"{base}/resident/bills/")
    card = resident.locator(f"[data-home='{w['home'].pk}']")
    assert RESIDENT_UNIT in card.locator("h2").inner_text()
    assert card.locator("[data-due-total]").inner_text() == "¥233.75"
    rows = card.locator("[data-bills] tbody tr")
    assert rows.count() == 2
    lines = {
        rows.nth(i).locator("[data-item]").inner_text(): rows.nth(i).locator("[data-line-owed]").inner_text()
        for i in range(2)
    }
    assert lines == {"物业费": "¥223.75", "垃圾清运费": "¥10.00"}
    assert f"{PERIOD:%Y-%m}" in rows.first.inner_text() and f"{PERIOD:%Y-%m}" in rows.last.inner_text()
    # nothing wider than the phone's screen but the tables' own scroll boxes
    assert resident.evaluate("document.documentElement.scrollWidth") <= 390
    with resident.expect_navigation():
        card.locator("[data-statement-link]").click()
    assert resident.url.endswith(f"/resident/bills/{w['home'].pk}/statement/")
    assert resident.locator("[data-owed]").inner_text() == "¥233.75"
    assert resident.locator("[data-ledger] [data-entry='charge']").count() == 2
    assert resident.locator("[data-closing]").inner_text() == "¥233.75"
    charged = resident.locator("[data-bills] [data-charged]").all_inner_texts()
    assert sorted(charged) == ["¥10.00", "¥223.75"]
