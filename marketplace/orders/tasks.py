"""Shop order tasks. Each runs in its company's schema; the periodic ones once per active company."""

from __future__ import annotations

from backend.celery import app

from .flow import orders_auto_complete, orders_expire, pending_orders_check
from .money import order_refunds_sweep
from .personal_data import orders_personal_data_scrub


@app.task
def shop_orders_expire() -> int:
    """Every minute: unpaid orders past SHOP_ORDER_PAY_MINUTES expire and release their stock and slots; orders
    paid some other way are marked paid; card refunds still waiting are sent again."""
    return orders_expire() + pending_orders_check() + order_refunds_sweep()


@app.task
def shop_orders_auto_complete() -> int:
    """Hourly: delivered orders unconfirmed for SHOP_ORDER_AUTO_COMPLETE_DAYS complete by themselves."""
    return orders_auto_complete()


@app.task
def shop_orders_personal_data_scrub() -> int:
    """Nightly: orders closed for SHOP_PERSONAL_DATA_DAYS keep only the masked name and phone (personal_data.py)."""
    return orders_personal_data_scrub()
