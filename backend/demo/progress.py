"""One line per seeding stage, with what it made and how long it took:

    demo: 示范物业 registry — 1 office, 2 estates, 1,500 units, 1,201 people (3.2 s)

`seed_demo` hands its stderr writer in; tests and the benchmarks seed silently (the default)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Stage:
    """What a stage reports: counts in the order they were added."""

    def __init__(self) -> None:
        self.counts: list[tuple[int, str]] = []
        self.notes: list[str] = []

    def count(self, n: int, label: str, plural: str = "") -> None:
        """`label` is the singular; the plural adds an s unless given."""
        self.counts.append((n, label if n == 1 else plural or f"{label}s"))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def summary(self) -> str:
        parts = [f"{n:,} {label}" for n, label in self.counts] + self.notes
        return ", ".join(parts) or "nothing to do"


class Progress:
    def __init__(self, write: Callable[[str], None] | None = None, *, prefix: str = "demo") -> None:
        self.write = write
        self.prefix = prefix
        self.started = time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[Stage]:
        stage = Stage()
        start = time.perf_counter()
        yield stage
        if self.write is not None:
            self.write(f"{self.prefix}: {name} — {stage.summary()} ({time.perf_counter() - start:.1f} s)")

    def total(self) -> float:
        return time.perf_counter() - self.started
