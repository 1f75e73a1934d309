"""The merchant's side of its applications to companies: applying for some of a company's estates and some
categories, re-submitting after a rejection (the same row, back to pending: one standing application per
merchant and company), withdrawing a pending one. The company's side (approve, reject, suspend, resume) is
marketplace/vetting.py.

The estates offered are the company's own, read in its schema by the selector (their names are kept on the
application as the merchant saw them); nothing else of the company is read."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.errors import ApplicationError, not_found

from .merchant_audit import merchant_audit_record
from .merchant_permissions import APPLICATIONS_MANAGE
from .merchants import permission_require
from .models import ApplicationStatus, Category, MerchantApplication, MerchantMember
from .selectors_merchant import company_estates, company_open_get

MESSAGE_MAX = 1000
RESUBMITTABLE = (ApplicationStatus.PENDING, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN)


def application_submit(
    *,
    member: MerchantMember,
    tenant_id: int,
    estate_ids: list[int],
    category_codes: list[str],
    message: str = "",
) -> MerchantApplication:
    """Apply to one company (or re-submit: a rejected or withdrawn application goes back to pending, and a
    pending one is replaced by what is asked now). An approved or suspended one is the company's to change."""
    permission_require(member, APPLICATIONS_MANAGE)
    tenant = company_open_get(tenant_id=tenant_id)
    if tenant is None:
        raise not_found()
    errors: dict[str, list[str]] = {}
    offered = dict(company_estates(tenant=tenant))
    estates = sorted({int(i) for i in estate_ids or []})
    if not estates:
        errors["estate_ids"] = [_("Choose at least one estate.")]
    elif any(i not in offered for i in estates):
        errors["estate_ids"] = [_("Choose estates of this company.")]
    codes = sorted({c for c in category_codes or [] if c})
    if not codes:
        errors["category_codes"] = [_("Choose at least one category.")]
    elif Category.objects.filter(code__in=codes).count() != len(codes):
        errors["category_codes"] = [_("Choose categories from the list.")]
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        errors["message"] = [_("At most %(n)d characters.") % {"n": MESSAGE_MAX}]
    if errors:
        raise ApplicationError.for_fields(errors)
    now = timezone.now()
    fields = {
        "estate_ids": estates,
        "estate_names": {str(i): offered[i] for i in estates},
        "category_codes": codes,
        "message": message,
        "submitted_at": now,
    }
    with transaction.atomic():
        application, created = MerchantApplication.objects.select_for_update().get_or_create(
            merchant_id=member.merchant_id, tenant=tenant, defaults={**fields, "status": ApplicationStatus.PENDING}
        )
        before = application.status
        if not created:
            if application.status not in RESUBMITTABLE:
                raise ApplicationError(
                    _("This company has already decided on your application; ask it to change its decision."),
                    code="decided",
                    status=409,
                )
            for name, value in fields.items():
                setattr(application, name, value)
            application.status = ApplicationStatus.PENDING
            application.save()
        merchant_audit_record(
            member=member,
            merchant_id=member.merchant_id,
            action="application.submit" if created or before == ApplicationStatus.PENDING else "application.resubmit",
            target=application,
            object_repr=f"{tenant.name}",
            changes={
                "status": {"before": None if created else before, "after": ApplicationStatus.PENDING},
                "estate_ids": estates,
                "category_codes": codes,
            },
        )
    return application


def application_withdraw(*, member: MerchantMember, application_id: int) -> MerchantApplication:
    permission_require(member, APPLICATIONS_MANAGE)
    with transaction.atomic():
        application = (
            MerchantApplication.objects.select_for_update()
            .select_related("tenant")
            .filter(merchant_id=member.merchant_id, pk=application_id)
            .first()
        )
        if application is None:
            raise not_found()
        if application.status != ApplicationStatus.PENDING:
            raise ApplicationError(_("Only a pending application can be withdrawn."), code="not_pending", status=409)
        application.status = ApplicationStatus.WITHDRAWN
        application.save(update_fields=["status"])
        merchant_audit_record(
            member=member,
            merchant_id=member.merchant_id,
            action="application.withdraw",
            target=application,
            object_repr=application.tenant.name,
            changes={"status": {"before": ApplicationStatus.PENDING, "after": ApplicationStatus.WITHDRAWN}},
        )
    return application
