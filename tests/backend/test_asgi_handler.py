"""backend/asgi_handler.py: the requests of a process run on its request thread(s), one at a time per thread,
and no thread is started per request; a request's view and its response.close() run on the same thread."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from django.http import HttpRequest, HttpResponse

from backend.asgi_handler import OneHopASGIHandler


class _Recording(OneHopASGIHandler):
    def __init__(self, threads: int) -> None:
        super().__init__(threads=threads)
        self.seen: list[tuple[int, int]] = []  # (view thread, close thread)
        self.running = 0
        self.most_at_once = 0
        self.lock = threading.Lock()
        self.done_at: list[float] = []

    def get_response(self, request: HttpRequest) -> HttpResponse:  # type: ignore[override]
        if request.path.startswith("/resident/pay/"):  # a call to Stripe: slow
            time.sleep(0.5)
            self.slow_done_at = time.monotonic()
            self.slow_thread = threading.get_ident()
            return HttpResponse("paid")
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        time.sleep(0.02)  # a query's wait: the GIL is free, another request could run now
        with self.lock:
            self.running -= 1
            self.done_at.append(time.monotonic())
        view_thread = threading.get_ident()
        response = HttpResponse("ok")
        handler = self

        def closed() -> None:
            handler.seen.append((view_thread, threading.get_ident()))

        response._resource_closers.append(closed)  # type: ignore[attr-defined]
        return response


def _scope(n: int, path: str = "") -> dict[str, Any]:
    path = path or f"/r/{n}/"
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"alpha.localhost")],
        "client": ("127.0.0.1", 40000 + n),
        "server": ("127.0.0.1", 8000),
    }


async def _serve(handler: OneHopASGIHandler, requests: int, paths: dict[int, str] | None = None) -> list[int]:
    statuses: list[int] = []
    paths = paths or {}

    async def one(n: int) -> None:
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.sleep(3600)  # the client stays connected
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await handler(_scope(n, paths.get(n, "")), receive, send)

    await asyncio.gather(*(one(n) for n in range(requests)))
    return statuses


def test_concurrent_requests_take_turns_on_the_one_request_thread() -> None:
    handler = _Recording(threads=1)
    before = threading.active_count()
    statuses = asyncio.run(_serve(handler, 8))
    assert statuses == [200] * 8
    assert handler.most_at_once == 1
    assert len({view for view, _close in handler.seen}) == 1
    assert all(view == close for view, close in handler.seen)
    assert len(handler.seen) == 8
    assert threading.active_count() <= before + 1  # the request thread, not one per request


def test_with_two_request_threads_two_run_at_once_each_closing_on_its_own() -> None:
    handler = _Recording(threads=2)
    asyncio.run(_serve(handler, 8))
    assert handler.most_at_once == 2
    assert len({view for view, _close in handler.seen}) == 2
    assert all(view == close for view, close in handler.seen)


def test_a_request_that_calls_out_gets_its_own_thread_and_holds_nobody_up() -> None:
    handler = _Recording(threads=1)
    asyncio.run(_serve(handler, 6, paths={0: "/resident/pay/start/"}))
    shared = {view for view, _close in handler.seen}
    assert len(shared) == 1 and handler.slow_thread not in shared
    # The five others (20 ms each, one at a time) were done long before the 500 ms call to "Stripe".
    assert len(handler.done_at) == 5 and max(handler.done_at) < handler.slow_done_at


def test_which_requests_get_a_thread_of_their_own() -> None:
    handler = OneHopASGIHandler(threads=1)
    own = [
        "/resident/pay/start/",
        "/resident/autopay/enable/",
        "/api/v1/payments/online/",
        "/staff/payments/12/refund/",
        "/staff/units/export.xlsx",
        "/resident/receipts/3/pdf/",
        "/staff/billing/arrears/5/letter.pdf",
    ]
    shared = ["/resident/", "/resident/bills/", "/api/v1/me/", "/staff/units/", "/resident/shop/search/"]
    assert all(handler.needs_own_thread(_scope(0, p)) for p in own), own
    assert not any(handler.needs_own_thread(_scope(0, p)) for p in shared)
    export = _scope(0, "/api/v1/club/teachers/3/statement/") | {"query_string": b"month=2026-11&output=pdf"}
    assert handler.needs_own_thread(export)
