"""The online payment journey in a real browser against localstripe: a resident on a phone opens My bills,
chooses two January lines, pays them with 4242 4242 4242 4242 in localstripe's card element (its Stripe.js
imitation, served by localstripe itself), sees the success page with the receipt number and the "payment
received" toast; a finance user's statement of the home shows the two lines settled; then a card that is
declined on charge (4000 0000 0000 0341) on the third line shows the decline and leaves the line unpaid.

The server is this module's own uvicorn, started after the `localstripe` fixture has put STRIPE_* into the
environment (the session's shared `live_asgi` may have started before, without them)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import asgi_server, free_port, subprocess_env

# No django_db mark on the journey: what it writes must be committed, for the server to see it.
pytestmark = [pytest.mark.browser]

PASSWORD = "Payments-2026-ok"
JAN = dt.date(2026, 1, 1)
VISA = "4242424242424242"
DECLINED_ON_CHARGE = "4000000000000341"


@pytest.mark.django_db
def test_the_page_loads_stripe_js_from_localstripe(localstripe: str) -> None:
    from backend.gateway.config import stripe_config

    config = stripe_config(None)
    assert config.js_url == f"{localstripe}/js.stripe.com/v3/" and config.is_local and config.configured


@pytest.fixture
def pay_server(localstripe: str, django_db_setup: None, django_db_blocker: Any, tmp_path: Path) -> Iterator[str]:
    """uvicorn serving backend.asgi with STRIPE_* pointing at localstripe. Yields ':<port>'."""
    port = free_port()
    with django_db_blocker.unblock():
        env = subprocess_env(PLATFORM_URL_PORT=f":{port}")
    assert env["STRIPE_API_BASE"] == localstripe
    with asgi_server(port, env, tmp_path / "uvicorn.log") as where:
        yield where


def make_billed_home(tag: str) -> dict[str, Any]:
    """Company alpha: an office with one building of two units, three monthly items (management ¥2.50/m² on
    89.50 m², garbage ¥10, parking ¥150) billed for January 2026; a resident of 101 and a finance user."""
    from backend.accounts.models import Membership, User
    from backend.billing import services as billing
    from backend.billing.models import BillLine
    from backend.billing.runs import bill_run_create, bill_run_execute
    from backend.notifications.models import NotificationPreference
    from backend.properties import services as registry
    from backend.properties.models import Occupancy, Person, Unit
    from backend.properties.scope import Scope
    from tenants.db import connection

    everything = Scope.everything()
    tenant = _alpha()
    finance = User.objects.create_user(email=f"finance-{tag}@example.test", password=PASSWORD, name="会计")
    Membership.objects.create(user=finance, tenant=tenant, roles=["finance"])
    resident = User.objects.create_user(email=f"resident-{tag}@example.test", password=PASSWORD, name="付款业主")
    Membership.objects.create(user=resident, tenant=tenant, roles=["resident"])
    connection.set_tenant(tenant)
    office = registry.office_create(name=f"缴费管理处{tag}", scope=everything)
    estate = registry.estate_create(office_id=office.pk, name=f"缴费小区{tag}", scope=everything)
    building = registry.building_create(estate_id=estate.pk, name="1栋", scope=everything)
    registry.units_generate(
        building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=2, area="89.50", scope=everything
    )
    for code, name, category, method, rate in (
        ("mgmt", "物业费", "management", "area", "2.50"),
        ("garbage", "垃圾清运费", "garbage", "fixed", "10"),
        ("parking", "停车费", "parking", "fixed", "150"),
    ):
        item = billing.fee_item_create(
            office=office, scope=everything, code=code, name=name, category=category, method=method, cycle="monthly"
        )
        billing.fee_standard_create(item=item, effective_from=JAN, rate=rate)
        billing.fee_assign(item=item, scope=everything, start_date=JAN, estate_id=estate.pk)
    home = Unit.objects.filter(building=building).order_by("number").first()
    assert home is not None
    # by=None: no progress pushed to a person (no async_to_sync in this process, which runs Playwright's loop).
    bill_run_execute(bill_run_create(period=JAN, scope=everything, by=None, building_ids=[building.pk]).pk)
    # The resident moves in after the run (no "bill issued" push from this process, which runs Playwright's
    # event loop); their payment notifications stay in the portal: no e-mail or SMS copies queued for a
    # delivery worker this test does not run.
    person = Person.objects.create(name="付款业主", user=resident)
    Occupancy.objects.create(unit=home, person=person, role="owner", start_date=dt.date(2025, 1, 1))
    for kind in ("payment.succeeded", "payment.failed"):
        NotificationPreference.objects.create(user=resident, kind=kind, email=False, sms=False)
    lines = {line.fee_item.code: line for line in BillLine.objects.filter(unit=home).select_related("fee_item")}
    assert sorted(lines) == ["garbage", "mgmt", "parking"]
    connection.set_schema_to_public()
    return {"tenant": tenant, "finance": finance, "resident": resident, "home": home, "lines": lines}


def _alpha() -> Any:
    from tenants.models import Tenant

    return Tenant.objects.get(slug="alpha")


def remove_billed_home(tag: str) -> None:
    from backend.accounts.models import Membership, User
    from backend.billing.models import BillLine, BillRun, FeeAssignment, FeeItem, FeeStandard, LedgerEntry, Payment
    from backend.notifications.models import Notification, NotificationPreference
    from backend.payments.models import StripeCustomer
    from backend.properties.models import Building, Estate, ManagementOffice, Occupancy, Person, Unit
    from tenants.db import connection
    from tests.backend.payments.cleanup import forget_payments

    connection.set_tenant(_alpha())
    user_ids = list(User.objects.filter(email__endswith=f"-{tag}@example.test").values_list("pk", flat=True))
    offices = ManagementOffice.objects.filter(name__endswith=tag)
    units = Unit.objects.filter(office__in=offices)
    forget_payments(units)  # receipts (their numbers given back), online payments
    LedgerEntry.objects.filter(unit__in=units).delete()
    Payment.objects.filter(unit__in=units).delete()
    runs = set(BillLine.objects.filter(unit__in=units).values_list("bill_run_id", flat=True))
    BillLine.objects.filter(unit__in=units).delete()
    BillRun.objects.filter(pk__in=runs).delete()
    FeeAssignment.objects.filter(unit__in=units).delete()
    FeeStandard.objects.filter(fee_item__office__in=offices).delete()
    FeeItem.objects.filter(office__in=offices).delete()
    Occupancy.objects.filter(unit__in=units).delete()
    Person.objects.filter(user_id__in=user_ids).delete()
    StripeCustomer.objects.filter(user_id__in=user_ids).delete()
    NotificationPreference.objects.filter(user_id__in=user_ids).delete()
    Notification.objects.filter(recipient_id__in=user_ids).delete()
    units.delete()
    Building.objects.filter(estate__office__in=offices).delete()
    Estate.objects.filter(office__in=offices).delete()
    offices.delete()
    Membership.objects.filter(user_id__in=user_ids).delete()
    User.objects.filter(pk__in=user_ids).delete()
    connection.set_schema_to_public()


@pytest.fixture
def billed_home(django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    tag = uuid.uuid4().hex[:6]
    try:
        with django_db_blocker.unblock():
            world = make_billed_home(tag)
        yield world
    finally:
        with django_db_blocker.unblock():
            remove_billed_home(tag)


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("[data-login-form] button[type=submit]")


def enter_card(page: Any, number: str) -> None:
    """localstripe's card element: plain inputs named by their placeholders."""
    box = page.locator("[data-card-element]")
    box.locator("input[placeholder=number]").wait_for()
    for field, value in (("number", number), ("exp_month", "12"), ("exp_year", "30"), ("cvc", "123")):
        box.locator(f"input[placeholder={field}]").fill(value)
    box.locator("input[placeholder=postal_code]").fill("100000")


def owed_now(django_db_blocker: Any, tenant: Any, line_ids: list[int]) -> dict[int, int]:
    from backend.billing.models import BillLine
    from backend.billing.selectors import lines_with_balances
    from tenants.db import connection

    with django_db_blocker.unblock():
        connection.set_tenant(tenant)
        rows = {
            line.pk: int(line.owed)  # type: ignore[attr-defined]
            for line in lines_with_balances(BillLine.objects.filter(pk__in=line_ids))
        }
        connection.set_schema_to_public()
    return rows


def test_a_resident_pays_two_lines_by_card_and_a_declined_card_leaves_the_third_unpaid(
    browser: Any, pay_server: str, billed_home: dict[str, Any], django_db_blocker: Any
) -> None:
    from backend.payments.models import OnlinePayment, Receipt
    from tenants.db import connection

    w = billed_home
    base = f"http://alpha.localhost{pay_server}"
    mgmt, garbage, parking = (w["lines"][c] for c in ("mgmt", "garbage", "parking"))

    resident_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    resident_context.set_default_timeout(60_000)
    resident = resident_context.new_page()
    sign_in(resident, base, w["resident"].email)
    resident.wait_for_url(f"{base}/resident/")

    # My bills: choose the management fee and garbage removal of January, not the parking fee.
    resident.goto(f"{base}/resident/bills/")
    card = resident.locator(f"[data-home='{w['home'].pk}']")
    assert card.locator("[data-due-total]").inner_text() == "¥383.75"  # 223.75 + 10 + 150
    card.locator(f"[data-pay-line-choice='{parking.pk}']").uncheck()
    with resident.expect_navigation():
        card.locator("[data-pay-online]").click()
    assert "/resident/pay/?" in resident.url
    assert resident.locator("[data-pay-total]").inner_text() == "¥233.75"
    assert resident.locator("[data-pay-line]").count() == 2
    assert "不会发生真实资金" in resident.locator("[data-local-gateway]").inner_text()
    assert resident.evaluate("document.documentElement.scrollWidth") <= 390  # fits the phone

    # The card in localstripe's element; the socket is open so the toast can arrive.
    resident.wait_for_function("() => document.documentElement.getAttribute('data-realtime') === 'open'")
    enter_card(resident, VISA)
    resident.locator("[data-pay-submit]").click()
    resident.locator("[data-pay-result][data-status='succeeded']").wait_for()
    with django_db_blocker.unblock():
        connection.set_tenant(w["tenant"])
        op = OnlinePayment.objects.get(unit=w["home"])
        receipt = Receipt.objects.get(payment__online=op)
        assert (op.status, op.amount, sorted(op.line_ids)) == ("succeeded", 23375, sorted([mgmt.pk, garbage.pk]))
        connection.set_schema_to_public()
    assert resident.url == f"{base}/resident/pay/{op.pk}/"
    assert resident.locator("[data-receipt-number]").inner_text() == receipt.number
    assert resident.locator("[data-amount]").inner_text() == "¥233.75"
    pdf = resident.evaluate(
        "href => fetch(href).then(r => [r.status, r.headers.get('content-type')])",
        resident.locator("[data-receipt-pdf]").get_attribute("href"),
    )
    assert pdf == [200, "application/pdf"]
    toast = resident.locator("[data-toast='payment.succeeded']")
    toast.wait_for(timeout=15_000)
    assert "¥233.75" in toast.inner_text()
    assert owed_now(django_db_blocker, w["tenant"], [mgmt.pk, garbage.pk, parking.pk]) == {
        mgmt.pk: 0,
        garbage.pk: 0,
        parking.pk: 15000,
    }

    # Finance's statement of the home: the two lines settled, parking still owed.
    staff_context = browser.new_context()
    staff_context.set_default_timeout(60_000)
    staff = staff_context.new_page()
    sign_in(staff, base, w["finance"].email)
    staff.wait_for_url(f"{base}/staff/")
    staff.goto(f"{base}/staff/billing/units/{w['home'].pk}/statement/")
    row = staff.locator("[data-bills]").first
    assert row.locator(f"[data-bill-line='{mgmt.pk}']").get_attribute("data-state") == "paid"
    assert row.locator(f"[data-bill-line='{garbage.pk}']").get_attribute("data-state") == "paid"
    assert row.locator(f"[data-bill-line='{parking.pk}']").get_attribute("data-state") != "paid"
    assert row.locator(f"[data-bill-line='{parking.pk}'] [data-line-owed]").inner_text() == "¥150.00"
    staff_context.close()

    # The parking fee with a card the bank declines: a clear message on the page, the line stays unpaid.
    resident.goto(f"{base}/resident/bills/")
    choices = resident.locator("[data-pay-line-choice]")
    assert choices.count() == 1 and choices.first.get_attribute("value") == str(parking.pk)
    with resident.expect_navigation():
        resident.locator("[data-pay-online]").click()
    assert resident.locator("[data-pay-total]").inner_text() == "¥150.00"
    enter_card(resident, DECLINED_ON_CHARGE)
    resident.locator("[data-pay-submit]").click()
    error = resident.locator("[data-pay-error]")
    error.wait_for()
    assert "拒付" in error.inner_text()  # "your card was declined"
    assert "/resident/pay/?" in resident.url  # still on the payment page, ready for another card
    assert resident.locator("[data-pay-submit]").is_enabled()
    assert owed_now(django_db_blocker, w["tenant"], [parking.pk]) == {parking.pk: 15000}
    with django_db_blocker.unblock():
        connection.set_tenant(w["tenant"])
        failed = OnlinePayment.objects.filter(unit=w["home"], status="failed").get()
        assert failed.line_ids == [parking.pk] and failed.payment_id is None
        connection.set_schema_to_public()
    resident_context.close()
