"""Orders held back from their merchant after payment. A module that sells through shop orders but decides
later whether they go ahead (group-buy: marketplace/groupbuy) registers a predicate; a held order is paid for
the resident, but is not in its merchant's index, posts nothing to the payables ledger (nor does the
reconciliation count it as behind) and tells the merchant nothing until the holder hands it over
(marketplace/orders/handover.py). Imports nothing, so the settlement ledger and the order flow may both ask."""

from __future__ import annotations

from collections.abc import Callable, Collection

Holds = Callable[[Collection[int]], set[int]]
HOLDS: list[Holds] = []


def on_order_hold(fn: Holds) -> Holds:
    """Register fn(order ids) → the ids among them that must not reach their merchant (called inside the
    orders' transactions; it must read, never lock)."""
    if fn not in HOLDS:
        HOLDS.append(fn)
    return fn


def orders_held(order_ids: Collection[int]) -> set[int]:
    held: set[int] = set()
    if order_ids:
        for fn in HOLDS:
            held |= fn(order_ids)
    return held


def order_held(order_id: int) -> bool:
    return bool(orders_held([order_id]))
