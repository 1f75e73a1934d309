"""Live availability: after a booking, a cancellation, an expiry or a closure commits, the facility's group
`<schema>.facility.<id>` gets {"type": "club.availability", "facility": id, "cells": [{"starts_at", "left"}]}
for the cells that changed. Sockets join that group through the notification socket's "facility" topic,
only when selectors.facility_visible says the member may see the facility (in the socket's company)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from backend.notifications.realtime import push_to_group, subscription_topic, topic_group
from tenants.db import connection

from .selectors import facility_visible

logger = logging.getLogger(__name__)
TOPIC = "facility"


def facility_group(schema_name: str, facility_id: int) -> str:
    return topic_group(schema_name, TOPIC, facility_id)


def availability_message(facility_id: int, cells: Iterable[tuple[dt.datetime, int]]) -> dict[str, Any]:
    return {
        "type": "club.availability",
        "facility": facility_id,
        "cells": [{"starts_at": starts_at.isoformat(), "left": max(0, int(left))} for starts_at, left in cells],
    }


def availability_push_on_commit(facility_id: int, cells: list[tuple[dt.datetime, int]]) -> None:
    """Push the places left in `cells` once the current transaction commits (nothing if it rolls back)."""
    if not cells:
        return
    group = facility_group(connection.schema_name, facility_id)
    message = availability_message(facility_id, sorted(cells))

    def push() -> None:
        try:
            push_to_group(group=group, message=message)
        except Exception:  # noqa: BLE001 - the grid is re-read on the next page load; never fail a booking
            logger.exception("availability push to %s failed", group)

    transaction.on_commit(push)


subscription_topic(TOPIC, facility_visible)
