"""Extension points for other modules: the payments issue registers autopay here, so billing never imports it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)

BILLS_ISSUED: list[Callable[[Any], None]] = []


def on_bills_issued(fn: Callable[[Any], None]) -> Callable[[Any], None]:
    """Register fn(run) to be called after a bill run has posted (outside its transactions)."""
    BILLS_ISSUED.append(fn)
    return fn


def bills_issued(run: Any) -> None:
    for fn in BILLS_ISSUED:
        try:
            fn(run)
        except Exception:  # one listener failing must not undo or block a posted run
            log.exception("bills_issued listener %s failed for run %s", fn, getattr(run, "pk", run))


PAYMENT_RECORDED: list[Callable[[Any], None]] = []


def on_payment_recorded(fn: Callable[[Any], None]) -> Callable[[Any], None]:
    """Register fn(payment), called inside the transaction that records a new payment (not on an idempotent
    replay). It may raise ApplicationError to refuse the payment (a closed day): the whole payment rolls back.
    Payments uses it to number the receipt, so every payment has exactly one."""
    PAYMENT_RECORDED.append(fn)
    return fn


def payment_recorded(payment: Any) -> None:
    for fn in PAYMENT_RECORDED:
        fn(payment)


PAYMENTS_RECORDED: list[Callable[[Sequence[Any]], None]] = []


def on_payments_recorded(fn: Callable[[Sequence[Any]], None]) -> Callable[[Sequence[Any]], None]:
    """Register fn(payments) for payments recorded together (ledger_bulk.py: an import), called once inside
    their transaction, with the same contract as on_payment_recorded: raising refuses all of them."""
    PAYMENTS_RECORDED.append(fn)
    return fn


def payments_recorded(payments: Sequence[Any]) -> None:
    for fn in PAYMENTS_RECORDED:
        fn(payments)
