"""Indexing tasks: enqueued after commit by marketplace.search.hooks, idempotent (each rebuilds documents from
what the database says now, so a repeat or a late run writes the same thing)."""

from __future__ import annotations

from backend.celery import app

from .indexing import listing_ids_for, listings_reindex


@app.task
def search_listings_reindex(listing_ids: list[int]) -> dict[str, int]:
    """These listings: created, edited, (de)activated, restocked."""
    progress = listings_reindex(listing_ids)
    return {"indexed": progress.indexed, "removed": progress.removed}


@app.task
def search_merchant_reindex(merchant_id: int) -> dict[str, int]:
    """Every listing of a merchant: its name or status changed, or a company's decision on it."""
    progress = listings_reindex(listing_ids_for(merchant_id=merchant_id))
    return {"indexed": progress.indexed, "removed": progress.removed}


@app.task
def search_company_reindex(schema_name: str) -> dict[str, int]:
    """Every listing of the merchants that applied to a company: it switched a category on or off."""
    progress = listings_reindex(listing_ids_for(schema_name=schema_name))
    return {"indexed": progress.indexed, "removed": progress.removed}
