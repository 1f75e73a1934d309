"""Websocket delivery: WS_CLIENTS (default 200; the target is 1,000) authenticated sockets held open
against ONE uvicorn process; the bench then sends each person a notification through the service
(notification_send: row, commit, push over the Redis channel layer) and measures service call → receipt on
the client (a real websocket client library, `websockets`, on loopback). Prints

    bench ws-delivery-p95: <ms> ms
    bench ws-delivered: <percent> %

Run the full size with:  WS_CLIENTS=1000 make bench B=ws-delivery-p95
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tenants.db import connection

ROOT = Path(__file__).resolve().parents[2]
_results: dict[str, float] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _people(tenant, count: int) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """Members with a session each in the bench company (made once, reused)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from backend.accounts.models import Membership, User

    existing = list(User.objects.filter(email__startswith="ws-bench-").order_by("id")[:count])
    missing = count - len(existing)
    if missing > 0:
        made = User.objects.bulk_create(
            [
                User(email=f"ws-bench-{uuid.uuid4().hex[:10]}@bench.test", name="压测", password="!")
                for _ in range(missing)
            ]
        )
        Membership.objects.bulk_create([Membership(user=u, tenant=tenant, roles=["resident"]) for u in made])
        existing += made
    connection.set_tenant(tenant)
    people = []
    for user in existing:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "backend.accounts.backends.EmailOrPhoneBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        people.append((user.pk, session.session_key or ""))
    connection.set_schema_to_public()
    return people


async def _run_clients(port: int, host: str, people: list[tuple[int, str]], send, expected: int):  # type: ignore[no-untyped-def]
    import websockets
    from websockets.typing import Origin

    received: dict[int, float] = {}
    connected = 0
    ready = asyncio.Event()
    done = asyncio.Event()

    async def client(user_id: int, session_key: str) -> None:
        nonlocal connected
        try:
            # The URI names the company's host (the Host header); the TCP connection goes to loopback.
            async with websockets.connect(
                f"ws://{host}:{port}/ws/notifications/",
                host="127.0.0.1",
                port=port,
                open_timeout=60,
                ping_interval=None,
                origin=Origin(f"http://{host}"),
                additional_headers={"Cookie": f"sessionid={session_key}"},
                max_queue=None,
            ) as ws:
                hello = json.loads(await ws.recv())
                assert hello["type"] == "hello"
                connected += 1
                if connected == len(people):
                    ready.set()
                while not done.is_set():
                    try:
                        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=1))
                    except TimeoutError:
                        continue
                    if message.get("type") == "notification":
                        received[message["payload_id"] if "payload_id" in message else message["id"]] = time.time()
                        if len(received) >= expected:
                            done.set()
        except Exception as exc:  # noqa: BLE001 - a failed connection is counted, not fatal
            print(f"client {user_id}: {exc!r}", file=sys.stderr)

    tasks = [asyncio.create_task(client(uid, key)) for uid, key in people]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ready.wait(), timeout=120)
    sent_at = await asyncio.to_thread(send)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), timeout=60)
    done.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return connected, sent_at, received


def _measure() -> dict[str, float]:
    if _results:
        return _results
    from django.conf import settings

    from backend.accounts.models import User
    from backend.notifications.services import notification_send
    from infra.bench.registry import _company

    clients = int(os.environ.get("WS_CLIENTS", "200"))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, clients * 3 + 256)), hard))
    tenant = _company()
    host = f"{tenant.slug}.{settings.PLATFORM_DOMAIN}"
    people = _people(tenant, clients)
    users = {u.pk: u for u in User.objects.filter(pk__in=[p for p, _ in people])}
    port = _free_port()
    env = dict(os.environ, LOG_LEVEL="WARNING")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "backend.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--ws-max-queue",
            "256",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)

        def send() -> dict[int, float]:
            connection.set_tenant(tenant)
            sent: dict[int, float] = {}
            for user_id, _key in people:
                started = time.time()
                n = notification_send(recipient=users[user_id], kind="announcement", title="压测")
                sent[n.pk] = started
                time.sleep(0.002)  # a steady stream of events (500/s), not one burst
            connection.set_schema_to_public()
            return sent

        connected, sent_at, received = asyncio.run(_run_clients(port, host, people, send, expected=len(people)))
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()  # graceful shutdown waits on channel-layer reads; the figures are already taken
            server.wait(timeout=10)
    latencies = [(received[i] - t) * 1000 for i, t in sent_at.items() if i in received]
    _results.update(
        clients=clients,
        connected=connected,
        delivered=100.0 * len(latencies) / max(1, len(sent_at)),
        p50=statistics.median(latencies) if latencies else float("nan"),
        p95=statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else float("nan"),
        p99=statistics.quantiles(latencies, n=100)[-1] if len(latencies) > 1 else float("nan"),
    )
    print(
        f"  ws: {connected}/{clients} connected; p50 {_results['p50']:.1f} ms, p99 {_results['p99']:.1f} ms",
        file=sys.stderr,
    )
    return _results


def run_p95() -> str:
    r = _measure()
    return f"bench ws-delivery-p95: {r['p95']:.1f} ms"


def run_delivered() -> str:
    r = _measure()
    return f"bench ws-delivered: {r['delivered']:.1f} %"
