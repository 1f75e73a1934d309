"""The foundation's journey in a real browser: a company signs up, lands signed in in its portal, invites a
colleague who joins (the admin sees the toast live over the websocket), switches language, signs out; a
resident signs up on a phone-sized screen."""

from __future__ import annotations

import re
import uuid

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_company_signs_up_invites_a_colleague_switches_language_and_signs_out(
    browser, live_asgi, committed, django_db_blocker
):
    port = live_asgi
    slug = f"e2e-{uuid.uuid4().hex[:6]}"
    committed.append(slug)
    admin_ctx = browser.new_context(locale="zh-CN")
    page = admin_ctx.new_page()

    page.goto(f"http://localhost{port}/")
    page.click("[data-cta-signup]")
    page.fill("#id_company_name", "浏览器物业")
    page.fill("#id_subdomain", slug)
    page.fill("#id_admin_name", "浏览器管理员")
    page.fill("#id_admin_email", f"{slug}@example.test")
    page.fill("#id_admin_phone", f"139{uuid.uuid4().int % 10**8:08d}")
    page.fill("#id_admin_password", "Browser-2026-ok")
    page.check("#id_privacy_accepted")
    page.click("[data-signup-form] button[type=submit]")

    page.wait_for_url(f"http://{slug}.localhost{port}/staff/?welcome=1")
    assert page.locator("[data-page=staff-dashboard]").is_visible()
    assert page.locator("[data-welcome]").is_visible()
    assert "浏览器物业" in page.locator(".brand").inner_text()
    page.wait_for_function("() => document.documentElement.getAttribute('data-realtime') === 'open'")

    # Invite a colleague; they accept in their own browser; the admin sees it at once.
    page.goto(f"http://{slug}.localhost{port}/staff/members/")
    page.fill("#id_email", f"colleague-{slug}@example.test")
    page.fill("#id_name", "新同事")
    page.check("input[name=roles][value=finance]")
    page.click("[data-invite-create] button[type=submit]")
    link = page.locator("[data-invite-link]").get_attribute("href")
    assert link and re.match(rf"http://{slug}\.localhost{port}/invite/", link)
    page.wait_for_function("() => document.documentElement.getAttribute('data-realtime') === 'open'")

    colleague = browser.new_context().new_page()
    colleague.goto(link)
    colleague.fill("#id_name", "新同事")
    colleague.fill("#id_password", "Colleague-2026-ok")
    colleague.click("[data-invite-form] button[type=submit]")
    colleague.wait_for_url(f"http://{slug}.localhost{port}/staff/")
    assert colleague.locator("[data-page=staff-dashboard]").is_visible()

    toast = page.locator("[data-toast='invitation.accepted']")
    toast.wait_for(timeout=10_000)
    assert "新同事" in toast.inner_text()
    assert page.locator("[data-unread]").inner_text() == "1"

    # Language switch: Chinese by default, English on request, and it sticks.
    page.goto(f"http://{slug}.localhost{port}/staff/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "工作台"
    with page.expect_navigation():  # back to the same URL, in English
        page.click("[data-lang-switch]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Dashboard"

    page.click("[data-sign-out]")
    page.wait_for_url(f"http://{slug}.localhost{port}/login/")
    page.goto(f"http://{slug}.localhost{port}/staff/")
    assert "/login/" in page.url
    admin_ctx.close()


def test_resident_signs_up_on_a_phone(browser, live_asgi, django_db_blocker):
    port = live_asgi
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    number = f"137{uuid.uuid4().int % 10**8:08d}"
    page.goto(f"http://alpha.localhost{port}/signup/")
    page.fill("#id_name", "手机住户")
    page.fill("#id_phone", number)
    page.fill("#id_password", "Phone-home-2026")
    page.check("#id_privacy_accepted")
    page.click("[data-resident-signup] button[type=submit]")
    page.wait_for_url(f"http://alpha.localhost{port}/resident/")
    assert page.locator("[data-page=resident-home]").is_visible()
    # The side menu is folded away on a phone and opens from the menu button.
    assert not page.locator("#sidenav").is_visible()
    page.click("[data-nav-toggle]")
    assert page.locator("#sidenav").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.close()

    with django_db_blocker.unblock():
        from backend.accounts.models import Membership, User

        user = User.objects.get(phone=number)
        assert Membership.objects.get(user=user).roles == ["resident"]
        Membership.objects.filter(user=user).delete()
        user.delete()
