"""Django's ASGI handler with the whole request in one thread hop, on one request thread per process.

Stock Django under ASGI builds an async middleware chain. Our middleware is synchronous (the tenant lookup,
the session, the membership and the audit actor all touch the database), and Django's own middleware runs
each process_request/process_response through sync_to_async when the chain is async: seven or eight hops
between the event loop and a thread per request, each a handoff of a few dozen microseconds that grows under
load. Here the chain is loaded in sync mode and called once. What stays async is what should: reading the
body, sending the response, noticing a client that went away, and the websocket side (Channels).

Which thread runs it: stock Django enters a fresh `ThreadSensitiveContext()` per request, and asgiref gives
each such context its own single-thread executor, so every request started a new OS thread (then a second
one to join it), and concurrent requests of one process ran in as many threads at once. Those threads spend
most of a request waiting on PostgreSQL and Redis and every wait releases the GIL; getting it back while
another request's thread is rendering a template costs up to the interpreter's 5 ms switch interval, after
each of a page's 5–10 queries. Under load that convoy was most of a request's latency, and a process
served half the requests per second with four clients that it served with one.

So every request of a process runs on the same REQUEST_THREADS threads (default one): the requests of a
worker process take turns on the event loop's queue instead of fighting over the GIL, and no thread is
started per request. A process waiting on the database leaves the CPU to the other worker processes
(infra/web.sh starts two per CPU, plus one). The request's thread-sensitive calls (the middleware chain and
view, then `response.close()`, which hands the pooled connection back) run on that thread, one call at a
time, as asgiref requires of a context's executor.

Except what waits on the outside world or builds a file: a request to Stripe (paying, saving a card,
autopay, refunds) may take up to STRIPE_TIMEOUT, a PDF or a workbook hundreds of milliseconds, and on the
shared thread it would hold up every other request of its process. Those paths (REQUEST_OWN_THREAD_PATHS, a
regular expression over the path; or ?output=pdf|xlsx|csv) get a thread of their own, as stock Django gives
every request."""

from __future__ import annotations

import logging
import os
import re
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase

from backend.client_ip import peer_is_trusted_proxy
from backend.observability import context, metrics
from backend.response_cache import tracking
from backend.response_cache.store import ResponseCache
from backend.response_cache.store import enabled as response_cache_enabled

PROBE = "wuye.response_cache"
log = logging.getLogger("backend.response_cache")


def request_threads() -> int:
    """How many threads of a worker process run requests (REQUEST_THREADS, default 1)."""
    try:
        return max(1, int(os.environ.get("REQUEST_THREADS", "1")))
    except ValueError:
        return 1


# Paths that call Stripe or build files (the portal's and the API's): see the module docstring.
OWN_THREAD_PATHS = (
    r"/(pay|autopay|refunds?|refund-[a-z]+|card-setup|online|imports?|bank-collections?)(/|$)"
    r"|\.(pdf|xlsx|csv)$|/(pdf|xlsx|letter\.pdf|statement)/?$"
)
OWN_THREAD_QUERY = re.compile(rb"(^|&)(output|format)=(pdf|xlsx|csv)(&|$)")


def own_thread_paths() -> re.Pattern[str]:
    return re.compile(os.environ.get("REQUEST_OWN_THREAD_PATHS") or OWN_THREAD_PATHS)


class OneHopASGIHandler(ASGIHandler):
    def __init__(self, *, threads: int | None = None) -> None:
        super(ASGIHandler, self).__init__()
        self.load_middleware(is_async=False)
        self.threads = threads or request_threads()
        # One single-thread executor per request thread; a request keeps the one it started on (its view and
        # its response.close() must run on the same thread: Django's connections are per thread).
        self._executors: list[Executor] = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"django-request-{n}") for n in range(self.threads)
        ]
        self._next = 0
        self.own_thread = own_thread_paths()
        # Whole responses kept per user (backend/response_cache/store.py), served before Django runs.
        self.response_cache = ResponseCache() if response_cache_enabled() else None
        self.explain = os.environ.get("RESPONSE_CACHE_EXPLAIN", "") == "1"  # why a response was not kept

    def needs_own_thread(self, scope: dict[str, Any]) -> bool:
        return bool(
            self.own_thread.search(scope.get("path", "")) or OWN_THREAD_QUERY.search(scope.get("query_string", b""))
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        if self.response_cache is not None:
            probe = self.response_cache.probe(scope)
            if probe is not None:
                started = time.perf_counter()
                hit = await self.response_cache.lookup(probe)
                if hit is not None:
                    await self.send_hit(hit, scope, send, started)
                    return
                scope = {**scope, PROBE: probe}
        if self.needs_own_thread(scope):
            async with ThreadSensitiveContext():  # a thread of its own, started for this request
                await self.handle(scope, receive, send)
            return
        executor = self._executors[self._next]
        self._next = (self._next + 1) % self.threads
        async with ThreadSensitiveContext(executor=executor):
            await self.handle(scope, receive, send)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:  # type: ignore[override]
        probe = getattr(request, "scope", {}).get(PROBE)
        if probe is None:
            return await sync_to_async(self.get_response, thread_sensitive=True)(request)
        return await sync_to_async(self.get_response_kept, thread_sensitive=True)(request, probe)

    def get_response_kept(self, request: HttpRequest, probe: Any) -> HttpResponseBase:
        """The response, rendered while the tables it reads are noted; kept for the next ask if it may be."""
        token = tracking.begin()
        try:
            response = self.get_response(request)
        finally:
            tracker = tracking.end(token)
        outcome = self.response_cache.keep(probe, request, response, tracker)  # type: ignore[union-attr]
        metrics.response_cache.labels("stored" if outcome == "stored" else "not kept").inc()
        if outcome != "stored":
            log.debug("response cache: %s not kept: %s", request.path, outcome)
        if self.explain:
            response["X-Response-Cache"] = outcome
        return response

    async def send_hit(self, hit: Any, scope: dict[str, Any], send: Any, started: float) -> None:
        """A kept response, with a request id of its own, counted as Django would count it."""
        sent = next((v.decode("latin-1") for n, v in scope.get("headers", ()) if n == b"x-request-id"), None)
        peer = str((scope.get("client") or ("",))[0])
        rid = context.request_id_choose(sent, from_trusted_proxy=sent is not None and peer_is_trusted_proxy(peer))
        headers = [*hit.headers, (b"X-Request-ID", rid.encode()), (b"X-Response-Cache", b"hit")]
        await send({"type": "http.response.start", "status": hit.status, "headers": headers})
        await send({"type": "http.response.body", "body": hit.body})
        metrics.response_cache.labels("hit").inc()
        metrics.http_requests.labels(hit.view, "GET", metrics.status_class(hit.status)).inc()
        metrics.http_latency.labels(hit.view, "GET").observe(time.perf_counter() - started)
