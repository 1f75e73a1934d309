"""Test set-up against real PostgreSQL (schemas made by django-tenants) and real Redis.

Two companies, alpha and beta, are onboarded once per test database and kept (--reuse-db): every test
runs in a transaction that is rolled back, so what a test creates inside them disappears. Tests that need
committed data (a real worker, a real server, a browser) create their own and remove it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.factories import MemberFactory

ROOT = Path(__file__).resolve().parent.parent
COMPANY_PASSWORD = "Test-pass-2026!"


def _ensure_company(slug: str, name: str, admin_email: str, admin_phone: str) -> Any:
    from tenants.models import Tenant
    from tenants.services import company_onboard

    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        tenant = company_onboard(
            company_name=name,
            subdomain=slug,
            admin_name=f"{name}管理员",
            admin_email=admin_email,
            admin_phone=admin_phone,
            admin_password=COMPANY_PASSWORD,
        ).tenant
    return tenant


@pytest.fixture(scope="session")
def django_db_modify_db_settings() -> None:
    """Before the test database is (re)created: end sessions that a crashed earlier run left on it (e.g. a
    server process killed with its parent), which would otherwise block DROP DATABASE."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    name = db.get("TEST", {}).get("NAME") or f"test_{db['NAME']}"
    try:
        with psycopg.connect(
            host=db.get("HOST") or "127.0.0.1",
            port=db.get("PORT") or 5432,
            user=db.get("USER") or "postgres",
            password=db.get("PASSWORD") or None,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
    except psycopg.Error:
        pass  # no server or no rights: pytest-django reports the real problem next


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup: None, django_db_blocker: Any, django_db_keepdb: bool, django_db_createdb: bool
) -> None:
    from django.conf import settings
    from django.test.utils import setup_databases

    from tenants.services import platform_setup

    with django_db_blocker.unblock():
        if connection.settings_dict["NAME"] != settings.DATABASES["default"]["TEST"]["NAME"]:
            # pytest-django sets the test database up only when a collected test is marked django_db (or
            # uses `db`). A run of only live-server tests (they commit, so they carry no mark) would then
            # seed the developer's database: set the test database up here instead.
            setup_databases(
                verbosity=0, interactive=False, aliases={"default"}, keepdb=django_db_keepdb and not django_db_createdb
            )
        platform_setup(verbosity=0)
        _ensure_company("alpha", "阿尔法物业", "admin@alpha.test", "13900000001")
        _ensure_company("beta", "贝塔物业", "admin@beta.test", "13900000002")
        connection.set_schema_to_public()


@pytest.fixture
def tenant_a(db: None) -> Any:
    from tenants.models import Tenant

    return Tenant.objects.get(slug="alpha")


@pytest.fixture
def tenant_b(db: None) -> Any:
    from tenants.models import Tenant

    return Tenant.objects.get(slug="beta")


@pytest.fixture(autouse=True)
def _public_schema_after_test() -> Iterator[None]:
    yield
    with contextlib.suppress(Exception):
        connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _english_outside_requests() -> Iterator[None]:
    """Service-level assertions read English messages; requests still pick their language per company."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _clear_rate_limits() -> Iterator[None]:
    yield
    from django.core.cache import cache

    from tenants.host_cache import local_forget_all

    cache.clear()
    local_forget_all()  # the host cache's per-process copies (tenants/host_cache.py)


@pytest.fixture
def in_tenant_a(tenant_a: Any) -> Iterator[Any]:
    connection.set_tenant(tenant_a)
    yield tenant_a
    connection.set_schema_to_public()


def host_of(tenant: Any) -> str:
    return f"{tenant.slug}.localhost"


@pytest.fixture
def member(db: None) -> Callable[..., Any]:
    """member(tenant, roles=[...]) -> a user with an active membership in that company."""

    def make(tenant: Any, roles: list[str] | None = None, **user_fields: Any) -> Any:
        return MemberFactory(
            tenant=tenant,
            roles=roles or ["company_admin"],
            **{f"user__{k}": v for k, v in user_fields.items()},
        ).user

    return make


@pytest.fixture
def client_for() -> Callable[..., Client]:
    """client_for(tenant, user=None) -> a test client on that company's domain, signed in there as user."""

    def make(tenant: Any, user: Any = None) -> Client:
        client = Client(HTTP_HOST=host_of(tenant))
        if user is not None:
            connection.set_tenant(tenant)
            client.force_login(user, backend="backend.accounts.backends.EmailOrPhoneBackend")
            connection.set_schema_to_public()
        return client

    return make


@pytest.fixture
def platform_client() -> Client:
    return Client(HTTP_HOST="localhost")


# --- real processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url_for_subprocess() -> str:
    s = connection.settings_dict
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="backend.settings.test",
        DATABASE_URL=database_url_for_subprocess(),
        PYTHONUNBUFFERED="1",
        # Servers and workers pool their connections as deployed (the test process itself does not).
        DB_POOL="1",
    )
    env.update(extra)
    return env


def wait_for_port(port: int, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listened on {port} within {seconds}s")


@pytest.fixture(scope="session")
def live_asgi(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[str]:
    """A real uvicorn serving backend.asgi (HTTP + websockets) on the test database. Yields ':<port>'."""
    port = free_port()
    log = tmp_path_factory.mktemp("asgi") / "uvicorn.log"
    with django_db_blocker.unblock():
        env = subprocess_env(PLATFORM_URL_PORT=f":{port}")
    with asgi_server(port, env, log) as where:
        yield where


@contextlib.contextmanager
def asgi_server(port: int, env: dict[str, str], log: Path) -> Iterator[str]:
    """uvicorn serving backend.asgi on 127.0.0.1:port with `env`, its output in `log`; yields ':<port>' once
    it listens and stops it for certain afterwards."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "backend.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
            # As in production: the client address is Django's business (TRUSTED_PROXIES), not uvicorn's.
            + ["--no-proxy-headers", "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port, proc)
            yield f":{port}"
        finally:
            stop_process(proc)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server or worker this session started, for certain: a graceful shutdown may wait on open
    sockets' channel-layer reads, and a process left behind would hold the test database open."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def worker(django_db_setup: None, django_db_blocker: Any, tmp_path: Any) -> Iterator[str]:
    """A real Celery worker process on the test database, consuming a private queue (yielded)."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        env = subprocess_env()
    with celery_worker(queue, env, tmp_path / "worker.log"):
        yield queue


@contextlib.contextmanager
def celery_worker(queue: str, env: dict[str, str], log_path: Path) -> Iterator[str]:
    """A Celery worker process with `env`, consuming `queue`, its output in `log_path`; yields the queue once
    the worker answers a ping, and stops it for certain afterwards."""
    log = open(log_path, "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "backend.celery:app",
            "worker",
            "-P",
            "solo",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # Hand the worker out only once it answers: on a busy machine it can take many seconds to boot.
    from backend.celery import app

    try:
        deadline = time.monotonic() + 120
        while not app.control.ping(destination=[f"{queue}@{socket.gethostname()}"], timeout=1):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start: {log_path.read_text()[-2000:]}")
        yield queue
    finally:
        stop_process(proc)
        log.close()


# --- localstripe: the Stripe protocol, locally ---------------------------------------------------------

LOCALSTRIPE_SECRET = "sk_test_localstripe"
LOCALSTRIPE_PUBLISHABLE = "pk_test_localstripe"
LOCALSTRIPE_WEBHOOK_SECRET = "whsec_test_localstripe"


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: Any) -> Iterator[str]:
    """A localstripe server on 127.0.0.1 (its state in a temp dir), and the platform's Stripe settings
    pointing at it, in this process and in the servers and workers tests start. Yields its base URL."""
    from django.conf import settings

    port = free_port()
    state = tmp_path_factory.mktemp("localstripe")
    log = open(state / "localstripe.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "backend.gateway.localstripe_server",
            "--port",
            str(port),
            "--state-dir",
            str(state),
            "--from-scratch",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    values = {
        "STRIPE_SECRET_KEY": LOCALSTRIPE_SECRET,
        "STRIPE_PUBLISHABLE_KEY": LOCALSTRIPE_PUBLISHABLE,
        "STRIPE_WEBHOOK_SECRET": LOCALSTRIPE_WEBHOOK_SECRET,
        "STRIPE_API_BASE": base,
    }
    saved = {k: getattr(settings, k) for k in values}
    saved_env = {k: os.environ.get(k) for k in values}
    try:
        wait_for_port(port, proc)
        for k, v in values.items():
            setattr(settings, k, v)
            os.environ[k] = v
        yield base
    finally:
        for k, v in saved.items():
            setattr(settings, k, v)
        for k, old in saved_env.items():
            if old is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = old
        stop_process(proc)
        log.close()


def stripe_signature(payload: bytes, secret: str = LOCALSTRIPE_WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send with this payload."""
    import hashlib
    import hmac

    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"
