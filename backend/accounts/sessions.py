"""The session engine: Django's cached_db (Redis first, the database behind it) with the company's schema
in the cache key. Sessions live in each company's own schema, so a session key minted on company A must
find nothing on company B's domain, in the cache as in the table. Reading a session from Redis instead of
the company's django_session table saves a query on every signed-in page."""

from __future__ import annotations

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSessionStore

from tenants.db import connection


class SessionStore(CachedDbSessionStore):
    # A property, not the key: Django builds every key (load, save, exists, delete) from this prefix.
    @property  # type: ignore[override]
    def cache_key_prefix(self) -> str:
        return f"wuye.session.{connection.schema_name}:"
