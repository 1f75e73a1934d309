from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    """One write made through a service: who, from where, what, on which object, when. Append-only."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Kept as plain values, not a foreign key: the entry must outlive the account it names.
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    user_name = models.CharField(max_length=100, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    # Before/after values for changes that matter (money, roles, status).
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.user_name} {self.action} {self.object_repr}"
