"""Writes on access inside one company (runs in the company's schema)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import Membership, PrivacyConsent, User
from backend.accounts.roles import Role
from backend.accounts.services import (
    membership_get_active,
    membership_grant,
    privacy_accepted_errors,
    privacy_consent_record,
    token_hash,
    user_create,
    user_fields_validate,
)
from backend.accounts.validation import email_normalize
from backend.audit.context import Actor, acting_as
from backend.audit.services import audit_record
from backend.client_ip import client_ip
from backend.errors import ApplicationError
from backend.notifications.services import notification_send
from backend.properties.models import Estate, ManagementOffice
from tenants.company.selectors import company_settings_get
from tenants.db import connection
from tenants.models import Tenant

from .models import ApiToken, Invitation

API_TOKEN_TTL = dt.timedelta(days=30)


def _current_tenant() -> Tenant:
    tenant = connection.tenant
    if not isinstance(tenant, Tenant) or not tenant.is_company:
        raise RuntimeError("access services run inside a company schema")
    return tenant


def roles_clean(roles: Iterable[str]) -> list[str]:
    cleaned = sorted({r for r in roles if r in Role.values})
    if not cleaned:
        raise ApplicationError.for_fields({"roles": [_("Choose at least one role.")]})
    return cleaned


def invitation_create(
    *, email: str, name: str, roles: Iterable[str], invited_by: User, portal_base_url: str
) -> tuple[Invitation, str]:
    """Invite someone to this company. Returns the invitation and its link (also e-mailed)."""
    tenant = _current_tenant()
    try:
        email = email_normalize(email)
    except ValidationError as exc:
        raise ApplicationError.for_fields({"email": [_("Enter a valid e-mail address.")]}) from exc
    role_list = roles_clean(roles)
    existing = Membership.objects.filter(tenant=tenant, user__email=email, is_active=True).first()
    if existing and set(role_list) <= set(existing.roles):
        raise ApplicationError.for_fields({"email": [_("This person is already a member with these roles.")]})
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            token_hash=token_hash(raw),
            email=email,
            name=name.strip()[:60],
            roles=role_list,
            invited_by=invited_by,
            expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_TTL_DAYS),
        )
        audit_record(action="invitation.create", target=invitation, changes={"roles": role_list})
    link = f"{portal_base_url.rstrip('/')}/invite/{raw}/"
    subject = _("%(company)s invites you to its portal") % {"company": tenant.name}
    body = _(
        "%(inviter)s has invited you to join %(company)s.\n\n"
        "Open this link to accept (valid for %(days)s days):\n%(link)s\n"
    ) % {
        "inviter": invited_by.name,
        "company": tenant.name,
        "days": settings.INVITATION_TTL_DAYS,
        "link": link,
    }
    transaction.on_commit(lambda: send_mail(subject, body, None, [email], fail_silently=True))
    return invitation, link


def invitation_find(*, raw_token: str) -> Invitation:
    """The pending invitation for this link, or ApplicationError saying why it cannot be used."""
    invitation = Invitation.objects.filter(token_hash=token_hash(raw_token)).select_related("invited_by").first()
    if invitation is None:
        raise ApplicationError(_("This invitation link is not valid."), code="invitation_invalid", status=404)
    state = invitation.state
    if state == "accepted":
        raise ApplicationError(_("This invitation has already been used."), code="invitation_used", status=410)
    if state == "revoked":
        raise ApplicationError(_("This invitation was withdrawn."), code="invitation_revoked", status=410)
    if state == "expired":
        raise ApplicationError(
            _("This invitation has expired. Ask for a new one."), code="invitation_expired", status=410
        )
    return invitation


def invitation_accept(
    *, raw_token: str, user: User | None = None, name: str = "", phone: str = "", password: str = ""
) -> tuple[User, Membership]:
    """Accept an invitation, either as a signed-in existing user or by creating the account. Single use:
    the row is locked, so two clicks on the same link give one membership."""
    tenant = _current_tenant()
    with transaction.atomic():
        invitation = invitation_find(raw_token=raw_token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.state != "pending":
            raise ApplicationError(_("This invitation has already been used."), code="invitation_used", status=410)
        if user is None:
            existing = User.objects.filter(email=invitation.email).first()
            if existing is not None:
                raise ApplicationError(
                    _("An account with this e-mail already exists. Sign in to accept."),
                    code="sign_in_required",
                    fields={"email": [_("An account with this e-mail already exists. Sign in to accept.")]},
                )
            user = user_create(name=name or invitation.name, email=invitation.email, phone=phone, password=password)
        elif user.email != invitation.email:
            raise ApplicationError(
                _("This invitation was sent to %(email)s. Sign in with that account.") % {"email": invitation.email},
                code="wrong_account",
                status=403,
            )
        membership = membership_grant(user=user, tenant=tenant, roles=invitation.roles)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit_record(
            action="invitation.accept",
            target=invitation,
            changes={"user": user.pk, "roles": invitation.roles},
        )
        notification_send(
            recipient=invitation.invited_by,
            kind="invitation.accepted",
            title=_("%(name)s joined %(company)s") % {"name": user.name, "company": tenant.name},
            url="/staff/members/",
        )
    return user, membership


def invitation_revoke(*, invitation: Invitation) -> Invitation:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.state != "pending":
            raise ApplicationError(_("Only a pending invitation can be withdrawn."))
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(action="invitation.revoke", target=invitation)
    return invitation


def resident_sign_up(
    *,
    name: str,
    phone: str,
    email: str,
    password: str,
    privacy_accepted: bool | None = None,
    ip: str | None = None,
) -> tuple[User, Membership]:
    """A resident registers on the company's portal (binding to a unit comes after). The page and the API
    pass `privacy_accepted` (False: a field error, nothing created; True: the consent is recorded with the
    account); None is a service-level caller that asked nobody, and records none."""
    tenant = _current_tenant()
    if not company_settings_get().resident_self_signup:
        raise ApplicationError(_("This company does not take online sign-ups. Ask the service desk."), status=403)
    consent_errors = privacy_accepted_errors(privacy_accepted)
    if consent_errors:
        field_errors, _email, _phone = user_fields_validate(
            name=name, email=email, phone=phone, password=password, email_required=False
        )
        raise ApplicationError.for_fields({**field_errors, **consent_errors})
    with transaction.atomic():
        user = user_create(name=name, email=email, phone=phone, password=password, email_required=False)
        membership = membership_grant(user=user, tenant=tenant, roles=[Role.RESIDENT])
        if privacy_accepted:
            privacy_consent_record(user=user, channel=PrivacyConsent.Channel.RESIDENT_SIGNUP, ip=ip, tenant=tenant)
        audit_record(action="resident.sign_up", target=user, object_repr=user.name)
    return user, membership


def membership_roles_set(*, membership: Membership, roles: Iterable[str], by: User) -> Membership:
    tenant = _current_tenant()
    if membership.tenant_id != tenant.pk:
        raise ApplicationError(_("Not found."), status=404)
    role_list = roles_clean(roles)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if Role.COMPANY_ADMIN in membership.roles and Role.COMPANY_ADMIN not in role_list:
            admins = Membership.objects.filter(tenant=tenant, is_active=True, roles__contains=[Role.COMPANY_ADMIN])
            if admins.count() <= 1:
                raise ApplicationError.for_fields({"roles": [_("A company needs at least one company admin.")]})
        before = membership.roles
        membership.roles = role_list
        membership.save(update_fields=["roles"])
        audit_record(
            action="membership.roles_set",
            target=membership,
            object_repr=str(membership.user),
            changes={"roles": [before, role_list]},
        )
    return membership


def membership_scope_set(
    *,
    membership: Membership,
    scope_all: bool,
    office_ids: Iterable[int] = (),
    estate_ids: Iterable[int] = (),
    by: User,
) -> Membership:
    """数据权限: the whole company, or only the listed management offices and/or estates."""
    tenant = _current_tenant()
    if membership.tenant_id != tenant.pk:
        raise ApplicationError(_("Not found."), status=404)
    offices = sorted({int(i) for i in office_ids})
    estates = sorted({int(i) for i in estate_ids})
    if not scope_all:
        errors: dict[str, list[str]] = {}
        if not offices and not estates:
            errors["scope_office_ids"] = [_("Choose at least one office or estate, or the whole company.")]
        if ManagementOffice.objects.filter(pk__in=offices).count() != len(offices):
            errors["scope_office_ids"] = [_("Unknown management office.")]
        if Estate.objects.filter(pk__in=estates).count() != len(estates):
            errors["scope_estate_ids"] = [_("Unknown estate.")]
        if errors:
            raise ApplicationError.for_fields(errors)
    else:
        offices, estates = [], []
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        before = [membership.scope_all, membership.scope_office_ids, membership.scope_estate_ids]
        membership.scope_all = scope_all
        membership.scope_office_ids = offices
        membership.scope_estate_ids = estates
        membership.save(update_fields=["scope_all", "scope_office_ids", "scope_estate_ids"])
        audit_record(
            action="membership.scope_set",
            target=membership,
            object_repr=str(membership.user),
            changes={"scope": [before, [scope_all, offices, estates]]},
        )
    return membership


@dataclass(frozen=True)
class ScopeChange:
    """数据权限 as a member editor submits it: the whole company, or these offices and estates."""

    scope_all: bool
    office_ids: tuple[int, ...] = ()
    estate_ids: tuple[int, ...] = ()


def membership_access_set(
    *,
    membership: Membership,
    by: User,
    roles: Iterable[str] | None = None,
    scope: ScopeChange | None = None,
) -> Membership:
    """Roles and data scope of one member in one transaction: both change, or neither does.

    The member editor saves both at once; a refused scope (an unknown office) must not leave
    the new roles behind. ``None`` leaves that part as it is.
    """
    with transaction.atomic():
        if roles is not None:
            membership = membership_roles_set(membership=membership, roles=roles, by=by)
        if scope is not None:
            membership = membership_scope_set(
                membership=membership,
                scope_all=scope.scope_all,
                office_ids=scope.office_ids,
                estate_ids=scope.estate_ids,
                by=by,
            )
    return membership


def membership_deactivate(*, membership: Membership, by: User) -> Membership:
    tenant = _current_tenant()
    if membership.tenant_id != tenant.pk:
        raise ApplicationError(_("Not found."), status=404)
    if membership.user_id == by.pk:
        raise ApplicationError(_("You cannot remove yourself."))
    with transaction.atomic():
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        ApiToken.objects.filter(user_id=membership.user_id).delete()
        audit_record(action="membership.deactivate", target=membership, object_repr=str(membership.user))
    return membership


SESSION_BACKEND = "backend.accounts.backends.EmailOrPhoneBackend"


def session_start(*, request: HttpRequest, user: User) -> Membership | None:
    """Sign `user` in on this company's site (a new session key) and put the sign-in on the audit record.

    The caller has already checked the credentials (or consumed a one-time hand-off); this is the one
    place a portal session begins, so every sign-in path is audited the same way. Returns the user's
    active membership in the current company.
    """
    login(request, user, backend=SESSION_BACKEND)
    membership = membership_get_active(user=user, tenant=_current_tenant())
    with acting_as(Actor(user_id=user.pk, user_name=str(user), ip=client_ip(request.META))):
        audit_record(action="session.sign_in", target=user)
    return membership


def api_token_issue(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        key_hash=token_hash(raw), user=user, name=name[:60], expires_at=timezone.now() + API_TOKEN_TTL
    )
    audit_record(action="api_token.issue", target=token, object_repr=f"token for {user}")
    return token, raw


def api_token_used(*, token: ApiToken, now: dt.datetime) -> None:
    """Remember when a token was last used, at most once a minute (not audited: every API call would be)."""
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def access_expired_remove(*, now: dt.datetime) -> dict[str, int]:
    """Drop invitations dead for 90 days and expired tokens. Expiry is nobody's action, so it is not audited;
    the invitations' and tokens' own audit entries stay."""
    cutoff = now - dt.timedelta(days=90)
    invitations, _ = Invitation.objects.filter(expires_at__lt=cutoff, accepted_at__isnull=True).delete()
    tokens, _ = ApiToken.objects.filter(expires_at__lt=now).delete()
    return {"invitations": invitations, "tokens": tokens}
