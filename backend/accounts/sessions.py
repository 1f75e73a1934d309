"""The session engine: Django's cached_db (Redis first, the database behind it) with the company's schema
in the cache key. Sessions live in each company's own schema, so a session key minted on company A must
find nothing on company B's domain, in the cache as in the table. Reading a session from Redis instead of
the company's django_session table saves a query on every signed-in page.

The session is read from Redis as raw bytes, so the response cache (backend/response_cache) can note their
digest: a page cached for this session is served again only while the session's value is byte for byte the
one it was rendered with (a sign-out deletes it, a change rewrites it)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSessionStore

from backend.response_cache import tracking
from tenants.db import connection


class SessionStore(CachedDbSessionStore):
    # A property, not the key: Django builds every key (load, save, exists, delete) from this prefix.
    @property  # type: ignore[override]
    def cache_key_prefix(self) -> str:
        return f"wuye.session.{connection.schema_name}:"

    def load(self) -> dict[str, Any]:
        store: Any = getattr(self, "_cache", None)
        client = getattr(store, "_cache", None)
        if self.session_key is None or client is None or not hasattr(client, "get_client"):
            return super().load()
        key = store.make_and_validate_key(self.cache_key)
        try:
            raw = client.get_client(key).get(key)
        except Exception:  # noqa: BLE001 - Redis down: the database answers (Django's own fallback)
            raw = None
        if raw is None:
            tracking.session_read(key, None)
            return super().load()
        tracking.session_read(key, hashlib.sha1(raw, usedforsecurity=False).hexdigest())
        data: dict[str, Any] = client._serializer.loads(raw)
        return data


def session_open(user: Any) -> SessionStore:
    """A signed-in session for `user` in the current company, made without a request (the load benchmarks
    and tests that talk to a real server): what django.contrib.auth.login stores, saved."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "backend.accounts.backends.EmailOrPhoneBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session
