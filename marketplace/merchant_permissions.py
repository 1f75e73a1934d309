"""What a merchant's users may do, by their role at the merchant (owner or clerk): the one place that says it.
The merchant API, the merchant portal's pages and templates, and the services all ask these.

A merchant's roles are not a company's roles (backend/accounts/permissions.py): a merchant user holds no
membership in any company because of them, and a company member's roles open nothing here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import MerchantRole

OWNER = frozenset({MerchantRole.OWNER.value})
EVERYONE = frozenset({MerchantRole.OWNER.value, MerchantRole.CLERK.value})


@dataclass(frozen=True)
class MerchantPermission:
    code: str
    roles: frozenset[str]
    label: str | Promise

    def granted_to(self, member: Any) -> bool:
        """Whether an active MerchantMember holds one of the roles (None holds none)."""
        return member is not None and bool(member.is_active) and member.role in self.roles

    def __str__(self) -> str:
        return self.code


CATALOGUE: dict[str, MerchantPermission] = {}


def _permission(code: str, roles: frozenset[str], label: str | Promise) -> MerchantPermission:
    permission = MerchantPermission(code=code, roles=roles, label=label)
    CATALOGUE[code] = permission
    return permission


MERCHANT_AREA = _permission("merchant_area", EVERYONE, _("Open the merchant portal: dashboard, notices"))
CATALOGUE_WRITE = _permission(
    "merchant_catalogue", EVERYONE, _("Add and change listings, photos, variants, slots and specials")
)
APPLICATIONS_READ = _permission("merchant_applications_read", EVERYONE, _("See the applications to companies"))
APPLICATIONS_MANAGE = _permission(
    "merchant_applications", OWNER, _("Apply to companies, re-submit and withdraw applications")
)
PROFILE_MANAGE = _permission("merchant_profile", OWNER, _("Change the business profile and licence"))
MEMBERS_MANAGE = _permission("merchant_members", OWNER, _("Add and remove clerks"))
ORDERS = _permission("merchant_orders", EVERYONE, _("See the shop orders and accept, reject, deliver them"))
STATEMENTS = _permission(
    "merchant_statements", OWNER, _("See the companies' settlement statements (结算单) and confirm them")
)


class MerchantCan:
    """What merchant templates ask: `{% if mcan.merchant_members %}`."""

    def __init__(self, member: Any) -> None:
        self._held = {code for code, p in CATALOGUE.items() if p.granted_to(member)}

    def __getitem__(self, code: str) -> bool:
        if code not in CATALOGUE:
            raise KeyError(f"no merchant permission {code!r}")
        return code in self._held
