from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.storage import announcement_image_path


class Notification(models.Model):
    """One event for one person, kept in their inbox and pushed to their open sockets after commit."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    kind = models.CharField(max_length=48, db_index=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["recipient", "-id"]),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notif_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id}"


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class NotificationPreference(models.Model):
    """Per person and kind: which channels besides the inbox (always on). No row: the kind's defaults."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    kind = models.CharField(max_length=48)
    email = models.BooleanField(default=False)
    sms = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}"


class QuietHours(models.Model):
    """No SMS between start and end (company time zone); messages due then go out when quiet hours end."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    start = models.TimeField(_("quiet from"))
    end = models.TimeField(_("quiet until"))

    def __str__(self) -> str:
        return f"{self.user_id}: {self.start}–{self.end}"


class Delivery(models.Model):
    """A copy of a notification sent by e-mail or SMS, through a Celery task with retries."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=254)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "-id"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.status} for {self.notification_id}"


class Announcement(models.Model):
    """公告 / 温馨提示: written by staff, targeted, published now or at a set time, optionally pinned."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), help_text=_("Sanitised HTML"))
    image = models.FileField(_("image"), upload_to=announcement_image_path, blank=True)
    kind = models.CharField(max_length=48, default="announcement")
    # Targets: the whole company, or any of estates / buildings / roles.
    target_all = models.BooleanField(_("whole company"), default=False)
    target_estate_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    target_building_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    target_roles = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    publish_at = models.DateTimeField(_("publish at"))
    published_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    pinned = models.BooleanField(_("pinned"), default=False)
    recipients_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pinned", "-publish_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_all=True)
                | ~Q(target_estate_ids=[])
                | ~Q(target_building_ids=[])
                | ~Q(target_roles=[]),
                name="announcement_has_target",
            )
        ]

    def __str__(self) -> str:
        return self.title


class AnnouncementRecipient(models.Model):
    """Who an announcement reached, and when they read it (the read rate)."""

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["announcement", "user"], name="announcement_recipient_once")]

    def __str__(self) -> str:
        return f"{self.announcement_id}→{self.user_id}"


class Holiday(models.Model):
    """The company's holiday calendar: a greeting goes to every resident on the day."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("holiday"), max_length=40)
    greeting = models.CharField(_("greeting"), max_length=300)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
