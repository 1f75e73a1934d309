"""The default connection as django-tenants' wrapper (set_tenant, schema_name, tenant), for type checkers."""

from __future__ import annotations

from typing import Any, cast

from django.db import connection as _connection

connection: Any = cast(Any, _connection)
