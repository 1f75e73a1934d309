"""Service desk tasks, each run in its company's schema; the periodic one once per active company."""

from __future__ import annotations

from backend.celery import app

from .alerts import sla_sweep as sla_sweep_now


@app.task
def sla_sweep() -> int:
    """Every minute: near-breach and breach alerts (inbox and websocket) to the assignee and supervisors."""
    return sla_sweep_now()


@app.task
def complaint_sweep() -> int:
    """Every minute: complaints near or past their limits alerted, and escalated on a breach."""
    from .complaints import complaint_sweep as complaint_sweep_now

    return complaint_sweep_now()
