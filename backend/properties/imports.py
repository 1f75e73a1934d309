""".xlsx import of units and residents (the files' layout and reading them: sheets.py).

An import checks every row first and reports each problem with its row and column; only a file without
problems is applied, in one transaction (all rows or none). Rows are matched to what exists (a unit by
estate + building + number, a person by ID number, else by name + phone), so importing the same file
again changes nothing. Files above BACKGROUND_ROWS run in a Celery task that reports progress over the
websocket."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.validation import phone_normalize
from backend.audit.services import audit_record
from backend.celery import task_named
from backend.errors import ApplicationError
from backend.notifications.realtime import push_to_user
from backend.uploads.storage import files_removed_on_error
from backend.uploads.validation import AcceptedUpload
from tenants.db import connection

from .models import Building, Estate, ImportJob, Occupancy, Person, Unit, UnitStatus
from .scope import Scope
from .services import area_parse, id_number_normalize, person_search_text, unit_label
from .sheets import (
    MAX_REPORTED_ERRORS,
    RESIDENT_COLUMNS,
    ROLES,
    UNIT_COLUMNS,
    UNIT_STATUSES,
    UNIT_TYPES,
    RowError,
    _rows_within_limit,
    count_rows,
)

logger = logging.getLogger(__name__)

BACKGROUND_ROWS = 2000
IMPORT_JOB_EXECUTE = "backend.properties.tasks.import_job_execute"
BATCH = 2000


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, row: int, column: str, message: str) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, column, message))


Progress = Callable[[int, int], None]


def _noop_progress(done: int, total: int) -> None:
    return None


# --- units -----------------------------------------------------------------------------------------


def _estates_by_name(scope: Scope) -> dict[str, Estate]:
    return {e.name: e for e in Estate.objects.filter(scope.estate_q())}


def import_units(*, data: bytes, scope: Scope, progress: Progress = _noop_progress) -> ImportResult:
    result = ImportResult()
    header = dict(UNIT_COLUMNS)
    rows = _rows_within_limit(ImportJob.Kind.UNITS, data)
    total = len(rows)
    estates = _estates_by_name(scope)
    buildings = {(b.estate_id, b.name): b for b in Building.objects.filter(estate__in=estates.values())}
    existing = {
        (u.building_id, u.number): u
        for u in Unit.objects.filter(estate__in=estates.values()).only(
            "id", "building_id", "number", "floor", "area", "unit_type", "status"
        )
    }
    planned: list[tuple[int, Estate, str, dict[str, Any]]] = []
    seen: set[tuple[str, str, str]] = set()

    def err(row: int, key: str, message: str) -> None:
        result.add_error(row, header[key], message)

    for i, (row, v) in enumerate(rows, start=1):
        estate = estates.get(v["estate"])
        if not v["estate"]:
            err(row, "estate", _("Enter the estate."))
        elif estate is None:
            err(row, "estate", _("No estate of this name (in your offices)."))
        if not v["building"]:
            err(row, "building", _("Enter the building."))
        if not v["number"]:
            err(row, "number", _("Enter the unit number."))
        elif len(v["number"]) > 20:
            err(row, "number", _("At most %(n)s characters.") % {"n": 20})
        try:
            floor = int(v["floor"])
        except ValueError:
            err(row, "floor", _("Enter the floor as a whole number."))
            floor = 0
        try:
            area = area_parse(v["area"])
        except ApplicationError as e:
            err(row, "area", e.fields["area"][0])
            area = Decimal("0")
        unit_type = UNIT_TYPES.get(v["unit_type"] or "住宅")
        if unit_type is None:
            err(row, "unit_type", _("Use 住宅, 商铺 or 写字楼."))
        status = UNIT_STATUSES.get(v["status"] or "空置")
        if status is None:
            err(row, "status", _("Use 空置, 已交房, 已入住 or 托管."))
        key = (v["estate"], v["building"], v["number"])
        if key in seen:
            err(row, "number", _("This unit appears twice in the file."))
        seen.add(key)
        if estate is not None and unit_type and status:
            planned.append(
                (
                    row,
                    estate,
                    v["building"],
                    {"number": v["number"], "floor": floor, "area": area, "unit_type": unit_type, "status": status},
                )
            )
        if i % BATCH == 0:
            progress(i // 2, total)
    if result.errors:
        return result

    with transaction.atomic():
        to_create: list[Unit] = []
        to_update: list[Unit] = []
        for i, (_row, estate, building_name, values) in enumerate(planned, start=1):
            building = buildings.get((estate.pk, building_name))
            if building is None:
                building = Building.objects.create(estate=estate, name=building_name)
                buildings[(estate.pk, building_name)] = building
            unit = existing.get((building.pk, values["number"]))
            if unit is None:
                label = unit_label(estate.name, building.name, values["number"])
                to_create.append(
                    Unit(
                        building=building,
                        estate_id=estate.pk,
                        office_id=estate.office_id,
                        label=label,
                        search_text=label.lower(),
                        **values,
                    )
                )
            elif any(getattr(unit, k) != v for k, v in values.items() if k != "number"):
                for k, v in values.items():
                    setattr(unit, k, v)
                to_update.append(unit)
            else:
                result.unchanged += 1
            if i % BATCH == 0:
                progress(total // 2 + i // 2, total)
        Unit.objects.bulk_create(to_create, batch_size=BATCH)
        Unit.objects.bulk_update(to_update, ["floor", "area", "unit_type", "status"], batch_size=BATCH)
        result.created, result.updated = len(to_create), len(to_update)
        audit_record(
            action="import.units",
            object_type="properties.unit",
            object_repr=_("units import"),
            changes={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
        )
    progress(total, total)
    return result


# --- residents -------------------------------------------------------------------------------------


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.replace("/", "-").replace(".", "-"))


def import_residents(*, data: bytes, scope: Scope, progress: Progress = _noop_progress) -> ImportResult:
    result = ImportResult()
    header = dict(RESIDENT_COLUMNS)
    rows = _rows_within_limit(ImportJob.Kind.RESIDENTS, data)
    total = len(rows)
    estates = _estates_by_name(scope)
    units = {
        (u.estate.name, u.building.name, u.number): u
        for u in scope.filter_units(Unit.objects.filter(estate__in=estates.values())).select_related(
            "estate", "building"
        )
    }

    def err(row: int, key: str, message: str) -> None:
        result.add_error(row, header[key], message)

    planned: list[dict[str, Any]] = []
    seen_ids: dict[str, int] = {}
    for i, (row, v) in enumerate(rows, start=1):
        unit = units.get((v["estate"], v["building"], v["number"]))
        if unit is None:
            column = "estate" if v["estate"] not in estates else "number"
            err(row, column, _("No such unit: %(u)s") % {"u": f"{v['estate']} {v['building']} {v['number']}"})
        if not v["name"]:
            err(row, "name", _("Enter the name."))
        elif len(v["name"]) > 60:
            err(row, "name", _("At most %(n)s characters.") % {"n": 60})
        phone = ""
        if v["phone"]:
            try:
                phone = phone_normalize(v["phone"])
            except ValidationError as e:
                err(row, "phone", e.messages[0])
        id_number = ""
        try:
            id_number = id_number_normalize(v["id_number"])
        except ValidationError as e:
            err(row, "id_number", e.messages[0])
        if id_number and id_number in seen_ids and seen_ids[id_number] != hash(v["name"]):
            err(row, "id_number", _("The same ID number is given for two different names."))
        if id_number:
            seen_ids[id_number] = hash(v["name"])
        birthday = None
        if v["birthday"]:
            try:
                birthday = _date(v["birthday"])
            except ValueError:
                err(row, "birthday", _("Write dates as 2024-05-01."))
        role = ROLES.get(v["role"] or "业主")
        if role is None:
            err(row, "role", _("Use 业主, 租户 or 住户."))
        start = timezone.localdate()
        if v["start_date"]:
            try:
                start = _date(v["start_date"])
            except ValueError:
                err(row, "start_date", _("Write dates as 2024-05-01."))
        if unit is not None and role:
            planned.append(
                {
                    "unit": unit,
                    "name": v["name"],
                    "phone": phone,
                    "id_number": id_number,
                    "birthday": birthday,
                    "role": role,
                    "start": start,
                }
            )
        if i % BATCH == 0:
            progress(i // 2, total)
    if result.errors:
        return result

    with transaction.atomic():
        by_id = {
            p.id_number: p
            for p in Person.objects.filter(id_number__in=[r["id_number"] for r in planned if r["id_number"]])
        }
        by_name_phone: dict[tuple[str, str], Person] = {}
        for p in Person.objects.filter(name__in={r["name"] for r in planned if not r["id_number"]}):
            by_name_phone.setdefault((p.name, p.phone), p)
        new_people: list[Person] = []
        changed_people: dict[int, Person] = {}
        for r in planned:
            person = by_id.get(r["id_number"]) if r["id_number"] else by_name_phone.get((r["name"], r["phone"]))
            if person is None:
                person = Person(
                    name=r["name"],
                    phone=r["phone"],
                    id_number=r["id_number"],
                    birthday=r["birthday"],
                    search_text=person_search_text(r["name"], r["phone"], r["id_number"]),
                )
                new_people.append(person)
                if r["id_number"]:
                    by_id[r["id_number"]] = person
                else:
                    by_name_phone[(r["name"], r["phone"])] = person
            elif person.pk and (
                person.phone != r["phone"]
                and r["phone"]
                or r["birthday"]
                and person.birthday != r["birthday"]
                or person.name != r["name"]
            ):
                person.phone = r["phone"] or person.phone
                person.birthday = r["birthday"] or person.birthday
                person.name = r["name"]
                person.search_text = person_search_text(person.name, person.phone, person.id_number)
                changed_people[person.pk] = person
            r["person"] = person
        Person.objects.bulk_create(new_people, batch_size=BATCH)
        Person.objects.bulk_update(
            list(changed_people.values()), ["name", "phone", "birthday", "search_text"], batch_size=BATCH
        )
        current = {
            (o.unit_id, o.person_id): o
            for o in Occupancy.objects.filter(end_date__isnull=True, unit__in=[r["unit"] for r in planned])
        }
        new_occupancies: list[Occupancy] = []
        changed_occupancies: list[Occupancy] = []
        for i, r in enumerate(planned, start=1):
            key = (r["unit"].pk, r["person"].pk)
            occupancy = current.get(key)
            if occupancy is None:
                occupancy = Occupancy(unit=r["unit"], person=r["person"], role=r["role"], start_date=r["start"])
                new_occupancies.append(occupancy)
                current[key] = occupancy
                result.created += 1
            elif occupancy.pk and occupancy.role != r["role"]:
                occupancy.role = r["role"]
                changed_occupancies.append(occupancy)
                result.updated += 1
            elif r["person"].pk in changed_people:
                result.updated += 1
            else:
                result.unchanged += 1
            if i % BATCH == 0:
                progress(total // 2 + i // 2, total)
        Occupancy.objects.bulk_create(new_occupancies, batch_size=BATCH)
        Occupancy.objects.bulk_update(changed_occupancies, ["role"], batch_size=BATCH)
        occupied_units = {o.unit_id for o in new_occupancies}
        Unit.objects.filter(pk__in=occupied_units, status__in=[UnitStatus.VACANT, UnitStatus.HANDED_OVER]).update(
            status=UnitStatus.OCCUPIED
        )
        _refresh_person_offices({r["person"].pk for r in planned})
        audit_record(
            action="import.residents",
            object_type="properties.person",
            object_repr=_("residents import"),
            changes={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
        )
    progress(total, total)
    return result


def _refresh_person_offices(person_ids: set[int]) -> None:
    """Set Person.office_ids from all their occupancies in one statement."""
    if not person_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE properties_person p SET office_ids = sub.ids
            FROM (
                SELECT o.person_id, array_agg(DISTINCT u.office_id ORDER BY u.office_id) AS ids
                FROM properties_occupancy o JOIN properties_unit u ON u.id = o.unit_id
                WHERE o.person_id = ANY(%s) GROUP BY o.person_id
            ) sub
            WHERE p.id = sub.person_id AND p.office_ids IS DISTINCT FROM sub.ids
            """,
            [list(person_ids)],
        )


# --- jobs ------------------------------------------------------------------------------------------

IMPORTERS: dict[str, Callable[..., ImportResult]] = {
    ImportJob.Kind.UNITS: import_units,
    ImportJob.Kind.RESIDENTS: import_residents,
}


def import_job_create(*, kind: str, upload: AcceptedUpload | None, user_id: int) -> ImportJob:
    """`upload` (uploads kind REGISTRY_IMPORT) is a real .xlsx workbook within the size limit."""
    if kind not in IMPORTERS:
        raise ApplicationError.for_fields({"kind": [_("Choose units or residents.")]})
    if upload is None:
        raise ApplicationError.for_fields({"file": [_("Choose an .xlsx file.")]})
    total = count_rows(kind, upload.data)
    if total == 0:
        raise ApplicationError.for_fields({"file": [_("The file has no rows below the headers.")]})
    job = ImportJob(
        kind=kind, file=upload.content_file(), file_sha256=upload.sha256, total_rows=total, created_by_id=user_id
    )
    with files_removed_on_error(job):
        job.save()
    return job


def import_job_start(
    *, kind: str, upload: AcceptedUpload | None, membership_id: int, user_id: int, scope: Scope
) -> ImportJob:
    """Create the job and run it: in this request up to BACKGROUND_ROWS rows, otherwise in a worker.

    A big file is handed to the worker only once the job row is committed (the worker reads it);
    the returned job is then QUEUED and the page follows its progress over the websocket.
    """
    job = import_job_create(kind=kind, upload=upload, user_id=user_id)
    if job.total_rows > BACKGROUND_ROWS:
        job_id = job.pk
        transaction.on_commit(lambda: task_named(IMPORT_JOB_EXECUTE).delay(job_id, membership_id))
        return job
    return import_job_run(job_id=job.pk, scope=scope)


def _push_progress(job: ImportJob) -> None:
    push_to_user(
        schema_name=connection.schema_name,
        user_id=job.created_by_id,
        message={
            "type": "import.progress",
            "job": job.pk,
            "status": job.status,
            "processed": job.processed_rows,
            "total": job.total_rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "errors": len(job.errors),
        },
    )


def import_job_run(*, job_id: int, scope: Scope) -> ImportJob:
    """Run an import job to the end (in the request for small files, in a task for big ones)."""
    job = ImportJob.objects.get(pk=job_id)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    job.status = ImportJob.Status.RUNNING
    last_push = [0.0]

    def progress(done: int, total: int) -> None:
        job.processed_rows = min(done, total)
        now = timezone.now().timestamp()
        if now - last_push[0] >= 0.25 or done >= total:
            last_push[0] = now
            ImportJob.objects.filter(pk=job.pk).update(processed_rows=job.processed_rows)
            _push_progress(job)

    with job.file.open("rb") as f:
        data = f.read()
    try:
        result = IMPORTERS[job.kind](data=data, scope=scope, progress=progress)
    except ApplicationError as error:
        result = ImportResult(
            errors=[RowError(0, "file", m) for ms in error.fields.values() for m in ms]
            or [RowError(0, "file", error.message)]
        )
    job.status = ImportJob.Status.DONE if result.ok else ImportJob.Status.FAILED
    job.created_count, job.updated_count, job.unchanged_count = result.created, result.updated, result.unchanged
    job.errors = [e.as_dict() for e in result.errors]
    job.processed_rows = job.total_rows
    job.finished_at = timezone.now()
    job.save()
    _push_progress(job)
    return job


def import_job_fail(*, job_id: int, message: str) -> None:
    job = ImportJob.objects.get(pk=job_id)
    job.status = ImportJob.Status.FAILED
    job.errors = [RowError(0, "file", message).as_dict()]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "finished_at"])
    _push_progress(job)
