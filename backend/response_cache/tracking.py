"""Which tables a request read, and a clock per schema that every committed write moves.

Every connection runs each statement through `execute_wrapper` (installed by tenants/postgresql_backend):

- a read, while a request is being rendered for the cache, adds its tables to the request's Tracker;
- a write marks the request as having written (its response is never cached: replaying it would skip the
  write) and remembers the tables on the connection until the transaction commits (at once in autocommit);
  a rolled-back transaction forgets them. Web workers, Celery workers and management commands all do this.

The clocks live in Redis, a hash per schema (`<prefix>:rc:<schema>`): field "#" is the schema's clock, moved
by one for every committed transaction that wrote there, and each written table's field holds the clock of
its last write. A response rendered after reading the clock c₀ is still right while none of the tables it
read has a last write after c₀ (backend/response_cache/store.py). The bump comes after the commit: a reader
that reads the clock before the bump and the rows after the commit keeps a response that looks stale and is
not; one that reads the rows before the commit read the clock before the bump, so the bump invalidates it.

A Redis that is down costs the bump (logged); responses cached before stay at most RESPONSE_CACHE_SECONDS."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

from .sql import EVERYTHING, UNKNOWN_ROW, classify, row_field, rows_of

log = logging.getLogger(__name__)
PUBLIC = "public"
PENDING = "_wuye_response_cache_pending"

# Cache keys a response may read or write without losing its cacheability: the company lookup by host
# (tenants/hosts.py; tenants and domains are every entry's dependencies) and the session (checked by its
# digest). Any other cache read makes the response depend on everything; any other write refuses it.
TRACED_CACHE_KEYS = ("tenant-host:",)


@dataclass
class Tracker:
    reads: dict[str, set[str]] = field(default_factory=dict)  # schema → tables read
    wrote: bool = False
    opaque: bool = False  # read a value we cannot trace (the cache): depends on everything
    refused: str = ""  # a side effect that a cached answer would skip
    session_key: str | None = None  # the session's raw Redis key, when it was read from Redis
    session_digest: str | None = None  # sha1 of the session's raw value then


_current: ContextVar[Tracker | None] = ContextVar("wuye_response_cache_tracker", default=None)


def begin() -> Token[Tracker | None]:
    return _current.set(Tracker())


def end(token: Token[Tracker | None]) -> Tracker:
    tracker = _current.get()
    _current.reset(token)
    return tracker if tracker is not None else Tracker(refused="no tracker")


def current() -> Tracker | None:
    return _current.get()


def refuse(reason: str) -> None:
    """The request did something a cached answer would not do again (a task sent, a cache value set)."""
    tracker = _current.get()
    if tracker is not None and not tracker.refused:
        tracker.refused = reason


def cache_read(key: str) -> None:
    tracker = _current.get()
    if tracker is not None and not key.startswith(TRACED_CACHE_KEYS):
        tracker.opaque = True


def cache_write(key: str) -> None:
    if not key.startswith(TRACED_CACHE_KEYS):
        refuse(f"cache write {key[:40]}")


def session_read(raw_key: str, digest: str | None) -> None:
    tracker = _current.get()
    if tracker is None:
        return
    if digest is None:  # from the database: the next request finds it in Redis
        refuse("session read from the database")
    else:
        tracker.session_key, tracker.session_digest = raw_key, digest


# --- the statement hook ------------------------------------------------------------------------------------


def execute_wrapper(execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: dict[str, Any]) -> Any:
    result = execute(sql, params, many, context)
    try:
        note(context["connection"], sql, None if many else params)
    except Exception:  # noqa: BLE001 - bookkeeping must never fail a query
        log.warning("response cache: could not account for a statement", exc_info=True)
    return result


def note(db: Any, sql: Any, params: Any = None) -> None:
    if not isinstance(sql, str):
        as_string = getattr(sql, "as_string", None)
        sql = as_string(db.connection) if as_string is not None else str(sql)
    statement = classify(sql)
    schema = getattr(db, "schema_name", None) or PUBLIC
    tracker = _current.get()
    if not statement.write:
        if tracker is not None:
            reads = set(statement.tenant)
            for narrow in statement.narrow:
                values = rows_of(narrow, params)
                if values is None:
                    reads.add(narrow.table)
                else:
                    reads.update(row_field(narrow.table, v) for v in (*values, UNKNOWN_ROW))
            if reads:
                tracker.reads.setdefault(schema, set()).update(reads)
            if statement.shared:
                tracker.reads.setdefault(PUBLIC, set()).update(statement.shared)
        return
    if tracker is not None:
        tracker.wrote = True
    pending: dict[str, set[str]] = db.__dict__.setdefault(PENDING, {})
    written = set(statement.tenant) | {row_field(t, UNKNOWN_ROW) for t in statement.unnarrowed}
    for narrow in statement.narrow:
        values = rows_of(narrow, params)
        if values is None:
            written.add(row_field(narrow.table, UNKNOWN_ROW))
        else:
            written.update(row_field(narrow.table, v) for v in values)
    if written:
        pending.setdefault(schema, set()).update(written)
    if statement.shared:
        pending.setdefault(PUBLIC, set()).update(statement.shared)
    if statement.everything:
        pending.setdefault(schema, set()).add(EVERYTHING)
        pending.setdefault(PUBLIC, set()).add(EVERYTHING)
    if db.autocommit and not db.in_atomic_block:
        committed(db)


def committed(db: Any) -> None:
    """After a commit: move the clocks of what the transaction wrote."""
    pending = db.__dict__.pop(PENDING, None)
    if pending:
        bump(pending)


def rolled_back(db: Any) -> None:
    db.__dict__.pop(PENDING, None)


# --- the clocks --------------------------------------------------------------------------------------------

BUMP = """
local c = redis.call('HINCRBY', KEYS[1], '#', 1)
for i = 1, #ARGV do redis.call('HSET', KEYS[1], ARGV[i], c) end
return c
"""
_script: list[Any] = []


def key_prefix() -> str:
    """Where the response cache's Redis keys live: `<prefix>:rc:<schema>` (clocks), `<prefix>:rc:e:…`
    (entries; a schema name has no colon)."""
    from django.conf import settings

    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:rc:"


def clock_key(schema: str) -> str:
    return key_prefix() + schema


def bump(written: dict[str, set[str]]) -> None:
    from django.core.cache import cache

    try:
        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
        if not _script or _script[0][0] is not client:
            _script[:] = [(client, client.register_script(BUMP))]
        script = _script[0][1]
        for schema, tables in written.items():
            script(keys=[clock_key(schema)], args=sorted(tables))
    except Exception:  # noqa: BLE001 - Redis down: cached responses expire on their own
        log.warning("response cache: could not move the clocks of %s", sorted(written), exc_info=True)
