"""Writes on accounts (public schema): creating people, signing them in, handing a session across domains."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.errors import ApplicationError, RateLimited
from tenants.models import Tenant

from .models import LoginHandoff, Membership, PrivacyConsent, User
from .roles import Role
from .throttling import login_failure_record, login_failures_clear, login_lock_remaining
from .validation import email_normalize, phone_normalize


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def user_fields_validate(
    *, name: str, email: str, phone: str, password: str, email_required: bool = True, prefix: str = ""
) -> tuple[dict[str, list[str]], str | None, str | None]:
    """Check new-account fields; returns (field errors, normalised e-mail, normalised phone).
    `prefix` names the fields as the caller's form does (e.g. 'admin_')."""
    errors: dict[str, list[str]] = {}
    norm_email: str | None = None
    norm_phone: str | None = None
    if not name.strip():
        errors[f"{prefix}name"] = [_("Enter a name.")]
    if email.strip():
        try:
            norm_email = email_normalize(email)
        except ValidationError:
            errors[f"{prefix}email"] = [_("Enter a valid e-mail address.")]
        else:
            if User.objects.filter(email=norm_email).exists():
                errors[f"{prefix}email"] = [_("This e-mail address is already registered. Sign in instead.")]
    elif email_required:
        errors[f"{prefix}email"] = [_("Enter an e-mail address.")]
    if phone.strip():
        try:
            norm_phone = phone_normalize(phone)
        except ValidationError as exc:
            errors[f"{prefix}phone"] = list(exc.messages)
        else:
            if User.objects.filter(phone=norm_phone).exists():
                errors[f"{prefix}phone"] = [_("This mobile number is already registered. Sign in instead.")]
    elif not norm_email and f"{prefix}email" not in errors:
        errors[f"{prefix}phone"] = [_("Enter a mobile number or an e-mail address.")]
    try:
        validate_password(password, User(name=name, email=norm_email, phone=norm_phone))
    except ValidationError as exc:
        errors[f"{prefix}password"] = list(exc.messages)
    return errors, norm_email, norm_phone


def user_create(*, name: str, email: str, phone: str, password: str, email_required: bool = True) -> User:
    errors, norm_email, norm_phone = user_fields_validate(
        name=name, email=email, phone=phone, password=password, email_required=email_required
    )
    if errors:
        raise ApplicationError.for_fields(errors)
    try:
        with transaction.atomic():
            return User.objects.create_user(email=norm_email, password=password, name=name.strip(), phone=norm_phone)
    except IntegrityError as exc:
        # Two sign-ups with the same address at the same moment: the database decides, the loser hears why.
        raise ApplicationError.for_fields({"email": [_("This account already exists. Sign in instead.")]}) from exc


def user_sign_in(*, request: HttpRequest | None, username: str, password: str, ip: str | None) -> User:
    """Check credentials with rate limiting. Raises RateLimited (429) when locked, ApplicationError when wrong."""
    wait = login_lock_remaining(username=username, ip=ip)
    if wait is not None:
        minutes = math.ceil(wait / 60)
        raise RateLimited(
            ngettext(
                "Too many failed sign-in attempts. Try again in %(minutes)d minute or reset your password.",
                "Too many failed sign-in attempts. Try again in %(minutes)d minutes or reset your password.",
                minutes,
            )
            % {"minutes": minutes},
            code="login_locked",
            retry_after=wait,
        )
    user = authenticate(request, username=username, password=password)
    if user is None:
        login_failure_record(username=username, ip=ip)
        raise ApplicationError(
            _("Wrong account or password."),
            code="invalid_credentials",
            fields={"password": [_("Wrong account or password.")]},
        )
    login_failures_clear(username=username)
    assert isinstance(user, User)
    return user


def membership_get_active(*, user: User, tenant: Tenant) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, tenant=tenant, is_active=True).first()


def membership_grant(*, user: User, tenant: Tenant, roles: Iterable[str]) -> Membership:
    """Give `user` these roles in `tenant` (added to any they hold)."""
    roles = [r for r in roles if r in Role.values]
    membership, created = Membership.objects.select_for_update().get_or_create(
        user=user, tenant=tenant, defaults={"roles": sorted(set(roles))}
    )
    if not created:
        membership.roles = sorted(set(membership.roles) | set(roles))
        membership.is_active = True
        membership.save(update_fields=["roles", "is_active"])
    return membership


HANDOFF_TTL = dt.timedelta(seconds=120)


def login_handoff_create(*, user: User, tenant: Tenant) -> str:
    raw = secrets.token_urlsafe(32)
    LoginHandoff.objects.create(
        token_hash=token_hash(raw), user=user, tenant=tenant, expires_at=timezone.now() + HANDOFF_TTL
    )
    return raw


@transaction.atomic
def login_handoff_consume(*, raw_token: str, tenant: Tenant) -> User | None:
    """The user a valid, unused, unexpired ticket for this tenant names; the ticket is spent either way."""
    handoff = (
        LoginHandoff.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=token_hash(raw_token), used_at__isnull=True)
        .first()
    )
    if handoff is None:
        return None
    handoff.used_at = timezone.now()
    handoff.save(update_fields=["used_at"])
    if handoff.tenant_id != tenant.pk or handoff.expires_at <= timezone.now():
        return None
    return handoff.user


def privacy_accepted_errors(accepted: bool | None) -> dict[str, list[str]]:
    """The field error of a sign-up whose privacy box was not ticked (None: a service-level caller, not asked)."""
    if accepted is None or accepted is True:
        return {}
    return {"privacy_accepted": [_("Read and accept the privacy policy to create an account.")]}


def privacy_consent_record(*, user: User, channel: str, ip: str | None, tenant: Tenant | None = None) -> PrivacyConsent:
    """Record that `user` accepted the current privacy policy. Call it inside the sign-up's transaction."""
    return PrivacyConsent.objects.create(
        user=user,
        policy_version=settings.PRIVACY_POLICY_VERSION,
        ip=ip,
        channel=channel,
        tenant=tenant,
    )
