"""Who a notification goes to: people, everyone holding a role in this company, or the residents of
estates / buildings (people with a current occupancy there who have a portal account)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from backend.accounts.models import Membership
from backend.properties.models import Occupancy
from tenants.db import connection


@dataclass(frozen=True)
class Recipients:
    user_ids: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()
    estate_ids: tuple[int, ...] = ()
    building_ids: tuple[int, ...] = ()
    unit_ids: tuple[int, ...] = ()
    everyone: bool = False
    exclude_user_ids: tuple[int, ...] = field(default=())

    @classmethod
    def users(cls, users: Iterable[Any]) -> Recipients:
        return cls(user_ids=tuple(sorted({u if isinstance(u, int) else u.pk for u in users})))


def recipients_resolve(recipients: Recipients) -> list[int]:
    """The active members of this company the spec names, as sorted user ids (no duplicates)."""
    members = Membership.objects.filter(tenant=connection.tenant, is_active=True)
    ids: set[int] = set()
    if recipients.everyone:
        ids |= set(members.values_list("user_id", flat=True))
    if recipients.user_ids:
        ids |= set(members.filter(user_id__in=recipients.user_ids).values_list("user_id", flat=True))
    if recipients.roles:
        ids |= set(members.filter(roles__overlap=list(recipients.roles)).values_list("user_id", flat=True))
    if recipients.estate_ids or recipients.building_ids or recipients.unit_ids:
        occupancies = Occupancy.objects.filter(end_date__isnull=True, person__user__isnull=False)
        residents: set[int] = set()
        if recipients.estate_ids:
            residents |= set(
                occupancies.filter(unit__estate_id__in=recipients.estate_ids).values_list("person__user_id", flat=True)
            )
        if recipients.building_ids:
            residents |= set(
                occupancies.filter(unit__building_id__in=recipients.building_ids).values_list(
                    "person__user_id", flat=True
                )
            )
        if recipients.unit_ids:
            residents |= set(
                occupancies.filter(unit_id__in=recipients.unit_ids).values_list("person__user_id", flat=True)
            )
        ids |= set(members.filter(user_id__in=residents).values_list("user_id", flat=True))
    ids -= set(recipients.exclude_user_ids)
    return sorted(ids)


def batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
