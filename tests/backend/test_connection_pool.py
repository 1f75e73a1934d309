"""Pooled database connections under a real uvicorn (settings: DATABASES OPTIONS pool, DB_POOL_* env).

The server never holds more PostgreSQL sessions than its pool allows, a burst waits for a pooled connection
instead of failing, and a connection handed from one company's request to another's always carries the
right search_path (django-tenants sets it again on every connection taken from the pool)."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from backend.access.models import ApiToken
from backend.accounts.models import Membership, User
from backend.accounts.services import token_hash
from backend.properties.models import ManagementOffice
from tenants.models import Tenant
from tests.conftest import asgi_server, free_port, subprocess_env


@pytest.fixture
def admins(django_db_blocker: Any) -> Iterator[dict[str, tuple[str, str]]]:
    """slug → (bearer token, office name) for a committed company admin of alpha and of beta, each company
    with one office of its own; all removed afterwards."""
    made: dict[str, tuple[str, str]] = {}
    users = []
    with django_db_blocker.unblock():
        try:
            for slug in ("alpha", "beta"):
                tenant = Tenant.objects.get(slug=slug)
                user = User.objects.create_user(
                    email=f"pool-{slug}-{uuid.uuid4().hex[:8]}@example.test", password="x", name="连接池"
                )
                users.append(user)
                Membership.objects.create(user=user, tenant=tenant, roles=["company_admin"])
                raw = secrets.token_urlsafe(24)
                with schema_context(slug):
                    ApiToken.objects.create(
                        key_hash=token_hash(raw), user=user, expires_at=timezone.now() + dt.timedelta(hours=1)
                    )
                    office = ManagementOffice.objects.create(name=f"{slug}-pool-{uuid.uuid4().hex[:6]}")
                made[slug] = (raw, office.name)
            yield made
        finally:
            connection.set_schema_to_public()
            for slug, (_raw, office_name) in made.items():
                with schema_context(slug):
                    ApiToken.objects.filter(user__in=users).delete()
                    ManagementOffice.objects.filter(name=office_name).delete()
            connection.set_schema_to_public()
            for user in users:
                user.delete()


class SessionCounter:
    """Samples pg_stat_activity every few milliseconds for the sessions of one application_name."""

    def __init__(self, application_name: str) -> None:
        self.application_name = application_name
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        s = connection.settings_dict
        with psycopg.connect(
            host=s.get("HOST") or "127.0.0.1",
            port=s.get("PORT") or 5432,
            user=s.get("USER") or "postgres",
            dbname=s["NAME"],
            autocommit=True,
        ) as conn:
            while not self._stop.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [self.application_name]
                ).fetchone()
                self.peak = max(self.peak, int(row[0]) if row else 0)
                self.samples += 1
                time.sleep(0.003)

    def __enter__(self) -> SessionCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


async def _get_all(port: int, requests: list[tuple[str, str, str]]) -> list[tuple[int, Any]]:
    """Send every (host, path, token) at once, each on its own connection; (status, JSON body) in order."""
    import aiohttp

    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=120)
    ) as session:

        async def one(host: str, path: str, token: str) -> tuple[int, Any]:
            headers = {"Host": host, "Authorization": f"Bearer {token}"}
            async with session.get(f"http://127.0.0.1:{port}{path}", headers=headers) as response:
                return response.status, await response.json(content_type=None)

        return await asyncio.gather(*(one(*r) for r in requests))


def _pooled_server(tmp_path: Any, django_db_blocker: Any, *, max_size: int) -> Any:
    """A real uvicorn (one process) on the test database whose pool holds at most `max_size` connections,
    tagged with its own application_name."""
    name = f"wuye-pool-test-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        env = subprocess_env(DB_POOL="1", DB_POOL_MIN_SIZE="1", DB_POOL_MAX_SIZE=str(max_size))
    env["DB_APPLICATION_NAME"] = name
    port = free_port()
    return name, port, asgi_server(port, env, tmp_path / "uvicorn.log")


def test_200_concurrent_requests_share_a_pool_of_10_and_all_succeed(admins, django_db_blocker, tmp_path):
    token, office = admins["alpha"]
    name, port, server = _pooled_server(tmp_path, django_db_blocker, max_size=10)
    with server, SessionCounter(name) as sessions:
        answers = asyncio.run(_get_all(port, [("alpha.localhost", "/api/v1/offices/", token)] * 200))
    statuses = [status for status, _body in answers]
    assert statuses == [200] * 200, {s: statuses.count(s) for s in set(statuses)}
    assert all(office in {o["name"] for o in body["results"]} for _s, body in answers)
    assert sessions.samples > 10
    # The pool's own ceiling, however many requests are in flight; and it was really used in parallel.
    assert 2 <= sessions.peak <= 10, sessions.peak


def test_companies_interleaved_through_one_pooled_connection_never_see_each_other(admins, django_db_blocker, tmp_path):
    (token_a, office_a), (token_b, office_b) = admins["alpha"], admins["beta"]
    name, port, server = _pooled_server(tmp_path, django_db_blocker, max_size=1)
    requests = [("alpha.localhost", "/api/v1/offices/", token_a), ("beta.localhost", "/api/v1/offices/", token_b)]
    with server, SessionCounter(name) as sessions:
        answers = asyncio.run(_get_all(port, requests * 60))
    assert sessions.peak == 1
    for (host, _path, _token), (status, body) in zip(requests * 60, answers, strict=True):
        assert status == 200, body
        names = {o["name"] for o in body["results"]}
        own, other = (office_a, office_b) if host.startswith("alpha") else (office_b, office_a)
        assert own in names and other not in names, (host, names)
