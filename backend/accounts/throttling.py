"""Rate limits for what anyone may try without signing in, counted in Redis (the default cache) per client IP
(backend/client_ip.py, so a forged X-Forwarded-For is a different header, not a different client):

- `rate_limit_hit(scope=..., ip=...)`: one more attempt at an endpoint; THROTTLE_RATES gives each scope's
  "<count>/<period>". The API (backend/api/throttling.py) and the portal (portal/throttling.py) call it.
- sign-in: after LOGIN_MAX_FAILURES failures within the window, for one account or one IP, sign-in is
  refused until the window passes.

A window opens with the first attempt and lasts its period; every answer knows when it closes (Retry-After)."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def rate_parse(text: str) -> Rate:
    """ "20/hour", "5/15m", "100/day" -> a Rate; ValueError for anything else."""
    match = _RATE.match(text)
    if match is None:
        raise ValueError(f"not a rate: {text!r} (write e.g. 20/hour or 5/15m)")
    count, multiple, unit = match.groups()
    return Rate(count=int(count), seconds=int(multiple or 1) * _SECONDS[unit[0]])


def _ident(ip: str | None) -> str:
    if not ip:
        return "unknown"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    # One IPv6 subscriber gets a whole /64: counting single addresses would let them rotate freely.
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _hit(key: str, seconds: int) -> tuple[int, float]:
    """Count one attempt in the window `key` (opened now if none is open): (attempts so far, its end)."""
    now = time.time()
    if cache.add(key, 1, timeout=seconds):
        cache.set(f"{key}:end", now + seconds, timeout=seconds)
        return 1, now + seconds
    try:
        count = cache.incr(key)
    except ValueError:  # the window closed between add() and incr(): this attempt opens the next one
        return _hit(key, seconds)
    if count == 1:
        # incr() re-created a key that expired after its existence check, without an expiry: give it one,
        # or the counter (and a lock) would never end.
        cache.touch(key, seconds)
    return count, float(cache.get(f"{key}:end") or now + seconds)


def _wait(end: float) -> int:
    return max(1, math.ceil(end - time.time()))


def rate_limit_hit(*, scope: str, ip: str | None) -> int | None:
    """Count one attempt at `scope` from this client: the seconds to wait when it is over the limit, else None."""
    rate = rate_parse(settings.THROTTLE_RATES[scope])
    count, end = _hit(f"throttle:{scope}:{_ident(ip)}", rate.seconds)
    return _wait(end) if count > rate.count else None


# --- sign-in failures ---------------------------------------------------------------------------------------


def _login_keys(username: str, ip: str | None) -> dict[str, int]:
    """The failure counters of this account and IP, each with the failures that lock it."""
    ident = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    limit = settings.LOGIN_MAX_FAILURES
    keys = {f"login-fail:acct:{ident}": limit}
    if ip:
        # The per-IP allowance is wider: many people may share one office or campus address.
        keys[f"login-fail:ip:{_ident(ip)}"] = limit * 4
    return keys


def login_lock_remaining(*, username: str, ip: str | None) -> int | None:
    """Seconds until sign-in opens again for this account from this IP, or None when it is not locked."""
    keys = _login_keys(username, ip)
    found = cache.get_many([*keys, *(f"{key}:end" for key in keys)])
    ends = [
        float(found.get(f"{key}:end") or time.time() + settings.LOGIN_FAILURE_WINDOW_SECONDS)
        for key, limit in keys.items()
        if int(found.get(key) or 0) >= limit
    ]
    return _wait(max(ends)) if ends else None


def login_failure_record(*, username: str, ip: str | None) -> None:
    for key in _login_keys(username, ip):
        _hit(key, settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_failures_clear(*, username: str) -> None:
    key = next(iter(_login_keys(username, None)))
    cache.delete_many([key, f"{key}:end"])
