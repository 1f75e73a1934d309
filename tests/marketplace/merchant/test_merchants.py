"""Merchant sign-up, profile, licence and clerks (services)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from backend.accounts.models import Membership
from backend.errors import ApplicationError
from backend.uploads.errors import UploadRejected
from backend.uploads.kinds import MERCHANT_LICENCE
from backend.uploads.validation import upload_accept
from marketplace import merchants
from marketplace.merchants import licence_number_normalize
from marketplace.models import Merchant, MerchantAuditEntry, MerchantMember, MerchantRole

from .conftest import PASSWORD, licence_number, signup_fields

pytestmark = pytest.mark.django_db


def test_sign_up_creates_the_merchant_its_owner_account_and_an_audit_entry(owner: Any) -> None:
    member = owner(name="鲜果坊", category_codes=["fruit", "vegetables"])
    merchant = member.merchant
    assert member.role == MerchantRole.OWNER and member.user.check_password(PASSWORD)
    assert sorted(merchant.categories.values_list("code", flat=True)) == ["fruit", "vegetables"]
    assert merchant.licence.name.startswith("merchants/") and merchant.licence.name.endswith(".jpg")
    assert merchant.licence.storage.exists(merchant.licence.name)
    entry = MerchantAuditEntry.objects.get(merchant=merchant)
    assert (entry.action, entry.user_id) == ("merchant.sign_up", member.user_id)
    # A merchant account is no company's member.
    assert not Membership.objects.filter(user=member.user).exists()


def test_sign_up_names_every_wrong_field_and_creates_nothing() -> None:
    with pytest.raises(ApplicationError) as caught:
        merchants.merchant_sign_up(
            **signup_fields(
                name="",
                licence_number="12345",
                licence=None,
                contact_phone="12",
                address="",
                category_codes=[],
                owner_email="bad",
                owner_password="123",
            )
        )
    assert set(caught.value.fields) >= {
        "name",
        "licence_number",
        "licence",
        "contact_phone",
        "address",
        "category_codes",
        "owner_email",
        "owner_password",
    }
    assert not Merchant.objects.exists()


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        (licence_number(42), True),
        (" " + licence_number(42).lower() + " ", True),
        (licence_number(42)[:-1] + ("0" if licence_number(42)[-1] != "0" else "1"), False),  # wrong check character
        ("91310000MA1FL0001", False),  # 17 characters
        ("91310000MA1FL0001I", False),  # I is not in the alphabet
    ],
)
def test_licence_numbers_are_checked_for_shape_and_check_character(raw: str, ok: bool) -> None:
    if ok:
        assert licence_number_normalize(raw) == licence_number(42)
    else:
        with pytest.raises(Exception):  # noqa: B017 - ValidationError
            licence_number_normalize(raw)


def test_a_licence_number_signs_up_once(owner: Any) -> None:
    first = owner()
    with pytest.raises(ApplicationError) as caught:
        owner(licence_number=first.merchant.licence_number)
    assert "licence_number" in caught.value.fields


def test_a_licence_that_is_no_image_or_pdf_is_refused_by_the_upload_module() -> None:
    with pytest.raises(UploadRejected):
        upload_accept(kind=MERCHANT_LICENCE, upload=io.BytesIO(b"<html><script>alert(1)</script></html>"))


def test_the_owner_edits_the_profile_and_a_clerk_cannot(owner: Any, clerk_of: Any) -> None:
    member = owner()
    clerk = clerk_of(member)
    fields = {
        "name": "新名字",
        "contact_name": "李",
        "contact_phone": "13900139000",
        "address": "新地址",
        "service_area": "",
        "description": "",
        "category_codes": ["bakery"],
    }
    with pytest.raises(ApplicationError) as caught:
        merchants.merchant_profile_update(member=clerk, **fields)
    assert caught.value.status == 403
    merchant = merchants.merchant_profile_update(member=member, **fields)
    assert merchant.name == "新名字"
    entry = MerchantAuditEntry.objects.filter(action="merchant.profile_update").get()
    assert entry.changes["name"] == {"before": member.merchant.name, "after": "新名字"}


def test_only_the_owner_adds_and_removes_clerks_and_a_removed_clerk_loses_access(owner: Any, clerk_of: Any) -> None:
    member = owner()
    clerk = clerk_of(member)
    with pytest.raises(ApplicationError) as caught:
        merchants.merchant_clerk_add(member=clerk, name="x", email="x@merchant.test", phone="", password=PASSWORD)
    assert caught.value.status == 403
    with pytest.raises(ApplicationError):
        merchants.merchant_member_remove(member=clerk, member_id=member.pk)
    with pytest.raises(ApplicationError) as caught:
        merchants.merchant_member_remove(member=member, member_id=member.pk)
    assert caught.value.status == 409  # the owner stays
    merchants.merchant_token_issue(member=clerk)
    merchants.merchant_member_remove(member=member, member_id=clerk.pk)
    clerk.refresh_from_db()
    assert not clerk.is_active and not clerk.tokens.exists()
    with pytest.raises(ApplicationError) as caught:
        merchants.merchant_sign_in(request=None, username=clerk.user.email, password=PASSWORD, ip="10.0.0.1")
    assert caught.value.code == "not_a_merchant"


def test_an_owner_cannot_remove_another_merchants_clerk(owner: Any, clerk_of: Any) -> None:
    mine, theirs = owner(), owner()
    their_clerk = clerk_of(theirs)
    with pytest.raises(ApplicationError) as caught:
        merchants.merchant_member_remove(member=mine, member_id=their_clerk.pk)
    assert caught.value.status == 404
    assert MerchantMember.objects.get(pk=their_clerk.pk).is_active


def test_company_members_cannot_sign_in_as_merchants(tenant_a: Any, member: Any) -> None:
    staff = member(tenant_a, ["company_admin"])
    with pytest.raises(ApplicationError) as caught:
        merchants.merchant_sign_in(request=None, username=staff.email, password="Test-pass-2026!", ip="10.0.0.2")
    assert caught.value.status == 403 and caught.value.code == "not_a_merchant"
