"""Erasure requests (删除个人信息申请), one company's: a resident asks, the company's admin processes.

A tenant app: the request is about the person's data in this company, which only this company can erase; it
is exported, restored and deleted with the company, and staff see only their own company's requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ErasureRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Erased")

    # The account, in the public schema (cross-schema: no database constraint, as everywhere in tenant apps).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    # Who asked, as the request was made (the account's own name is gone once processed): staff read it.
    requested_name = models.CharField(max_length=60)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason (optional)"), max_length=300, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    processed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    # What processing did, table by table (counts only; no personal data).
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(status="pending"), name="erasure_one_pending_per_user")
        ]

    def __str__(self) -> str:
        return f"erasure {self.pk} ({self.status})"
