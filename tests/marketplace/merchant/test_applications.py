"""A merchant's applications: the directory of companies with their estates, applying, re-submitting after a
rejection (the same row, back to pending), withdrawing; nothing of a company but its estates' names is read."""

from __future__ import annotations

from typing import Any

import pytest

from backend.errors import ApplicationError
from marketplace.applications import application_submit, application_withdraw
from marketplace.models import ApplicationStatus, MerchantApplication
from marketplace.selectors_merchant import company_directory
from tests.marketplace.factories import make_application

pytestmark = pytest.mark.django_db


def test_the_directory_lists_active_companies_with_their_estates(owner: Any, estates: dict, tenant_a: Any) -> None:
    member = owner()
    directory = {entry.name: entry for entry in company_directory(merchant=member.merchant)}
    assert {n for _, n in directory[tenant_a.name].estates} == {"阳光花园", "翠湖苑"}
    assert [n for _, n in directory["贝塔物业"].estates] == ["滨江一号"]
    assert directory[tenant_a.name].application is None


def test_a_suspended_company_is_not_in_the_directory(owner: Any, estates: dict, tenant_b: Any) -> None:
    from tenants.services import company_suspend

    company_suspend(tenant=tenant_b, reason="test")
    names = {entry.name for entry in company_directory(merchant=owner().merchant)}
    assert tenant_b.name not in names


def test_apply_then_resubmit_after_rejection_keeps_one_row(owner: Any, estates: dict, tenant_a: Any) -> None:
    member = owner()
    sunny = estates["阳光花园"].pk
    application = application_submit(
        member=member, tenant_id=tenant_a.pk, estate_ids=[sunny], category_codes=["fruit"], message="您好"
    )
    assert application.status == ApplicationStatus.PENDING
    assert application.estate_names == {str(sunny): "阳光花园"}
    # The company rejects it (marketplace/vetting.py's job; the row as it leaves it).
    MerchantApplication.objects.filter(pk=application.pk).update(status=ApplicationStatus.REJECTED, reason="执照不清晰")
    again = application_submit(
        member=member,
        tenant_id=tenant_a.pk,
        estate_ids=[sunny, estates["翠湖苑"].pk],
        category_codes=["fruit", "vegetables"],
        message="已重新上传执照",
    )
    assert again.pk == application.pk and again.status == ApplicationStatus.PENDING
    assert MerchantApplication.objects.filter(merchant=member.merchant).count() == 1
    actions = list(member.merchant.audit_entries.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["application.submit", "application.resubmit"]


def test_only_the_companys_own_estates_can_be_asked_for(owner: Any, estates: dict, tenant_a: Any) -> None:
    not_alphas = max(e.pk for e in estates.values()) + 10_000
    with pytest.raises(ApplicationError) as caught:
        application_submit(
            member=owner(),
            tenant_id=tenant_a.pk,
            estate_ids=[estates["阳光花园"].pk, not_alphas],
            category_codes=["fruit"],
        )
    assert caught.value.fields["estate_ids"] == ["Choose estates of this company."]
    assert not MerchantApplication.objects.exists()


def test_wrong_fields_are_named(owner: Any, estates: dict, tenant_a: Any) -> None:
    with pytest.raises(ApplicationError) as caught:
        application_submit(member=owner(), tenant_id=tenant_a.pk, estate_ids=[], category_codes=["nope"])
    assert set(caught.value.fields) == {"estate_ids", "category_codes"}


def test_an_unknown_or_suspended_company_is_not_found(owner: Any, estates: dict, tenant_b: Any) -> None:
    from tenants.services import company_suspend

    member = owner()
    with pytest.raises(ApplicationError) as caught:
        application_submit(member=member, tenant_id=999_999, estate_ids=[1], category_codes=["fruit"])
    assert caught.value.status == 404
    company_suspend(tenant=tenant_b, reason="test")
    with pytest.raises(ApplicationError) as caught:
        application_submit(
            member=member, tenant_id=tenant_b.pk, estate_ids=[estates["滨江一号"].pk], category_codes=["fruit"]
        )
    assert caught.value.status == 404


def test_a_decided_application_is_the_companys_to_change(owner: Any, estates: dict, tenant_a: Any) -> None:
    member = owner()
    sunny = estates["阳光花园"].pk
    make_application(member.merchant, tenant_a, status=ApplicationStatus.APPROVED, estates={sunny: "阳光花园"})
    with pytest.raises(ApplicationError) as caught:
        application_submit(member=member, tenant_id=tenant_a.pk, estate_ids=[sunny], category_codes=["fruit"])
    assert caught.value.status == 409


def test_withdraw_a_pending_one_and_apply_again(owner: Any, estates: dict, tenant_a: Any) -> None:
    member = owner()
    sunny = estates["阳光花园"].pk
    application = application_submit(member=member, tenant_id=tenant_a.pk, estate_ids=[sunny], category_codes=["fruit"])
    assert application_withdraw(member=member, application_id=application.pk).status == ApplicationStatus.WITHDRAWN
    with pytest.raises(ApplicationError) as caught:
        application_withdraw(member=member, application_id=application.pk)
    assert caught.value.status == 409
    again = application_submit(member=member, tenant_id=tenant_a.pk, estate_ids=[sunny], category_codes=["fruit"])
    assert (again.pk, again.status) == (application.pk, ApplicationStatus.PENDING)


def test_a_clerk_cannot_apply_or_withdraw_and_nobody_touches_another_merchants(
    owner: Any, clerk_of: Any, estates: dict, tenant_a: Any
) -> None:
    mine, theirs = owner(), owner()
    sunny = estates["阳光花园"].pk
    clerk = clerk_of(mine)
    with pytest.raises(ApplicationError) as caught:
        application_submit(member=clerk, tenant_id=tenant_a.pk, estate_ids=[sunny], category_codes=["fruit"])
    assert caught.value.status == 403
    their_application = application_submit(
        member=theirs, tenant_id=tenant_a.pk, estate_ids=[sunny], category_codes=["fruit"]
    )
    with pytest.raises(ApplicationError) as caught:
        application_withdraw(member=mine, application_id=their_application.pk)
    assert caught.value.status == 404
    assert MerchantApplication.objects.get(pk=their_application.pk).status == ApplicationStatus.PENDING
