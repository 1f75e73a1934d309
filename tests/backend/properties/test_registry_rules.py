"""Database constraints and the generation, bulk-edit and occupancy rules of the registry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from backend.audit.models import AuditEntry
from backend.errors import ApplicationError
from backend.properties import services
from backend.properties.models import Occupancy, Unit, UnitStatus

from .conftest import EVERYTHING, ID_A


def test_unit_number_is_unique_in_its_building_by_database_constraint(registry):
    unit = Unit.objects.filter(building=registry.building).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(
            building=registry.building,
            estate=registry.estate,
            office=registry.office,
            number=unit.number,
            floor=1,
            area=Decimal("10"),
        )


def test_the_same_number_in_another_building_is_fine(registry):
    numbers = set(Unit.objects.filter(building=registry.building).values_list("number", flat=True))
    assert numbers == set(Unit.objects.filter(building=registry.other_building).values_list("number", flat=True))


@pytest.mark.parametrize("area", [Decimal("0"), Decimal("-5")])
def test_unit_area_must_be_positive_by_database_constraint(registry, area):
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(
            building=registry.building, estate=registry.estate, office=registry.office, number="X1", floor=1, area=area
        )


def test_occupancy_cannot_end_before_it_starts_by_database_constraint(registry, person_factory):
    unit = Unit.objects.filter(building=registry.building).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Occupancy.objects.create(
            unit=unit,
            person=person_factory(),
            role="owner",
            start_date=dt.date(2024, 5, 1),
            end_date=dt.date(2024, 4, 1),
        )


def test_generate_30_floors_by_4_units_with_the_pattern(registry):
    result = services.units_generate(
        building_id=registry.building.pk,
        first_floor=1,
        last_floor=30,
        units_per_floor=4,
        pattern="{floor}{unit:02d}",
        area="95.00",
        scope=EVERYTHING,
    )
    # floors 1–2 already had units 101, 102, 201, 202
    assert result == {"created": 116, "skipped": 4}
    units = Unit.objects.filter(building=registry.building)
    assert units.count() == 120
    assert set(units.filter(floor=12).values_list("number", flat=True)) == {"1201", "1202", "1203", "1204"}
    unit = units.get(number="3004")
    assert (unit.floor, unit.area, unit.unit_type, unit.status) == (30, Decimal("95.00"), "residential", "vacant")
    assert unit.label == "阳光花园 1栋 3004" and unit.estate_id == registry.estate.pk
    assert unit.office_id == registry.office.pk
    registry.building.refresh_from_db()
    assert registry.building.floors == 30


def test_generation_skips_named_floors_and_a_rerun_creates_nothing(registry):
    kwargs = dict(
        building_id=registry.other_building.pk,
        first_floor=3,
        last_floor=15,
        units_per_floor=2,
        pattern="{floor}-{unit}",
        skip_floors=[4, 13],
        area="70",
        scope=EVERYTHING,
    )
    first = services.units_generate(**kwargs)
    assert first == {"created": 22, "skipped": 0}
    floors = set(Unit.objects.filter(building=registry.other_building, floor__gte=3).values_list("floor", flat=True))
    assert 4 not in floors and 13 not in floors and len(floors) == 11
    assert services.units_generate(**kwargs) == {"created": 0, "skipped": 22}
    assert AuditEntry.objects.filter(action="unit.generate").count() >= 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pattern": "{floor}"}, "pattern"),
        ({"pattern": "{floor}{unit}{wing}"}, "pattern"),
        ({"pattern": "{floor}{unit:zz}"}, "pattern"),
        ({"pattern": "{unit}"}, "pattern"),  # every floor would give the same numbers
        ({"area": "0"}, "area"),
        ({"area": "abc"}, "area"),
        ({"last_floor": 0, "first_floor": 5}, "last_floor"),
        ({"units_per_floor": 0}, "units_per_floor"),
        ({"unit_type": "castle"}, "unit_type"),
    ],
)
def test_bad_generation_input_names_the_field_and_creates_nothing(registry, changes, field):
    before = Unit.objects.count()
    kwargs = dict(
        building_id=registry.building.pk,
        first_floor=1,
        last_floor=5,
        units_per_floor=2,
        pattern="{floor}{unit:02d}",
        area="80",
        scope=EVERYTHING,
    )
    with pytest.raises(ApplicationError) as caught:
        services.units_generate(**{**kwargs, **changes})
    assert field in caught.value.fields
    assert Unit.objects.count() == before


def test_bulk_edit_changes_type_area_and_status_of_the_selection_only(registry):
    ids = list(Unit.objects.filter(building=registry.building, floor=1).values_list("pk", flat=True))
    assert (
        services.units_bulk_update(unit_ids=ids, unit_type="shop", status="custody", area="45.5", scope=EVERYTHING) == 2
    )
    changed = Unit.objects.filter(pk__in=ids)
    assert {(u.unit_type, u.status, u.area) for u in changed} == {("shop", "custody", Decimal("45.50"))}
    assert not Unit.objects.exclude(pk__in=ids).filter(unit_type="shop").exists()


def test_move_in_and_move_out_are_dated_and_history_is_kept(registry, person_factory):
    unit = Unit.objects.filter(building=registry.building).first()
    owner = person_factory(name="王芳", id_number=ID_A)
    occupancy = services.occupancy_move_in(
        unit_id=unit.pk, person=owner, role="owner", start_date=dt.date(2024, 5, 1), scope=EVERYTHING
    )
    unit.refresh_from_db()
    assert unit.status == UnitStatus.OCCUPIED
    owner.refresh_from_db()
    assert owner.office_ids == [registry.office.pk]
    with pytest.raises(ApplicationError):
        services.occupancy_move_in(
            unit_id=unit.pk, person=owner, role="owner", start_date=dt.date(2024, 6, 1), scope=EVERYTHING
        )
    with pytest.raises(ApplicationError) as caught:
        services.occupancy_move_out(occupancy_id=occupancy.pk, end_date=dt.date(2024, 4, 1), scope=EVERYTHING)
    assert "end_date" in caught.value.fields
    services.occupancy_move_out(occupancy_id=occupancy.pk, end_date=dt.date(2025, 1, 31), scope=EVERYTHING)
    unit.refresh_from_db()
    assert unit.status == UnitStatus.VACANT
    # moving back in later makes a new record; the old one stays
    services.occupancy_move_in(
        unit_id=unit.pk, person=owner, role="tenant", start_date=dt.date(2025, 3, 1), scope=EVERYTHING
    )
    history = list(Occupancy.objects.filter(unit=unit).order_by("start_date").values_list("role", "end_date"))
    assert history == [("owner", dt.date(2025, 1, 31)), ("tenant", None)]


@pytest.mark.parametrize(
    ("id_number", "ok"),
    [
        (ID_A, True),
        (ID_A.lower(), True),
        ("110101199003074259", False),
        ("12345", False),
        ("", True),
    ],
)
def test_id_numbers_are_checked(in_tenant_a, id_number, ok):
    if ok:
        services.person_create(name="李", id_number=id_number)
    else:
        with pytest.raises(ApplicationError) as caught:
            services.person_create(name="李", id_number=id_number)
        assert "id_number" in caught.value.fields


def test_two_people_cannot_share_an_id_number(in_tenant_a):
    services.person_create(name="甲", id_number=ID_A)
    with pytest.raises(ApplicationError) as caught:
        services.person_create(name="乙", id_number=ID_A)
    assert "id_number" in caught.value.fields


def test_unit_page_shows_its_sections_with_people_history_and_parking(
    tenant_a, member, client_for, registry, person_factory
):
    from backend.properties.models import ParkingSpace

    unit = Unit.objects.filter(building=registry.building).order_by("number").first()
    owner = person_factory(name="王芳", id_number=ID_A)
    gone = person_factory(name="旧租户", phone="13700000000")
    services.occupancy_move_in(
        unit_id=unit.pk, person=owner, role="owner", start_date=dt.date(2024, 5, 1), scope=EVERYTHING
    )
    old = services.occupancy_move_in(
        unit_id=unit.pk, person=gone, role="tenant", start_date=dt.date(2023, 1, 1), scope=EVERYTHING
    )
    services.occupancy_move_out(occupancy_id=old.pk, end_date=dt.date(2023, 12, 31), scope=EVERYTHING)
    ParkingSpace.objects.create(estate=registry.estate, office=registry.office, number="B1-009", unit=unit)
    html = client_for(tenant_a, member(tenant_a, ["customer_service"])).get(f"/staff/units/{unit.pk}/").content
    html = html.decode()
    people = html.split('data-section="people"')[1].split("</section>")[0]
    history = html.split('data-section="history"')[1].split("</section>")[0]
    parking = html.split('data-section="parking"')[1].split("</section>")[0]
    assert "王芳" in people and "旧租户" not in people
    assert "旧租户" in history and "2023-12-31" in history and "王芳" in history
    assert "B1-009" in parking


def test_a_new_section_registered_by_another_module_appears_on_the_unit_page(
    tenant_a, member, client_for, registry, monkeypatch
):
    from backend.properties import sections

    monkeypatch.setattr(sections, "UNIT_SECTIONS", dict(sections.UNIT_SECTIONS))
    sections.unit_section(
        key="bills",
        title="账单",
        template="portal/staff/registry/sections/parking.html",
        roles=frozenset({"finance"}),
        order=5,
    )(lambda unit, membership: {"spaces": []})
    unit = Unit.objects.filter(building=registry.building).first()
    finance = client_for(tenant_a, member(tenant_a, ["finance"])).get(f"/staff/units/{unit.pk}/").content.decode()
    engineer = client_for(tenant_a, member(tenant_a, ["engineer"])).get(f"/staff/units/{unit.pk}/").content.decode()
    assert 'data-section="bills"' in finance and 'data-section="bills"' not in engineer
    assert finance.index('data-section="bills"') < finance.index('data-section="people"')


def test_bulk_update_of_many_units_is_audited_without_overflowing_the_object_id(registry) -> None:  # type: ignore[no-untyped-def]
    for n in range(3, 12):
        services.units_generate(
            building_id=registry.building.pk,
            first_floor=n,
            last_floor=n,
            units_per_floor=4,
            area="50",
            scope=EVERYTHING,
        )
    ids = list(Unit.objects.filter(building=registry.building).values_list("pk", flat=True))
    assert len(ids) > 20
    assert services.units_bulk_update(unit_ids=ids, status="occupied", scope=EVERYTHING) == len(ids)
    entry = AuditEntry.objects.filter(action="unit.bulk_update").latest("pk")
    assert len(entry.object_id) <= 64 and entry.object_id.endswith("…")
    assert entry.changes["unit_ids"] == sorted(ids)
