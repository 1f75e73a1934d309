"""Writes on merchants (public schema): signing a merchant up with its owner's account, its profile and
licence, its clerks, signing its users in and their API tokens. Every write is audited in the merchant's own
trail (merchant_audit.py); what a search document shows of the merchant is re-indexed through the search hooks.

Services take the acting `member` (a MerchantMember) and check its permission themselves (merchant_permissions),
so the API and the portal cannot forget to."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.accounts.services import token_hash, user_fields_validate, user_sign_in
from backend.accounts.validation import phone_normalize
from backend.errors import ApplicationError
from backend.uploads.storage import files_removed_on_error
from backend.uploads.validation import AcceptedUpload

from .merchant_audit import merchant_audit_record
from .merchant_permissions import MEMBERS_MANAGE, PROFILE_MANAGE, MerchantPermission
from .models import Category, Merchant, MerchantMember, MerchantNotice, MerchantRole, MerchantToken
from .search.hooks import merchant_changed
from .selectors_merchant import merchant_member_active

# 统一社会信用代码 (GB 32100-2015): 18 characters from this alphabet, the last a check character.
LICENCE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LICENCE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LICENCE_RE = re.compile(rf"^[{LICENCE_ALPHABET}]{{18}}$")
MERCHANT_TOKEN_TTL = dt.timedelta(days=30)
MAX_CLERKS = 20


def permission_require(member: MerchantMember | None, permission: MerchantPermission) -> MerchantMember:
    if member is None or not permission.granted_to(member):
        raise ApplicationError(_("Your role at this merchant does not allow this."), code="forbidden", status=403)
    return member


def licence_check_character(first17: str) -> str:
    total = sum(LICENCE_ALPHABET.index(c) * w for c, w in zip(first17, LICENCE_WEIGHTS, strict=True))
    return LICENCE_ALPHABET[(31 - total % 31) % 31]


def licence_number_normalize(raw: str) -> str:
    """' 91310000ma1fl0001x ' -> '91310000MA1FL0001X'. Raises ValidationError when it is no well-formed
    unified social credit code (length, alphabet or check character)."""
    number = re.sub(r"[\s-]", "", raw or "").upper()
    if not LICENCE_RE.match(number):
        raise ValidationError(_("Enter the 18-character unified social credit code (统一社会信用代码) on the licence."))
    if licence_check_character(number[:17]) != number[17]:
        raise ValidationError(_("This code's check character does not match: please check the number."))
    return number


def _categories(codes: list[str], errors: dict[str, list[str]]) -> list[Category]:
    codes = sorted({c for c in codes or [] if c})
    found = list(Category.objects.filter(code__in=codes))
    if len(found) != len(codes):
        errors["category_codes"] = [_("Choose categories from the list.")]
    elif not found:
        errors["category_codes"] = [_("Choose at least one category.")]
    return found


def _profile_errors(
    *, name: str, contact_name: str, contact_phone: str, address: str, service_area: str
) -> tuple[dict[str, list[str]], str]:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Enter the business name.")]
    elif len(name.strip()) > 100:
        errors["name"] = [_("At most 100 characters.")]
    if not contact_name.strip():
        errors["contact_name"] = [_("Enter a contact person.")]
    phone = ""
    try:
        phone = phone_normalize(contact_phone)
    except ValidationError as exc:
        errors["contact_phone"] = list(exc.messages)
    if not address.strip():
        errors["address"] = [_("Enter the business address.")]
    elif len(address.strip()) > 200:
        errors["address"] = [_("At most 200 characters.")]
    if len(service_area.strip()) > 200:
        errors["service_area"] = [_("At most 200 characters.")]
    return errors, phone


def _licence_number_errors(raw: str, *, merchant_id: int | None = None) -> tuple[str, list[str]]:
    try:
        number = licence_number_normalize(raw)
    except ValidationError as exc:
        return "", list(exc.messages)
    others = Merchant.objects.filter(licence_number=number)
    if merchant_id is not None:
        others = others.exclude(pk=merchant_id)
    if others.exists():
        return number, [_("A merchant with this licence number is already registered. Sign in instead.")]
    return number, []


def merchant_sign_up(
    *,
    name: str,
    licence_number: str,
    licence: AcceptedUpload | None,
    contact_name: str,
    contact_phone: str,
    address: str,
    service_area: str = "",
    description: str = "",
    category_codes: list[str],
    owner_name: str,
    owner_email: str,
    owner_phone: str,
    owner_password: str,
) -> MerchantMember:
    """A merchant with its owner's new platform account. `licence` (uploads kind MERCHANT_LICENCE) was checked
    and re-encoded by the field it came through. Bad input creates nothing and names every wrong field."""
    errors, phone = _profile_errors(
        name=name, contact_name=contact_name, contact_phone=contact_phone, address=address, service_area=service_area
    )
    number, number_errors = _licence_number_errors(licence_number)
    if number_errors:
        errors["licence_number"] = number_errors
    if licence is None:
        errors["licence"] = [_("Upload a photo or scan of the business licence (营业执照).")]
    categories = _categories(category_codes, errors)
    user_errors, email, owner_phone_norm = user_fields_validate(
        name=owner_name, email=owner_email, phone=owner_phone, password=owner_password, prefix="owner_"
    )
    errors.update(user_errors)
    if errors:
        raise ApplicationError.for_fields(errors)
    assert licence is not None
    merchant = Merchant(
        name=name.strip(),
        licence_number=number,
        licence=licence.content_file(),
        contact_name=contact_name.strip()[:60],
        contact_phone=phone,
        address=address.strip(),
        service_area=service_area.strip(),
        description=description.strip(),
    )
    try:
        with files_removed_on_error(merchant), transaction.atomic():
            user = User.objects.create_user(
                email=email, password=owner_password, name=owner_name.strip(), phone=owner_phone_norm
            )
            merchant.save()
            merchant.categories.set(categories)
            owner = MerchantMember.objects.create(merchant=merchant, user=user, role=MerchantRole.OWNER)
            merchant_audit_record(
                member=owner,
                merchant_id=merchant.pk,
                action="merchant.sign_up",
                target=merchant,
                changes={"licence_number": number, "categories": [c.code for c in categories]},
            )
    except IntegrityError as exc:
        # Two sign-ups with the same licence or address at the same moment: the database decides.
        raise ApplicationError.for_fields(
            {"licence_number": [_("This merchant or account already exists. Sign in instead.")]}
        ) from exc
    merchant_changed(merchant.pk)
    return owner


def merchant_profile_update(
    *,
    member: MerchantMember,
    name: str,
    contact_name: str,
    contact_phone: str,
    address: str,
    service_area: str = "",
    description: str = "",
    category_codes: list[str],
) -> Merchant:
    permission_require(member, PROFILE_MANAGE)
    errors, phone = _profile_errors(
        name=name, contact_name=contact_name, contact_phone=contact_phone, address=address, service_area=service_area
    )
    categories = _categories(category_codes, errors)
    if errors:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=member.merchant_id)
        before = {
            "name": merchant.name,
            "contact_phone": merchant.contact_phone,
            "address": merchant.address,
            "categories": sorted(merchant.categories.values_list("code", flat=True)),
        }
        merchant.name = name.strip()
        merchant.contact_name = contact_name.strip()[:60]
        merchant.contact_phone = phone
        merchant.address = address.strip()
        merchant.service_area = service_area.strip()
        merchant.description = description.strip()
        merchant.save()
        merchant.categories.set(categories)
        after = {
            "name": merchant.name,
            "contact_phone": merchant.contact_phone,
            "address": merchant.address,
            "categories": sorted(c.code for c in categories),
        }
        changed = {k: {"before": before[k], "after": after[k]} for k in before if before[k] != after[k]}
        merchant_audit_record(
            member=member, merchant_id=merchant.pk, action="merchant.profile_update", target=merchant, changes=changed
        )
    merchant_changed(merchant.pk)
    return merchant


def merchant_licence_replace(
    *, member: MerchantMember, licence_number: str, licence: AcceptedUpload | None
) -> Merchant:
    """A renewed licence: its number and photo. Companies see the new one when they next review it."""
    permission_require(member, PROFILE_MANAGE)
    errors: dict[str, list[str]] = {}
    number, number_errors = _licence_number_errors(licence_number, merchant_id=member.merchant_id)
    if number_errors:
        errors["licence_number"] = number_errors
    if licence is None:
        errors["licence"] = [_("Upload a photo or scan of the business licence (营业执照).")]
    if errors:
        raise ApplicationError.for_fields(errors)
    assert licence is not None
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=member.merchant_id)
        old_number, old_file = merchant.licence_number, merchant.licence.name
        merchant.licence_number = number
        merchant.licence = licence.content_file()  # type: ignore[assignment]
        try:
            with files_removed_on_error(merchant):
                merchant.save(update_fields=["licence_number", "licence"])
                merchant_audit_record(
                    member=member,
                    merchant_id=merchant.pk,
                    action="merchant.licence_replace",
                    target=merchant,
                    changes={"licence_number": {"before": old_number, "after": number}, "file": old_file},
                )
        except IntegrityError as exc:
            raise ApplicationError.for_fields(
                {"licence_number": [_("A merchant with this licence number is already registered.")]}
            ) from exc
    return merchant


def merchant_clerk_add(*, member: MerchantMember, name: str, email: str, phone: str, password: str) -> MerchantMember:
    """A new account for a clerk (店员) of this merchant: it lists and edits the catalogue, nothing more."""
    permission_require(member, MEMBERS_MANAGE)
    errors, norm_email, norm_phone = user_fields_validate(
        name=name, email=email, phone=phone, password=password, email_required=False
    )
    if (
        not errors
        and MerchantMember.objects.filter(merchant_id=member.merchant_id, is_active=True).count() > MAX_CLERKS
    ):
        errors["name"] = [_("A merchant has at most %(n)d clerks.") % {"n": MAX_CLERKS}]
    if errors:
        raise ApplicationError.for_fields(errors)
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=norm_email, password=password, name=name.strip(), phone=norm_phone)
            clerk = MerchantMember.objects.create(merchant_id=member.merchant_id, user=user, role=MerchantRole.CLERK)
            merchant_audit_record(
                member=member,
                merchant_id=member.merchant_id,
                action="merchant.clerk_add",
                target=clerk,
                object_repr=str(user),
            )
    except IntegrityError as exc:
        raise ApplicationError.for_fields({"email": [_("This account already exists.")]}) from exc
    return clerk


def merchant_member_remove(*, member: MerchantMember, member_id: int) -> MerchantMember:
    """End a clerk's access: their sign-ins and tokens stop working at once. Owners are not removed here."""
    permission_require(member, MEMBERS_MANAGE)
    with transaction.atomic():
        target = (
            MerchantMember.objects.select_for_update()
            .select_related("user")
            .filter(merchant_id=member.merchant_id, pk=member_id, is_active=True)
            .first()
        )
        if target is None:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        if target.role == MerchantRole.OWNER:
            raise ApplicationError(_("The owner cannot be removed."), code="owner", status=409)
        target.is_active = False
        target.save(update_fields=["is_active"])
        MerchantToken.objects.filter(member=target).delete()
        merchant_audit_record(
            member=member,
            merchant_id=member.merchant_id,
            action="merchant.member_remove",
            target=target,
            object_repr=str(target.user),
        )
    return target


def merchant_sign_in(*, request: HttpRequest | None, username: str, password: str, ip: str | None) -> MerchantMember:
    """Check credentials (rate-limited like every sign-in) and that the account works for an open merchant."""
    user = user_sign_in(request=request, username=username, password=password, ip=ip)
    member = merchant_member_active(user=user)
    if member is None:
        raise ApplicationError(
            _("This account is not a merchant account. Company staff and residents sign in on their company's site."),
            code="not_a_merchant",
            fields={"username": [_("This account is not a merchant account.")]},
            status=403,
        )
    return member


def merchant_token_issue(*, member: MerchantMember, name: str = "api") -> tuple[MerchantToken, str]:
    # A prefix of its own: a merchant token is recognisable, and never looks up as a company token.
    raw = "mt_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = MerchantToken.objects.create(
            key_hash=token_hash(raw), member=member, name=name[:60], expires_at=timezone.now() + MERCHANT_TOKEN_TTL
        )
        merchant_audit_record(
            member=member, merchant_id=member.merchant_id, action="merchant.token_issue", target=token
        )
    return token, raw


def merchant_token_used(*, token: MerchantToken, now: dt.datetime) -> None:
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        MerchantToken.objects.filter(pk=token.pk).update(last_used_at=now)


def merchant_notices_read(*, member: MerchantMember) -> int:
    """Mark the merchant's notices read (for all its users: the feed is the merchant's). Not audited: reading
    changes nothing of the business. Returns how many were unread."""
    return MerchantNotice.objects.filter(merchant_id=member.merchant_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
