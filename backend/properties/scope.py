"""Data scope (数据权限): which management offices / estates a staff member sees. Every selector of this app
takes a Scope and filters by it, so pages, API, search and exports agree."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from backend.accounts.models import Membership
from backend.accounts.roles import STAFF_ROLES


@dataclass(frozen=True)
class Scope:
    all_offices: bool
    office_ids: frozenset[int] = frozenset()
    estate_ids: frozenset[int] = frozenset()
    # For residents: only units they are bound to (set by resident_scope()).
    resident_user_id: int | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls(all_offices=True)

    @classmethod
    def of(cls, membership: Membership | None) -> Scope:
        """Staff get their membership's scope; anyone else (residents) sees only their own units."""
        if membership is None:
            return cls(all_offices=False)
        if membership.has_any_role(STAFF_ROLES):
            if membership.scope_all:
                return cls(all_offices=True)
            return cls(
                all_offices=False,
                office_ids=frozenset(membership.scope_office_ids),
                estate_ids=frozenset(membership.scope_estate_ids),
            )
        return cls(all_offices=False, resident_user_id=membership.user_id)

    @property
    def is_resident(self) -> bool:
        return self.resident_user_id is not None

    def unit_q(self, prefix: str = "") -> Q:
        """Q for Unit rows (or rows reaching Unit through `prefix`, e.g. 'unit__')."""
        if self.all_offices:
            return Q()
        if self.resident_user_id is not None:
            return Q(
                **{
                    f"{prefix}occupancies__person__user_id": self.resident_user_id,
                    f"{prefix}occupancies__end_date__isnull": True,
                }
            )
        return Q(**{f"{prefix}office_id__in": self.office_ids}) | Q(**{f"{prefix}estate_id__in": self.estate_ids})

    def estate_q(self) -> Q:
        if self.all_offices:
            return Q()
        if self.resident_user_id is not None:
            return Q(pk__in=[])
        return Q(office_id__in=self.office_ids) | Q(pk__in=self.estate_ids)

    def office_q(self) -> Q:
        if self.all_offices:
            return Q()
        if self.resident_user_id is not None:
            return Q(pk__in=[])
        return Q(pk__in=self.office_ids) | Q(estates__id__in=self.estate_ids)

    def person_q(self) -> Q:
        if self.all_offices:
            return Q()
        if self.resident_user_id is not None:
            return Q(user_id=self.resident_user_id)
        return Q(office_ids__overlap=list(self.office_ids)) | Q(occupancies__unit__estate_id__in=self.estate_ids)

    def filter_units(self, qs: QuerySet) -> QuerySet:
        q = self.unit_q()
        return qs.filter(q).distinct() if self.resident_user_id is not None else qs.filter(q)
