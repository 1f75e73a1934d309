"""Where residents' searches are built: the one place that turns "this company, these estates" into visibility
tokens, so no page or endpoint ever passes tokens (or forgets them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .backends import get_backend
from .documents import ListingQuery, ListingResult, visibility_token


def search_for_resident(tenant: Any, estate_ids: Iterable[int], **params: Any) -> ListingResult:
    """Listings the residents of these estates of this company may see, matching `params` (ListingQuery's
    fields: text, category, merchant_id, kind, price_min_fen, price_max_fen, min_rating, in_stock, sort,
    offset, limit, facets). No estates: nothing."""
    if "visibility" in params:
        raise TypeError("search_for_resident derives visibility itself")
    tokens = tuple(visibility_token(tenant.schema_name, int(e)) for e in sorted(set(estate_ids)))
    return get_backend().search(ListingQuery(visibility=tokens, **params))
