"""Links from one area's pages to another's (by URL name: the pages' modules do not know each other), and
links to many objects of one kind for tables of many rows (`id_link`)."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse


def statement_url(unit_id: int) -> str:
    """A unit's statement (对账单) for staff."""
    return reverse("portal:billing-statement", args=[unit_id])


def receipt_url(receipt_id: int) -> str:
    """A receipt at the counter."""
    return reverse("portal:payments-receipt", args=[receipt_id])


_PROBE = 987654321987


def id_link(url_name: str) -> Callable[[int], str]:
    """A function id → reverse(url_name, args=[id]) for a URL pattern whose one argument is an <int:…>, at
    the cost of one reverse(): `{% url %}` resolves the pattern again on every row of a table (some tens of
    microseconds each), while an int converter writes any id the same way, so the URL of one id with its digits
    swapped is the URL of another."""
    probe = reverse(url_name, args=[_PROBE])
    head, found, tail = probe.partition(str(_PROBE))
    if not found or str(_PROBE) in tail:
        raise ValueError(f"{url_name} does not take one integer argument")

    def link(pk: int) -> str:
        return f"{head}{int(pk)}{tail}"

    return link
