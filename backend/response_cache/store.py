"""Whole responses, cached per user in Redis and served before Django runs (backend/asgi_handler.py).

The key is the request as its sender sent it: method, scheme, host, path and query, and the headers a
response may depend on (Cookie, Authorization, Accept, Accept-Language, Origin, the forwarded scheme and
host, the HTMX headers). Only the holder of a session cookie or a token can ask for what was rendered for
it. An entry (a Redis hash, expiring after RESPONSE_CACHE_SECONDS) holds the response and what it was
rendered from:

- for its company's schema and for public, the clock read before rendering and the tables it read
  (backend/response_cache/tracking.py); every entry also depends on "*" of both, and on the tenants and
  domains tables;
- the session's Redis key and the digest of its raw value, when the response read the session.

One Lua script (one round trip) serves a hit when no table read has been written since, the clocks did not
go back (Redis lost them) and the session is unchanged; otherwise it returns the clocks for the render.

Kept only when nothing a cached answer would skip happened: status 200; no cookie set (Django's renewal of
the CSRF cookie with the value it was sent is no change); no `no-store`; no write to the database, no task
sent, no cache value written; no schema read but the company's and public; a body under
RESPONSE_CACHE_MAX_BYTES; a Vary within the key's headers. A value read from the cache (other than the
session and the host lookup) makes the response depend on every write of both schemas.

What it does not see: the clock (a page that says "3 minutes ago" or turns overdue at midnight) and the
search engine's index. Both are bounded by RESPONSE_CACHE_SECONDS (default 30 s). RESPONSE_CACHE=0 turns
the lookup off; the clocks move either way, so workers with it on and off can share one Redis."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import pickle
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from backend.observability.middleware import view_label

from .tracking import PUBLIC, Tracker, clock_key, key_prefix

log = logging.getLogger(__name__)

KEY_HEADERS = (
    b"host",
    b"cookie",
    b"authorization",
    b"accept",
    b"accept-language",
    b"origin",
    b"x-forwarded-proto",
    b"x-forwarded-host",
)
VARY_OK = {"cookie", "authorization", "accept", "accept-language", "origin"}
SKIP_PREFIXES = ("/static/", "/media/", "/metrics", "/healthz", "/ws/", "/favicon")
ALWAYS_PUBLIC = ("*", "tenants_tenant", "tenants_domain")

LOOKUP = """
local m = redis.call('HGET', KEYS[1], 'm')
if m then
  local meta = cjson.decode(m)
  local ok = true
  for h, d in pairs(meta.d) do
    local c0 = d[1]
    local now = tonumber(redis.call('HGET', h, '#') or '0')
    if now < c0 then ok = false break end
    local vals = redis.call('HMGET', h, unpack(d[2]))
    for i = 1, #vals do
      if vals[i] and tonumber(vals[i]) > c0 then ok = false break end
    end
    if not ok then break end
  end
  if ok and meta.s then
    local sv = redis.call('GET', meta.s)
    if (not sv) or redis.sha1hex(sv) ~= meta.g then ok = false end
  end
  if ok then return {1, redis.call('HGET', KEYS[1], 'b')} end
end
return {0, redis.call('HGET', KEYS[2], '#') or '0', redis.call('HGET', KEYS[3], '#') or '0'}
"""


@dataclass
class Probe:
    """A request that may be cached: its entry key, and the clocks read before it was rendered."""

    key: str
    host: str
    schema: str | None  # the company schema this host was last served from (None: not known yet)
    clocks: tuple[int, int] = (0, 0)  # (the schema's, public's)


@dataclass
class Hit:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    view: str


def enabled() -> bool:
    return bool(getattr(settings, "RESPONSE_CACHE", False))


def ttl() -> int:
    return int(getattr(settings, "RESPONSE_CACHE_SECONDS", 30))


class ResponseCache:
    def __init__(self) -> None:
        self.hosts: dict[str, str] = {}  # host → schema, learnt from rendered responses
        self._redis: Any = None
        self._loop: Any = None
        self._script: Any = None

    # --- the lookup, on the event loop ---------------------------------------------------------------------

    def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._redis is None or self._loop is not loop:
            import redis.asyncio as aioredis

            self._redis = aioredis.from_url(settings.CACHES["default"]["LOCATION"])
            self._script = self._redis.register_script(LOOKUP)
            self._loop = loop
        return self._script

    def probe(self, scope: dict[str, Any]) -> Probe | None:
        if scope.get("method") != "GET" or scope.get("path", "").startswith(SKIP_PREFIXES):
            return None
        parts = [scope.get("scheme", "http").encode(), scope.get("path", "").encode(), scope.get("query_string", b"")]
        wanted: dict[bytes, list[bytes]] = {}
        for name, value in scope.get("headers", ()):
            if name in KEY_HEADERS or name.startswith(b"hx-"):
                wanted.setdefault(name, []).append(value)
            elif name in (b"range", b"if-none-match", b"if-modified-since"):
                return None
        for name in sorted(wanted):
            parts.append(name + b"=" + b"\x1f".join(wanted[name]))
        host = b"".join(wanted.get(b"host", [b""])).split(b":")[0].decode("latin-1").lower()
        digest = hashlib.sha1(b"\x1e".join(parts), usedforsecurity=False).hexdigest()
        return Probe(key=key_prefix() + "e:" + digest, host=host, schema=self.hosts.get(host))

    async def lookup(self, probe: Probe) -> Hit | None:
        schema_hash = clock_key(probe.schema or PUBLIC)
        try:
            found = await self._client()(keys=[probe.key, schema_hash, clock_key(PUBLIC)])
        except Exception:  # noqa: BLE001 - Redis down: render
            log.warning("response cache: lookup failed", exc_info=True)
            probe.schema = None  # no clocks: do not keep what is rendered
            return None
        if int(found[0]) == 1 and found[1]:
            try:
                status, headers, body, view = pickle.loads(found[1])  # noqa: S301 - our own Redis, our own pickle
            except Exception:  # noqa: BLE001 - an entry of another version: render
                return None
            return Hit(status, headers, body, view)
        probe.clocks = (int(found[1]), int(found[2]))
        return None

    # --- keeping a rendered response, on the request's thread ----------------------------------------------

    def keep(self, probe: Probe, request: HttpRequest, response: HttpResponseBase, tracker: Tracker) -> str:
        """Store `response` if it may be served again; returns why not (or "stored")."""
        tenant = getattr(request, "tenant", None)
        schema = getattr(tenant, "schema_name", None) or PUBLIC
        if self.hosts.get(probe.host) != schema:
            self.hosts[probe.host] = schema
        why = self._refusal(probe, schema, request, response, tracker)
        if why:
            return why
        deps: dict[str, list[Any]] = {}
        opaque = ["#"] if tracker.opaque else []
        public_reads = tracker.reads.get(PUBLIC, set()) | set(ALWAYS_PUBLIC)
        deps[clock_key(PUBLIC)] = [probe.clocks[1], sorted(public_reads) + opaque]
        if schema != PUBLIC:
            deps[clock_key(schema)] = [probe.clocks[0], sorted(tracker.reads.get(schema, set()) | {"*"}) + opaque]
        meta: dict[str, Any] = {"d": deps}
        session = getattr(request, "session", None)
        if session is not None and getattr(session, "accessed", False) and session.session_key:
            if not tracker.session_key:
                return "session not read from Redis"
            meta["s"], meta["g"] = tracker.session_key, tracker.session_digest
        seconds = ttl()
        expires = getattr(getattr(request, "auth", None), "expires_at", None)
        if expires is not None:
            seconds = min(seconds, int((expires - timezone.now()).total_seconds()))
        if seconds <= 0:
            return "expires"
        view = view_label(request)
        headers = [
            (name.encode("ascii"), value.encode("latin1"))
            for name, value in response.items()
            if name.lower() != "x-request-id"
        ]
        headers += [
            (b"Set-Cookie", morsel.output(header="").encode("ascii").strip())
            for morsel in response.cookies.values()  # type: ignore[attr-defined]
        ]
        blob = pickle.dumps((response.status_code, headers, response.content, view))  # type: ignore[attr-defined]
        try:
            from django.core.cache import cache

            client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
            pipe = client.pipeline(transaction=False)
            pipe.hset(probe.key, mapping={"m": json.dumps(meta), "b": blob})
            pipe.expire(probe.key, seconds)
            pipe.execute()
        except Exception:  # noqa: BLE001 - Redis down: served, not kept
            log.warning("response cache: could not keep a response", exc_info=True)
            return "redis"
        return "stored"

    def _refusal(
        self, probe: Probe, schema: str, request: HttpRequest, response: HttpResponseBase, tracker: Tracker
    ) -> str:
        if probe.schema != schema:
            return "company not known before the render"
        if response.status_code != 200 or response.streaming:
            return f"status {response.status_code}"
        for name, morsel in response.cookies.items():  # type: ignore[attr-defined]
            # Django re-sends the CSRF cookie it was sent, to renew it: the same value again is no change.
            if morsel.value != request.COOKIES.get(name):
                return "sets a cookie"
        if "no-store" in response.get("Cache-Control", ""):
            return "no-store"
        vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
        if vary - VARY_OK:
            return "varies on " + ",".join(sorted(vary - VARY_OK))
        if tracker.wrote:
            return "wrote to the database"
        if tracker.refused:
            return tracker.refused
        if set(tracker.reads) - {schema, PUBLIC}:
            return "read another company's schema"
        if len(response.content) > int(getattr(settings, "RESPONSE_CACHE_MAX_BYTES", 512 * 1024)):  # type: ignore[attr-defined]
            return "too large"
        return ""


__all__ = ["Hit", "Probe", "ResponseCache", "enabled"]
