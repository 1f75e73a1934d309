"""The navigation shows a link only to people its page lets in (both read permissions of the catalogue), so
a link that leads to a 403 fails here. A link may be narrower than its page: binding requests are listed to
every staff member who opens the page, but the link is for the people who review them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import resolve, reverse

from backend.accounts.roles import ALL_ROLES
from portal.access import access_of
from portal.context_processors import NAV_SECTIONS, NavItem, _nav_for

ITEMS = [item for _title, items in NAV_SECTIONS for item in items]


@pytest.mark.parametrize("item", ITEMS, ids=[i.url_name for i in ITEMS])
def test_a_link_is_shown_only_to_whom_its_page_admits(item: NavItem) -> None:
    access = access_of(resolve(reverse(item.url_name)).func)
    assert access is not None and item.permission.roles <= access.roles


@pytest.mark.parametrize("role", sorted(ALL_ROLES))
def test_each_role_sees_the_links_of_its_permissions(role: str) -> None:
    shown = {link["url"] for section in _nav_for(SimpleNamespace(roles=[role])) for link in section["items"]}
    expected = {reverse(i.url_name) for i in ITEMS if role in i.permission.roles}
    assert shown == expected and shown


def test_no_membership_no_navigation() -> None:
    assert _nav_for(None) == []


def test_the_current_page_is_marked_in_the_navigation(tenant_a, member, client_for):
    html = client_for(tenant_a, member(tenant_a, ["finance"])).get("/staff/billing/arrears/").content.decode()
    nav = html.split('id="sidenav"', 1)[1].split("</nav>", 1)[0]
    assert nav.count('aria-current="page"') == 1
    assert f'<a href="{reverse("portal:billing-arrears")}" aria-current="page">' in nav


def test_the_navigation_speaks_the_visitors_language(tenant_a, member, client_for):
    client = client_for(tenant_a, member(tenant_a, ["finance"]))
    client.cookies["django_language"] = "en"
    english = client.get("/staff/").content.decode().split('id="sidenav"', 1)[1]
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get("/staff/").content.decode().split('id="sidenav"', 1)[1]
    assert ">Billing</p>" in english and ">Billing</p>" not in chinese
