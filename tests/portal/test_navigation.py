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
