"""The one error type business code raises. The API maps it to the shared error shape; portal views show it."""

from __future__ import annotations

from django.utils.translation import gettext as _


class ApplicationError(Exception):
    """A business rule said no. `fields` maps a field name to its messages, for forms and API clients."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        fields: dict[str, list[str]] | None = None,
        status: int = 400,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}
        self.status = status

    @property
    def text(self) -> str:
        """The error in one line, for a page's message: every field's messages, or the message if none."""
        return " ".join(m for ms in self.fields.values() for m in ms) or self.message

    @classmethod
    def for_fields(cls, fields: dict[str, list[str]], message: str = "") -> ApplicationError:
        return cls(message or _("Please correct the marked fields."), code="validation_error", fields=fields)


def not_found() -> ApplicationError:
    """What a lookup outside the caller's scope answers: the same 404 as an id that does not exist."""
    return ApplicationError(_("Not found."), code="not_found", status=404)


class RateLimited(ApplicationError):
    """Too many attempts: answered 429 with a Retry-After of `retry_after` seconds (API and portal alike)."""

    def __init__(self, message: str, *, retry_after: int, code: str = "throttled") -> None:
        super().__init__(message, code=code, status=429)
        self.retry_after = retry_after
