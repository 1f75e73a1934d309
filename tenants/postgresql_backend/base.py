"""django-tenants' PostgreSQL backend, remembering the search_path each pooled connection has committed.

django-tenants issues `SET search_path` on the first query after a connection is taken (every request, with
a pool): a round trip of its own, about a fifth of a small API request here. A PostgreSQL session keeps
its search_path, so this backend writes the value on the psycopg connection object once the SET is
committed, and a later request for the same company that gets the same connection from the pool skips the
SET. A request for another company sees a different value and sets its own.

What is remembered is only ever a value PostgreSQL has committed: a SET issued inside a transaction (which a
rollback would undo) forgets the value instead, so the next checkout sets it again. Nothing else in the
project sets search_path (django-tenants' clone_schema function restores the old value before it returns)."""

from __future__ import annotations

from typing import Any

from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantsDatabaseWrapper
from django_tenants.utils import get_limit_set_calls
from psycopg import pq

COMMITTED = "_wuye_committed_search_path"


class DatabaseWrapper(TenantsDatabaseWrapper):
    def _handle_search_path(self, cursor: Any = None) -> None:
        raw = self.connection
        if self._setting_search_path or raw is None or not self.schema_name:
            return super()._handle_search_path(cursor)
        already: Any = getattr(self, "search_path_set_schemas", None)
        if get_limit_set_calls() and already:
            return None
        wanted = self._get_cursor_search_paths()
        if getattr(raw, COMMITTED, None) == wanted:
            self.search_path_set_schemas = wanted
            return None
        super()._handle_search_path(cursor)
        committed = raw.info.transaction_status == pq.TransactionStatus.IDLE and self.search_path_set_schemas
        setattr(raw, COMMITTED, list(wanted) if committed else None)
        return None

    # --- hooks for the apps (tenants/ imports none): backend/response_cache registers them at start ---

    def connect(self) -> None:
        super().connect()
        for wrapper in reversed(STATEMENT_HOOKS):
            if wrapper not in self.execute_wrappers:
                self.execute_wrappers.insert(0, wrapper)

    def _commit(self) -> None:
        super()._commit()
        for hook in COMMIT_HOOKS:
            hook(self)

    def _rollback(self) -> None:
        super()._rollback()
        for hook in ROLLBACK_HOOKS:
            hook(self)


# Registered by apps at start (AppConfig.ready): a wrapper every statement of every connection goes through
# (Django's execute_wrapper signature), and calls after each commit and rollback with the DatabaseWrapper.
STATEMENT_HOOKS: list[Any] = []
COMMIT_HOOKS: list[Any] = []
ROLLBACK_HOOKS: list[Any] = []
