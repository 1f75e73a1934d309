"""Complaints (投诉) by a resident against a merchant, optionally about one of their orders with it (issue 15
part 7). They go to the company's staff holding marketplace_manage (within their data scope: the home's
office or estate), who take one up and decide it with an outcome: upheld or dismissed. Upholding may suspend
the merchant in this company, through marketplace.vetting.suspend (its own audit, notice and re-index). The
resident is told the decision. Staff see how many complaints a merchant had, so repeats stand out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError, not_found
from backend.notifications.services import notification_send
from backend.properties.scope import Scope
from backend.properties.selectors import resident_units
from backend.uploads.validation import AcceptedUpload
from marketplace import vetting
from marketplace.models import ApplicationStatus, Merchant, MerchantApplication
from tenants.db import connection

from .aftersale_common import photos_add, photos_check, staff_scope_q, tell_staff, text_clean
from .aftersale_models import Complaint, ComplaintStatus
from .models import Order

OPEN = (ComplaintStatus.OPEN, ComplaintStatus.IN_REVIEW)
RECENT_DAYS = 90


def complaint_merchants(user: User) -> list[Merchant]:
    """Whom a resident may complain about: merchants admitted by this company (serving now or suspended),
    and any merchant they ordered from."""
    admitted = MerchantApplication.objects.filter(
        tenant=connection.tenant, status__in=[ApplicationStatus.APPROVED, ApplicationStatus.SUSPENDED]
    ).values_list("merchant_id", flat=True)
    ordered = Order.objects.filter(user=user).values_list("merchant_id", flat=True)
    return list(Merchant.objects.filter(pk__in={*admitted, *ordered}).order_by("name", "pk"))


def complaint_create(
    *,
    user: User,
    merchant_id: int,
    subject: str,
    text: str,
    order_id: int | None = None,
    unit_id: int | None = None,
    photos: Sequence[AcceptedUpload] | None = None,
) -> Complaint:
    subject = text_clean(subject, "subject", required=True, limit=100)
    body = text_clean(text, "text", required=True, limit=2000)
    images = photos_check(photos)
    merchant = next((m for m in complaint_merchants(user) if m.pk == merchant_id), None)
    if merchant is None:
        raise ApplicationError.for_fields({"merchant": [_("Choose a merchant of the community shop.")]})
    order = None
    if order_id:
        order = Order.objects.filter(pk=order_id, user=user, merchant_id=merchant_id).first()
        if order is None:
            raise ApplicationError.for_fields({"order": [_("Choose one of your orders with this merchant.")]})
    homes = resident_units(user_id=user.pk)
    unit = None
    if order is not None:
        unit = order.unit
    elif unit_id:
        unit = homes.filter(pk=unit_id).first()
    else:
        unit = homes.first()
    if unit is None:
        raise ApplicationError.for_fields({"unit": [_("Choose one of your homes.")]})
    with transaction.atomic():
        complaint = Complaint.objects.create(
            user=user,
            unit=unit,
            merchant_id=merchant.pk,
            merchant_name=merchant.name,
            order=order,
            subject=subject,
            text=body,
        )
        count = photos_add(images, complaint=complaint)
        audit_record(
            action="shop.complaint_create",
            target=complaint,
            changes={"merchant": merchant.pk, "order": order.pk if order else None, "photos": count},
        )
        tell_staff(
            unit,
            kind="shop.complaint_filed",
            title=_("New complaint about %(merchant)s") % {"merchant": merchant.name},
            body=subject,
            url=f"/staff/marketplace/complaints/{complaint.pk}/",
            payload={"complaint": complaint.pk},
        )
    return complaint


def _locked(complaint_id: int, scope: Scope) -> Complaint:
    locked = Complaint.objects.select_for_update().filter(staff_scope_q(scope), pk=complaint_id).first()
    if locked is None:
        raise not_found()
    return locked


def complaint_take(*, complaint_id: int, by: User | None, scope: Scope, now: dt.datetime | None = None) -> Complaint:
    """A member starts looking into a complaint (open → in review)."""
    with transaction.atomic():
        locked = _locked(complaint_id, scope)
        if locked.status != ComplaintStatus.OPEN:
            raise ApplicationError(_("This complaint is being looked into already."), code="invalid_state", status=409)
        locked.status = ComplaintStatus.IN_REVIEW
        locked.taken_at = now or timezone.now()
        locked.taken_by = by
        locked.save(update_fields=["status", "taken_at", "taken_by"])
        audit_record(action="shop.complaint_take", target=locked)
    return locked


def complaint_decide(
    *,
    complaint_id: int,
    upheld: bool,
    outcome: str,
    by: User | None,
    scope: Scope,
    suspend: bool = False,
    now: dt.datetime | None = None,
) -> Complaint:
    """The decision, with an outcome the resident reads; an upheld complaint may suspend the merchant here."""
    outcome = text_clean(outcome, "outcome", required=True, limit=1000)
    if suspend and not upheld:
        raise ApplicationError.for_fields({"suspend": [_("Only an upheld complaint can suspend the merchant.")]})
    with transaction.atomic():
        locked = _locked(complaint_id, scope)
        if locked.status not in OPEN:
            raise ApplicationError(_("This complaint was decided already."), code="already_decided", status=409)
        suspended = False
        if suspend:
            application = (
                MerchantApplication.objects.filter(tenant=connection.tenant, merchant_id=locked.merchant_id)
                .values_list("pk", "status")
                .first()
            )
            if application is None or application[1] not in (ApplicationStatus.APPROVED, ApplicationStatus.SUSPENDED):
                raise ApplicationError.for_fields({"suspend": [_("This merchant is not serving this company.")]})
            if application[1] == ApplicationStatus.APPROVED:
                reason = _("Complaint %(n)s upheld: %(outcome)s") % {"n": locked.pk, "outcome": outcome}
                vetting.suspend(application=application[0], by=by, reason=reason[: vetting.REASON_MAX])
            suspended = True
        locked.status = ComplaintStatus.UPHELD if upheld else ComplaintStatus.DISMISSED
        locked.outcome = outcome
        locked.suspended = suspended
        locked.decided_at = now or timezone.now()
        locked.decided_by = by
        locked.save(update_fields=["status", "outcome", "suspended", "decided_at", "decided_by"])
        audit_record(
            action="shop.complaint_decide",
            target=locked,
            changes={"status": locked.status, "outcome": outcome, "suspended": suspended},
        )
        notification_send(
            recipient=locked.user,
            kind="shop.complaint_decided",
            title=_("Your complaint was upheld") if upheld else _("Your complaint was dismissed"),
            body=outcome[:200],
            url=f"/resident/shop/complaints/{locked.pk}/",
            payload={"complaint": locked.pk, "status": locked.status},
        )
    return locked


def staff_complaints(scope: Scope, *, status: str = "") -> QuerySet[Complaint]:
    qs = Complaint.objects.filter(staff_scope_q(scope)).select_related("unit", "order")
    if status == "open":
        qs = qs.filter(status__in=OPEN)
    elif status:
        qs = qs.filter(status=status)
    return qs


def staff_complaint_get(scope: Scope, pk: int) -> Complaint | None:
    return Complaint.objects.filter(staff_scope_q(scope), pk=pk).select_related("unit", "order").first()


def merchant_complaint_counts(merchant_id: int, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """How many complaints this company had about the merchant: all, upheld, in the last RECENT_DAYS days."""
    now = now or timezone.now()
    rows = Complaint.objects.filter(merchant_id=merchant_id)
    return {
        "all": rows.count(),
        "upheld": rows.filter(status=ComplaintStatus.UPHELD).count(),
        "recent": rows.filter(created_at__gte=now - dt.timedelta(days=RECENT_DAYS)).count(),
    }
