"""Notification kinds of the service desk (the resident's updates use the platform's "ticket.update")."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import notification_kind

notification_kind("desk.assigned", _("A repair dispatched to me"), staff_only=True)
notification_kind("desk.sla_near", _("A repair close to its time limit"), staff_only=True)
notification_kind("desk.sla_breach", _("A repair past its time limit"), staff_only=True)
notification_kind("desk.revisit_due", _("A repair waiting for its revisit"), staff_only=True)

# Complaints (投诉) and surveys (满意度调查); the complainant's updates are the platform's "ticket.update" too.
notification_kind("survey.open", _("Satisfaction surveys for my home"))
notification_kind("desk.complaint_new", _("A new complaint in my estates"), staff_only=True)
notification_kind("desk.complaint_assigned", _("A complaint given to me"), staff_only=True)
notification_kind("desk.complaint_escalated", _("A complaint escalated to me"), staff_only=True)
notification_kind("desk.complaint_near", _("A complaint close to its time limit"), staff_only=True)
notification_kind("desk.complaint_breach", _("A complaint past its time limit"), staff_only=True)
notification_kind("desk.complaint_revisit_due", _("A complaint waiting for its revisit"), staff_only=True)
