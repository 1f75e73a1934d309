"""What the catalogue and the vetting call when something a search document depends on changes.

Each hook schedules a re-index of what changed, in Celery, after the current transaction commits (a rolled-back
change re-indexes nothing). Callers never build documents or talk to a backend themselves.

- `listings_changed(ids)`: a listing was created, edited, (de)activated, its stock, price or photos changed.
- `merchant_changed(merchant_id)`: the merchant's name, status or rating changed: all its listings.
- `visibility_changed(merchant_id=..., schema_name=...)`: a company approved, rejected, suspended or resumed a
  merchant, switched a category, or hid/unhid a listing: what that company's residents may see changed.
"""

from __future__ import annotations


def listings_changed(listing_ids: list[int]) -> None:
    """Re-index these listings after commit. (Filled in by the search work; a no-op until it lands.)"""


def merchant_changed(merchant_id: int) -> None:
    """Re-index every listing of this merchant after commit."""


def visibility_changed(*, schema_name: str, merchant_id: int | None = None) -> None:
    """Re-compute visibility after commit: of one merchant's listings, or of all listings (merchant_id None)
    when a company-wide switch (a category) changed."""
