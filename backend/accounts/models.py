"""People live in the public schema: one account per person, whichever companies they belong to.

What a person may do in a company is their Membership there (roles + data scope)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import STAFF_ROLES, Role


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str | None, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=(email or None) and email.strip().lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        # Superusers are platform operators: they use the platform admin, not company portals.
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("name", email)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail"), unique=True, null=True, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=60)
    # is_staff means "platform operator" (the platform admin site), never a company's staff.
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email__isnull=False) | models.Q(phone__isnull=False),
                name="user_has_email_or_phone",
            ),
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="user_email_lowercase"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or f"user {self.pk}"

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's place in one company: roles (一人多岗) and data scope (数据权限)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="memberships")
    roles = ArrayField(models.CharField(max_length=32, choices=Role.choices), default=list)
    # Data scope: all offices of the company, or only the listed management offices / estates.
    scope_all = models.BooleanField(default=True)
    scope_office_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    scope_estate_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="membership_one_per_user_tenant"),
            models.CheckConstraint(
                condition=models.Q(roles__contained_by=list(Role.values)), name="membership_roles_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant_id}: {','.join(self.roles)}"

    def has_any_role(self, roles: frozenset[str] | set[str] | list[str] | tuple[str, ...]) -> bool:
        return bool(set(self.roles) & set(roles))

    @property
    def is_staff_member(self) -> bool:
        return self.has_any_role(STAFF_ROLES)

    @property
    def is_resident(self) -> bool:
        return Role.RESIDENT in self.roles


class LoginHandoff(models.Model):
    """A one-time, short-lived ticket that signs a person in on a company domain after signing up on the
    platform domain (cookies cannot cross domains)."""

    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"handoff for {self.user_id} to {self.tenant_id}"


class PrivacyConsent(models.Model):
    """A person's consent to the privacy policy (PIPL art. 14): which version, when, from where, how.

    Public schema, beside the account it belongs to: the record outlives a membership and a company, and an
    erased account keeps it (it holds no personal data beyond the address it was given from)."""

    class Channel(models.TextChoices):
        RESIDENT_SIGNUP = "resident_signup", _("Resident sign-up")
        COMPANY_SIGNUP = "company_signup", _("Company sign-up")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="privacy_consents")
    policy_version = models.CharField(max_length=20)
    accepted_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.SET_NULL, null=True, blank=True, related_name="privacy_consents"
    )

    class Meta:
        ordering = ["-accepted_at", "-id"]

    def __str__(self) -> str:
        return f"consent {self.user_id} v{self.policy_version} ({self.channel})"
