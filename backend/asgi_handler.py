"""Django's ASGI handler with the whole request in one thread hop.

Stock Django under ASGI builds an async middleware chain. Our middleware is synchronous (the tenant lookup,
the session, the membership and the audit actor all touch the database), and Django's own middleware runs
each process_request/process_response through sync_to_async when the chain is async: seven or eight hops
between the event loop and a thread per request, each a handoff of a few dozen microseconds that grows under
load. Here the chain is loaded in sync mode and called once, in the request's thread-sensitive context
(one thread per request: Django's connections are per thread, and the pooled connection is handed back
when the response closes, in the same thread). What stays async is what should: reading the body,
sending the response, noticing a client that went away, and the websocket side (Channels)."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class OneHopASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super(ASGIHandler, self).__init__()
        self.load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:  # type: ignore[override]
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
