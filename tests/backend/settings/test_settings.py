"""Settings that hold the project together: app lists, production's refusal without secrets, hashing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

ROOT = Path(__file__).resolve().parents[3]
LOCAL_PACKAGES = ("backend", "portal", "marketplace", "tenants")
# Apps whose tables must exist in every company's schema, and those only in the public schema.
TENANT_ONLY = {
    "tenants.company",
    "backend.access",
    "backend.audit",
    "backend.notifications",
    "backend.properties",
    "backend.billing",
    "backend.payments",
    "backend.club",
    "marketplace.company",
    "marketplace.orders",
    "marketplace.settlement",
    "marketplace.groupbuy",
    "backend.desk",
    "backend.gate",
    "backend.renovation",
    "backend.privacy",
}
SHARED_ONLY = {
    "tenants",
    "backend.accounts",
    "backend.gateway",
    "portal",
    "marketplace",
    "marketplace.search",
    "marketplace.orders_index",
    "marketplace.settlement_index",
    "marketplace.aftersale_index",
    "backend.demo",
    "backend.operations",
    "backend.response_cache",
}


def local_apps() -> set[str]:
    return {cfg.name for cfg in apps.get_app_configs() if cfg.name.split(".")[0] in LOCAL_PACKAGES}


def test_every_local_app_is_in_exactly_the_list_it_belongs_to():
    found = local_apps()
    assert found == TENANT_ONLY | SHARED_ONLY, "a new local app must be placed in SHARED_APPS or TENANT_APPS"
    for app in TENANT_ONLY:
        assert app in settings.TENANT_APPS and app not in settings.SHARED_APPS, app
    for app in SHARED_ONLY:
        assert app in settings.SHARED_APPS and app not in settings.TENANT_APPS, app


def test_every_app_with_models_on_disk_is_installed():
    # A models.py nobody installed would silently have no tables.
    installed = {cfg.path for cfg in apps.get_app_configs()}
    for models_py in ROOT.glob("*/**/models.py"):
        if ".venv" in models_py.parts:
            continue
        assert str(models_py.parent) in installed, f"{models_py.parent} has models but is not in INSTALLED_APPS"


# Only these, which set headers and never touch the database, may run before the tenant middleware (so that
# the answers it gives by itself carry the security headers too), after the observability one (a request id and
# a timer; and /metrics, for scrapers on plain HTTP inside the network, not browsers).
HEADER_ONLY_MIDDLEWARE = [
    "backend.observability.middleware.ObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "backend.security_headers.SecurityHeadersMiddleware",
]


def test_tenant_middleware_comes_first_after_the_header_only_ones():
    first = settings.MIDDLEWARE.index("tenants.middleware.TenantMiddleware")
    assert settings.MIDDLEWARE[:first] == HEADER_ONLY_MIDDLEWARE


def test_base_settings_hash_with_argon2():
    from backend.settings import base

    assert base.PASSWORD_HASHERS[0] == "backend.accounts.hashers.Argon2idHasher"
    from backend.accounts.hashers import Argon2idHasher

    hasher = Argon2idHasher()
    encoded = hasher.encode("Secret-2026", hasher.salt())
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.verify("Secret-2026", encoded) and not hasher.verify("secret-2026", encoded)


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_required_secrets(missing, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"}}
    env.update(
        SECRET_KEY="s3cret-for-test",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/x",
        ALLOWED_HOSTS="example.com",
        DJANGO_SETTINGS_MODULE="backend.settings.production",
    )
    env.pop(missing)
    # Run from an empty directory copy-free: .env must not supply the value either.
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def run_in_production(*args: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    """python `args` with production settings and its required variables, none of the security switches
    docker-compose turns off (so the defaults are what runs)."""
    # Nor what the test run sets for itself (the browser tests allow sync ORM calls in their event loop).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "SESSION_COOKIE", "CSRF_COOKIE")) and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(
        SECRET_KEY="s3cret-for-test",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/x",
        ALLOWED_HOSTS="example.com",
        DJANGO_SETTINGS_MODULE="backend.settings.production",
    )
    env.update(env_extra)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_production_starts_with_required_secrets():
    result = run_in_production(
        "-c", "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_check_deploy_passes_with_production_settings():
    import secrets

    result = run_in_production(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS=".example.com,example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_sends_hsts_and_secure_cookies_by_default():
    result = run_in_production(
        "-c",
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_REDIRECT_EXEMPT)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "31536000 True True True True ['^healthz$']"
