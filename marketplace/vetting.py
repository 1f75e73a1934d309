"""A company vetting the merchants that apply to it (issue 14, part 2): approve for some of the estates and
categories asked for, reject with a reason, and later suspend or resume with a reason.

Every decision is taken on the application's row, locked (select_for_update), so two colleagues deciding at
once are serialised and the second one sees the state the first left; each checks that the transition is
allowed from that state. Each decision is written to the company's own audit log (the current schema), tells
the merchant live (a MerchantNotice in Chinese, pushed after commit) and asks search to recompute what this
company's residents may see of the merchant. All of it in one transaction: a decision that fails leaves no
trace, no notice and no re-index.

The services act for the company whose schema is current (the request's): an application to another company
is not found, exactly like one that does not exist."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError, not_found
from backend.properties.models import Estate
from backend.properties.scope import Scope
from tenants.db import connection

from .models import ApplicationStatus, Category, MerchantApplication
from .notices import notify_merchant
from .search.hooks import visibility_changed

REASON_MAX = 500
# Which decision may follow which state. Rejected applications come back as pending when the merchant
# re-submits (the merchant side); approving an approved one is not a decision: suspend it instead.
ALLOWED_FROM = {
    "approve": {ApplicationStatus.PENDING},
    "reject": {ApplicationStatus.PENDING},
    "suspend": {ApplicationStatus.APPROVED},
    "resume": {ApplicationStatus.SUSPENDED},
}
RESULT = {
    "approve": ApplicationStatus.APPROVED,
    "reject": ApplicationStatus.REJECTED,
    "suspend": ApplicationStatus.SUSPENDED,
    "resume": ApplicationStatus.APPROVED,
}
# The kind of the merchant's notice (what the merchant portal tells apart).
NOTICE_KIND = {
    "approve": "application.approved",
    "reject": "application.rejected",
    "suspend": "application.suspended",
    "resume": "application.resumed",
}


def company_tenant() -> Any:
    """The company whose schema is current; the public schema (the platform) decides nothing."""
    tenant = getattr(connection, "tenant", None)
    if tenant is None or connection.schema_name == "public":
        raise ApplicationError(_("Vetting happens in a company."), code="no_company", status=400)
    return tenant


def _locked(application: MerchantApplication | int) -> MerchantApplication:
    """The application, locked, if it was made to the current company (else 404)."""
    pk = application if isinstance(application, int) else application.pk
    locked = (
        MerchantApplication.objects.select_for_update(of=("self",))
        .select_related("merchant")
        .filter(pk=pk, tenant=company_tenant())
        .first()
    )
    if locked is None:
        raise not_found()
    return locked


def _check_transition(application: MerchantApplication, decision: str) -> None:
    if application.status not in ALLOWED_FROM[decision]:
        message = {
            "approve": _("Only a pending application can be approved."),
            "reject": _("Only a pending application can be rejected."),
            "suspend": _("Only an approved merchant can be suspended."),
            "resume": _("Only a suspended merchant can be resumed."),
        }[decision]
        raise ApplicationError(message, code="invalid_status", fields={"status": [message]}, status=409)


def reason_clean(reason: str | None, *, required: bool) -> str:
    """The reason, trimmed; a field error when it is required and missing, or too long."""
    text = (reason or "").strip()
    if required and not text:
        raise ApplicationError.for_fields({"reason": [_("Give a reason: the merchant is told it.")]})
    if len(text) > REASON_MAX:
        raise ApplicationError.for_fields({"reason": [_("At most %(n)d characters.") % {"n": REASON_MAX}]})
    return text


def _ids(values: Iterable[Any], field: str) -> list[int]:
    try:
        ids = sorted({int(v) for v in values})
    except (TypeError, ValueError):
        raise ApplicationError.for_fields({field: [_("Give estate ids.")]}) from None
    return ids


def _clean_grant(
    application: MerchantApplication, *, estate_ids: Iterable[Any], category_codes: Iterable[str], scope: Scope
) -> tuple[list[int], list[str]]:
    """What the company grants: a non-empty part of the estates and categories asked for, the estates real
    estates of this company within the deciding member's data scope."""
    errors: dict[str, list[str]] = {}
    estates = _ids(estate_ids, "estate_ids")
    codes = sorted({str(c) for c in category_codes})
    asked_estates, asked_codes = set(application.estate_ids), set(application.category_codes)
    if not estates:
        errors["estate_ids"] = [_("Approve at least one estate.")]
    elif not set(estates) <= asked_estates:
        errors["estate_ids"] = [_("Approve only estates the merchant asked for.")]
    else:
        real = set(Estate.objects.filter(scope.estate_q(), pk__in=estates).values_list("pk", flat=True))
        if real != set(estates):
            errors["estate_ids"] = [
                _("These are not estates of this company within your scope: %(ids)s.")
                % {"ids": ", ".join(str(i) for i in estates if i not in real)}
            ]
    if not codes:
        errors["category_codes"] = [_("Approve at least one category.")]
    elif not set(codes) <= asked_codes:
        errors["category_codes"] = [_("Approve only categories the merchant asked for.")]
    elif Category.objects.filter(code__in=codes).count() != len(codes):
        errors["category_codes"] = [_("Unknown category.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    return estates, codes


def _names(application: MerchantApplication, estate_ids: list[int], codes: list[str]) -> tuple[str, str]:
    estates = dict(Estate.objects.filter(pk__in=estate_ids).values_list("pk", "name"))
    estate_names = "、".join(estates.get(i) or application.estate_names.get(str(i), str(i)) for i in estate_ids)
    categories = dict(Category.objects.filter(code__in=codes).values_list("code", "name_zh"))
    return estate_names, "、".join(categories.get(c, c) for c in codes)


def _tell(application: MerchantApplication, decision: str, *, estates: str = "", categories: str = "") -> None:
    """The merchant's notice, in Chinese (merchants read the platform in Chinese first)."""
    company = company_tenant().name
    reason = application.reason
    with override("zh-hans"):
        if decision == "approve":
            title = _("%(company)s approved your application") % {"company": company}
            body = _("You may now serve %(estates)s in: %(categories)s.") % {
                "estates": estates,
                "categories": categories,
            }
        elif decision == "reject":
            title = _("%(company)s did not approve your application") % {"company": company}
            body = _("Reason: %(reason)s") % {"reason": reason}
        elif decision == "suspend":
            title = _("%(company)s suspended your listings") % {"company": company}
            body = _("Its residents no longer see your listings. Reason: %(reason)s") % {"reason": reason}
        else:
            title = _("%(company)s resumed your listings") % {"company": company}
            body = _("Its residents see your listings again.")
            if reason:
                body = f"{body} {_('Reason: %(reason)s') % {'reason': reason}}"
    notify_merchant(
        merchant_id=application.merchant_id,
        kind=NOTICE_KIND[decision],
        title=title,
        body=body,
        tenant_id=application.tenant_id,
        data={"application": application.pk, "status": application.status},
    )


def _decide(
    application: MerchantApplication | int,
    decision: str,
    *,
    by: User | None,
    reason: str = "",
    grant_input: dict[str, Any] | None = None,
    scope: Scope | None = None,
) -> MerchantApplication:
    with transaction.atomic():
        locked = _locked(application)
        _check_transition(locked, decision)
        before = {
            "status": locked.status,
            "approved_estate_ids": list(locked.approved_estate_ids),
            "approved_category_codes": list(locked.approved_category_codes),
        }
        estates_text = categories_text = ""
        if grant_input is not None:
            estate_ids, codes = _clean_grant(locked, scope=scope or Scope.everything(), **grant_input)
            locked.approved_estate_ids, locked.approved_category_codes = estate_ids, codes
            estates_text, categories_text = _names(locked, estate_ids, codes)
        locked.status = RESULT[decision]
        locked.reason = reason
        locked.decided_at = timezone.now()
        locked.decided_by = by
        locked.save(
            update_fields=[
                "status",
                "reason",
                "decided_at",
                "decided_by",
                "approved_estate_ids",
                "approved_category_codes",
            ]
        )
        after = {
            "status": locked.status,
            "approved_estate_ids": list(locked.approved_estate_ids),
            "approved_category_codes": list(locked.approved_category_codes),
        }
        audit_record(
            action=f"marketplace.application_{decision}",
            target=locked,
            object_repr=f"{locked.merchant.name} ({locked.merchant.licence_number})",
            changes={
                "merchant": locked.merchant_id,
                **{k: [before[k], after[k]] for k in before if before[k] != after[k]},
                **({"reason": reason} if reason else {}),
            },
        )
        _tell(locked, decision, estates=estates_text, categories=categories_text)
        visibility_changed(schema_name=connection.schema_name, merchant_id=locked.merchant_id)
    return locked


def approve(
    *,
    application: MerchantApplication | int,
    by: User | None,
    estate_ids: Iterable[Any],
    category_codes: Iterable[str],
    scope: Scope | None = None,
) -> MerchantApplication:
    """Let the merchant serve these estates (a part of those it asked for, real estates of this company within
    `scope`, the deciding member's data scope) in these categories (a part of those it asked for)."""
    return _decide(
        application,
        "approve",
        by=by,
        grant_input={"estate_ids": list(estate_ids), "category_codes": list(category_codes)},
        scope=scope,
    )


def reject(*, application: MerchantApplication | int, by: User | None, reason: str) -> MerchantApplication:
    """Turn a pending application down; the merchant is told the reason and may apply again."""
    return _decide(application, "reject", by=by, reason=reason_clean(reason, required=True))


def suspend(*, application: MerchantApplication | int, by: User | None, reason: str) -> MerchantApplication:
    """Stop an approved merchant: its listings leave this company's search (what it was granted is kept)."""
    return _decide(application, "suspend", by=by, reason=reason_clean(reason, required=True))


def resume(*, application: MerchantApplication | int, by: User | None, reason: str = "") -> MerchantApplication:
    """Let a suspended merchant serve again, with what it was granted before."""
    return _decide(application, "resume", by=by, reason=reason_clean(reason, required=False))
