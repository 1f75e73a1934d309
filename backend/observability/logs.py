"""Log records as one JSON object per line, each with the company schema, the user and the request id.

    {"ts": "2026-12-07T15:02:11.482+00:00", "level": "WARNING", "logger": "backend.gateway.webhooks",
     "message": "…", "schema": "shifan", "user": "42", "request_id": "5f0c…", "task_id": ""}

LOG_FORMAT=json (the default in production settings) selects it; LOG_FORMAT=plain keeps one readable line
for a developer's terminal. Both carry the same fields."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from . import context

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "schema_name", "domain_url"}


class RequestContextFilter(logging.Filter):
    """Adds schema, user, request_id and task_id to every record (the schema from the connection in use)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.schema = _schema()
        record.user = context.user_of(context.current_request.get())
        record.request_id = context.request_id.get()
        record.task_id = context.task_id.get()
        return True


def _schema() -> str:
    try:
        from django.db import connection

        return str(getattr(connection, "schema_name", "") or "")
    except Exception:  # noqa: BLE001 - logging must never fail (e.g. before Django is set up)
        return ""


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "schema": getattr(record, "schema", ""),
            "user": getattr(record, "user", ""),
            "request_id": getattr(record, "request_id", ""),
            "task_id": getattr(record, "task_id", ""),
        }
        for key, value in vars(record).items():  # extra={...} given by the caller
            if key not in _STANDARD and key not in out and key not in ("schema", "user", "request_id", "task_id"):
                out[key] = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False)
