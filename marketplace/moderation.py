"""What a company decides about the marketplace besides vetting merchants (issue 14, parts 3 and 7): which of
the platform's categories are on for its residents and the commission it takes on each, and hiding single
listings with a reason.

Rows live in the company's schema (marketplace.company); each write is locked, audited in the company's log and
followed by the search hook, in one transaction. A category without a row is on at DEFAULT_COMMISSION_BP.
Commission is kept in basis points (1 bp = 0.01%, 500 = 5.00%); pages and the API speak percent with two
decimals, converted here and nowhere else."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError, not_found
from tenants.db import connection

from .company.models import DEFAULT_COMMISSION_BP, CategorySetting, ListingHide
from .models import Category, Listing, MerchantApplication
from .notices import notify_merchant
from .search.hooks import visibility_changed
from .vetting import company_tenant, reason_clean

MAX_BP = 10_000


# --- commission: percent <-> basis points -------------------------------------------------------------------


def percent_to_bp(value: Any) -> int:
    """ "5", "5.5", "12.25" (percent, at most two decimals, 0 to 100) -> basis points; a field error otherwise."""
    message = _("A percentage from 0 to 100 with at most two decimals, e.g. 5 or 12.50.")
    try:
        percent = Decimal(str(value).strip().rstrip("%").strip())
    except (InvalidOperation, ValueError):
        raise ApplicationError.for_fields({"commission_percent": [message]}) from None
    if not percent.is_finite() or percent != percent.quantize(Decimal("0.01")) or not 0 <= percent <= 100:
        raise ApplicationError.for_fields({"commission_percent": [message]})
    return int((percent * 100).to_integral_value(rounding=ROUND_HALF_UP))


def bp_to_percent(bp: int) -> str:
    """500 -> "5.00"."""
    return f"{Decimal(bp) / 100:.2f}"


# --- category switches and commission -----------------------------------------------------------------------


def category_setting_update(
    *, category_code: str, by: User | None, enabled: bool | None = None, commission_bp: int | None = None
) -> CategorySetting:
    """Switch one platform category on or off for this company and/or set its commission (basis points)."""
    company_tenant()
    if not Category.objects.filter(code=category_code).exists():
        raise not_found()
    if commission_bp is not None and (
        isinstance(commission_bp, bool) or not isinstance(commission_bp, int) or not 0 <= commission_bp <= MAX_BP
    ):
        raise ApplicationError.for_fields(
            {"commission_bp": [_("From 0 to %(max)d basis points (0.00%% to 100.00%%).") % {"max": MAX_BP}]}
        )
    with transaction.atomic():
        CategorySetting.objects.get_or_create(
            category_code=category_code, defaults={"enabled": True, "commission_bp": DEFAULT_COMMISSION_BP}
        )
        setting = CategorySetting.objects.select_for_update().get(category_code=category_code)
        before = {"enabled": setting.enabled, "commission_bp": setting.commission_bp}
        if enabled is not None:
            setting.enabled = bool(enabled)
        if commission_bp is not None:
            setting.commission_bp = commission_bp
        setting.updated_by = by
        setting.save()
        after = {"enabled": setting.enabled, "commission_bp": setting.commission_bp}
        changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if changed:
            audit_record(
                action="marketplace.category_setting",
                target=setting,
                object_repr=category_code,
                changes={"category": category_code, **changed},
            )
        if "enabled" in changed:
            # Every merchant of the category may appear or vanish for this company's residents.
            visibility_changed(schema_name=connection.schema_name, merchant_id=None)
    return setting


# --- listing moderation ---------------------------------------------------------------------------------------


def _tell_merchant(listing: Listing, kind: str, reason: str) -> None:
    company = company_tenant().name
    with override("zh-hans"):
        if kind == "listing.hidden":
            title = _("%(company)s hid your listing “%(title)s”") % {"company": company, "title": listing.title}
            body = _("Its residents no longer see it. Reason: %(reason)s") % {"reason": reason}
        else:
            title = _("%(company)s shows your listing “%(title)s” again") % {
                "company": company,
                "title": listing.title,
            }
            body = _("Reason: %(reason)s") % {"reason": reason} if reason else ""
    notify_merchant(
        merchant_id=listing.merchant_id,
        kind=kind,
        title=title,
        body=body,
        tenant_id=company_tenant().pk,
        data={"listing": listing.pk},
    )


def listing_hide(*, listing_id: int, by: User | None, reason: str) -> ListingHide:
    """Hide one listing from this company's residents. Only listings of merchants that applied to this company
    can be hidden here (any other id is unknown, as if it did not exist)."""
    text = reason_clean(reason, required=True)
    tenant = company_tenant()
    with transaction.atomic():
        # The listing's row serialises two colleagues hiding it at once.
        listing = (
            Listing.objects.select_for_update()
            .filter(
                pk=listing_id,
                merchant_id__in=MerchantApplication.objects.filter(tenant=tenant).values("merchant_id"),
            )
            .first()
        )
        if listing is None:
            raise ApplicationError.for_fields({"listing": [_("No such listing among this company's merchants.")]})
        if ListingHide.objects.filter(listing_id=listing.pk).exists():
            message = _("This listing is hidden already.")
            raise ApplicationError(message, code="already_hidden", fields={"listing": [message]}, status=409)
        hide = ListingHide.objects.create(listing_id=listing.pk, reason=text, hidden_by=by)
        audit_record(
            action="marketplace.listing_hide",
            target=hide,
            object_repr=listing.title,
            changes={"listing": listing.pk, "merchant": listing.merchant_id, "reason": text},
        )
        _tell_merchant(listing, "listing.hidden", text)
        visibility_changed(schema_name=connection.schema_name, merchant_id=listing.merchant_id)
    return hide


def listing_unhide(*, hide: ListingHide | int, by: User | None, reason: str = "") -> None:
    """Show a hidden listing to this company's residents again."""
    text = reason_clean(reason, required=False)
    company_tenant()
    pk = hide if isinstance(hide, int) else hide.pk
    with transaction.atomic():
        locked = ListingHide.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise not_found()
        listing = Listing.objects.filter(pk=locked.listing_id).first()
        audit_record(
            action="marketplace.listing_unhide",
            target=locked,
            object_repr=listing.title if listing else str(locked.listing_id),
            changes={"listing": locked.listing_id, "hidden_for": locked.reason, **({"reason": text} if text else {})},
        )
        locked.delete()
        if listing is not None:
            _tell_merchant(listing, "listing.unhidden", text)
            visibility_changed(schema_name=connection.schema_name, merchant_id=listing.merchant_id)
