"""Sign-in rate limiting: after LOGIN_MAX_FAILURES failures within the window, for one account or one IP,
sign-in is refused until the window passes. Counters live in Redis (the default cache)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(username: str, ip: str | None) -> list[str]:
    ident = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    keys = [f"login-fail:acct:{ident}"]
    if ip:
        keys.append(f"login-fail:ip:{ip}")
    return keys


def login_is_locked(*, username: str, ip: str | None) -> bool:
    limit = settings.LOGIN_MAX_FAILURES
    counts = cache.get_many(_keys(username, ip))
    # The per-IP allowance is wider: many people may share one office or campus address.
    return any(int(count) >= (limit * 4 if ":ip:" in key else limit) for key, count in counts.items())


def login_failure_record(*, username: str, ip: str | None) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key in _keys(username, ip):
        # add() starts the window once; incr() keeps its expiry.
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=window)


def login_failures_clear(*, username: str) -> None:
    cache.delete(_keys(username, None)[0])
