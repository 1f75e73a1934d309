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

    def get_response(self, request: HttpRequest) -> HttpResponse:  # type: ignore[override]
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        time.sleep(0.02)  # a query's wait: the GIL is free, another request could run now
        with self.lock:
            self.running -= 1
        view_thread = threading.get_ident()
        response = HttpResponse("ok")
        handler = self

        def closed() -> None:
            handler.seen.append((view_thread, threading.get_ident()))

        response._resource_closers.append(closed)  # type: ignore[attr-defined]
        return response


def _scope(n: int) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"/r/{n}/",
        "raw_path": f"/r/{n}/".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"alpha.localhost")],
        "client": ("127.0.0.1", 40000 + n),
        "server": ("127.0.0.1", 8000),
    }


async def _serve(handler: OneHopASGIHandler, requests: int) -> list[int]:
    statuses: list[int] = []

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

        await handler(_scope(n), receive, send)

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
