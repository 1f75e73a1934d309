"""Renovation tasks, each run in its company's schema; the periodic one once per active company."""

from __future__ import annotations

from backend.celery import app

from .money import permits_sweep as permits_sweep_now


@app.task
def permits_sweep() -> int:
    """Every 5 minutes: approved applications whose deposit and fee were paid some way no payment hook saw (a
    prepaid settlement after a top-up, an import) get their deposit registered and their permit."""
    return permits_sweep_now()
