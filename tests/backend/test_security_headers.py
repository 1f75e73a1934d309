"""Security headers on every response: a CSP without inline scripts or eval (plus Stripe's origins on the
pages that load Stripe.js, and nothing more), frame-ancestors 'none', nosniff, Referrer-Policy; a
Permissions-Policy on documents that lets our own pages (and no frame) use the camera; HSTS on HTTPS in
production; and no template that would need 'unsafe-inline'."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory

from backend.gateway.config import StripeConfig
from backend.security_headers import CSP, PERMISSIONS_POLICY, SecurityHeadersMiddleware, csp_header
from tests.backend.billing.conftest import world as world  # noqa: PLC0414  (the billed world fixture)
from tests.backend.payments.conftest import Home
from tests.backend.payments.conftest import home as home  # noqa: PLC0414  (the resident's home fixture)

ROOT = Path(__file__).resolve().parents[2]


def policy(response: Any) -> dict[str, list[str]]:
    directives = [part.split() for part in response[CSP].split(";") if part.strip()]
    return {d[0]: d[1:] for d in directives}


def assert_locked_down(response: Any) -> None:
    csp = policy(response)
    assert csp["frame-ancestors"] == ["'none'"]
    if response["Content-Type"].startswith("text/html"):
        assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no third party
        assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
        assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
    else:
        assert csp == {"frame-ancestors": ["'none'"]}  # not a document: nothing to run, the viewer may work
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.fixture
def suspended_alpha(tenant_a: Any) -> Any:
    from tenants.services import company_suspend

    company_suspend(tenant=tenant_a, reason="合同到期")
    return tenant_a


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("alpha.localhost", "/login/"),  # a portal page
        ("alpha.localhost", "/api/v1/me/"),  # the API (401 JSON)
        ("alpha.localhost", "/staff/"),  # a redirect to sign in
        ("alpha.localhost", "/no-such-page/"),  # 404
        ("alpha.localhost", "/healthz"),  # answered by the tenant middleware itself
        ("nobody.localhost", "/"),  # no such company: answered by the tenant middleware too
        ("localhost", "/"),  # the platform site
        ("localhost", "/operator/login/"),  # the operators' admin
        ("alpha.localhost", "/static/portal/js/portal.js"),  # a static file (whitenoise)
    ],
)
def test_every_kind_of_response_carries_the_security_headers(db, client, host, path):
    assert_locked_down(client.get(path, HTTP_HOST=host))


@pytest.mark.parametrize(("host", "path"), [("alpha.localhost", "/login/"), ("localhost", "/")])
def test_documents_allow_the_camera_to_our_own_pages_only(db, client, host, path):
    # A QR code is scanned on a phone page of ours (js/qr-scan.js); a frame of another origin may not ask.
    response = client.get(path, HTTP_HOST=host)
    assert response[PERMISSIONS_POLICY] == "camera=(self), microphone=(), geolocation=()"
    # getUserMedia needs no CSP source: the preview is a MediaStream, and jsQR is one of our own scripts.
    assert policy(response)["script-src"] == ["'self'"] and policy(response)["default-src"] == ["'self'"]


def test_a_suspended_company_page_carries_them_too(suspended_alpha, client_for):
    page = client_for(suspended_alpha).get("/login/")
    assert page.status_code == 403
    assert_locked_down(page)


def test_a_pdf_gets_no_policy_that_would_block_the_browsers_pdf_viewer():
    middleware = SecurityHeadersMiddleware(lambda request: HttpResponse(b"%PDF-1.7", content_type="application/pdf"))
    response = middleware(RequestFactory().get("/staff/payments/receipts/1/pdf/"))
    assert response[CSP] == "frame-ancestors 'none'"  # no object-src / default-src for Chrome's <embed>


def test_a_response_that_has_its_own_policy_keeps_it():
    # Uploaded files get a stricter one from the upload module: never loosened here.
    strict = "default-src 'none'; sandbox"
    middleware = SecurityHeadersMiddleware(lambda request: HttpResponse(headers={CSP: strict}))
    assert middleware(RequestFactory().get("/"))[CSP] == strict


def stripe_at(api_base: str, js_url: str) -> StripeConfig:
    return StripeConfig(secret_key="sk", publishable_key="pk", webhook_secret="", api_base=api_base, js_url=js_url)


def test_stripe_js_from_stripe_allows_stripe_only():
    config = stripe_at("https://api.stripe.com", "https://js.stripe.com/v3/")
    sources = config.csp_sources
    assert sources["script-src"] == ["https://js.stripe.com", "https://*.js.stripe.com"]
    assert sources["frame-src"] == ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"]
    assert sources["connect-src"] == ["https://api.stripe.com"]


def test_the_stripe_js_tag_loads_the_script_and_allows_its_origins_on_that_response_only():
    config = stripe_at("http://127.0.0.1:8420", "http://127.0.0.1:8420/js.stripe.com/v3/")
    request = RequestFactory().get("/resident/pay/")
    html = Template("{% stripe_js config %}").render(Context({"request": request, "config": config}))
    assert html == '<script src="http://127.0.0.1:8420/js.stripe.com/v3/"></script>'
    csp = dict(part.split(" ", 1) for part in csp_header(request.csp_extra).split("; "))  # type: ignore[attr-defined]
    assert csp["script-src"] == "'self' http://127.0.0.1:8420"
    assert csp["connect-src"] == "'self' http://127.0.0.1:8420"
    assert csp["frame-src"] == "'self' http://127.0.0.1:8420"
    assert "127.0.0.1:8420" not in csp_header()  # the next response is back to the plain policy


@pytest.mark.usefixtures("localstripe")
def test_the_resident_pay_page_allows_the_companys_stripe_js_and_other_pages_do_not(
    home: Home, localstripe: str
) -> None:
    page = home.client.get(f"/resident/pay/?unit={home.unit.pk}")
    assert page.status_code == 200 and f'src="{localstripe}/js.stripe.com/v3/"' in page.content.decode()
    csp = policy(page)
    assert csp["script-src"] == ["'self'", localstripe]
    assert csp["connect-src"] == ["'self'", localstripe]
    assert_locked_down(home.client.get("/resident/bills/"))


def test_the_company_signup_form_may_post_on_to_the_new_companys_domain(db, platform_client, settings):
    settings.PLATFORM_URL_SCHEME, settings.PLATFORM_DOMAIN, settings.PLATFORM_URL_PORT = "https", "example.com", ""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "example.com"]
    page = platform_client.get("/signup/")
    # The form posts here, and its answer redirects to <slug>.example.com/handoff/… (form-action covers that).
    assert policy(page)["form-action"] == ["'self'", "https://*.example.com"]
    assert policy(platform_client.get("/"))["form-action"] == ["'self'"]


@pytest.mark.parametrize("host", ["alpha.localhost", "localhost"])
def test_the_api_docs_load_their_start_up_script_from_a_file(db, client, host):
    page = client.get("/api/docs/", HTTP_HOST=host)
    assert page.status_code == 200
    html = page.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # every script is a file
    script = client.get("/api/docs/?script=", HTTP_HOST=host)
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_https_responses_in_production_carry_hsts(db, client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    for path in ("/login/", "/healthz"):
        response = client.get(path, HTTP_HOST="alpha.localhost", secure=True)
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# --- the templates themselves -------------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)
HTMX_EVAL = re.compile(r"""hx-(on|vars)\b|hx-vals\s*=\s*["']\s*js:|hx-trigger\s*=\s*["'][^"']*\[""", re.I)


def our_templates() -> list[Path]:
    return [p for p in ROOT.glob("*/**/templates/**/*.html") if ".venv" not in p.parts]


def test_the_templates_have_no_inline_scripts_event_handlers_or_evaluated_htmx():
    found = []
    for template in our_templates():
        text = template.read_text()
        for name, pattern in (
            ("inline <script>", INLINE_SCRIPT),
            ("on…= handler", EVENT_HANDLER),
            ("javascript: URL", JS_URL),
            ("htmx that needs eval", HTMX_EVAL),
        ):
            if pattern.search(text):
                found.append(f"{template.relative_to(ROOT)}: {name}")
    assert len(our_templates()) > 50 and found == []
