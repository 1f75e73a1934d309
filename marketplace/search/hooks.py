"""What the catalogue and the vetting call when something a search document depends on changes.

Each hook schedules a re-index of what changed, in Celery, after the current transaction commits (a rolled-back
change re-indexes nothing). Callers never build documents or talk to a backend themselves.

- `listings_changed(ids)`: a listing was created, edited, (de)activated, its stock, price or photos changed.
- `merchant_changed(merchant_id)`: the merchant's name, status or rating changed: all its listings.
- `visibility_changed(merchant_id=..., schema_name=...)`: a company approved, rejected, suspended or resumed a
  merchant, switched a category, or hid/unhid a listing: what that company's residents may see changed.

The tasks go to settings.SEARCH_INDEX_QUEUE (empty: Celery's default queue).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from backend.celery import task_named

TASKS = "marketplace.search.tasks"


def _enqueue_on_commit(task: str, *args: Any) -> None:
    queue = settings.SEARCH_INDEX_QUEUE or None

    def send() -> None:
        task_named(f"{TASKS}.{task}").apply_async(args, queue=queue)

    transaction.on_commit(send)


def listings_changed(listing_ids: list[int]) -> None:
    """Re-index these listings after commit."""
    ids = sorted({int(i) for i in listing_ids})
    if ids:
        _enqueue_on_commit("search_listings_reindex", ids)


def merchant_changed(merchant_id: int) -> None:
    """Re-index every listing of this merchant after commit."""
    _enqueue_on_commit("search_merchant_reindex", int(merchant_id))


def visibility_changed(*, schema_name: str, merchant_id: int | None = None) -> None:
    """Re-compute visibility after commit: of one merchant's listings, or of all listings (merchant_id None)
    when a company-wide switch (a category) changed."""
    if merchant_id is not None:
        _enqueue_on_commit("search_merchant_reindex", int(merchant_id))
    else:
        _enqueue_on_commit("search_company_reindex", schema_name)
