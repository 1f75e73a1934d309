"""The company's master data: management office → estate → building → unit, parking spaces, the people in
the units and their dated occupancy, and residents' requests to be bound to a unit.

Unit carries its estate and office ids too (kept by services.py): every list, search and export is filtered
by the caller's data scope on those two columns, without joins."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.storage import binding_document_path, import_file_path


class ManagementOffice(models.Model):
    """管理处."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Estate(models.Model):
    """小区."""

    office = models.ForeignKey(ManagementOffice, on_delete=models.PROTECT, related_name="estates")
    name = models.CharField(_("name"), max_length=60)
    address = models.CharField(_("address"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["office", "name"], name="estate_name_unique_in_office")]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """楼宇."""

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="buildings")
    name = models.CharField(_("name"), max_length=40, help_text=_("e.g. 3栋 or Building 3"))
    floors = models.PositiveSmallIntegerField(_("floors above ground"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["estate_id", "name"]
        constraints = [models.UniqueConstraint(fields=["estate", "name"], name="building_name_unique_in_estate")]

    def __str__(self) -> str:
        return self.name


class UnitType(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    SHOP = "shop", _("Shop")
    OFFICE = "office", _("Office")


class UnitStatus(models.TextChoices):
    VACANT = "vacant", _("Vacant")
    HANDED_OVER = "handed_over", _("Handed over")
    OCCUPIED = "occupied", _("Occupied")
    CUSTODY = "custody", _("In custody")


class Unit(models.Model):
    """房间."""

    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units")
    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="+", editable=False)
    office = models.ForeignKey(ManagementOffice, on_delete=models.PROTECT, related_name="+", editable=False)
    number = models.CharField(_("unit number"), max_length=20)
    floor = models.SmallIntegerField(_("floor"))
    area = models.DecimalField(_("building area (m²)"), max_digits=10, decimal_places=2)
    unit_type = models.CharField(_("type"), max_length=16, choices=UnitType.choices, default=UnitType.RESIDENTIAL)
    status = models.CharField(_("status"), max_length=16, choices=UnitStatus.choices, default=UnitStatus.VACANT)
    # "小区 楼宇 房号" as written, and lower-cased for the search box (both kept by services.py).
    label = models.CharField(max_length=200, editable=False, default="")
    search_text = models.CharField(max_length=200, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["building_id", "floor", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="unit_number_unique_in_building"),
            models.CheckConstraint(condition=Q(area__gt=0), name="unit_area_positive"),
            models.CheckConstraint(condition=Q(unit_type__in=UnitType.values), name="unit_type_valid"),
            models.CheckConstraint(condition=Q(status__in=UnitStatus.values), name="unit_status_valid"),
        ]
        indexes = [
            models.Index(fields=["office", "estate", "building"], name="unit_scope_idx"),
            # prefix search (LIKE 'x%') whatever the database collation
            models.Index(fields=["number"], name="unit_number_prefix_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.label or self.number


class ParkingSpace(models.Model):
    """车位."""

    class Kind(models.TextChoices):
        OWNED = "owned", _("Owned (固定车位)")
        RENTED = "rented", _("Monthly rental (月租)")
        VISITOR = "visitor", _("Visitor (临停)")

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="parking_spaces")
    office = models.ForeignKey(ManagementOffice, on_delete=models.PROTECT, related_name="+", editable=False)
    number = models.CharField(_("space number"), max_length=20)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.RENTED)
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="parking_spaces")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["estate_id", "number"]
        constraints = [models.UniqueConstraint(fields=["estate", "number"], name="parking_number_unique_in_estate")]

    def __str__(self) -> str:
        return self.number


class Person(models.Model):
    """An owner, tenant or household member known to the company (客户). May be linked to a portal account."""

    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True, db_index=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    # The portal account of this person in this company, once bound (cross-schema: see access/models.py).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    # Offices whose units this person occupies (now or before): the data-scope filter for people.
    office_ids = ArrayField(models.BigIntegerField(), default=list, blank=True, editable=False)
    search_text = models.CharField(max_length=200, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["id_number"], condition=~Q(id_number=""), name="person_id_number_unique"),
            models.UniqueConstraint(fields=["user"], condition=Q(user__isnull=False), name="person_one_per_user"),
        ]
        indexes = [
            GinIndex(fields=["office_ids"], name="person_office_ids_gin"),
            models.Index(fields=["name"], name="person_name_prefix_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name


class OccupancyRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    TENANT = "tenant", _("Tenant")
    MEMBER = "member", _("Household member")


class Occupancy(models.Model):
    """A person's dated place in a unit: 入住 (start) and 迁出 (end). History is kept; nothing is deleted."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="occupancies")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="occupancies")
    role = models.CharField(_("role"), max_length=16, choices=OccupancyRole.choices)
    start_date = models.DateField(_("moved in"))
    end_date = models.DateField(_("moved out"), null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="occupancy_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["unit", "person"],
                condition=Q(end_date__isnull=True),
                name="occupancy_one_current_per_person_unit",
            ),
        ]
        indexes = [models.Index(fields=["person", "end_date"])]

    def __str__(self) -> str:
        return f"{self.person} @ {self.unit_id} ({self.role})"

    @property
    def is_current(self) -> bool:
        return self.end_date is None


class BindingRequest(models.Model):
    """A signed-up resident asks to be bound to a unit; customer service decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="binding_requests")
    relation = models.CharField(_("relation"), max_length=16, choices=OccupancyRole.choices)
    document = models.FileField(_("document photo"), upload_to=binding_document_path, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    note = models.CharField(_("note"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit"], condition=Q(status="pending"), name="binding_one_pending_per_user_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"binding {self.user_id} → {self.unit_id} ({self.status})"


class ImportJob(models.Model):
    """An .xlsx import: validated, then applied all-or-nothing; big files run in a Celery task."""

    class Kind(models.TextChoices):
        UNITS = "units", _("Units")
        RESIDENTS = "residents", _("Residents")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    file = models.FileField(upload_to=import_file_path)
    file_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.kind} {self.status}"
