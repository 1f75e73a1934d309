"""Personal data in lists is masked; only holders of perms.PERSONAL_DATA_FULL may see it in full, and every
full view of an ID number is written to the audit log (see services.person_reveal)."""

from __future__ import annotations

from backend.accounts import permissions as perms
from backend.accounts.models import Membership


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678"""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def mask_id_number(id_number: str) -> str:
    """110101199003071234 -> 1101**********1234"""
    if len(id_number) < 8:
        return "*" * len(id_number)
    return f"{id_number[:4]}{'*' * (len(id_number) - 8)}{id_number[-4:]}"


def may_see_full(membership: Membership | None) -> bool:
    return perms.PERSONAL_DATA_FULL.granted_to(membership)
