"""Orders held back from their merchant after payment. A module that sells through shop orders but decides
later whether they go ahead (group-buy: marketplace/groupbuy) registers a predicate; a held order is paid for
the resident, but is not in its merchant's index, posts nothing to the payables ledger and tells the merchant
nothing until the holder hands it over (marketplace/orders/handover.py). Imports nothing, so the settlement
ledger and the order flow may both ask."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

HOLDS: list[Callable[[Any], bool]] = []


def on_order_hold(fn: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """Register fn(order) → True while the order must not reach its merchant (called in the order's transaction,
    its row locked; it must read, never lock)."""
    if fn not in HOLDS:
        HOLDS.append(fn)
    return fn


def order_held(order: Any) -> bool:
    return any(fn(order) for fn in HOLDS)
