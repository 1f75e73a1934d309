"""批量生成: unit numbers from a pattern such as "{floor}{unit:02d}" (floor 12, unit 1 -> 1201)."""

from __future__ import annotations

import string
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from backend.errors import ApplicationError

ALLOWED_FIELDS = {"floor", "unit"}


def pattern_check(pattern: str) -> None:
    try:
        fields = {name for _lit, name, _spec, _conv in string.Formatter().parse(pattern) if name is not None}
    except ValueError as exc:
        raise ApplicationError.for_fields({"pattern": [_("The pattern is not valid: %(e)s") % {"e": exc}]}) from exc
    if "unit" not in fields or not fields <= ALLOWED_FIELDS:
        raise ApplicationError.for_fields(
            {"pattern": [_("Use {floor} and {unit}, e.g. {floor}{unit:02d} or {floor}-{unit}.")]}
        )
    try:
        sample = pattern.format(floor=12, unit=1)
    except (ValueError, KeyError, IndexError) as exc:
        raise ApplicationError.for_fields({"pattern": [_("The pattern is not valid: %(e)s") % {"e": exc}]}) from exc
    if not sample or len(sample) > 20:
        raise ApplicationError.for_fields({"pattern": [_("Unit numbers must be 1–20 characters.")]})


def unit_numbers(
    *, first_floor: int, last_floor: int, units_per_floor: int, pattern: str, skip_floors: Iterable[int] = ()
) -> Iterator[tuple[int, str]]:
    """(floor, number) for every unit, floor by floor, skipping the named floors."""
    skipped = set(skip_floors)
    for floor in range(first_floor, last_floor + 1):
        if floor in skipped or floor == 0:
            continue
        for unit in range(1, units_per_floor + 1):
            yield floor, pattern.format(floor=floor, unit=unit)
