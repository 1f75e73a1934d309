"""Notification kinds of shop orders (to the resident)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import notification_kind

notification_kind("shop.order_paid", _("Order paid"))
notification_kind("shop.order_accepted", _("Order accepted by the merchant"))
notification_kind("shop.order_rejected", _("Order rejected by the merchant"), sms=True)
notification_kind("shop.order_dispatched", _("Order on its way / in service"))
notification_kind("shop.order_delivered", _("Order delivered"))
notification_kind("shop.order_completed", _("Order completed"))
notification_kind("shop.order_cancelled", _("Order cancelled"))
notification_kind("shop.order_expired", _("Order expired (not paid in time)"))
# After-sale: refund requests per line, reviews, complaints (投诉).
notification_kind("shop.refund_decided", _("Refund request decided"), sms=True)
notification_kind("shop.refund_escalated", _("Refund dispute to decide"), staff_only=True)
notification_kind("shop.review_replied", _("The merchant replied to your review"))
notification_kind("shop.complaint_filed", _("New complaint about a merchant"), staff_only=True)
notification_kind("shop.complaint_decided", _("Complaint decided"))
