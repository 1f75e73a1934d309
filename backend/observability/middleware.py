"""The first middleware: a request id for the logs and the response, the request's latency by URL name,
and GET /metrics (served here, before the company lookup and the host check, so a scraper may ask any
worker by its address).

/metrics answers only a caller with `Authorization: Bearer <METRICS_TOKEN>` when that is set, and otherwise
only a peer in METRICS_ALLOWED_NETWORKS (default: this host) that is not one of our proxies (what a proxy
passes on comes from the public). nginx never passes /metrics on (infra/nginx)."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from functools import cached_property

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.crypto import constant_time_compare

from backend.client_ip import address_parse, peer_is_trusted_proxy

from . import context, metrics

REQUEST_ID_HEADER = "X-Request-ID"


def _from_trusted_proxy(request: HttpRequest) -> bool:
    return peer_is_trusted_proxy(str(request.META.get("REMOTE_ADDR") or ""))


def view_label(request: HttpRequest) -> str:
    """The metrics' label for a request: its URL name (bounded), not its path."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return str(match.view_name or match.route)
    # answered before URL resolution (/healthz by the tenant middleware), or no URL matched
    return "healthz" if request.path == "/healthz" else "<unmatched>"


class ObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    @cached_property
    def allowed_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        raw = getattr(settings, "METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
        return [ipaddress.ip_network(n, strict=False) for n in raw]

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path == "/metrics":
            return self.metrics(request)
        started = time.perf_counter()
        # The proxy's id when the peer is a trusted proxy that sent one (nginx: $request_id), else ours.
        sent = request.META.get("HTTP_X_REQUEST_ID")
        rid = context.request_id_choose(sent, from_trusted_proxy=sent is not None and _from_trusted_proxy(request))
        request.request_id = rid  # type: ignore[attr-defined]
        rid_token = context.request_id.set(rid)
        req_token = context.current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            context.request_id.reset(rid_token)
            context.current_request.reset(req_token)
        response[REQUEST_ID_HEADER] = rid
        view = view_label(request)
        metrics.http_latency.labels(view, request.method).observe(time.perf_counter() - started)
        metrics.http_requests.labels(view, request.method, metrics.status_class(response.status_code)).inc()
        metrics.db_pool_observe()
        return response

    def metrics(self, request: HttpRequest) -> HttpResponse:
        token = getattr(settings, "METRICS_TOKEN", "")
        if token:
            given = request.META.get("HTTP_AUTHORIZATION", "")
            allowed = constant_time_compare(given, f"Bearer {token}")
        elif _from_trusted_proxy(request):  # came in through our proxy: the public, whatever the peer's address
            allowed = False
        else:
            peer = address_parse(str(request.META.get("REMOTE_ADDR") or ""))
            allowed = peer is not None and any(peer in net for net in self.allowed_networks)
        if not allowed:
            return HttpResponse("forbidden\n", status=403, content_type="text/plain")
        from prometheus_client import CONTENT_TYPE_LATEST

        return HttpResponse(metrics.scrape(), content_type=CONTENT_TYPE_LATEST)
