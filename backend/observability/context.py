"""What the log records of this request (or Celery task) should carry, in context variables: set at the start
of a request by the middleware (or of a task by a Celery signal), read by the logging filter."""

from __future__ import annotations

import contextvars
import re
import uuid
from typing import Any

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
current_request: contextvars.ContextVar[Any] = contextvars.ContextVar("current_request", default=None)
task_id: contextvars.ContextVar[str] = contextvars.ContextVar("task_id", default="")

# A request id from the proxy is kept when it looks like one (nginx's $request_id is 32 hex digits); anything
# else (too long, odd characters) is replaced, so a client cannot write into the logs through it.
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(value: str | None) -> str | None:
    return value if value and _ACCEPTED.match(value) else None


def request_id_choose(sent: str | None, *, from_trusted_proxy: bool) -> str:
    """The request's id: the one our proxy sent (nginx: $request_id) when it looks like one, else a new one."""
    return (accepted_request_id(sent) if from_trusted_proxy else None) or new_request_id()


def user_of(request: Any) -> str:
    """The signed-in user's id, if the request has already worked it out (never a query from a log call)."""
    if request is None:
        return ""
    user = request.__dict__.get("user")
    if user is None:
        return ""
    wrapped = getattr(user, "_wrapped", user)  # a SimpleLazyObject not evaluated yet holds a sentinel
    if wrapped is None or not hasattr(wrapped, "is_authenticated"):
        return ""
    if not wrapped.is_authenticated:
        return ""
    return str(wrapped.pk)
