"""Links from one area's pages to another's (by URL name: the pages' modules do not know each other)."""

from __future__ import annotations

from django.urls import reverse


def statement_url(unit_id: int) -> str:
    """A unit's statement (对账单) for staff."""
    return reverse("portal:billing-statement", args=[unit_id])


def receipt_url(receipt_id: int) -> str:
    """A receipt at the counter."""
    return reverse("portal:payments-receipt", args=[receipt_id])
