"""Vetting (marketplace/vetting.py): each decision checks its transition, grants only what was asked within the
company's real estates, is audited in the deciding company only, tells the merchant in Chinese and calls the
search hook; nothing of it touches the other company's application."""

from __future__ import annotations

from typing import Any

import pytest

from backend.audit.models import AuditEntry
from backend.errors import ApplicationError
from backend.properties.scope import Scope
from marketplace import vetting
from marketplace.models import MerchantApplication, MerchantNotice
from tenants.db import connection
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

# Setting up the world audits too (offices, estates): only the marketplace's entries matter here.
MARKETPLACE_AUDIT = AuditEntry.objects.filter(action__startswith="marketplace.")


def _staff(tenant: Any, **membership: Any) -> Any:
    user = MemberFactory(tenant=tenant, roles=["customer_service"], **membership).user
    connection.set_tenant(tenant)
    return user


def _fields(excinfo: Any) -> dict[str, list[str]]:
    return excinfo.value.fields


def test_approve_grants_part_of_what_was_asked_and_tells_the_merchant_in_chinese(world: Any, hook_calls: Any) -> None:
    by = _staff(world.alpha)
    sun = world.estates["阳光花园"]
    done = vetting.approve(application=world.app_a, by=by, estate_ids=[sun], category_codes=["fruit"])

    done.refresh_from_db()
    assert (done.status, done.approved_estate_ids, done.approved_category_codes) == ("approved", [sun], ["fruit"])
    assert done.decided_by_id == by.pk and done.decided_at is not None
    notice = MerchantNotice.objects.get(merchant=world.merchant)
    assert notice.kind == "application.approved" and notice.tenant_id == world.alpha.pk
    assert "通过" in notice.title and world.alpha.name in notice.title
    assert "阳光花园" in notice.body and "时令水果" in notice.body and "翠竹苑" not in notice.body
    entry = MARKETPLACE_AUDIT.get(action="marketplace.application_approve")
    assert entry.object_id == str(done.pk) and "鲜果坊" in entry.object_repr
    assert entry.changes["status"] == ["pending", "approved"]
    assert entry.changes["approved_estate_ids"] == [[], [sun]]
    assert hook_calls == [{"schema_name": world.alpha.schema_name, "merchant_id": world.merchant.pk}]
    # Company beta's application to the same merchant is as it was, and beta's log has nothing.
    world.app_b.refresh_from_db()
    assert world.app_b.status == "pending" and world.app_b.approved_estate_ids == []
    connection.set_tenant(world.beta)
    assert not MARKETPLACE_AUDIT.exists()


@pytest.mark.parametrize(
    ("estates", "codes", "field"),
    [
        ([], ["fruit"], "estate_ids"),
        (["江景苑"], ["fruit"], "estate_ids"),  # a real estate of alpha, but not asked for
        (["阳光花园"], [], "category_codes"),
        (["阳光花园"], ["tutoring"], "category_codes"),  # not asked for
    ],
)
def test_approve_refuses_what_was_not_asked_for(
    world: Any, hook_calls: Any, estates: list[str], codes: list[str], field: str
) -> None:
    by = _staff(world.alpha)
    with pytest.raises(ApplicationError) as excinfo:
        vetting.approve(
            application=world.app_a, by=by, estate_ids=[world.estates[e] for e in estates], category_codes=codes
        )
    assert field in _fields(excinfo) and excinfo.value.status == 400
    world.app_a.refresh_from_db()
    assert world.app_a.status == "pending"
    assert not MerchantNotice.objects.exists() and not MARKETPLACE_AUDIT.exists() and hook_calls == []


def test_approve_refuses_an_asked_estate_that_is_not_the_companys(world: Any) -> None:
    # The merchant named an id that is no estate of alpha (say, one that was deleted): never granted.
    MerchantApplication.objects.filter(pk=world.app_a.pk).update(estate_ids=[world.estates["阳光花园"], 987654])
    by = _staff(world.alpha)
    with pytest.raises(ApplicationError) as excinfo:
        vetting.approve(application=world.app_a, by=by, estate_ids=[987654], category_codes=["fruit"])
    assert "987654" in _fields(excinfo)["estate_ids"][0]


def test_staff_scoped_to_one_office_grant_only_its_estates(world: Any) -> None:
    by = _staff(world.alpha, scope_all=False, scope_office_ids=[world.offices["滨江"]])
    with pytest.raises(ApplicationError) as excinfo:
        vetting.approve(
            application=world.app_a,
            by=by,
            estate_ids=[world.estates["阳光花园"]],
            category_codes=["fruit"],
            scope=Scope(all_offices=False, office_ids=frozenset({world.offices["滨江"]})),
        )
    assert "estate_ids" in _fields(excinfo)


def test_reject_and_suspend_need_a_reason(world: Any) -> None:
    by = _staff(world.alpha)
    with pytest.raises(ApplicationError) as excinfo:
        vetting.reject(application=world.app_a, by=by, reason="   ")
    assert "reason" in _fields(excinfo)
    with pytest.raises(ApplicationError) as excinfo:
        vetting.reject(application=world.app_a, by=by, reason="x" * 501)
    assert "reason" in _fields(excinfo)
    vetting.approve(application=world.app_a, by=by, estate_ids=[world.estates["阳光花园"]], category_codes=["fruit"])
    with pytest.raises(ApplicationError) as excinfo:
        vetting.suspend(application=world.app_a, by=by, reason="")
    assert "reason" in _fields(excinfo)


def test_reject_tells_the_reason(world: Any, hook_calls: Any) -> None:
    by = _staff(world.alpha)
    vetting.reject(application=world.app_a, by=by, reason="营业执照已过期")
    world.app_a.refresh_from_db()
    assert world.app_a.status == "rejected" and world.app_a.reason == "营业执照已过期"
    notice = MerchantNotice.objects.get()
    assert notice.kind == "application.rejected" and "营业执照已过期" in notice.body
    assert MARKETPLACE_AUDIT.get().changes["reason"] == "营业执照已过期"
    assert len(hook_calls) == 1


def test_suspend_then_resume_keeps_the_grant(world: Any, hook_calls: Any) -> None:
    by = _staff(world.alpha)
    sun, bamboo = world.estates["阳光花园"], world.estates["翠竹苑"]
    vetting.approve(application=world.app_a, by=by, estate_ids=[bamboo, sun], category_codes=["fruit", "bakery"])
    vetting.suspend(application=world.app_a, by=by, reason="多次投诉")
    world.app_a.refresh_from_db()
    assert world.app_a.status == "suspended" and world.app_a.reason == "多次投诉"
    vetting.resume(application=world.app_a, by=by, reason="整改完成")
    world.app_a.refresh_from_db()
    assert world.app_a.status == "approved" and world.app_a.approved_estate_ids == sorted([sun, bamboo])
    assert world.app_a.approved_category_codes == ["bakery", "fruit"]
    kinds = list(MerchantNotice.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["application.approved", "application.suspended", "application.resumed"]
    actions = list(MARKETPLACE_AUDIT.order_by("id").values_list("action", flat=True))
    assert actions == [
        "marketplace.application_approve",
        "marketplace.application_suspend",
        "marketplace.application_resume",
    ]
    assert len(hook_calls) == 3


@pytest.mark.parametrize(
    ("status", "decision"),
    [
        ("approved", "approve"),
        ("rejected", "approve"),
        ("approved", "reject"),
        ("pending", "suspend"),
        ("rejected", "suspend"),
        ("pending", "resume"),
        ("approved", "resume"),
    ],
)
def test_a_decision_the_status_forbids_is_a_conflict(world: Any, status: str, decision: str) -> None:
    MerchantApplication.objects.filter(pk=world.app_a.pk).update(status=status)
    by = _staff(world.alpha)
    call = {
        "approve": lambda: vetting.approve(
            application=world.app_a, by=by, estate_ids=[world.estates["阳光花园"]], category_codes=["fruit"]
        ),
        "reject": lambda: vetting.reject(application=world.app_a, by=by, reason="r"),
        "suspend": lambda: vetting.suspend(application=world.app_a, by=by, reason="r"),
        "resume": lambda: vetting.resume(application=world.app_a, by=by, reason="r"),
    }[decision]
    with pytest.raises(ApplicationError) as excinfo:
        call()
    assert excinfo.value.status == 409 and "status" in _fields(excinfo)
    assert not MerchantNotice.objects.exists() and not MARKETPLACE_AUDIT.exists()


def test_another_companys_application_is_not_found(world: Any, hook_calls: Any) -> None:
    by = _staff(world.alpha)
    with pytest.raises(ApplicationError) as excinfo:
        vetting.reject(application=world.app_b, by=by, reason="不是我们的")
    assert excinfo.value.status == 404
    with pytest.raises(ApplicationError):
        vetting.approve(
            application=world.app_b.pk, by=by, estate_ids=[world.estates["东城花园"]], category_codes=["fruit"]
        )
    world.app_b.refresh_from_db()
    assert world.app_b.status == "pending" and hook_calls == []


def test_the_platform_schema_decides_nothing(world: Any) -> None:
    connection.set_schema_to_public()
    with pytest.raises(ApplicationError) as excinfo:
        vetting.reject(application=world.app_a, by=None, reason="x")
    assert excinfo.value.code == "no_company"
