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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped: Playwright's sync API runs an event loop on the main thread while it is open, which
    other (async_to_sync) tests cannot share; it is closed when the browser tests of a module are done."""
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


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
