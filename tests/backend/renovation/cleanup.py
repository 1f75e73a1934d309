"""Cleaning up committed renovation data (browser journeys and races run on committed rows)."""

from __future__ import annotations

from typing import Any


def renovation_world_remove(tenant: Any, tag: str, user_ids: list[int]) -> None:
    """Remove what a committed renovation world made: its offices (named …tag), their homes with their money and
    applications, and the users."""
    from django.db import connection

    from backend.accounts.models import Membership, User
    from backend.billing.models import BillLine, Deposit, FeeItem, LedgerEntry, Payment
    from backend.notifications.models import Notification, NotificationPreference
    from backend.properties.models import Building, Estate, ManagementOffice, Occupancy, Person, Unit
    from backend.renovation.models import Application
    from tests.backend.payments.cleanup import forget_payments

    connection.set_tenant(tenant)
    offices = ManagementOffice.objects.filter(name__endswith=tag)
    units = Unit.objects.filter(office__in=offices)
    Application.objects.filter(unit__in=units).delete()
    forget_payments(units)
    LedgerEntry.objects.filter(unit__in=units).delete()
    Deposit.objects.filter(unit__in=units).delete()
    Payment.objects.filter(unit__in=units).delete()
    BillLine.objects.filter(unit__in=units).delete()
    FeeItem.objects.filter(office__in=offices).delete()
    Occupancy.objects.filter(unit__in=units).delete()
    Person.objects.filter(user_id__in=user_ids).delete()
    NotificationPreference.objects.filter(user_id__in=user_ids).delete()
    Notification.objects.filter(recipient_id__in=user_ids).delete()
    units.delete()
    Building.objects.filter(estate__office__in=offices).delete()
    Estate.objects.filter(office__in=offices).delete()
    offices.delete()
    connection.set_schema_to_public()
    Membership.objects.filter(user_id__in=user_ids).delete()
    User.objects.filter(pk__in=user_ids).delete()
