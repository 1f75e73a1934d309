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


# Tables whose rows belong to one person, invalidated per person: a read filtered by that column alone
# depends on "<table>#<value>" (and "<table>#?"), not on the whole table, so one resident's new notification
# does not re-render every other resident's pages. A write whose rows' values the statement shows (a
# multi-row INSERT, an UPDATE or DELETE filtered by the column) moves "<table>#<value>" for each; any other
# write to the table moves "<table>#?", which every narrowed read also depends on. Every write moves the
# table's own field too, for the reads that could not be narrowed.
NARROWED: dict[str, str] = {"notifications_notification": "recipient_id"}
UNKNOWN_ROW = "?"


def row_field(table: str, value: object) -> str:
    """The clock field of a narrowed table's rows with this value (UNKNOWN_ROW: rows no statement showed)."""
    return f"{table}#{value}"


@dataclass(frozen=True)
class Narrow:
    """Where the narrowed column's values are in a statement's parameters."""

    table: str
    kind: str  # "eq": params[index]; "values": params[index::stride]; "unnest": the list params[index]
    index: int
    stride: int = 0


@dataclass(frozen=True)
class Statement:
    write: bool
    tenant: frozenset[str]  # tables in the connection's (company) schema
    shared: frozenset[str]  # tables in public
    everything: bool = False  # a write that invalidates all (DDL, or no table of ours named)
    narrow: tuple[Narrow, ...] = ()  # reads: these tables are left out of `tenant`, depended on per row
    unnarrowed: frozenset[str] = frozenset()  # writes to a NARROWED table whose rows the text does not show


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
    names = {(a or b).lower() for a, b in _IDENT.findall(sql.replace("%s", " "))}  # placeholders are no names
    tenant = frozenset(names & tenant_tables)
    shared = frozenset(names & shared_tables)
    read = bool(_READ.match(sql)) or (bool(_WITH.match(sql)) and not _DML.search(sql))
    narrowed = [t for t in tenant if t in NARROWED]
    if read:
        narrow = tuple(n for n in (_filtered_by(sql, t) for t in narrowed) if n is not None)
        done = {n.table for n in narrow}
        return Statement(False, frozenset(tenant - done), shared, narrow=narrow)
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
    narrow = tuple(n for n in (_filtered_by(sql, t) or _inserted(sql, t) for t in narrowed) if n is not None)
    # A narrowed table written by a trigger, or by a statement that does not show its rows: every row's.
    unknown = frozenset(t for t in tenant if t in NARROWED) - {n.table for n in narrow}
    return Statement(True, tenant, shared, everything=not (tenant or shared), narrow=narrow, unnarrowed=unknown)


_PLACEHOLDER = re.compile(r"%%|%s")
_OR = re.compile(r"\bOR\b", re.IGNORECASE)


def _placeholders_before(sql: str, position: int) -> int:
    return sum(1 for m in _PLACEHOLDER.finditer(sql, 0, position) if m.group() == "%s")


def _filtered_by(sql: str, table: str) -> Narrow | None:
    """A statement that names `table` once (FROM, JOIN, UPDATE or DELETE FROM) and keeps only the rows whose
    narrowed column equals one parameter, with no OR anywhere: that parameter's position."""
    quoted = re.escape(f'"{table}"')
    if len(re.findall(rf"\b(?:FROM|JOIN|UPDATE)\s+{quoted}", sql, re.IGNORECASE)) != 1 or _OR.search(sql):
        return None
    found = list(re.finditer(rf'{quoted}\."{NARROWED[table]}" = %s', sql))
    if len(found) != 1:
        return None
    return Narrow(table, "eq", _placeholders_before(sql, found[0].start()))


def _inserted(sql: str, table: str) -> Narrow | None:
    """An INSERT INTO `table` (columns) VALUES (...), ... or SELECT * FROM UNNEST(...): where the narrowed
    column's values are."""
    head = re.match(rf'^\s*INSERT\s+INTO\s+"{re.escape(table)}"\s*\(([^)]*)\)\s*', sql, re.IGNORECASE)
    if head is None:
        return None
    columns = [c.strip().strip('"') for c in head.group(1).split(",")]
    if NARROWED[table] not in columns:
        return None
    index = columns.index(NARROWED[table])
    rest = sql[head.end() :]
    if re.match(r"SELECT\s+\*\s+FROM\s+UNNEST\(", rest, re.IGNORECASE):
        return Narrow(table, "unnest", index)
    first = re.match(r"VALUES\s*\(([^()]*)\)", rest, re.IGNORECASE)
    if first is None or first.group(1).count("%s") != len(columns) or "%%" in rest:
        return None
    return Narrow(table, "values", index, stride=len(columns))


def rows_of(narrow: Narrow, params: object) -> list[object] | None:
    """The narrowed column's values in a statement's parameters, or None if they cannot be told."""
    if not isinstance(params, list | tuple):
        return None
    try:
        if narrow.kind == "eq":
            return [params[narrow.index]]
        if narrow.kind == "unnest":
            values = params[narrow.index]
            return list(values) if isinstance(values, list | tuple) else None
        if len(params) % narrow.stride:
            return None
        return list(params[narrow.index :: narrow.stride])
    except IndexError:
        return None
