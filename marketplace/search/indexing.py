"""Bringing the search index in line with the catalogue: what the tasks and `search_reindex` run.

Documents are built (marketplace/documents.py) and written to the configured backend in batches; a listing
that should have no document (off sale, closed merchant, visible to nobody) is deleted from the index."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from marketplace.documents import listing_docs
from marketplace.models import Listing, MerchantApplication

from .backends import get_backend
from .documents import SearchBackend

logger = logging.getLogger(__name__)
BATCH = 1000


@dataclass
class Progress:
    done: int = 0
    indexed: int = 0
    removed: int = 0
    total: int = 0


def _batches(ids: Iterable[int], size: int = BATCH) -> Iterator[list[int]]:
    batch: list[int] = []
    for i in ids:
        batch.append(i)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def listings_reindex(
    listing_ids: Iterable[int],
    *,
    backend: SearchBackend | None = None,
    total: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> Progress:
    """Rebuild these listings' documents and write them (or delete them) in the backend."""
    backend = backend or get_backend()
    progress = Progress(total=total or 0)
    for batch in _batches(listing_ids):
        built = listing_docs(batch)
        backend.index(built.docs)
        backend.delete(built.gone)
        progress.done += len(batch)
        progress.indexed += len(built.docs)
        progress.removed += len(built.gone)
        if on_progress is not None:
            on_progress(progress)
    backend.refresh()
    return progress


def listing_ids_for(*, merchant_id: int | None = None, schema_name: str | None = None) -> list[int]:
    """Every listing of this merchant, or of the merchants that ever applied to this company, or all."""
    listings = Listing.objects.all()
    if merchant_id is not None:
        listings = listings.filter(merchant_id=merchant_id)
    if schema_name is not None:
        merchants = MerchantApplication.objects.filter(tenant__schema_name=schema_name).values("merchant_id")
        listings = listings.filter(merchant_id__in=merchants)
    return list(listings.order_by("pk").values_list("pk", flat=True))


def search_rebuild(
    *,
    merchant_id: int | None = None,
    schema_name: str | None = None,
    backend: SearchBackend | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> Progress:
    """Everything (the index dropped and made anew: a listing deleted from the catalogue leaves nothing
    behind), or one merchant's or one company's listings in place."""
    backend = backend or get_backend()
    ids = listing_ids_for(merchant_id=merchant_id, schema_name=schema_name)
    if merchant_id is None and schema_name is None:
        backend.reset()
    progress = listings_reindex(ids, backend=backend, total=len(ids), on_progress=on_progress)
    logger.info(
        "search rebuilt on %s: %d listings, %d indexed, %d removed",
        backend.name,
        progress.done,
        progress.indexed,
        progress.removed,
    )
    return progress
