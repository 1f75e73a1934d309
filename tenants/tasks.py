from __future__ import annotations

from backend.celery import app

from .spares import spare_schemas_fill


@app.task(ignore_result=True)
def spare_schemas_refill() -> int:
    """After an onboarding took a spare schema: clone the next one (public schema task)."""
    return spare_schemas_fill()


@app.task(ignore_result=True)
def companies_dispatch(
    task_name: str,
    args: list | None = None,
    kwargs: dict | None = None,
    options: dict | None = None,
    local_hour: int | None = None,
) -> int:
    """Beat's one entry per periodic job lands here (public schema): send `task_name` once per active
    company, in that company's schema, over one broker connection; returns how many were sent.

    `local_hour`: only the companies whose own time zone is at that hour now (a daily job at 08:30 runs at
    08:30 in each company's zone; beat then fires the entry hourly)."""
    from .dispatch import companies_fan_out

    return companies_fan_out(task_name, args=args, kwargs=kwargs, options=options, local_hour=local_hour)


@app.task(ignore_result=True)
def companies_delete_due() -> int:
    """Daily (public schema): delete the companies whose grace period is over (tenants/deletion.py)."""
    from .deletion import companies_delete_due as delete_due

    return len(delete_due())


@app.task(ignore_result=True)
def support_access_expire() -> int:
    """Every minute (public schema): end the operators' support access that has run out (tenants/support.py)."""
    from .support import support_access_expire as expire

    return expire()
