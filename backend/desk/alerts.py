"""SLA alerts (the periodic task tasks.sla_sweep): once per clock, a near-breach warning at the settings' share
of its target and a breach alert past it, to the assignee and the supervisors of the ticket's office, in the
inbox and over the websocket (backend.notifications pushes each notification to its recipient's socket)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.audit.services import audit_record
from backend.notifications.services import notifications_create

from .models import (
    LOAD_STATUSES,
    Status,
    Ticket,
    TicketPause,
)
from .services import supervisors_of
from .sla import Calendar, next_alert_at

# --- the SLA sweep ---------------------------------------------------------------------------------------------


def sla_sweep(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Alert the assignee and the supervisors once per clock when it nears (the settings' share of its target)
    and when it passes its due instant. Returns how many alerts went out."""
    now = now or timezone.now()
    calendar = Calendar()
    sent = 0
    candidates = (
        Ticket.objects.filter(status__in=(*LOAD_STATUSES, Status.NEW), waiting_since__isnull=True, alert_at__lte=now)
        .order_by("alert_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in candidates:
        with transaction.atomic():
            locked = Ticket.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if locked is None or locked.waiting_since is not None:
                continue
            pauses = list(TicketPause.objects.filter(ticket=locked).values_list("started_at", "ended_at"))
            elapsed = calendar.elapsed(locked.clock_start, now, pauses)
            alerts = []
            clocks = [("resolution", locked.resolution_target)]
            if locked.accepted_at is None:
                clocks.insert(0, ("response", locked.response_target))
            for clock, target in clocks:
                if elapsed >= target and f"{clock}.breach" not in locked.alerted:
                    alerts.append(f"{clock}.breach")
                elif (
                    elapsed * 100 >= target * calendar.near_percent
                    and f"{clock}.near" not in locked.alerted
                    and f"{clock}.breach" not in locked.alerted
                ):
                    alerts.append(f"{clock}.near")
            if not alerts:
                # Accepted since (the response clock stopped) or the settings changed: the next instant.
                locked.alert_at = next_alert_at(locked, calendar, pauses)
                if locked.alert_at is not None and locked.alert_at <= now:
                    locked.alert_at = now + dt.timedelta(minutes=1)
                locked.save(update_fields=["alert_at"])
                continue
            locked.alerted = [*locked.alerted, *alerts]
            locked.breached = locked.breached or any(a.endswith(".breach") for a in alerts)
            locked.alert_at = next_alert_at(locked, calendar, pauses)
            locked.save(update_fields=["alerted", "breached", "alert_at"])
            users = set(supervisors_of(locked))
            if locked.assignee_id:
                users.add(locked.assignee_id)
            for alert in alerts:
                clock, level = alert.split(".")
                breach = level == "breach"
                title = (
                    _("Repair %(code)s is past its %(clock)s time limit")
                    if breach
                    else _("Repair %(code)s is close to its %(clock)s time limit")
                ) % {"code": locked.code, "clock": _("response") if clock == "response" else _("resolution")}
                notifications_create(
                    user_ids=sorted(users),
                    kind="desk.sla_breach" if breach else "desk.sla_near",
                    title=title,
                    url=f"/staff/desk/tickets/{locked.pk}/",
                    payload={"ticket": locked.pk, "clock": clock, "level": level, "elapsed": elapsed},
                )
                audit_record(action=f"desk.sla_{level}", target=locked, changes={"clock": clock, "elapsed": elapsed})
                sent += 1
    return sent
