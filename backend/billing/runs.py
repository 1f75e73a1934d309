"""计费 / 月结: bill runs — created with a preview of what they would bill, started (queued to the worker by
task name), posted chunk by chunk with their progress pushed live to whoever started them, prepaid credit
settled against the new bills, residents told, and the monthly schedule on the company's billing day. How a
run prices its lines and posts them (SQL, shared meters) is run_pricing.py."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.celery import task_named
from backend.errors import ApplicationError, not_found
from backend.notifications.realtime import push_to_user
from backend.notifications.recipients import Recipients
from backend.notifications.services import notify
from backend.properties.models import Occupancy
from backend.properties.scope import Scope
from backend.properties.selectors import AreaSelection, areas_outside_scope
from tenants.company.models import CompanySettings
from tenants.db import connection

from . import hooks
from .ledger_bulk import prepaid_settle_bulk
from .models import (
    BillingSettings,
    BillLine,
    BillRun,
    FeeAssignment,
    FeeItem,
    MeterReading,
)
from .periods import months_between
from .run_pricing import (
    INSERT_SQL,
    PREVIEW_SQL,
    fresh_statistics,
    run_items,
    run_scope_sql,
    run_units,
    shared_meter_lines,
    shared_meter_post,
)
from .selectors import bill_runs_visible

log = logging.getLogger(__name__)


CHUNK_UNITS = 5000


# The task that posts a run (backend/billing/tasks.py), enqueued by name: the tasks module imports this one.
BILL_RUN_EXECUTE_TASK = "backend.billing.tasks.bill_run_execute_task"


def _validate_scope(*, scope: Scope, office_ids: list[int], estate_ids: list[int], building_ids: list[int]) -> None:
    selection = AreaSelection.of(office_ids=office_ids, estate_ids=estate_ids, building_ids=building_ids)
    outside = areas_outside_scope(scope=scope, selection=selection)
    messages = {
        "office_ids": _("Choose offices you manage."),
        "estate_ids": _("Choose estates you manage."),
        "building_ids": _("Choose buildings you manage."),
    }
    errors = {name: [message] for name, message in messages.items() if name in outside}
    if not scope.all_offices and not (office_ids or estate_ids or building_ids):
        errors["building_ids"] = [_("Choose the offices, estates or buildings to bill.")]
    if errors:
        raise ApplicationError.for_fields(errors)


def bill_run_create(
    *,
    period: dt.date,
    scope: Scope,
    by: User | None,
    office_ids: Iterable[int] = (),
    estate_ids: Iterable[int] = (),
    building_ids: Iterable[int] = (),
    scheduled: bool = False,
) -> BillRun:
    """Create a run and its preview (what it would bill, per item; what already exists; what cannot be billed
    yet). Nothing is posted until bill_run_start()."""
    if period.day != 1:
        raise ApplicationError.for_fields({"period": [_("A period starts on the first of a month.")]})
    offices, estates, buildings = list(office_ids), list(estate_ids), list(building_ids)
    _validate_scope(scope=scope, office_ids=offices, estate_ids=estates, building_ids=buildings)
    with transaction.atomic():
        run = BillRun.objects.create(
            period=period,
            office_ids=offices,
            estate_ids=estates,
            building_ids=buildings,
            created_by=by,
            scheduled=scheduled,
        )
        run.preview = bill_run_preview(run)
        run.total_units = run.preview["units"]
        run.save(update_fields=["preview", "total_units"])
        audit_record(
            action="billing.bill_run_create",
            target=run,
            object_repr=f"{period:%Y-%m}",
            changes={"offices": offices, "estates": estates, "buildings": buildings},
        )
    return run


def bill_run_preview(run: BillRun) -> dict[str, Any]:
    items, arrays = run_items(run)
    scope_sql, scope_params = run_scope_sql(run)
    units = run_units(run)
    by_item: dict[int, dict[str, Any]] = {}
    names = {i.pk: i.name for i in items}
    if items:
        fresh_statistics()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(
                PREVIEW_SQL.format(scope=scope_sql),
                {**arrays, **scope_params, "lo": 0, "hi": 2**62},
            )
            for item_id, count, amount, existing, new_amount in cursor.fetchall():
                by_item[item_id] = {
                    "fee_item": item_id,
                    "name": names.get(item_id, str(item_id)),
                    "lines": count,
                    "amount": int(amount),
                    "existing": existing,
                    "new_lines": count - existing,
                    "new_amount": int(new_amount),
                }
    shared = shared_meter_lines(run, dry_run=True)
    for (_unit, item_id), (amount, _qty, _rate) in shared.items():
        row = by_item.setdefault(
            item_id,
            {"fee_item": item_id, "name": "", "lines": 0, "amount": 0, "existing": 0, "new_lines": 0, "new_amount": 0},
        )
        row["lines"] += 1
        row["amount"] += amount
        row["new_lines"] += 1
        row["new_amount"] += amount
    if shared:
        for item in FeeItem.objects.filter(pk__in={k[1] for k in shared}):
            by_item[item.pk]["name"] = item.name
    unit_ids = units.values("pk")

    no_standard = (
        FeeAssignment.objects.filter(unit__in=unit_ids, fee_item__in=items, fee_item__is_active=True)
        .exclude(fee_item__standards__effective_from__lte=run.period)
        .values("fee_item__name")
        .distinct()
    )
    flagged = MeterReading.objects.filter(
        status=MeterReading.Status.FLAGGED,
        period__in=months_between(run.period, run.period),
    ).filter(meter__estate_id__in=units.values("estate_id"))
    rows = sorted(by_item.values(), key=lambda r: r["name"])
    return {
        "period": run.period.isoformat(),
        "units": units.count(),
        "items": rows,
        "lines": sum(r["lines"] for r in rows),
        "amount": sum(r["amount"] for r in rows),
        "new_lines": sum(r["new_lines"] for r in rows),
        "new_amount": sum(r["new_amount"] for r in rows),
        "existing": sum(r["existing"] for r in rows),
        "items_without_standard": [r["fee_item__name"] for r in no_standard],
        "flagged_readings": flagged.count(),
    }


def bill_run_start(*, run: BillRun, scope: Scope, by: User | None) -> BillRun:
    """Queue the run for posting (Celery). Posting a run twice, or a posted one again, bills nothing twice.
    Only a run the caller may see can be started (not found otherwise), so a member scoped to one office
    cannot post another office's bills."""
    if not bill_runs_visible(scope=scope).filter(pk=run.pk).exists():
        raise not_found()
    if run.status in (BillRun.Status.QUEUED, BillRun.Status.RUNNING):
        raise ApplicationError(_("This run is already posting."), code="already_running")
    with transaction.atomic():
        BillRun.objects.filter(pk=run.pk).update(status=BillRun.Status.QUEUED, error="", done_units=0)
        run.status = BillRun.Status.QUEUED
        audit_record(action="billing.bill_run_start", target=run, object_repr=f"{run.period:%Y-%m}")
        schema = connection.schema_name

        def enqueue() -> None:
            with schema_context(schema):
                task_named(BILL_RUN_EXECUTE_TASK).delay(run.pk)

        transaction.on_commit(enqueue)
    return run


def _push(run: BillRun) -> None:
    if run.created_by_id:
        push_to_user(
            schema_name=connection.schema_name,
            user_id=run.created_by_id,
            message={
                "type": "billrun.progress",
                "run": run.pk,
                "status": run.status,
                "done": run.done_units,
                "total": run.total_units,
                "percent": run.progress_percent,
                "lines": run.lines_created,
            },
        )


def bill_run_execute(
    run_id: int, *, on_chunk: Callable[[int], None] | None = None, today: dt.date | None = None
) -> BillRun:
    """Post a run: each chunk of units in its own transaction, so a crash loses at most one chunk's work and
    a retry picks up where it stopped (lines already there are skipped by the unique index). `today` is the
    business date its charges and prepaid settlements carry (default: the company's today)."""
    run = BillRun.objects.get(pk=run_id)
    items, arrays = run_items(run)
    scope_sql, scope_params = run_scope_sql(run)
    unit_ids = list(run_units(run).order_by("pk").values_list("pk", flat=True))
    run.status = BillRun.Status.RUNNING
    run.started_at = run.started_at or timezone.now()
    run.total_units = len(unit_ids)
    run.done_units = 0
    run.save(update_fields=["status", "started_at", "total_units", "done_units"])
    _push(run)
    today = today or timezone.localdate()
    fresh_statistics()
    sql = INSERT_SQL.format(scope=scope_sql)
    created = existing = 0
    amount = 0
    for index in range(0, len(unit_ids), CHUNK_UNITS):
        chunk = unit_ids[index : index + CHUNK_UNITS]
        with transaction.atomic():
            if items:
                with connection.cursor() as cursor:
                    # The planner's cost estimate of this statement trips PostgreSQL's JIT, which then spends
                    # longer compiling than the insert takes (2.6 s of 3.2 s per chunk, measured).
                    cursor.execute("SET LOCAL jit = off")
                    # The new lines are inserted already outstanding; the ledger trigger must not add their
                    # charges a second time (migration billing 0002), for this statement only.
                    cursor.execute("SET LOCAL billing.outstanding_preset = 'on'")
                    cursor.execute(
                        sql, {**arrays, **scope_params, "lo": chunk[0], "hi": chunk[-1], "run": run.pk, "today": today}
                    )
                    candidates, inserted, inserted_amount = cursor.fetchone()
                    cursor.execute("SET LOCAL billing.outstanding_preset = 'off'")
                created += inserted
                existing += candidates - inserted
                amount += int(inserted_amount)
            run.done_units = index + len(chunk)
            BillRun.objects.filter(pk=run.pk).update(
                done_units=run.done_units, lines_created=created, amount_created=amount, lines_existing=existing
            )
        run.lines_created = created
        _push(run)
        if on_chunk:
            on_chunk(run.done_units)
    with transaction.atomic():
        shared_created, shared_amount = shared_meter_post(run, today)
        created += shared_created
        amount += shared_amount
    settled_units = _settle_prepaid(run, today)
    with transaction.atomic():
        run.status = BillRun.Status.POSTED
        run.finished_at = timezone.now()
        run.lines_created, run.amount_created, run.lines_existing = created, amount, existing
        run.done_units = run.total_units
        run.save(
            update_fields=["status", "finished_at", "lines_created", "amount_created", "lines_existing", "done_units"]
        )
        audit_record(
            action="billing.bill_run_posted",
            target=run,
            object_repr=f"{run.period:%Y-%m}",
            changes={"lines": created, "amount": amount, "existing": existing, "prepaid_settled_units": settled_units},
        )
        _notify_issued(run)
    _push(run)

    hooks.bills_issued(run)
    return run


def bill_run_fail(run_id: int, message: str) -> None:
    BillRun.objects.filter(pk=run_id).update(status=BillRun.Status.FAILED, error=message, finished_at=timezone.now())
    _push(BillRun.objects.get(pk=run_id))


def _settle_prepaid(run: BillRun, today: dt.date) -> int:
    """Units billed by this run that hold prepaid credit: settle their new bills from it (oldest first)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT e.unit_id FROM billing_ledgerentry e
            WHERE e.unit_id IN (SELECT unit_id FROM billing_billline WHERE bill_run_id = %s)
              AND e.kind IN ('payment', 'prepayment', 'settle', 'unsettle', 'refund')
            GROUP BY e.unit_id
            HAVING SUM(CASE WHEN e.kind IN ('payment', 'prepayment', 'unsettle') THEN e.amount ELSE -e.amount END) > 0
            """,
            [run.pk],
        )
        unit_ids = [row[0] for row in cursor.fetchall()]
    prepaid_settle_bulk(unit_ids, today=today)
    return len(unit_ids)


def _notify_issued(run: BillRun) -> None:
    if not run.lines_created:
        return
    user_ids = sorted(
        set(
            Occupancy.objects.filter(
                end_date__isnull=True,
                person__user__isnull=False,
                unit_id__in=BillLine.objects.filter(bill_run=run).values("unit_id"),
            ).values_list("person__user_id", flat=True)
        )
    )
    if user_ids:
        notify(
            recipients=Recipients(user_ids=tuple(user_ids)),
            kind="bill.issued",
            title=_("Your bill for %(period)s is ready") % {"period": f"{run.period:%Y-%m}"},
            body=_("Open My bills to see what is due and pay online."),
            url="/resident/bills/",
            payload={"run": run.pk, "period": run.period.isoformat()},
        )
    if run.created_by_id:
        notify(
            recipients=Recipients(user_ids=(run.created_by_id,)),
            kind="bill.run_finished",
            title=_("Bill run %(period)s posted: %(lines)d lines")
            % {"period": f"{run.period:%Y-%m}", "lines": run.lines_created},
            url=f"/staff/billing/runs/{run.pk}/",
        )


def scheduled_bill_run(today: dt.date | None = None) -> BillRun | None:
    """Beat calls this daily in every company: on the company's billing day, create and post the month's run
    (once: a run for the month already started by the schedule is not started again)."""
    today = today or timezone.localdate()
    settings_row = CompanySettings.objects.first()
    billing_day = settings_row.billing_day if settings_row else 1
    if today.day != billing_day or not BillingSettings.load().auto_bill_run:
        return None
    period = today.replace(day=1)
    if BillRun.objects.filter(period=period, scheduled=True).exists():
        return None
    run = bill_run_create(period=period, scope=Scope.everything(), by=None, scheduled=True)
    run.status = BillRun.Status.QUEUED
    run.save(update_fields=["status"])
    return bill_run_execute(run.pk, today=today)
