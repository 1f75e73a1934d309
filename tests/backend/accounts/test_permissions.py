"""The permission catalogue: consistent, the one source of role sets, and what templates ask of it exists."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template import Context, Template

from backend.accounts import permissions as perms
from backend.accounts.roles import ALL_ROLES, STAFF_ROLES, Role

ROOT = Path(__file__).resolve().parents[3]


def member(*roles: str) -> SimpleNamespace:
    return SimpleNamespace(roles=list(roles))


def test_every_permission_has_known_roles_and_a_unique_code():
    assert perms.CATALOGUE, "the catalogue is empty"
    for code, permission in perms.CATALOGUE.items():
        assert permission.code == code and permission.roles and permission.roles <= ALL_ROLES
        assert str(permission.label)


def test_a_code_defined_twice_or_with_an_unknown_role_is_refused():
    with pytest.raises(ValueError, match="twice"):
        perms._permission("payment_record", {Role.FINANCE}, "again")
    with pytest.raises(ValueError, match="unknown"):
        perms._permission("brand_new", {"janitor"}, "?")
    assert "brand_new" not in perms.CATALOGUE


@pytest.mark.parametrize(
    ("roles", "granted", "refused"),
    [
        ((Role.FINANCE,), {"payment_record", "bill_run", "billing_read"}, {"members_manage", "marketplace_manage"}),
        (
            (Role.CUSTOMER_SERVICE,),
            {"registry_write", "billing_read", "dunning", "marketplace_manage"},
            {"payment_record", "bill_run"},
        ),
        ((Role.ENGINEER,), {"reading_record", "staff_area"}, {"billing_read", "meter_manage", "marketplace_manage"}),
        ((Role.SECURITY,), {"staff_area", "meter_read"}, {"reading_record", "billing_read"}),
        ((Role.RESIDENT,), {"resident_area", "pay_online", "member"}, {"staff_area", "billing_read"}),
        (
            (Role.COMPANY_ADMIN,),
            {"members_manage", "stripe_account", "payment_record", "marketplace_manage"},
            {"resident_area"},
        ),
        ((), set(), {"member"}),
    ],
)
def test_what_each_role_may_do(roles, granted, refused):
    held = perms.permissions_of(member(*roles))
    assert granted <= held and not (refused & held)
    for code in granted:
        assert perms.permission(code).granted_to(member(*roles))
    assert not perms.MEMBER.granted_to(None)


def test_templates_ask_can_and_a_typo_is_not_silently_false_in_code():
    can = perms.Can(member(Role.FINANCE))
    out = Template("{% if can.payment_record %}pay{% endif %}{% if can.members_manage %}invite{% endif %}").render(
        Context({"can": can})
    )
    assert out == "pay"
    with pytest.raises(KeyError, match="payment_recrod"):
        can["payment_recrod"]


def test_every_can_in_a_template_names_a_permission_of_the_catalogue():
    asked = set()
    for path in ROOT.glob("portal/templates/**/*.html"):
        asked |= {(path.name, code) for code in re.findall(r"\bcan\.([a-z_]+)", path.read_text())}
    unknown = sorted((name, code) for name, code in asked if code not in perms.CATALOGUE)
    assert not unknown, f"templates ask for permissions the catalogue lacks: {unknown}"


def test_no_template_tests_role_codes_directly():
    offenders = []
    for path in ROOT.glob("portal/templates/**/*.html"):
        for code in sorted(ALL_ROLES):
            if re.search(rf"""["']{code}["']\s+in\s+membership\.roles""", path.read_text()):
                offenders.append((str(path.relative_to(ROOT)), code))
    assert not offenders, f"templates should ask `can.<permission>` instead: {offenders}"


def test_staff_area_is_exactly_the_staff_roles():
    assert perms.STAFF_AREA.roles == STAFF_ROLES
