"""What an app gives the data download and the erasure: a `PrivacyPart` in the app's own `privacy.py`, listed
in backend/privacy/parts.py. Nothing here imports an app, so an app's privacy module imports only this.

A part names the download sections it fills (each `(user, units) -> JSON-ready value`, `units` the
resident's current homes), the function that erases its rows (`(subject, log) -> None`, inside the
erasure's transaction), and `covers`: the models and fields it downloads and erases. The registry test
(tests/backend/privacy/test_registry.py) fails when a model holding a user, a person or personal fields is
neither covered by a part nor exempted with a reason in backend/privacy/coverage.py."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import F, Func, JSONField, Model, QuerySet, TextField, Value
from django.db.models.functions import Cast

if TYPE_CHECKING:
    from backend.accounts.models import User
    from backend.properties.models import Person, Unit

ERASED_NAME = "已注销用户"

Collector = Callable[["User", list["Unit"]], Any]


def when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass
class Subject:
    """The person being erased, as the erasure found them before anything changed."""

    user: User
    person: Person | None
    unit_ids: list[int]  # every home they ever lived in (their occupancies, ended or not)
    names: set[str]
    phones: set[str]


@dataclass
class ErasureLog:
    """What the erasure did (counts by table, no personal data), the files to delete once it commits, and
    what it could not do, with why (kept in the request's summary)."""

    counts: dict[str, Any] = field(default_factory=dict)
    files: list[tuple[Any, str]] = field(default_factory=list)  # (storage, name)
    not_done: dict[str, str] = field(default_factory=dict)
    outside: dict[str, Any] = field(default_factory=dict)  # what the parts' `outside` steps found, for `erase`

    def count(self, key: str, n: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def drop_files(self, rows: Iterable[Model], attr: str) -> int:
        """Queue every non-empty file of `rows`' field `attr` for deletion after the commit."""
        n = 0
        for row in rows:
            file = getattr(row, attr)
            if file:
                self.files.append((file.storage, file.name))
                n += 1
        return n


Eraser = Callable[[Subject, ErasureLog], None]
Outside = Callable[["User", ErasureLog], None]


@dataclass(frozen=True)
class PrivacyPart:
    app: str
    collectors: dict[str, Collector]
    erase: Eraser | None
    # model label ("gate.VisitorPass") -> the fields this part downloads and erases or anonymises
    covers: dict[str, frozenset[str]]
    # A call to another service (Stripe), made before the erasure's transaction, so no lock is held while it
    # waits; it leaves what it did in `log.outside` for `erase`.
    outside: Outside | None = None


def _needles(subject: Subject) -> list[tuple[str, str]]:
    """(pattern, replacement) per name (longest first) and phone. A name or number followed by a letter or a
    digit is someone else's ("业主1" is not "业主12", a phone is not part of a longer number), so it stays."""
    pairs = [(n, ERASED_NAME) for n in sorted(subject.names, key=len, reverse=True)]
    pairs += [(p, "") for p in sorted(subject.phones)]
    return [(re.escape(needle) + "(?![0-9A-Za-z])", by) for needle, by in pairs if needle]


def _replaced(expression: Any, pattern: str, by: str) -> Func:
    return Func(expression, Value(pattern), Value(by), Value("g"), function="regexp_replace")


def scrub_text(qs: QuerySet[Any], fields: Iterable[str], subject: Subject) -> None:
    """Replace the person's names and phone numbers inside free text that stays (reasons, descriptions)."""
    for column in fields:
        for pattern, by in _needles(subject):
            qs.filter(**{f"{column}__regex": pattern}).update(**{column: _replaced(F(column), pattern, by)})


def scrub_json(qs: QuerySet[Any], column: str, subject: Subject) -> None:
    """The same inside a JSON column (an audit entry's changes): replaced in its text, which PostgreSQL writes
    with the characters as they are. A name with a quote or a backslash is escaped there and stays."""
    text = Cast(F(column), TextField())
    for pattern, by in _needles(subject):
        matching = qs.annotate(_text=text).filter(_text__regex=pattern).values("pk")
        qs.filter(pk__in=matching).update(**{column: Cast(_replaced(text, pattern, by), JSONField())})
