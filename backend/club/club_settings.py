"""The company's club settings (ClubSettings, one row): changed by a company admin through this service."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError

from .models import ClubSettings


def club_settings_update(*, charge_to_account: bool, by: User | None = None) -> ClubSettings:
    """Whether residents may charge paid bookings to their home's account. Audited with the value before."""
    if not isinstance(charge_to_account, bool):
        raise ApplicationError.for_fields({"charge_to_account": [_("Say yes or no.")]})
    with transaction.atomic():
        ClubSettings.load()
        settings = ClubSettings.objects.select_for_update().get(singleton=True)
        before = settings.charge_to_account
        if before != charge_to_account:
            settings.charge_to_account = charge_to_account
            settings.save(update_fields=["charge_to_account", "updated_at"])
            audit_record(
                action="club.settings_update",
                target=settings,
                changes={"charge_to_account": [before, charge_to_account]},
            )
    return settings
