"""The shop end to end (issue 15's "done when"), in a real browser (phones, zh-CN) against a real uvicorn and
localstripe: a resident of 示范物业 puts apples from 鲜果坊 and a cleaning (with an appointment time) from
好帮手家政 in the cart, checks out into two orders and pays each with 4242 4242 4242 4242; each merchant's board,
open all along, shows its order appear without a reload (its websocket); 鲜果坊 accepts and delivers, the
resident confirms and reviews; 好帮手家政 rejects, and the resident sees the refund; the month's statement
(issued by the monthly task, run here as at the month's end) shows 鲜果坊 the commission."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.conftest import browser as browser  # noqa: PLC0414  (fixture)
from tests.e2e.conftest import committed as committed  # noqa: PLC0414  (fixture)
from tests.e2e.conftest import no_csp_violations as no_csp_violations  # noqa: PLC0414  (fixture)
from tests.e2e.test_marketplace_journey import PASSWORD, PHONE, _company, _sign_in
from tests.e2e.test_payment_journey import VISA, enter_card
from tests.e2e.test_payment_journey import pay_server as pay_server  # noqa: PLC0414  (fixture)

pytestmark = [pytest.mark.browser]


def _in_thread(django_db_blocker: Any, work: Callable[[], Any]) -> Any:
    """Database work from the test, in a thread of its own: Playwright's event loop holds this one, and the
    services' live pushes are async_to_sync."""
    from django.db import connections

    out: dict[str, Any] = {}

    def run() -> None:
        with django_db_blocker.unblock():
            try:
                out["value"] = work()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
                out["error"] = exc
            finally:
                connections.close_all()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(120)
    if "error" in out:
        raise out["error"]
    return out.get("value")


def _build(tag: str) -> dict[str, Any]:
    from backend.accounts.models import User
    from marketplace.company.models import CategorySetting
    from marketplace.models import ServiceSlot
    from tenants.db import connection
    from tests.marketplace.factories import make_application, make_listing, make_merchant
    from tests.marketplace.merchant.conftest import licence_number

    company = _company("示范物业", "阳光花园", f"buy{tag}")
    made: dict[str, Any] = {"company": company}
    for key, name, category, owner_name in (
        ("fruit", f"鲜果坊{tag}", "fruit", "刘老板"),
        ("cleaner", f"好帮手家政{tag}", "housekeeping", "陈阿姨"),
    ):
        owner = User.objects.create_user(email=f"{key}-{tag}@merchant.test", password=PASSWORD, name=owner_name)
        merchant = make_merchant(name, owner=owner, licence_number=licence_number(uuid.uuid4().int % 9_000_000))
        make_application(
            merchant, company.tenant, status="approved", estates={company.estate.pk: "阳光花园"}, categories=[category]
        )
        made[key], made[f"{key}_owner"] = merchant, owner
    made["apple"] = make_listing(made["fruit"], title="红富士苹果", price_fen=1280, stock=20)
    made["cleaning"] = make_listing(
        made["cleaner"], kind="service", category="housekeeping", title="上门保洁", price_fen=15000
    )
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    made["slot"] = ServiceSlot.objects.create(
        listing=made["cleaning"], starts_at=start, ends_at=start + dt.timedelta(hours=2), capacity=2
    )
    connection.set_tenant(company.tenant)
    CategorySetting.objects.create(category_code="fruit", commission_bp=800)
    CategorySetting.objects.create(category_code="housekeeping", commission_bp=500)
    connection.set_schema_to_public()
    return made


@pytest.fixture
def world(committed: list[str], django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """示范物业 (阳光花园, a resident at home) with two merchants approved for it: 鲜果坊 (apples, 8%) and
    好帮手家政 (a cleaning with a slot in two days, 5%)."""
    tag = uuid.uuid4().hex[:5]
    committed.append(f"buy{tag}")  # removed afterwards even when building fails half-way
    made: dict[str, Any] = {"tag": tag}
    made.update(_in_thread(django_db_blocker, lambda: _build(tag)) or {})
    yield made
    from backend.accounts.models import User
    from marketplace.models import Merchant
    from tenants.db import connection

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        Merchant.objects.filter(name__endswith=tag).delete()
        User.objects.filter(email__endswith=f"-{tag}@merchant.test").delete()


def _merchant_board(browser: Any, platform: str, email: str) -> Any:
    page = browser.new_context(**PHONE).new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{platform}/merchant/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("[data-merchant-login] button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{platform}/merchant/orders/")
    page.locator("[data-order-board]").wait_for()
    return page


def _pay(resident: Any, site: str, order_id: int) -> None:
    resident.goto(f"{site}/resident/shop/orders/{order_id}/")
    with resident.expect_navigation():
        resident.click("[data-pay]")
    assert "/resident/pay/?" in resident.url
    resident.wait_for_function("() => document.documentElement.getAttribute('data-realtime') === 'open'")
    enter_card(resident, VISA)
    resident.locator("[data-pay-submit]").click()
    resident.locator("[data-pay-result][data-status='succeeded']").wait_for()


def test_a_resident_buys_from_two_merchants_one_delivers_the_other_rejects_and_the_statement_shows_the_commission(
    browser: Any, pay_server: str, world: dict[str, Any], django_db_blocker: Any
) -> None:
    from marketplace.orders.models import Order
    from tenants.db import connection

    assert "fruit" in world, "the world was not built (see the captured log)"
    company = world["company"]
    platform = f"http://localhost{pay_server}"
    site = f"http://{company.slug}.localhost{pay_server}"

    # Both merchants' boards are open before anything is bought.
    fruit = _merchant_board(browser, platform, world["fruit_owner"].email)
    cleaner = _merchant_board(browser, platform, world["cleaner_owner"].email)
    for board in (fruit, cleaner):
        board.wait_for_function("() => document.documentElement.getAttribute('data-merchant-realtime') === 'open'")

    # The resident: apples (2 × ¥12.80) from one merchant, a cleaning at a chosen time from the other.
    resident = _sign_in(browser, site, company.resident.email)
    resident.goto(f"{site}/resident/shop/listings/{world['apple'].pk}/")
    resident.fill("[data-add-to-cart] input[name=quantity]", "2")
    resident.click("[data-add-to-cart] button[type=submit]")
    resident.wait_for_url(f"{site}/resident/shop/cart/")
    resident.goto(f"{site}/resident/shop/listings/{world['cleaning'].pk}/")
    resident.select_option("[data-add-to-cart] select[name=slot]", str(world["slot"].pk))
    resident.click("[data-add-to-cart] button[type=submit]")
    resident.wait_for_url(f"{site}/resident/shop/cart/")
    cart = resident.locator("[data-cart]").inner_text()
    assert "红富士苹果" in cart and "上门保洁" in cart
    assert resident.locator("[data-cart-total]").inner_text() == "¥175.60"
    with resident.expect_navigation():
        resident.click("[data-checkout] button[type=submit]")
    assert resident.url == f"{site}/resident/shop/orders/"  # one order per merchant

    def orders() -> dict[int, Any]:
        connection.set_tenant(company.tenant)
        found = {o.merchant_id: o for o in Order.objects.filter(user=company.resident)}
        connection.set_schema_to_public()
        return found

    placed = _in_thread(django_db_blocker, orders)
    apples, cleaning = placed[world["fruit"].pk], placed[world["cleaner"].pk]
    assert (apples.total_fen, cleaning.total_fen) == (2560, 15000)
    assert apples.code not in fruit.locator("[data-order-board]").inner_text()  # unpaid: not the merchant's yet

    # Each order paid by card through localstripe; each board shows its own order, live (no reload).
    _pay(resident, site, apples.pk)
    fruit.locator("[data-order-board]", has_text=apples.code).wait_for(timeout=20_000)
    _pay(resident, site, cleaning.pk)
    cleaner.locator("[data-order-board]", has_text=cleaning.code).wait_for(timeout=20_000)
    assert cleaning.code not in fruit.locator("[data-order-board]").inner_text()
    assert apples.code not in cleaner.locator("[data-order-board]").inner_text()
    assert "¥25.60" in fruit.locator("[data-order-board]").inner_text()

    # 鲜果坊 accepts and delivers; the resident confirms and reviews.
    fruit.locator("[data-order-board] a", has_text=apples.code).click()
    assert "陈业主" in fruit.locator("[data-fulfilment]").inner_text()
    fruit.click("[data-accept]")
    fruit.locator("[data-status='accepted']").wait_for()
    fruit.click("[data-deliver]")
    fruit.locator("[data-status='delivered']").wait_for()
    resident.goto(f"{site}/resident/shop/orders/{apples.pk}/")
    resident.click("[data-confirm]")
    resident.locator("[data-status='completed']").wait_for()
    resident.click("[data-review-new]")
    resident.check("[data-review-form] input[name=stars][value='5']")
    resident.fill("[data-review-form] textarea[name=text]", "苹果很甜，送得很快。")
    resident.click("[data-review-form] button[type=submit]")
    resident.goto(f"{site}/resident/shop/orders/{apples.pk}/")
    assert "苹果很甜" in resident.locator("[data-review]").inner_text()
    assert resident.locator("[data-status]").first.get_attribute("data-status") == "reviewed"

    # 好帮手家政 rejects its order; the resident sees it refunded in full, on the card.
    cleaner.locator("[data-order-board] a", has_text=cleaning.code).click()
    cleaner.fill("input[name=reason]", "这个时段师傅排满了")
    cleaner.click("[data-reject]")
    cleaner.locator("[data-status='rejected']").wait_for()
    resident.goto(f"{site}/resident/shop/orders/{cleaning.pk}/")
    body = resident.locator("p.card").first.inner_text()
    assert "这个时段师傅排满了" in body and "¥150.00" in body
    assert resident.locator("[data-status]").first.get_attribute("data-status") == "rejected"

    def refunded() -> tuple[str, int, list[str]]:
        from backend.payments.models import Refund

        connection.set_tenant(company.tenant)
        order = Order.objects.get(pk=cleaning.pk)
        sent = list(Refund.objects.filter(pk__in=order.refund_ids).values_list("status", flat=True))
        connection.set_schema_to_public()
        return order.refund_state, order.refunded_fen, sent

    state, amount, sent = _in_thread(django_db_blocker, refunded)
    assert amount == 15000 and state == "done" and sent == ["succeeded"], (state, amount, sent)

    # The month's statements, as the monthly task issues them once the month is over: 鲜果坊's shows the
    # commission (8% of ¥25.60 = ¥2.05) and what is due.
    def month_end() -> str:
        from marketplace.settlement import statements
        from marketplace.settlement.models import Statement
        from tenants.db import company_time_zone

        connection.set_tenant(company.tenant)
        tz = company_time_zone()
        month = dt.datetime.now(tz).date().replace(day=1)
        after = dt.datetime.combine((month + dt.timedelta(days=32)).replace(day=1), dt.time(3), tzinfo=tz)
        statements.statements_build_month(month=month, now=after)
        code = Statement.objects.get(merchant_id=world["fruit"].pk).code
        connection.set_schema_to_public()
        return code

    code = _in_thread(django_db_blocker, month_end)
    fruit.goto(f"{platform}/merchant/statements/")
    row = fruit.locator("[data-statement-row]").filter(has_text=code)
    assert "示范物业" in row.inner_text() and "¥23.55" in row.inner_text()
    row.locator("a").click()
    summary = fruit.locator("[data-summary]").inner_text()
    assert "佣金" in summary and "-¥2.05" in summary and "¥25.60" in summary
