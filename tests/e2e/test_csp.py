"""The Content-Security-Policy in a real browser: the pages whose scripts used to be inline (a bill run, the
counter, recording a payment, a payment's refund form, the payment settings, the unit list, imports) still
work from their static files, the resident pays with localstripe's Stripe.js under the policy that page
adds for it, htmx swaps the binding form's selects without eval, and the API docs and the operators' admin
run. Any CSP violation on any of these pages fails the test (tests/e2e/conftest.py watches every page)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import COMPANY_PASSWORD
from tests.e2e.test_payment_journey import VISA, enter_card, sign_in
from tests.e2e.test_payment_journey import billed_home as billed_home  # noqa: PLC0414  (fixtures)
from tests.e2e.test_payment_journey import pay_server as pay_server  # noqa: PLC0414

pytestmark = [pytest.mark.browser]


def staff_sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", "admin@alpha.test")
    page.fill("#id_password", COMPANY_PASSWORD)
    page.click("[data-login-form] button[type=submit]")
    page.wait_for_url(f"{base}/staff/")


def committed_rows(django_db_blocker: Any, tenant: Any, query: Any) -> Any:
    from tenants.db import connection

    with django_db_blocker.unblock():
        connection.set_tenant(tenant)
        try:
            return query()
        finally:
            connection.set_schema_to_public()


@pytest.fixture
def operator(django_db_blocker: Any) -> Iterator[Any]:
    from backend.accounts.models import User

    email = f"ops-{uuid.uuid4().hex[:6]}@platform.test"
    with django_db_blocker.unblock():
        user = User.objects.create_superuser(email, COMPANY_PASSWORD, name="运营")
    yield user
    with django_db_blocker.unblock():
        User.objects.filter(pk=user.pk).delete()


def test_the_pages_that_had_inline_scripts_work_under_the_csp(
    browser: Any, pay_server: str, billed_home: dict[str, Any], django_db_blocker: Any
) -> None:
    from backend.billing.models import BillLine, Payment

    w = billed_home
    base = f"http://alpha.localhost{pay_server}"
    garbage = w["lines"]["garbage"]
    context = browser.new_context()
    context.set_default_timeout(60_000)
    page = context.new_page()
    staff_sign_in(page, base)

    # A bill run: its progress script (bill-run.js) reads the run from the card's slot.
    run_id = committed_rows(django_db_blocker, w["tenant"], lambda: BillLine.objects.get(pk=garbage.pk).bill_run_id)
    page.goto(f"{base}/staff/billing/runs/{run_id}/")
    assert page.locator("[data-bill-run]").get_attribute("data-bill-run") == str(run_id)

    # Recording a payment in billing: the ticked total follows the boxes (bill-lines.js).
    page.goto(f"{base}/staff/billing/units/{w['home'].pk}/payment/")
    total = page.locator("[data-payment-form] [data-ticked-total]")
    assert total.inner_text() == "¥383.75"  # every line ticked
    page.locator("[data-payment-form] [data-check-all]").uncheck()
    assert total.inner_text() == "¥0.00"

    # The counter: tick the garbage fee only and take ¥10 in cash.
    page.goto(f"{base}/staff/payments/counter/?unit={w['home'].pk}")
    form = page.locator("[data-payment-form]")
    assert form.locator("[data-ticked-total]").inner_text() == "¥383.75"
    form.locator("[data-check-all]").uncheck()
    form.locator(f"input[name=line_ids][value='{garbage.pk}']").check()
    assert form.locator("[data-ticked-total]").inner_text() == "¥10.00"
    form.locator("input[name=amount]").fill("10.00")
    with page.expect_navigation():
        form.locator("[data-submit-payment]").click()
    assert "/staff/payments/receipts/" in page.url
    payment = committed_rows(django_db_blocker, w["tenant"], lambda: Payment.objects.get(unit=w["home"]))
    assert payment.amount == 1000

    # The payment's page with its refund form, and the payment settings' live receipt-number example.
    page.goto(f"{base}/staff/payments/{payment.pk}/")
    assert page.locator("[data-refund-form][data-submit-once]").count() == 1
    page.goto(f"{base}/staff/payments/settings/")
    page.fill("[name=rule-receipt_prefix]", "CSP")
    assert page.locator("[data-receipt-example]").inner_text().startswith("CSP")

    # The unit list's tick-all box, and the imports page.
    page.goto(f"{base}/staff/units/")
    page.locator("[data-check-all]").check()
    boxes = page.locator("input[name=unit_ids]")
    assert boxes.count() > 0 and all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    page.goto(f"{base}/staff/imports/")
    page.locator("main").wait_for()

    # The API docs: swagger-ui starts from its own script file.
    page.goto(f"{base}/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    context.close()


def test_a_resident_pays_with_stripe_js_and_links_a_home_under_the_csp(
    browser: Any, pay_server: str, billed_home: dict[str, Any]
) -> None:
    w = billed_home
    base = f"http://alpha.localhost{pay_server}"
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    context.set_default_timeout(60_000)
    page = context.new_page()
    sign_in(page, base, w["resident"].email)
    page.wait_for_url(f"{base}/resident/")

    # Linking a home: choosing the estate swaps in its buildings (htmx, triggered without eval).
    page.goto(f"{base}/resident/bind/")
    with page.expect_response(lambda r: "/resident/bind/?" in r.url):
        page.locator("#id_estate").select_option(str(w["home"].estate_id))
    page.locator("#id_building option", has_text="1栋").wait_for(state="attached")

    # Paying the garbage fee by card: localstripe's Stripe.js, its card element and its API calls.
    garbage = w["lines"]["garbage"]
    page.goto(f"{base}/resident/pay/?unit={w['home'].pk}&lines={garbage.pk}")
    enter_card(page, VISA)
    page.locator("[data-pay-submit]").click()
    page.locator("[data-pay-result][data-status='succeeded']").wait_for()
    context.close()


def test_the_operators_admin_works_under_the_csp(browser: Any, pay_server: str, operator: Any) -> None:
    base = f"http://localhost{pay_server}"
    context = browser.new_context()
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{base}/operator/login/")
    page.fill("#id_username", operator.email)
    page.fill("#id_password", COMPANY_PASSWORD)
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.goto(f"{base}/operator/tenants/tenant/")
    page.locator("#result_list").wait_for()
    page.locator("#result_list tbody th a").first.click()
    page.locator("form#tenant_form").wait_for()
    page.goto(f"{base}/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    context.close()
