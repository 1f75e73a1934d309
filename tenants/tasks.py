from __future__ import annotations

from backend.celery import app

from .spares import spare_schemas_fill


@app.task(ignore_result=True)
def spare_schemas_refill() -> int:
    """After an onboarding took a spare schema: clone the next one (public schema task)."""
    return spare_schemas_fill()
