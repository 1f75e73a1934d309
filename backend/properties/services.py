"""Writes on the property registry. Each is one business action in a transaction, checks the caller's data
scope (an id outside it is 'not found'), and records its audit entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts import permissions as perms
from backend.accounts.models import Membership, User
from backend.accounts.validation import phone_normalize
from backend.audit.services import audit_record
from backend.errors import ApplicationError, not_found
from backend.notifications.services import notification_send
from backend.uploads.storage import files_removed_on_error
from backend.uploads.validation import AcceptedUpload
from tenants.db import connection

from .models import (
    BindingRequest,
    Building,
    Estate,
    ManagementOffice,
    Occupancy,
    OccupancyRole,
    ParkingSpace,
    Person,
    Unit,
    UnitStatus,
    UnitType,
)
from .numbering import pattern_check, unit_numbers
from .scope import Scope

MAX_GENERATED_UNITS = 20_000


def _in_scope(qs: QuerySet, scope: Scope, pk: int) -> Any:
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise not_found()
    return obj


def unit_label(estate_name: str, building_name: str, number: str) -> str:
    return f"{estate_name} {building_name} {number}"


def person_search_text(name: str, phone: str, id_number: str) -> str:
    return f"{name} {phone} {id_number}".lower()


def area_parse(raw: Any, field: str = "area") -> Decimal:
    try:
        area = Decimal(str(raw).strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise ApplicationError.for_fields({field: [_("Enter the area in m², e.g. 89.50.")]}) from exc
    if area <= 0 or area >= Decimal("100000000"):
        raise ApplicationError.for_fields({field: [_("The area must be more than 0 m².")]})
    return area


# --- the tree ------------------------------------------------------------------------------------


def _name(raw: str, field: str = "name", max_length: int = 60) -> str:
    name = (raw or "").strip()
    if not name:
        raise ApplicationError.for_fields({field: [_("Enter a name.")]})
    if len(name) > max_length:
        raise ApplicationError.for_fields({field: [_("At most %(n)s characters.") % {"n": max_length}]})
    return name


def office_create(*, name: str, phone: str = "", address: str = "", scope: Scope) -> ManagementOffice:
    if not scope.all_offices:
        raise ApplicationError(_("Only company-wide staff can add a management office."), status=403)
    name = _name(name)
    try:
        with transaction.atomic():
            office = ManagementOffice.objects.create(name=name, phone=phone.strip(), address=address.strip())
            audit_record(action="office.create", target=office)
    except IntegrityError as exc:
        raise ApplicationError.for_fields({"name": [_("An office with this name exists.")]}) from exc
    return office


def estate_create(*, office_id: int, name: str, address: str = "", scope: Scope) -> Estate:
    office = _in_scope(ManagementOffice.objects.filter(scope.office_q()).distinct(), scope, office_id)
    if not scope.all_offices and office.pk not in scope.office_ids:
        raise not_found()
    name = _name(name)
    try:
        with transaction.atomic():
            estate = Estate.objects.create(office=office, name=name, address=address.strip())
            audit_record(action="estate.create", target=estate)
    except IntegrityError as exc:
        raise ApplicationError.for_fields({"name": [_("This office already has an estate with this name.")]}) from exc
    return estate


def building_create(*, estate_id: int, name: str, floors: int = 0, scope: Scope) -> Building:
    estate = _in_scope(Estate.objects.filter(scope.estate_q()), scope, estate_id)
    name = _name(name, max_length=40)
    try:
        with transaction.atomic():
            building = Building.objects.create(estate=estate, name=name, floors=max(0, int(floors or 0)))
            audit_record(action="building.create", target=building)
    except IntegrityError as exc:
        raise ApplicationError.for_fields({"name": [_("This estate already has a building with this name.")]}) from exc
    return building


def _ids_label(ids: list[int], limit: int) -> str:
    """'1,2,3' — or as many ids as fit in `limit` characters, then '…'."""
    text = ",".join(map(str, ids))
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(",", 1)[0] + "…"


def units_generate(
    *,
    building_id: int,
    first_floor: int,
    last_floor: int,
    units_per_floor: int,
    pattern: str = "{floor}{unit:02d}",
    skip_floors: Iterable[int] = (),
    area: Any,
    unit_type: str = UnitType.RESIDENTIAL,
    scope: Scope,
) -> dict[str, int]:
    """批量生成: every unit of a building in one statement per 5,000 rows. Numbers that already exist in the
    building are left alone, so running it twice creates nothing the second time."""
    building = _in_scope(
        Building.objects.select_related("estate").filter(estate__in=Estate.objects.filter(scope.estate_q())),
        scope,
        building_id,
    )
    errors: dict[str, list[str]] = {}
    if first_floor > last_floor:
        errors["last_floor"] = [_("The last floor must not be below the first.")]
    if not 1 <= units_per_floor <= 200:
        errors["units_per_floor"] = [_("Between 1 and 200 units per floor.")]
    if unit_type not in UnitType.values:
        errors["unit_type"] = [_("Choose a unit type.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    pattern_check(pattern)
    area_value = area_parse(area)
    planned = list(
        unit_numbers(
            first_floor=first_floor,
            last_floor=last_floor,
            units_per_floor=units_per_floor,
            pattern=pattern,
            skip_floors=skip_floors,
        )
    )
    if len(planned) > MAX_GENERATED_UNITS:
        raise ApplicationError.for_fields(
            {"units_per_floor": [_("At most %(n)s units at once.") % {"n": MAX_GENERATED_UNITS}]}
        )
    numbers = [n for _f, n in planned]
    if len(set(numbers)) != len(numbers):
        raise ApplicationError.for_fields({"pattern": [_("This pattern gives two units the same number.")]})
    estate = building.estate
    with transaction.atomic():
        created = _units_insert(building=building, estate=estate, planned=planned, area=area_value, unit_type=unit_type)
        top_floor = max((f for f, _n in planned), default=0)
        if top_floor > building.floors:
            Building.objects.filter(pk=building.pk).update(floors=top_floor)
        result = {"created": created, "skipped": len(planned) - created}
        audit_record(
            action="unit.generate",
            target=building,
            changes={
                "floors": [first_floor, last_floor],
                "units_per_floor": units_per_floor,
                "pattern": pattern,
                "skip_floors": sorted(set(skip_floors)),
                **result,
            },
        )
    return result


def _units_insert(
    *, building: Building, estate: Estate, planned: list[tuple[int, str]], area: Decimal, unit_type: str
) -> int:
    """One INSERT … SELECT FROM unnest(…) for all rows: about 3.5 times faster than bulk_create for 10,000
    units. ON CONFLICT leaves numbers that exist (or that a concurrent run just made) alone; RETURNING
    counts what was really created."""
    floors = [f for f, _n in planned]
    numbers = [n for _f, n in planned]
    labels = [unit_label(estate.name, building.name, n) for n in numbers]
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH inserted AS (
                INSERT INTO properties_unit
                    (building_id, estate_id, office_id, number, floor, area, unit_type, status, label, search_text,
                     created_at, updated_at)
                SELECT %(building)s, %(estate)s, %(office)s, t.number, t.floor, %(area)s, %(unit_type)s, %(status)s,
                       t.label, lower(t.label), %(now)s, %(now)s
                FROM unnest(%(numbers)s::varchar[], %(floors)s::smallint[], %(labels)s::varchar[])
                     AS t(number, floor, label)
                ON CONFLICT (building_id, number) DO NOTHING
                RETURNING 1
            )
            SELECT count(*) FROM inserted
            """,
            {
                "building": building.pk,
                "estate": estate.pk,
                "office": estate.office_id,
                "area": area,
                "unit_type": unit_type,
                "status": UnitStatus.VACANT,
                "numbers": numbers,
                "floors": floors,
                "labels": labels,
                "now": now,
            },
        )
        return int(cursor.fetchone()[0])


def units_bulk_update(
    *,
    unit_ids: Iterable[int],
    scope: Scope,
    unit_type: str | None = None,
    status: str | None = None,
    area: Any = None,
) -> int:
    """批量修改 type / area / status of a selection (only units in the caller's scope are touched)."""
    ids = sorted({int(i) for i in unit_ids})
    if not ids:
        raise ApplicationError.for_fields({"unit_ids": [_("Select at least one unit.")]})
    changes: dict[str, Any] = {}
    if unit_type:
        if unit_type not in UnitType.values:
            raise ApplicationError.for_fields({"unit_type": [_("Choose a unit type.")]})
        changes["unit_type"] = unit_type
    if status:
        if status not in UnitStatus.values:
            raise ApplicationError.for_fields({"status": [_("Choose a status.")]})
        changes["status"] = status
    if area not in (None, ""):
        changes["area"] = area_parse(area)
    if not changes:
        raise ApplicationError.for_fields({"unit_type": [_("Choose what to change.")]})
    with transaction.atomic():
        units = scope.filter_units(Unit.objects.filter(pk__in=ids))
        found = list(units.select_for_update().values_list("pk", flat=True))
        if len(found) != len(ids):
            raise not_found()
        updated = Unit.objects.filter(pk__in=found).update(**changes, updated_at=timezone.now())
        audit_record(
            action="unit.bulk_update",
            object_type="properties.unit",
            # object_id holds 64 characters: the first ids; the full list is in `changes`.
            object_id=_ids_label(found, 64),
            object_repr=_("%(n)s units") % {"n": updated},
            changes={**{k: str(v) for k, v in changes.items()}, "unit_ids": found},
        )
    return updated


def parking_space_create(*, estate_id: int, number: str, kind: str, scope: Scope) -> ParkingSpace:
    estate = _in_scope(Estate.objects.filter(scope.estate_q()), scope, estate_id)
    number = _name(number, field="number", max_length=20)
    if kind not in ParkingSpace.Kind.values:
        raise ApplicationError.for_fields({"kind": [_("Choose a kind.")]})
    try:
        with transaction.atomic():
            space = ParkingSpace.objects.create(estate=estate, office_id=estate.office_id, number=number, kind=kind)
            audit_record(action="parking.create", target=space)
    except IntegrityError as exc:
        raise ApplicationError.for_fields({"number": [_("This estate already has this space number.")]}) from exc
    return space


# --- people and occupancy ------------------------------------------------------------------------

ID_NUMBER_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_NUMBER_CHECK = "10X98765432"


def id_number_normalize(raw: str) -> str:
    """A mainland resident ID (18 characters, GB 11643 check digit), upper-cased; '' stays ''."""
    value = (raw or "").strip().upper()
    if not value:
        return ""
    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
        raise ValidationError(_("An ID number has 18 characters: 17 digits and a digit or X."))
    total = sum(int(d) * w for d, w in zip(value[:17], ID_NUMBER_WEIGHTS, strict=True))
    if ID_NUMBER_CHECK[total % 11] != value[17]:
        raise ValidationError(_("This ID number's check digit is wrong."))
    return value


def person_fields_clean(
    *, name: str, phone: str, id_number: str, birthday: dt.date | None
) -> tuple[dict[str, list[str]], dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {"name": (name or "").strip(), "birthday": birthday}
    if not clean["name"]:
        errors["name"] = [_("Enter a name.")]
    elif len(clean["name"]) > 60:
        errors["name"] = [_("At most %(n)s characters.") % {"n": 60}]
    try:
        clean["phone"] = phone_normalize(phone) if (phone or "").strip() else ""
    except ValidationError as exc:
        errors["phone"] = list(exc.messages)
    try:
        clean["id_number"] = id_number_normalize(id_number)
    except ValidationError as exc:
        errors["id_number"] = list(exc.messages)
    return errors, clean


def person_create(*, name: str, phone: str = "", id_number: str = "", birthday: dt.date | None = None) -> Person:
    errors, clean = person_fields_clean(name=name, phone=phone, id_number=id_number, birthday=birthday)
    if errors:
        raise ApplicationError.for_fields(errors)
    try:
        with transaction.atomic():
            person = Person.objects.create(
                **clean, search_text=person_search_text(clean["name"], clean["phone"], clean["id_number"])
            )
            audit_record(action="person.create", target=person)
    except IntegrityError as exc:
        raise ApplicationError.for_fields({"id_number": [_("A person with this ID number exists.")]}) from exc
    return person


def person_update(*, person: Person, name: str, phone: str, id_number: str, birthday: dt.date | None) -> Person:
    errors, clean = person_fields_clean(name=name, phone=phone, id_number=id_number, birthday=birthday)
    if errors:
        raise ApplicationError.for_fields(errors)
    before = {k: str(getattr(person, k) or "") for k in clean}
    for key, value in clean.items():
        setattr(person, key, value)
    person.search_text = person_search_text(person.name, person.phone, person.id_number)
    try:
        with transaction.atomic():
            person.save()
            after = {k: str(getattr(person, k) or "") for k in clean}
            audit_record(
                action="person.update",
                target=person,
                # personal data itself stays out of the log; which fields changed goes in
                changes={"fields": sorted(k for k in clean if before[k] != after[k])},
            )
    except IntegrityError as exc:
        raise ApplicationError.for_fields({"id_number": [_("A person with this ID number exists.")]}) from exc
    return person


def person_reveal(*, person: Person, field: str) -> str:
    """The full ID number or phone of a person, for roles allowed to see it. Every reveal is audited."""
    if field not in ("id_number", "phone"):
        raise ApplicationError.for_fields({"field": [_("Only the ID number or the phone can be revealed.")]})
    audit_record(action=f"person.reveal_{field}", target=person)
    return str(getattr(person, field))


def _person_offices_refresh(person_ids: Iterable[int]) -> None:
    for person in Person.objects.filter(pk__in=set(person_ids)):
        ids = sorted(set(Occupancy.objects.filter(person=person).values_list("unit__office_id", flat=True)))
        if ids != person.office_ids:
            Person.objects.filter(pk=person.pk).update(office_ids=ids)


def occupancy_move_in(
    *, unit_id: int, person: Person, role: str, start_date: dt.date, scope: Scope, note: str = ""
) -> Occupancy:
    """入住: the person starts living in (or owning) the unit on start_date."""
    unit = _in_scope(scope.filter_units(Unit.objects.all()), scope, unit_id)
    if role not in OccupancyRole.values:
        raise ApplicationError.for_fields({"role": [_("Choose owner, tenant or household member.")]})
    if Occupancy.objects.filter(unit=unit, person=person, end_date__isnull=True).exists():
        raise ApplicationError.for_fields({"person": [_("This person already lives in this unit.")]})
    with transaction.atomic():
        occupancy = Occupancy.objects.create(unit=unit, person=person, role=role, start_date=start_date, note=note)
        if unit.status in (UnitStatus.VACANT, UnitStatus.HANDED_OVER):
            Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.OCCUPIED)
        _person_offices_refresh([person.pk])
        audit_record(
            action="occupancy.move_in",
            target=occupancy,
            object_repr=f"{person.name} → {unit}",
            changes={"role": role, "start_date": start_date.isoformat()},
        )
    return occupancy


def person_move_in(
    *,
    unit_id: int,
    name: str,
    role: str,
    start_date: dt.date,
    scope: Scope,
    phone: str = "",
    id_number: str = "",
    birthday: dt.date | None = None,
) -> Occupancy:
    """入住 from the unit page: the person with this ID number, or a new one, moves in, in one transaction.

    A person is one record across the company (the same owner of two flats is one person), so a
    known ID number reuses that record; a new person is created. When the move-in is refused (the
    person already lives there, a bad role), no half-made person stays behind.
    """
    try:
        normalized = id_number_normalize(id_number)
    except ValidationError:
        normalized = ""  # person_create reports the field error
    with transaction.atomic():
        known = Person.objects.filter(id_number=normalized).first() if normalized else None
        person = known or person_create(name=name, phone=phone, id_number=id_number, birthday=birthday)
        return occupancy_move_in(unit_id=unit_id, person=person, role=role, start_date=start_date, scope=scope)


def occupancy_move_out(*, occupancy_id: int, end_date: dt.date, scope: Scope) -> Occupancy:
    """迁出: the occupancy ends on end_date; the record stays as history."""
    occupancy = (
        Occupancy.objects.select_related("unit", "person")
        .filter(pk=occupancy_id, unit__in=scope.filter_units(Unit.objects.all()))
        .first()
    )
    if occupancy is None:
        raise not_found()
    if occupancy.end_date is not None:
        raise ApplicationError(_("This person has already moved out."))
    if end_date < occupancy.start_date:
        raise ApplicationError.for_fields({"end_date": [_("Moving out cannot come before moving in.")]})
    with transaction.atomic():
        occupancy.end_date = end_date
        occupancy.save(update_fields=["end_date"])
        unit = occupancy.unit
        if not Occupancy.objects.filter(unit=unit, end_date__isnull=True).exists():
            Unit.objects.filter(pk=unit.pk, status=UnitStatus.OCCUPIED).update(status=UnitStatus.VACANT)
        audit_record(
            action="occupancy.move_out",
            target=occupancy,
            object_repr=f"{occupancy.person.name} ← {unit}",
            changes={"end_date": end_date.isoformat()},
        )
    return occupancy


# --- resident binding ----------------------------------------------------------------------------


def binding_request_create(
    *, user: User, unit_id: int, relation: str, document: AcceptedUpload | None = None
) -> BindingRequest:
    """A resident asks to be bound to a unit; the service desk is told. The document (uploads kind
    BINDING_DOCUMENT) has been checked and re-encoded by the form or serializer field it came through."""
    unit = Unit.objects.select_related("building__estate").filter(pk=unit_id).first()
    errors: dict[str, list[str]] = {}
    if unit is None:
        errors["unit"] = [_("Choose your unit.")]
    if relation not in OccupancyRole.values:
        errors["relation"] = [_("Choose owner, tenant or household member.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    assert unit is not None
    if Occupancy.objects.filter(unit=unit, person__user=user, end_date__isnull=True).exists():
        raise ApplicationError.for_fields({"unit": [_("You are already bound to this unit.")]})
    request = BindingRequest(
        user=user, unit=unit, relation=relation, document=document.content_file() if document else ""
    )
    try:
        with files_removed_on_error(request), transaction.atomic():
            request.save()
            audit_record(action="binding.request", target=request, object_repr=f"{user} → {unit}")
    except IntegrityError as exc:
        raise ApplicationError.for_fields({"unit": [_("You have already asked to be bound to this unit.")]}) from exc
    staff = Membership.objects.filter(
        tenant=connection.tenant, is_active=True, roles__overlap=list(perms.BINDING_REVIEW.roles)
    ).select_related("user")
    for membership in staff:
        in_scope = Scope.of(membership).filter_units(Unit.objects.filter(pk=unit.pk)).exists()
        if in_scope:
            notification_send(
                recipient=membership.user,
                kind="binding.requested",
                title=_("%(name)s asks to be bound to %(unit)s") % {"name": user.name, "unit": unit},
                url="/staff/bindings/",
            )
    return request


def _binding_decide(*, request_id: int, by: User, scope: Scope) -> BindingRequest:
    request = (
        BindingRequest.objects.select_for_update()
        .filter(pk=request_id, unit__in=scope.filter_units(Unit.objects.all()))
        .first()
    )
    if request is None:
        raise not_found()
    if request.status != BindingRequest.Status.PENDING:
        raise ApplicationError(_("This request has already been decided."), code="already_decided", status=409)
    return request


def binding_request_approve(*, request_id: int, by: User, scope: Scope, note: str = "") -> BindingRequest:
    """Approve: the resident's person record (made if needed) moves into the unit; the resident is told."""
    with transaction.atomic():
        request = _binding_decide(request_id=request_id, by=by, scope=scope)
        user = User.objects.get(pk=request.user_id)
        person = Person.objects.filter(user=user).first()
        if person is None and user.phone:
            # The service desk may have imported this resident already: link that record.
            person = Person.objects.filter(phone=user.phone, user__isnull=True).order_by("id").first()
            if person is not None:
                person.user = user
                person.save(update_fields=["user"])
        if person is None:
            person = Person.objects.create(
                name=user.name,
                phone=user.phone or "",
                user=user,
                search_text=person_search_text(user.name, user.phone or "", ""),
            )
        if not Occupancy.objects.filter(unit_id=request.unit_id, person=person, end_date__isnull=True).exists():
            Occupancy.objects.create(
                unit_id=request.unit_id, person=person, role=request.relation, start_date=timezone.localdate()
            )
            Unit.objects.filter(pk=request.unit_id, status__in=[UnitStatus.VACANT, UnitStatus.HANDED_OVER]).update(
                status=UnitStatus.OCCUPIED
            )
            _person_offices_refresh([person.pk])
        request.status = BindingRequest.Status.APPROVED
        request.note = note.strip()[:300]
        request.decided_by = by
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "note", "decided_by", "decided_at"])
        audit_record(action="binding.approve", target=request, changes={"note": request.note})
        unit = Unit.objects.get(pk=request.unit_id)
        notification_send(
            recipient=user,
            kind="binding.approved",
            title=_("You are now bound to %(unit)s") % {"unit": unit},
            body=request.note,
            url="/resident/",
        )
    return request


def binding_request_reject(*, request_id: int, by: User, scope: Scope, note: str) -> BindingRequest:
    if not (note or "").strip():
        raise ApplicationError.for_fields({"note": [_("Tell the resident why.")]})
    with transaction.atomic():
        request = _binding_decide(request_id=request_id, by=by, scope=scope)
        request.status = BindingRequest.Status.REJECTED
        request.note = note.strip()[:300]
        request.decided_by = by
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "note", "decided_by", "decided_at"])
        audit_record(action="binding.reject", target=request, changes={"note": request.note})
        notification_send(
            recipient=User.objects.get(pk=request.user_id),
            kind="binding.rejected",
            title=_("Your request for %(unit)s was not approved") % {"unit": request.unit},
            body=request.note,
            url="/resident/",
        )
    return request
