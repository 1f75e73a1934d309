"""Platform-level payment records, in the public schema: a company's own Stripe account (when it does not use
the platform's) and the inbox of Stripe webhook events, which arrive at one platform endpoint for every
company and are routed to a company schema by the metadata we put on each PaymentIntent."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class StripeAccount(models.Model):
    """A company's own Stripe keys. Blank fields fall back to the platform's (env vars)."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="stripe_account")
    secret_key = models.CharField(_("secret key"), max_length=200, blank=True)
    publishable_key = models.CharField(_("publishable key"), max_length=200, blank=True)
    webhook_secret = models.CharField(_("webhook signing secret"), max_length=200, blank=True)
    api_base = models.URLField(_("API base URL"), blank=True, help_text=_("blank: the platform's"))
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"stripe account of {self.tenant_id}"


class WebhookEvent(models.Model):
    """One Stripe event, stored once (UNIQUE event id) before anything is done with it. A worker claims it
    (received / failed / flagged → processing) with one conditional UPDATE before handling it, and only that
    claim writes the outcome; a claim older than the timeout is a crashed worker's and may be taken over."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSING = "processing", _("Processing")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored (not a type we act on)")
        FLAGGED = "flagged", _("Flagged (unknown company or payment)")
        FAILED = "failed", _("Failed")

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=80)
    livemode = models.BooleanField(default=False)
    tenant_schema = models.CharField(max_length=63, blank=True)
    object_id = models.CharField(max_length=100, blank=True, help_text="the id of the event's data.object")
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    note = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="when the current (or last) claim began")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["tenant_schema", "status"], name="webhook_tenant_status"),
            models.Index(fields=["object_id"], name="webhook_object"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
