"""The database backend skips `SET search_path` when the connection has already committed the one wanted
(tenants/postgresql_backend). Whatever sequence of company switches, transactions, rollbacks and savepoints
a connection goes through, every query runs with the company's own search_path."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenants.postgresql_backend.base import COMMITTED


@pytest.fixture
def own_connection(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """A connection of its own, pooled as deployed but with a pool of ONE session (so every close hands that
    session back and the next query gets it again), in autocommit outside the test's wrapping transaction
    (where every SET would be uncommitted and never remembered)."""
    from tenants.postgresql_backend.base import DatabaseWrapper

    settings_dict = dict(connections["default"].settings_dict)
    settings_dict["OPTIONS"] = {**settings_dict.get("OPTIONS", {}), "pool": {"min_size": 1, "max_size": 1}}
    settings_dict["CONN_MAX_AGE"] = 0
    with django_db_blocker.unblock():
        alias = f"pool-of-one-{uuid.uuid4().hex[:6]}"
        conn = DatabaseWrapper(settings_dict, alias=alias)
        connections[alias] = conn  # so that transaction.atomic(using=alias) finds it
        try:
            yield conn
        finally:
            conn.close()
            conn.close_pool()
            del connections[alias]


def _schemas(conn: Any) -> list[str]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT current_schemas(false)")
        return list(cursor.fetchone()[0])


def _expected(conn: Any) -> list[str]:
    return [conn.schema_name] if conn.schema_name == "public" else [conn.schema_name, "public"]


@pytest.fixture
def sets(monkeypatch: Any) -> list[list[str]]:
    """The search_paths django-tenants' own code was asked to SET (it runs the SET on the raw cursor, which
    Django's query log does not see)."""
    from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantsDatabaseWrapper

    seen: list[list[str]] = []
    original = TenantsDatabaseWrapper._handle_search_path

    def spy(self: Any, cursor: Any = None) -> None:
        seen.append(self._get_cursor_search_paths())
        original(self, cursor)

    monkeypatch.setattr(TenantsDatabaseWrapper, "_handle_search_path", spy)
    return seen


def test_the_same_company_on_the_same_pooled_session_is_not_set_again(own_connection, sets):
    def sets_for(fn: Any) -> int:
        before = len(sets)
        fn()
        return len(sets) - before

    own_connection.set_schema("alpha")
    assert sets_for(lambda: _schemas(own_connection)) == 1
    own_connection.close()  # the end of a request: the session goes back to the pool
    own_connection.set_schema("alpha")  # the next request, same company, gets the same session
    assert sets_for(lambda: _schemas(own_connection)) == 0
    assert _schemas(own_connection) == ["alpha", "public"]
    own_connection.close()
    own_connection.set_schema("beta")  # another company on that session: set, and right
    assert sets_for(lambda: _schemas(own_connection)) == 1
    assert _schemas(own_connection) == ["beta", "public"]


def test_a_set_inside_a_rolled_back_transaction_is_not_remembered(own_connection):
    own_connection.set_schema("alpha")
    _schemas(own_connection)
    with pytest.raises(ZeroDivisionError), transaction.atomic(using=own_connection.alias):
        own_connection.set_schema("beta")
        assert _schemas(own_connection) == ["beta", "public"]
        raise ZeroDivisionError
    assert getattr(own_connection.connection, COMMITTED) is None
    own_connection.set_schema("beta")
    assert _schemas(own_connection) == ["beta", "public"]


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("tenant"), st.sampled_from(["alpha", "beta", "public"])),
        st.tuples(st.just("query"), st.none()),
        # A block that switches to a company and queries, then commits (True) or rolls back (False).
        st.tuples(st.just("atomic"), st.tuples(st.sampled_from(["alpha", "beta"]), st.booleans())),
        st.tuples(st.just("close"), st.none()),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_every_query_runs_in_the_company_it_was_made_for(own_connection, steps):
    """A random life of one pooled session: switches, queries, committed and rolled-back blocks (each with a
    switch and a query inside), and requests ending (the session back to the pool and taken again)."""
    conn = own_connection
    conn.set_schema_to_public()
    for action, arg in steps:
        if action == "tenant":
            conn.set_schema(arg) if arg != "public" else conn.set_schema_to_public()
        elif action == "query":
            assert _schemas(conn) == _expected(conn)
        elif action == "atomic":
            inside, commit = arg
            try:
                with transaction.atomic(using=conn.alias):
                    conn.set_schema(inside)
                    assert _schemas(conn) == _expected(conn)
                    if not commit:
                        raise ZeroDivisionError
            except ZeroDivisionError:
                pass
            # The block's company stays selected: the next query must run there, whatever the rollback undid.
        elif action == "close":
            conn.close()  # back to the pool of one; the next query takes the same session again
    assert _schemas(conn) == _expected(conn)
