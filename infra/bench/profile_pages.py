"""The CPU each request of the HTTP mix costs in this process (`make bench B=page-cpu`).

The http-* benchmarks time requests through uvicorn, where a figure mixes Python, PostgreSQL and whatever
else shares the cores. This one sends the same mix (infra/bench/http.py `_mix`, as the same logins) through
Django's test Client in-process, against the benchmark database's demo company, and reads the process's
CPU clock around each request: the Python a request costs (middleware, queries built and read, templates),
without the database server's own time, the network or the ASGI server. That is the figure to cut when a
page misses its 25 ms target, and it moves much less with the machine's load than wall time does.

    bench page-cpu /resident/bills/: 13.1 ms cpu (wall 15.0 ms, 9 queries)
    ...
    bench page-cpu: slowest /staff/billing/arrears/ 14.2 ms cpu; median of the mix 6.0 ms

Each URL is requested PAGE_CPU_RUNS times (default 30) after PAGE_CPU_WARM warm-up requests (5), interleaved
with the rest of the mix; the figure is the median. DEBUG is off, as in the served platform.

To see where one request's time goes:

    .venv/bin/python -m infra.bench.profile_pages --profile /resident/bills/ [--sort tottime] [--limit 40]

(run with the services environment, like `make bench`), which prints cProfile's table for that URL over the
runs, then the queries of one request.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

from .http import Call, _identities, _mix


@dataclass
class Measure:
    call: Call
    cpu_ms: float
    wall_ms: float
    status: int


def _clients() -> tuple[list[Call], dict[str, Any]]:
    """The mix and one Django test Client per (login, page or API), signed in as the http benchmark is."""
    from django.test import Client

    host, identities, unit = _identities()
    calls = _mix(unit)
    clients: dict[str, Any] = {}
    for who, ids in identities.items():
        name, _, value = ids["cookie"].partition("=")
        page = Client(HTTP_HOST=host)
        page.cookies[name] = value
        clients[f"{who}:page"] = page
        clients[f"{who}:api"] = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {ids['token']}")
    return calls, clients


def _client_of(clients: dict[str, Any], call: Call) -> Any:
    return clients[f"{call.who}:{'api' if call.api else 'page'}"]


def _one(client: Any, call: Call) -> Measure:
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get(call.path)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return Measure(call, cpu * 1000, wall * 1000, response.status_code)


def _queries(client: Any, call: Call) -> int:
    """How many queries one request of `call` makes (counted apart: the query log costs time per query)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(call.path)
    return len(queries.captured_queries)


def measure(runs: int | None = None, warm: int | None = None) -> list[tuple[Call, float, float, int]]:
    """(call, median CPU ms, median wall ms, queries per request) for each call of the mix."""
    from django.test.utils import override_settings

    runs = runs or int(os.environ.get("PAGE_CPU_RUNS", "30"))
    warm = warm if warm is not None else int(os.environ.get("PAGE_CPU_WARM", "5"))
    calls, clients = _clients()
    samples: dict[int, list[Measure]] = {i: [] for i in range(len(calls))}
    with override_settings(DEBUG=False):
        for n in range(warm + runs):
            for i, call in enumerate(calls):
                m = _one(_client_of(clients, call), call)
                if m.status != 200:
                    raise RuntimeError(f"{call.who} GET {call.path} answered {m.status}")
                if n >= warm:
                    samples[i].append(m)
        counts = [_queries(_client_of(clients, call), call) for call in calls]
    return [
        (
            calls[i],
            statistics.median(m.cpu_ms for m in ms),
            statistics.median(m.wall_ms for m in ms),
            counts[i],
        )
        for i, ms in samples.items()
    ]


def _label(call: Call, calls: list[Call]) -> str:
    """The path, with who asks when the mix has that path twice (/api/v1/me/ as resident and as admin)."""
    same = [c for c in calls if c.path == call.path]
    return call.path if len(same) == 1 else f"{call.path} ({call.who})"


def run() -> str:
    results = measure()
    calls = [c for c, *_ in results]
    for call, cpu, wall, queries in sorted(results, key=lambda r: -r[1]):
        print(
            f"bench page-cpu {_label(call, calls)}: {cpu:.1f} ms cpu (wall {wall:.1f} ms, {queries} queries)",
            flush=True,
        )
    slowest = max(results, key=lambda r: r[1])
    pages = [r for r in results if not r[0].api]
    slowest_page = max(pages, key=lambda r: r[1])
    median = statistics.median(r[1] for r in results)
    return (
        f"bench page-cpu: slowest {_label(slowest[0], calls)} {slowest[1]:.1f} ms cpu; slowest page "
        f"{slowest_page[0].path} {slowest_page[1]:.1f} ms; median of the mix {median:.1f} ms"
    )


def profile(path: str, runs: int, sort: str, limit: int) -> None:
    """cProfile of `runs` requests of `path` (as the mix's login for it), then one request's queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    calls, clients = _clients()
    matching = [c for c in calls if c.path == path] or [Call("resident", path, api=path.startswith("/api/"))]
    call = matching[0]
    client = _client_of(clients, call)
    with override_settings(DEBUG=False):
        for _ in range(5):
            client.get(path)
        # The CPU clock, as the bench reads: wall time would charge whatever else the cores run to the function
        # that happened to be on the stack.
        profiler = cProfile.Profile(time.process_time)
        started = time.process_time()
        profiler.enable()
        for _ in range(runs):
            client.get(path)
        profiler.disable()
        cpu = (time.process_time() - started) * 1000 / runs
        with CaptureQueriesContext(connection) as queries:
            status = client.get(path).status_code
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(limit)
    print(f"{call.who} GET {path}: HTTP {status}, {cpu:.1f} ms cpu per request under the profiler ({runs} runs)")
    print(out.getvalue())
    print(f"{len(queries.captured_queries)} queries:")
    for q in queries.captured_queries:
        print(f"  [{q['time']}s] {q['sql'][:300]}")


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="In-process CPU per request of the HTTP benchmark's mix.")
    parser.add_argument("--profile", metavar="PATH", help="cProfile one URL of the mix instead")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--limit", type=int, default=50)
    args = parser.parse_args(argv[1:])
    from .__main__ import _setup_django

    _setup_django()
    if args.profile:
        profile(args.profile, args.runs or 20, args.sort, args.limit)
    else:
        if args.runs:
            os.environ["PAGE_CPU_RUNS"] = str(args.runs)
        print(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
