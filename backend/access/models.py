"""Access records that belong to one company and so live in its schema.

Foreign keys to accounts.User cross from a company schema to the public schema. Django's delete collector
cannot see other schemas, so they are DO_NOTHING in Python while the database keeps the constraint: a
person who left records in any company is deactivated (is_active=False), never deleted."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from backend.accounts.roles import Role


class RoleDefinition(models.Model):
    """The company's names and descriptions for the fixed role codes; seeded in every new company."""

    code = models.CharField(max_length=32, choices=Role.choices, unique=True)
    name = models.CharField(max_length=60)
    description = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    """A staff (or resident) invitation link: expiring, single-use, revocable."""

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField()
    name = models.CharField(max_length=60, blank=True)
    roles = ArrayField(models.CharField(max_length=32, choices=Role.choices))
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(roles=[]), name="invitation_has_roles"),
        ]

    def __str__(self) -> str:
        return f"invitation {self.email}"

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class ApiToken(models.Model):
    """A bearer token valid on this company's API only (it lives in this company's schema)."""

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    name = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"token {self.pk} of {self.user_id}"
