"""Notification kinds of the service desk (the resident's updates use the platform's "ticket.update")."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import notification_kind

notification_kind("desk.assigned", _("A repair dispatched to me"), staff_only=True)
notification_kind("desk.sla_near", _("A repair close to its time limit"), staff_only=True)
notification_kind("desk.sla_breach", _("A repair past its time limit"), staff_only=True)
notification_kind("desk.revisit_due", _("A repair waiting for its revisit"), staff_only=True)
