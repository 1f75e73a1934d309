"""The company's club settings (one row per company): whether residents may charge a booking to their home's
account instead of paying at once."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ClubSettings(models.Model):
    singleton = models.BooleanField(default=True, unique=True, editable=False)
    charge_to_account = models.BooleanField(
        _("residents may charge paid bookings to their home's account"),
        default=False,
        help_text=_("The fee is left on the home's bills, to be paid like any other (and counted in arrears)."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "club settings"
        constraints = [models.CheckConstraint(condition=Q(singleton=True), name="club_settings_single_row")]

    def __str__(self) -> str:
        return "club settings"

    @classmethod
    def load(cls) -> ClubSettings:
        obj, _created = cls.objects.get_or_create(singleton=True)
        return obj
