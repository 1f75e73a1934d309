"""What a merchant's own actions leave behind, in the public schema with the merchant: its API tokens and its
audit trail. A company's audit log lives in that company's schema (backend.audit) and a merchant never writes
there; a token here is valid on the merchant API only, never on a company's (nor a company's token here)."""

from __future__ import annotations

from django.db import models

from .merchants import Merchant, MerchantMember


class MerchantToken(models.Model):
    """A bearer token for /api/v1/merchant/ on the platform domain, bound to one member (so to one merchant)."""

    key_hash = models.CharField(max_length=64, unique=True)
    member = models.ForeignKey(MerchantMember, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"merchant token {self.pk} of member {self.member_id}"


class MerchantAuditEntry(models.Model):
    """One write a merchant's user made through a service: who, from where, what, on which object. Append-only."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="audit_entries")
    created_at = models.DateTimeField(auto_now_add=True)
    # Plain values, not a foreign key: the entry outlives the account it names.
    user_id = models.BigIntegerField(null=True, blank=True)
    user_name = models.CharField(max_length=100, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-created_at"], name="merchant_audit_feed")]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.action} {self.object_repr}"
