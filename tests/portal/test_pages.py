"""Portal pages: navigation by role, readable error pages, the platform sign-up page, phone layout basics."""

from __future__ import annotations

import pytest

from tenants.models import Tenant


def nav_links(html: str) -> set[str]:
    import re

    nav = html.split('id="sidenav"', 1)[1].split("</nav>", 1)[0] if 'id="sidenav"' in html else ""
    return set(re.findall(r'href="([^"]+)"', nav))


@pytest.mark.parametrize(
    ("roles", "expected", "absent"),
    [
        (
            ["company_admin"],
            {"/staff/", "/staff/members/", "/staff/audit/", "/notifications/"},
            {"/resident/"},
        ),
        (["finance"], {"/staff/", "/notifications/"}, {"/staff/members/", "/staff/audit/", "/resident/"}),
        (["resident"], {"/resident/", "/notifications/"}, {"/staff/", "/staff/members/", "/staff/audit/"}),
        (["engineer", "resident"], {"/staff/", "/resident/"}, {"/staff/audit/"}),
    ],
)
def test_navigation_follows_roles(tenant_a, member, client_for, roles, expected, absent):
    client = client_for(tenant_a, member(tenant_a, roles))
    home = client.get("/", follow=True)
    assert home.status_code == 200
    links = nav_links(home.content.decode())
    assert expected <= links and not (absent & links)


def test_pages_are_built_for_phones(tenant_a, member, client_for):
    html = client_for(tenant_a, member(tenant_a, ["company_admin"])).get("/staff/").content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "data-nav-toggle" in html  # the menu button shown on narrow screens


def test_no_asset_is_loaded_from_another_host(tenant_a, member, client_for):
    import re

    html = client_for(tenant_a, member(tenant_a, ["company_admin"])).get("/staff/").content.decode()
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http://", "https://", "//")), url
    assert "/static/portal/vendor/htmx.min.js" in html


def test_the_bell_is_fed_by_the_websocket(tenant_a, member, client_for):
    html = client_for(tenant_a, member(tenant_a, ["finance"])).get("/staff/").content.decode()
    assert "data-bell" in html and 'data-realtime-url="/ws/notifications/"' in html


def test_static_assets_are_served(tenant_a, client_for):
    client = client_for(tenant_a)
    for path in (
        "/static/portal/vendor/htmx.min.js",
        "/static/portal/vendor/jsQR.js",
        "/static/portal/js/portal.js",
        "/static/portal/js/qr-scan.js",
        "/static/portal/css/portal.css",
    ):
        assert client.get(path).status_code == 200, path


def test_readable_404_page(tenant_a, client_for):
    response = client_for(tenant_a).get("/no-such-page/")
    assert response.status_code == 404
    assert "<h1>" in response.content.decode()


def test_readable_403_page_for_a_resident_on_a_staff_page(tenant_a, member, client_for):
    response = client_for(tenant_a, member(tenant_a, ["resident"])).get("/staff/members/")
    assert response.status_code == 403
    assert "<h1>" in response.content.decode()


def test_readable_500_page(tenant_a, client_for, monkeypatch):
    def explode(request):
        raise RuntimeError("boom")

    monkeypatch.setattr("portal.public.auth.home_for", explode)
    client = client_for(tenant_a)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_anonymous_visitor_is_sent_to_sign_in(tenant_a, client_for):
    response = client_for(tenant_a).get("/staff/members/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_platform_signup_page_creates_the_company_and_hands_off_to_its_portal(db, platform_client):
    page = platform_client.get("/signup/")
    assert page.status_code == 200
    response = platform_client.post(
        "/signup/",
        {
            "company_name": "钱塘物业",
            "subdomain": "qiantang",
            "admin_name": "吴",
            "admin_email": "wu@qiantang.test",
            "admin_phone": "13311112222",
            "admin_password": "River-tide-2026",
            "privacy_accepted": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith("http://qiantang.localhost/handoff/")
    assert Tenant.objects.filter(slug="qiantang").exists()


def test_platform_signup_page_shows_every_field_error_at_once(db, platform_client):
    response = platform_client.post(
        "/signup/",
        {
            "company_name": "",
            "subdomain": "www",
            "admin_name": "",
            "admin_email": "bad",
            "admin_phone": "1",
            "admin_password": "1",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("company_name", "subdomain", "admin_name", "admin_email", "admin_phone", "admin_password"):
        assert f'data-error-for="{field}"' in html, field
