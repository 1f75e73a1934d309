"""Websockets across several web worker processes (infra/web.sh, as `make demo`, docker-compose and k8s run
it): sockets spread over the workers, and an event published from another process (here: the test, as a
Celery worker would) reaches every socket, whichever worker holds it, and only its own company's."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django_tenants.utils import schema_context

from backend.accounts.models import Membership, User
from backend.notifications.realtime import push_to_user
from tenants.models import Tenant
from tests.conftest import ROOT, free_port, stop_process, subprocess_env, wait_for_port

SOCKETS = 12


def _established_sockets(pid: int, port: int, peers: set[int]) -> int:
    """TCP connections process `pid` holds on local `port` from one of the client ports `peers` (from /proc: no
    extra tools). Only this test's sockets count: not, say, a port probe still lingering on a busy machine."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if local_port == port and remote_port in peers and fields[3] == "01" and fields[9] in inodes:  # ESTABLISHED
                count += 1
    return count


@pytest.fixture
def people(django_db_blocker: Any) -> Any:
    """SOCKETS committed members of alpha, each with a session, plus one of beta with the same kind of
    session; removed afterwards."""
    made: list[User] = []
    with django_db_blocker.unblock():
        try:
            sessions: list[tuple[str, int, str]] = []
            for i in range(SOCKETS + 1):
                slug = "alpha" if i < SOCKETS else "beta"
                user = User.objects.create_user(
                    email=f"ws-w-{uuid.uuid4().hex[:8]}@example.test", password="x", name="w"
                )
                made.append(user)
                Membership.objects.create(user=user, tenant=Tenant.objects.get(slug=slug), roles=["resident"])
                with schema_context(slug):
                    session = SessionStore()
                    session.update(
                        {
                            SESSION_KEY: str(user.pk),
                            BACKEND_SESSION_KEY: "backend.accounts.backends.EmailOrPhoneBackend",
                            HASH_SESSION_KEY: user.get_session_auth_hash(),
                        }
                    )
                    session.create()
                sessions.append((slug, user.pk, session.session_key or ""))
            yield sessions
        finally:
            connection.set_schema_to_public()
            for slug in ("alpha", "beta"):
                with schema_context(slug):
                    SessionStore.get_model_class().objects.filter(
                        session_key__in=[k for s, _u, k in sessions if s == slug]
                    ).delete()
            for user in made:
                user.delete()


def test_events_reach_sockets_on_every_worker_process(people, django_db_blocker, tmp_path):
    port = free_port()
    with django_db_blocker.unblock():
        env = subprocess_env(
            PORT=str(port),
            WEB_CONCURRENCY="2",
            PYTHON=sys.executable,
            PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        )
    log = open(tmp_path / "web.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(["bash", str(ROOT / "infra" / "web.sh")], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        wait_for_port(port, server)
        workers = _worker_pids(server.pid)
        assert len(workers) == 2, workers
        asyncio.run(_scenario(port, people, workers))
    finally:
        stop_process(server)
        log.close()


def _worker_pids(parent: int) -> list[int]:
    """uvicorn's worker processes: the children of its supervisor (web.sh execs uvicorn, so `parent`)."""
    import time

    for _ in range(100):
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(parent)], capture_output=True, text=True).stdout
        # Not multiprocessing's resource tracker, which is a child too.
        pids = [int(p) for p in out.split() if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]
        if len(pids) >= 2:
            time.sleep(1.5)  # let both finish importing the app
            return pids
        time.sleep(0.1)
    return []


def _client_ports(sockets: list[tuple[str, int, Any]]) -> set[int]:
    return {int(ws.local_address[1]) for _slug, _user, ws in sockets}


async def _open(port: int, slug: str, key: str) -> Any:
    import websockets

    host = f"{slug}.localhost"
    ws = await websockets.connect(
        f"ws://{host}:{port}/ws/notifications/",
        host="127.0.0.1",
        port=port,
        origin=websockets.typing.Origin(f"http://{host}"),
        additional_headers={"Cookie": f"sessionid={key}"},
    )
    assert json.loads(await ws.recv())["type"] == "hello"
    await ws.send(json.dumps({"type": "ping"}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"  # joined its groups
    return ws


async def _scenario(port: int, people: list[tuple[str, int, str]], workers: list[int]) -> None:
    sockets = [(slug, user_id, await _open(port, slug, key)) for slug, user_id, key in people]
    # The kernel hands each new connection to whichever worker accepts first; on a busy machine one worker
    # may still be starting. More tabs of the same alpha people until both hold some (a person's every tab
    # gets their events).
    alpha_people = [p for p in people if p[0] == "alpha"]
    held = {pid: _established_sockets(pid, port, _client_ports(sockets)) for pid in workers}
    while not all(held.values()) and len(sockets) < 80:
        slug, user_id, key = alpha_people[len(sockets) % len(alpha_people)]
        sockets.insert(0, (slug, user_id, await _open(port, slug, key)))
        held = {pid: _established_sockets(pid, port, _client_ports(sockets)) for pid in workers}
    assert sum(held.values()) == len(sockets), held
    assert all(n > 0 for n in held.values()), f"every worker should hold sockets: {held}"

    alpha = [(user_id, ws) for slug, user_id, ws in sockets if slug == "alpha"]
    (_beta_slug, beta_user, beta_ws) = sockets[-1]
    for user_id, _ws in alpha:
        await sync_to_async(push_to_user)(
            schema_name="alpha", user_id=user_id, message={"type": "notification", "id": user_id, "title": "多进程"}
        )
    # The beta member shares no numeric id with an alpha one here, but is pushed on alpha's group name: nothing.
    await sync_to_async(push_to_user)(
        schema_name="alpha", user_id=beta_user, message={"type": "notification", "id": 0, "title": "wrong"}
    )
    for user_id, ws in alpha:
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert (message["type"], message["id"]) == ("notification", user_id)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(beta_ws.recv(), 1)
    # One scrape, answered by either worker, counts the sockets and requests of both (PROMETHEUS_MULTIPROC_DIR).
    for _ in range(20):
        await asyncio.to_thread(_get, port, "/healthz")
    scraped = await asyncio.to_thread(_scrape, port)
    assert scraped[("wuye_websocket_connections", (("portal", "company"),))] == len(sockets)
    assert scraped[("wuye_http_requests_total", (("method", "GET"), ("status", "2xx"), ("view", "healthz")))] == 20
    assert scraped[("wuye_db_pool_connections", (("state", "max"),))] >= 10  # at least one worker's pool
    for _slug, _user, ws in sockets:
        await ws.close()
    for _ in range(50):  # the workers see the closes
        if (await asyncio.to_thread(_scrape, port))[("wuye_websocket_connections", (("portal", "company"),))] == 0:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the socket gauge never came back to 0")


def _get(port: int, path: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:  # noqa: S310
        return bytes(response.read())


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    samples = {}
    for family in text_string_to_metric_families(_get(port, "/metrics").decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples
