"""What the marketplace's search indexes and asks, independent of the backend (PostgreSQL or Elasticsearch).

The catalogue turns listings into `ListingDoc`s (marketplace/documents.py computes each one's visibility);
a backend stores them and answers a `ListingQuery` with a `ListingResult`. Isolation rests on `visibility`:
a document lists every (company, estate) that may see it, a query names the caller's, and a backend
returns only documents sharing at least one token. A query without tokens finds nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, Protocol

Sort = Literal["relevance", "price", "-price", "sales", "rating", "new"]
SORTS: tuple[str, ...] = ("relevance", "price", "-price", "sales", "rating", "new")


def visibility_token(schema_name: str, estate_id: int) -> str:
    """The token of one company estate: a document carrying it is visible to that estate's residents."""
    return f"{schema_name}:{estate_id}"


@dataclass(frozen=True)
class ListingDoc:
    id: int  # the listing's id (public schema)
    merchant_id: int
    merchant_name: str
    kind: str  # "good" or "service"
    title: str
    text: str  # description and other searchable words, raw; the backend segments it
    category_codes: tuple[str, ...]  # the listing's category and its ancestors, e.g. ("home", "housekeeping")
    price_fen: int
    rating: float | None  # average stars, None until reviewed
    sales: int
    in_stock: bool
    created_at: dt.datetime
    visibility: tuple[str, ...]  # visibility_token(...) for each company estate that may see it


@dataclass(frozen=True)
class PriceRange:
    low_fen: int | None  # inclusive; None: open
    high_fen: int | None  # exclusive; None: open


# The price facet's buckets, in fen.
PRICE_RANGES: tuple[PriceRange, ...] = (
    PriceRange(None, 2000),
    PriceRange(2000, 5000),
    PriceRange(5000, 10000),
    PriceRange(10000, 30000),
    PriceRange(30000, None),
)


@dataclass(frozen=True)
class ListingQuery:
    visibility: tuple[str, ...]  # the caller's tokens; empty finds nothing
    text: str = ""  # words or a prefix as typed, Chinese or not; empty matches all visible
    category: str = ""  # a category code: matches it and its descendants
    merchant_id: int | None = None
    kind: str = ""  # "good", "service" or "" for both
    price_min_fen: int | None = None
    price_max_fen: int | None = None
    min_rating: float | None = None
    in_stock: bool | None = None
    sort: Sort = "relevance"
    offset: int = 0
    limit: int = 20
    facets: bool = True


@dataclass(frozen=True)
class Hit:
    id: int
    score: float


@dataclass(frozen=True)
class ListingResult:
    total: int
    hits: list[Hit]
    # facet -> value -> count, over every visible match (before paging): "category" (code), "merchant" (id as
    # str), "price" (PRICE_RANGES index as str), "rating" ("4", "3", ...: at least that many stars),
    # "in_stock" ("true"/"false"), "kind".
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class SearchBackend(Protocol):
    name: str

    def index(self, docs: list[ListingDoc]) -> None:
        """Add or replace these documents (by id)."""

    def delete(self, ids: list[int]) -> None:
        """Remove these documents; unknown ids are ignored."""

    def search(self, query: ListingQuery) -> ListingResult: ...

    def reset(self) -> None:
        """Drop every document and (re)create the index with its mapping."""

    def refresh(self) -> None:
        """Make what was indexed searchable now (a no-op where it already is)."""
