"""What a SQL statement reads and writes, by table, for the response cache's dependency tracking.

Rather than parse SQL, a statement's tables are the identifiers in it that name a table of ours: every
model's table (tenant apps' tables live in each company's schema, shared apps' in public), plus the tables
created by hand in migrations (RAW_TABLES). An identifier that happens to name a table where it is a column
or an alias only adds a dependency (a response invalidated once too often), never loses one; comma joins,
subqueries and CTEs are covered because nothing depends on the shape of the statement.

A statement is a write unless it is a plain read (SELECT without a data-modifying CTE, SHOW, SET, the
transaction verbs). Written tables get the tables that triggers write for them (TRIGGER_WRITES; a test
compares this with the triggers in the database). Two updates are ignored: bookkeeping columns no response
shows as data (`last_used_at` of an API token, at most once a minute; a user's `last_login`).
A write naming no table of ours, and every DDL statement, invalidates everything ("*")."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings

EVERYTHING = "*"

# Tables not made by a model ("tenant": one in every schema): a test lists the catalogue's tables and fails
# on one that is neither a model's nor here.
RAW_TABLES: dict[str, str] = {"django_migrations": "tenant"}

# Triggers that write another table: billing_outstanding_apply keeps billing_billline.outstanding (billing
# migration 0002). tests/backend/response_cache checks this against pg_trigger.
TRIGGER_WRITES: dict[str, tuple[str, ...]] = {"billing_ledgerentry": ("billing_billline",)}

# UPDATEs of only these columns do not invalidate (bookkeeping, not data a cached response depends on).
IGNORED_UPDATES: dict[str, frozenset[str]] = {
    "access_apitoken": frozenset({"last_used_at"}),
    "accounts_user": frozenset({"last_login"}),
}

_IDENT = re.compile(r'"([A-Za-z_][A-Za-z0-9_$]*)"|\b([A-Za-z_][A-Za-z0-9_$]*)\b')
_READ = re.compile(
    r"^\s*(SELECT|SHOW|SET|RESET|BEGIN|START|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|EXPLAIN|DECLARE|FETCH|CLOSE|"
    r"DEALLOCATE|LISTEN|UNLISTEN|VALUES|TABLE)\b",
    re.IGNORECASE,
)
_WITH = re.compile(r"^\s*WITH\b", re.IGNORECASE)
_DML = re.compile(r"\b(INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|MERGE\s+INTO)\b", re.IGNORECASE)
_DDL = re.compile(r"^\s*(CREATE|ALTER|DROP|TRUNCATE|COMMENT|GRANT|REVOKE|REFRESH|REINDEX|CLUSTER)\b", re.IGNORECASE)
_UPDATE = re.compile(r'^\s*UPDATE\s+"?(\w+)"?\s+SET\s+(.*?)\s+WHERE\s', re.IGNORECASE | re.DOTALL)
_SET_COLUMN = re.compile(r'"?(\w+)"?\s*=')


@dataclass(frozen=True)
class Statement:
    write: bool
    tenant: frozenset[str]  # tables in the connection's (company) schema
    shared: frozenset[str]  # tables in public
    everything: bool = False  # a write that invalidates all (DDL, or no table of ours named)


@functools.cache
def tables() -> tuple[frozenset[str], frozenset[str]]:
    """(tenant tables, shared tables) of every installed model, auto-created (many-to-many) ones included.
    A table of an app in both lists (contenttypes, sessions) is the company's: search_path looks there
    first."""
    tenant_apps = {cfg.label for cfg in apps.get_app_configs() if cfg.name in settings.TENANT_APPS}
    tenant: set[str] = set()
    shared: set[str] = set()
    for model in apps.get_models(include_auto_created=True):
        (tenant if model._meta.app_label in tenant_apps else shared).add(model._meta.db_table.lower())
    for table, where in RAW_TABLES.items():
        (tenant if where == "tenant" else shared).add(table)
    return frozenset(tenant), frozenset(shared - tenant)


def _ignored(sql: str) -> bool:
    match = _UPDATE.match(sql)
    if match is None:
        return False
    ignored = IGNORED_UPDATES.get(match.group(1).lower())
    if not ignored:
        return False
    columns = {c.lower() for c in _SET_COLUMN.findall(match.group(2))}
    return bool(columns) and columns <= ignored


def classify(sql: str) -> Statement:
    """What `sql` reads or writes, remembered by text for statements of ordinary size (Django's repeat with
    other parameters); a long one (a bulk insert's placeholders) is looked at each time, not kept."""
    return _classify_cached(sql) if len(sql) <= 8192 else _classify(sql)


@functools.lru_cache(maxsize=8192)
def _classify_cached(sql: str) -> Statement:
    return _classify(sql)


def _classify(sql: str) -> Statement:
    tenant_tables, shared_tables = tables()
    names = {(a or b).lower() for a, b in _IDENT.findall(sql)}
    tenant = frozenset(names & tenant_tables)
    shared = frozenset(names & shared_tables)
    read = bool(_READ.match(sql)) or (bool(_WITH.match(sql)) and not _DML.search(sql))
    if read:
        return Statement(False, tenant, shared)
    if _DDL.match(sql):
        return Statement(True, tenant, shared, everything=True)
    if _ignored(sql):
        return Statement(False, frozenset(), frozenset())
    for table in list(tenant | shared):
        for implied in TRIGGER_WRITES.get(table, ()):
            if implied in tenant_tables:
                tenant |= {implied}
            else:
                shared |= {implied}
    return Statement(True, tenant, shared, everything=not (tenant or shared))
