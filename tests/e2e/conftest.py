"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser) against a real uvicorn."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

# Playwright's sync API keeps an event loop on the main thread; the ORM calls of these tests are sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


# Every page of every browser test reports what the Content-Security-Policy blocked: Chromium logs it to the
# console ("Refused to … because it violates the following Content Security Policy directive"), and the page
# fires securitypolicyviolation, which this init script (run by Playwright, outside the page's CSP) logs too.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                " at " + e.sourceFile + ":" + e.lineNumber);
});
"""
CSP_VIOLATIONS: list[str] = []


def _is_csp_violation(message: Any) -> bool:
    text = message.text
    return message.type == "error" and ("Content Security Policy" in text or text.startswith("CSP violation"))


def watch_csp(target: Any) -> Any:
    """Record the CSP violations of a browser context (or of a page outside any context of ours)."""
    target.add_init_script(REPORT_CSP_VIOLATIONS)
    target.on(
        "console",
        lambda m: CSP_VIOLATIONS.append(f"{m.page.url if m.page else '?'}: {m.text}") if _is_csp_violation(m) else None,
    )
    return target


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped: Playwright's sync API runs an event loop on the main thread while it is open, which
    other (async_to_sync) tests cannot share; it is closed when the browser tests of a module are done.
    Every context and page it opens is watched for CSP violations (see no_csp_violations)."""
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        new_context, new_page = browser.new_context, browser.new_page
        browser.new_context = lambda *a, **kw: watch_csp(new_context(*a, **kw))  # type: ignore[method-assign]
        browser.new_page = lambda *a, **kw: watch_csp(new_page(*a, **kw))  # type: ignore[method-assign]
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def no_csp_violations() -> Iterator[None]:
    """A browser test fails when a page it opened broke the Content-Security-Policy: a script, frame, style,
    connection or form the policy does not allow (an inline script, eval, a new third-party origin…)."""
    CSP_VIOLATIONS.clear()
    yield
    found, CSP_VIOLATIONS[:] = list(CSP_VIOLATIONS), []
    assert found == [], "the Content-Security-Policy blocked:\n" + "\n".join(found)


@pytest.fixture
def committed(django_db_blocker: Any) -> Iterator[list[str]]:
    """Company slugs a browser test created (committed by the real server); removed afterwards."""
    slugs: list[str] = []
    yield slugs
    from django.db import connection

    from backend.accounts.models import Membership, User
    from tenants.models import Tenant

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for tenant in Tenant.objects.filter(slug__in=slugs):
            user_ids = list(Membership.objects.filter(tenant=tenant).values_list("user_id", flat=True))
            tenant.delete(force_drop=True)
            User.objects.filter(pk__in=user_ids, memberships__isnull=True).delete()
