"""HTTP load benchmarks on the demo-size company (示范物业: 1,500 units, a year of billing), served the way
`make demo` and production serve it (infra/web.sh: uvicorn, one worker per CPU, pooled connections), each
beside a bare Django JSON view on the same server stack (infra/bench/bare_asgi.py) measured in the same run.

The load is an asyncio client (aiohttp) on loopback. Every virtual user is signed in once: staff and the
resident have a session cookie (pages) and a bearer token (API), reused for every request. The mix is what
residents and staff do most: the resident's home and bills pages, their unpaid bills, unread count and
profile over the API, the community shop's home, a search (page and API) and its group-buy deals; the
staff dashboard, unit list and arrears pages, unit search and the arrears list over the API.

    bench http-single:        one request at a time, the median of each request of the mix (these three
                              measure rendering: the response cache is off for them)
    bench http-me-median:     /api/v1/me/ alone (target ≤ 5 ms) beside the bare view
    bench http-pages-median:  the slowest page's median (target ≤ 25 ms)
    bench http-p95:           50 users, each about one request a second for 30 s (target p95 ≤ 50 ms)
    bench http-errors:        errors during http-p95 (target 0)
    bench http-throughput:    50 clients with no pause (target ≥ 0.4 of the bare view's requests/s)
    bench http-throughput-uncached:  the same with the response cache off (RESPONSE_CACHE=0): every
                              request rendered
    bench http-throughput-writes:    the same while the company changes: 10 writes a second
                              (HTTP_WRITES_PER_SECOND), notifications and bill lines by turns
    bench http-1000:          1,000 connections held open 60 s, a request every 10 s each on average
                              (target 0 errors, p95 ≤ 200 ms)

Knobs (environment): HTTP_USERS (50), HTTP_SECONDS (30), HTTP_THROUGHPUT_SECONDS (15), HTTP_CONNECTIONS
(1000), HTTP_HOLD_SECONDS (60), WEB_CONCURRENCY (the CPU count).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_state: dict[str, Any] = {}


@dataclass(frozen=True)
class Call:
    """One request of the mix: who sends it (a demo login), how (session page or bearer API) and where."""

    who: str
    path: str
    api: bool
    weight: int = 1


def _mix(unit_number: str) -> list[Call]:
    return [
        Call("resident", "/api/v1/me/", api=True, weight=3),
        Call("resident", "/api/v1/bills/?unpaid=1", api=True, weight=2),
        Call("resident", "/api/v1/notifications/unread-count/", api=True, weight=3),
        Call("resident", "/resident/", api=False, weight=2),
        Call("resident", "/resident/bills/", api=False, weight=2),
        # 社区商城: the shop's home, a search as typed, and the same over the API.
        Call("resident", "/resident/shop/", api=False),
        Call("resident", "/resident/shop/search/?q=%E5%AE%B6%E6%94%BF", api=False),  # 家政
        Call("resident", "/api/v1/shop/listings/?q=%E8%8B%B9", api=True),  # 苹
        Call("resident", "/resident/shop/deals/", api=False),  # 团购: the open deals
        Call("finance", "/staff/", api=False),
        Call("finance", "/api/v1/arrears/", api=True),
        Call("finance", "/staff/billing/arrears/", api=False),
        Call("service", "/staff/units/", api=False),
        Call("service", f"/api/v1/search/?q={unit_number}", api=True),
        Call("service", "/api/v1/units/", api=True),
        Call("admin", "/api/v1/me/", api=True),
    ]


# --- set-up: the demo company, one session and one token per login -----------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _identities() -> tuple[str, dict[str, dict[str, str]], str]:
    """(host, login → {"cookie", "token"}, a unit number to search for), seeding the demo company in the
    benchmark database the first time (a few minutes, then reused)."""
    from django.conf import settings
    from django.utils.crypto import get_random_string
    from django_tenants.utils import tenant_context

    from backend.access.services import api_token_issue
    from backend.accounts.models import User
    from backend.accounts.sessions import session_open
    from backend.demo.companies import DEMO_PEOPLE, DEMO_SLUG, demo_seed, marketplace_seed
    from backend.properties.models import Unit
    from marketplace.models import Merchant
    from tenants.models import Tenant

    tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
    if tenant is None or not _seeded(tenant):
        started = time.perf_counter()
        print("  http: seeding the demo company in the benchmark database (once)…", file=sys.stderr, flush=True)
        tenant = demo_seed()  # which ends with ANALYZE of the company's tables
        print(f"  http: seeded in {time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
    elif not Merchant.objects.exists():  # a benchmark database seeded before the marketplace
        marketplace_seed()
    logins = {"admin": DEMO_PEOPLE[0], "finance": DEMO_PEOPLE[1], "service": DEMO_PEOPLE[2]}
    logins["resident"] = DEMO_PEOPLE[5]
    identities: dict[str, dict[str, str]] = {}
    with tenant_context(tenant):
        for who, login in logins.items():
            user = User.objects.get(email=login.email)
            session = session_open(user)
            _token, raw = api_token_issue(user=user, name="http bench")
            # A browser keeps the CSRF cookie the first page set, and sends it back with every later request.
            cookie = f"sessionid={session.session_key}; csrftoken={get_random_string(32)}"
            identities[who] = {"cookie": cookie, "token": raw}
        unit = Unit.objects.order_by("pk").values_list("number", flat=True).first() or "1201"
    return f"{tenant.slug}.{settings.PLATFORM_DOMAIN}", identities, unit


def _seeded(tenant: Any) -> bool:
    from django_tenants.utils import tenant_context

    from backend.billing.models import BillLine

    with tenant_context(tenant):
        return BillLine.objects.exists()


@contextlib.contextmanager
def _server(asgi_app: str, *, cached: bool = True) -> Iterator[int]:
    """infra/web.sh with `asgi_app` on a free port (the platform's settings, DEBUG off); `cached` False turns
    the response cache's lookup off (RESPONSE_CACHE=0): every request rendered."""
    port = _free_port()
    env = dict(
        os.environ,
        RESPONSE_CACHE="1" if cached else "0",
        PORT=str(port),
        HOST="127.0.0.1",
        ASGI_APP=asgi_app,
        DEBUG="False",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "backend.settings.local"),
        PYTHON=sys.executable,
    )
    proc = subprocess.Popen(["bash", str(ROOT / "infra" / "web.sh")], cwd=ROOT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}")
            time.sleep(0.2)
        time.sleep(1.0)  # every worker process up, not only the first
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=10)


# --- the load -----------------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    hits: int = 0  # answered from the response cache (X-Response-Cache: hit)
    samples: dict[str, str] = field(default_factory=dict)
    by_path: dict[str, list[float]] = field(default_factory=dict)

    def p(self, q: int) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1]


class Target:
    """Where the requests go and as whom: the platform (the mix) or the bare view (same paths)."""

    def __init__(self, port: int, host: str, identities: dict[str, dict[str, str]], calls: list[Call]):
        self.base = f"http://127.0.0.1:{port}"
        self.host = host
        self.identities = identities
        self.calls = calls
        self.weights = [c.weight for c in calls]

    def headers(self, call: Call) -> dict[str, str]:
        who = self.identities.get(call.who, {})
        headers = {"Host": self.host}
        if call.api and who.get("token"):
            headers["Authorization"] = f"Bearer {who['token']}"
        elif who.get("cookie"):
            headers["Cookie"] = who["cookie"]
        return headers

    def pick(self, rng: random.Random) -> Call:
        return rng.choices(self.calls, weights=self.weights)[0]


async def _send(session: Any, target: Target, call: Call, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        async with session.get(
            target.base + call.path, headers=target.headers(call), allow_redirects=False
        ) as response:
            await response.read()
            ok = response.status == 200
            tally.hits += response.headers.get("X-Response-Cache") == "hit"
            if not ok and len(tally.samples) < 5:
                tally.samples[call.path] = f"HTTP {response.status}"
    except Exception as exc:  # noqa: BLE001 - counted as an error; the run goes on
        ok = False
        if len(tally.samples) < 5:
            tally.samples[call.path] = repr(exc)[:200]
    elapsed = (time.perf_counter() - started) * 1000
    if ok:
        tally.latencies.append(elapsed)
        tally.by_path.setdefault(call.path, []).append(elapsed)
    else:
        tally.errors += 1


def _session(limit: int) -> Any:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=limit, keepalive_timeout=120, force_close=False)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30))


async def _paced_users(target: Target, users: int, seconds: float, interval: float, tally: Tally) -> None:
    """`users` clients, each with its own keep-alive connection, sending one request per `interval` seconds
    on average (uniformly 0.5–1.5 × interval apart, from a random start) for `seconds`."""
    deadline = time.perf_counter() + seconds

    async def user(n: int) -> None:
        rng = random.Random(n)
        async with _session(limit=1) as session:
            await asyncio.sleep(rng.uniform(0, interval))
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await _send(session, target, target.pick(rng), tally)
                pause = rng.uniform(0.5, 1.5) * interval - (time.perf_counter() - started)
                await asyncio.sleep(max(0.0, pause))

    await asyncio.gather(*(user(n) for n in range(users)))


async def _flat_out(target: Target, clients: int, seconds: float, tally: Tally) -> float:
    """`clients` clients sending back to back for `seconds`; returns requests per second (successes)."""
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()

    async def client(n: int) -> None:
        rng = random.Random(1000 + n)
        async with _session(limit=1) as session:
            while time.perf_counter() < deadline:
                await _send(session, target, target.pick(rng), tally)

    await asyncio.gather(*(client(n) for n in range(clients)))
    return len(tally.latencies) / (time.perf_counter() - started)


async def _warm(target: Target) -> None:
    """Each request of the mix a few times, so the first measured requests do not pay for imports and the
    template cache in each worker."""
    async with _session(limit=8) as session:
        for _ in range(6):
            await asyncio.gather(*(_send(session, target, call, Tally()) for call in target.calls))


def _raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, needed), hard))


# --- the measurements ------------------------------------------------------------------------------------

PLATFORM = "backend.asgi:application"
BARE = "infra.bench.bare_asgi:application"


def _both(measure: Any, *, cached: bool = True) -> tuple[Any, Any]:
    """measure(target) on the platform, then on the bare view (same paths and headers), each on a fresh server;
    `cached` False: the platform with its response cache off."""
    if "identities" not in _state:
        _state["identities"] = _identities()
    host, identities, unit = _state["identities"]
    calls = _mix(unit)
    results = []
    for app in (PLATFORM, BARE):
        with _server(app, cached=cached) as port:
            target = Target(port, host, identities, calls)
            asyncio.run(_warm(target))
            results.append(measure(target))
    return results[0], results[1]


def _single(target: Target) -> dict[str, float]:
    """One request at a time: each call of the mix 30 times, interleaved; the median per path."""

    async def run() -> dict[str, float]:
        tally = Tally()
        async with _session(limit=1) as session:
            for _ in range(30):
                for call in target.calls:
                    await _send(session, target, call, tally)
        if tally.errors:
            print(f"  http-single: {tally.errors} errors, e.g. {tally.samples}", file=sys.stderr)
        return {path: statistics.median(values) for path, values in tally.by_path.items()}

    return asyncio.run(run())


def _single_results() -> tuple[dict[str, float], dict[str, float]]:
    if "single" not in _state:
        # The cost of rendering (the per-request targets): the response cache off, or 29 of 30 would be hits.
        _state["single"] = _both(_single, cached=False)
        ours, bare = _state["single"]
        for path, ms in sorted(ours.items(), key=lambda kv: -kv[1]):
            print(f"  http-single: {ms:6.2f} ms  {path}  (bare {bare.get(path, float('nan')):.2f} ms)", file=sys.stderr)
    return _state["single"]  # type: ignore[no-any-return]


def run_single() -> str:
    ours, bare = _single_results()
    slowest = max(ours, key=lambda p: ours[p])
    bare_median = statistics.median(bare.values())
    return f"bench http-single: slowest {ours[slowest]:.2f} ms ({slowest}); bare view {bare_median:.2f} ms"


def run_me_median() -> str:
    ours, bare = _single_results()
    me, base = ours["/api/v1/me/"], bare["/api/v1/me/"]
    return f"bench http-me-median: {me:.2f} ms; baseline {base:.2f} ms; ratio {base / me:.2f}x"


def run_pages_median() -> str:
    ours, bare = _single_results()
    pages = {p: ms for p, ms in ours.items() if not p.startswith("/api/")}
    slowest = max(pages, key=lambda p: pages[p])
    base = bare[slowest]
    return (
        f"bench http-pages-median: {pages[slowest]:.2f} ms; baseline {base:.2f} ms; "
        f"ratio {base / pages[slowest]:.2f}x (slowest page: {slowest})"
    )


def _p95_results() -> tuple[Tally, Tally]:
    if "p95" not in _state:
        users = int(os.environ.get("HTTP_USERS", "50"))
        seconds = float(os.environ.get("HTTP_SECONDS", "30"))
        _raise_fd_limit(users * 4 + 256)

        def measure(target: Target) -> Tally:
            tally = Tally()
            asyncio.run(_paced_users(target, users, seconds, 1.0, tally))
            return tally

        _state["p95"] = _both(measure)
        ours, bare = _state["p95"]
        print(
            f"  http-p95: {len(ours.latencies)} ok, {ours.errors} errors; p50 {ours.p(50):.1f} ms, "
            f"p99 {ours.p(99):.1f} ms, {100 * ours.hits / max(1, len(ours.latencies)):.1f}% from the response cache "
            f"(bare: p50 {bare.p(50):.1f} ms, {bare.errors} errors)",
            file=sys.stderr,
        )
        if ours.errors:
            print(f"  http-p95 errors, e.g.: {ours.samples}", file=sys.stderr)
    return _state["p95"]  # type: ignore[no-any-return]


def run_p95() -> str:
    ours, bare = _p95_results()
    return f"bench http-p95: {ours.p(95):.1f} ms; baseline {bare.p(95):.1f} ms; ratio {bare.p(95) / ours.p(95):.2f}x"


def run_errors() -> str:
    ours, _bare = _p95_results()
    return f"bench http-errors: {ours.errors}"


def run_throughput() -> str:
    return _throughput(cached=True, name="http-throughput")


def run_throughput_writes() -> str:
    """The same load while the company keeps changing: HTTP_WRITES_PER_SECOND (10) committed writes a
    second, by turns a notification to a random member of the company (the mix's logins included) and a
    write to a random open bill line (as a payment would: every page that read the bill lines renders
    again)."""
    return _throughput(
        cached=True, name="http-throughput-writes", writes=float(os.environ.get("HTTP_WRITES_PER_SECOND", "10"))
    )


@contextlib.contextmanager
def _writer(per_second: float) -> Iterator[list[int]]:
    """A thread committing one write every 1/per_second seconds in the demo company (see
    run_throughput_writes); the notifications it made are removed afterwards. Yields the writes made."""
    import threading

    from django.db import connection
    from django_tenants.utils import tenant_context

    from backend.accounts.models import Membership
    from backend.billing.models import BillLine
    from backend.demo.companies import DEMO_SLUG
    from backend.notifications.models import Notification
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug=DEMO_SLUG)
    people = list(Membership.objects.filter(tenant=tenant).values_list("user_id", flat=True))
    stop = threading.Event()
    made: list[int] = []
    rng = random.Random(7)

    def write() -> None:
        notes: list[int] = []
        with tenant_context(tenant):
            lines = list(BillLine.objects.filter(outstanding__gt=0).values_list("pk", flat=True)[:5000])
            while not stop.wait(1 / per_second):
                if len(made) % 2 == 0:
                    note = Notification.objects.create(recipient_id=rng.choice(people), kind="bench", title="bench")
                    notes.append(note.pk)
                else:
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "UPDATE billing_billline SET outstanding = outstanding WHERE id = %s", [rng.choice(lines)]
                        )
                made.append(1)
            Notification.objects.filter(pk__in=notes).delete()
        connection.close()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        stop.set()
        thread.join(timeout=30)


def run_throughput_uncached() -> str:
    """The same load with the response cache off: what rendering every request costs."""
    return _throughput(cached=False, name="http-throughput-uncached")


def _throughput(*, cached: bool, name: str, writes: float = 0.0) -> str:
    clients = int(os.environ.get("HTTP_USERS", "50"))
    seconds = float(os.environ.get("HTTP_THROUGHPUT_SECONDS", "15"))
    _raise_fd_limit(clients * 4 + 256)
    tallies: list[Tally] = []

    written: list[int] = []

    def measure(target: Target) -> float:
        tally = Tally()
        tallies.append(tally)
        if writes and len(tallies) == 1:  # the platform's run (the bare view has no database)
            with _writer(writes) as made:
                rate = asyncio.run(_flat_out(target, clients, seconds, tally))
            written.extend(made)
            return rate
        return asyncio.run(_flat_out(target, clients, seconds, tally))

    ours, bare = _both(measure, cached=cached)
    if writes:
        print(f"  {name}: {len(written)} writes committed during the run", file=sys.stderr)
    print(
        f"  {name}: {tallies[0].errors} errors, p50 {tallies[0].p(50):.1f} ms under saturation, "
        f"{100 * tallies[0].hits / max(1, len(tallies[0].latencies)):.1f}% from the response cache "
        f"(bare: {tallies[1].errors} errors, p50 {tallies[1].p(50):.1f} ms)",
        file=sys.stderr,
    )
    return f"bench {name}: {ours:.0f} req/s; baseline {bare:.0f} req/s; ratio {ours / bare:.2f}x"


def run_1000() -> str:
    connections = int(os.environ.get("HTTP_CONNECTIONS", "1000"))
    seconds = float(os.environ.get("HTTP_HOLD_SECONDS", "60"))
    _raise_fd_limit(connections * 3 + 512)

    def measure(target: Target) -> Tally:
        tally = Tally()
        asyncio.run(_paced_users(target, connections, seconds, 10.0, tally))
        return tally

    ours, bare = _both(measure)
    print(
        f"  http-1000: {len(ours.latencies)} ok; p50 {ours.p(50):.1f} ms, p99 {ours.p(99):.1f} ms "
        f"(bare: {bare.errors} errors, p95 {bare.p(95):.1f} ms)",
        file=sys.stderr,
    )
    if ours.errors:
        print(f"  http-1000 errors, e.g.: {ours.samples}", file=sys.stderr)
    return (
        f"bench http-1000: {ours.errors} errors; p95 {ours.p(95):.1f} ms; "
        f"baseline {bare.errors} errors, p95 {bare.p(95):.1f} ms ({connections} connections, {seconds:.0f} s)"
    )
