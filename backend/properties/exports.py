"""Spreadsheet exports of the registry. A file with personal data in full is itself a full view of
each person in it, so such an export is put on the audit record with its filters and size."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from backend.audit.services import audit_record

from .models import Occupancy, Unit
from .sheets import residents_export_xlsx


def residents_export(*, units: QuerySet[Unit], full_personal_data: bool, filters: str) -> bytes:
    """The current residents of `units` (already scoped and filtered by the caller) as an .xlsx file.

    Phones and ID numbers are masked unless `full_personal_data`; a full export is audited
    (``person.export_full``) with the row count and the filters it was made with.
    """
    occupancies = (
        Occupancy.objects.filter(unit__in=units, end_date__isnull=True)
        .select_related("person", "unit__estate", "unit__building")
        .order_by("unit_id", "id")
    )
    written = [0]

    def counted() -> Iterator[Occupancy]:
        for occupancy in occupancies.iterator(chunk_size=2000):
            written[0] += 1
            yield occupancy

    data = residents_export_xlsx(counted(), full_personal_data=full_personal_data)
    if full_personal_data:
        audit_record(
            action="person.export_full",
            object_type="properties.person",
            object_repr=_("residents export (%(n)s rows)") % {"n": written[0]},
            changes={"filters": filters},
        )
    return data
