"""The staff's marketplace pages (社区商城, issue 14 part 7), for members holding the marketplace permission:
the applications queue with each applicant's licence and the approve / reject forms, the admitted merchants
with their status per estate and suspend / resume, the categories and their commission rates, and listing
moderation. Reads go through marketplace.company.selectors (this company only), writes through
marketplace.vetting / marketplace.moderation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from backend.uploads.kinds import MERCHANT_LICENCE
from backend.uploads.serving import upload_response
from marketplace import moderation, vetting
from marketplace.company import selectors
from marketplace.models import ApplicationStatus, MerchantApplication
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

from .forms import ApproveForm, ReasonForm

TEMPLATES = "portal/staff/marketplace"
STATUSES = [s for s, _label in ApplicationStatus.choices]


def _application_or_404(pk: int) -> MerchantApplication:
    application = selectors.application_get(pk)
    if application is None:
        raise Http404
    return application


@permission_required(perms.MARKETPLACE_MANAGE)
def applications(request: CompanyRequest) -> HttpResponse:
    """The queue: this company's applications, pending first by default."""
    status = request.GET.get("status") or ApplicationStatus.PENDING
    if status not in [*STATUSES, "all"]:
        status = ApplicationStatus.PENDING
    page = Paginator(selectors.application_list(status=None if status == "all" else status), 30).get_page(
        request.GET.get("page")
    )
    names = selectors.estate_names(page)
    rows = [(a, selectors.estate_statuses(a, names)) for a in page]
    return render(
        request,
        f"{TEMPLATES}/applications.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": ApplicationStatus.choices,
            "query": f"status={status}",
        },
    )


def _approve_form(application: MerchantApplication, data: Any = None) -> ApproveForm:
    statuses = selectors.estate_statuses(application)
    categories = selectors.category_names(application.category_codes)
    return ApproveForm(
        data,
        estates=[(row.estate_id, row.name) for row in statuses],
        categories=[(code, categories.get(code, code)) for code in application.category_codes],
        initial={
            # Prefilled with what the merchant asked for (or what it was granted, once decided).
            "estate_ids": application.approved_estate_ids or application.estate_ids,
            "category_codes": application.approved_category_codes or application.category_codes,
        },
    )


@permission_required(perms.MARKETPLACE_MANAGE)
@require_http_methods(["GET", "POST"])
def application_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    """One application: the merchant, its licence, the estates and categories asked for, and the decision
    forms its status allows (approve or reject when pending, suspend when approved, resume when suspended)."""
    application = _application_or_404(pk)
    decision = request.POST.get("decision", "") if request.method == "POST" else ""
    approve_form = _approve_form(application, request.POST if decision == "approve" else None)
    reason_form = ReasonForm(request.POST if decision in ("reject", "suspend", "resume") else None)
    failed = False
    if decision == "approve" and approve_form.is_valid():
        try:
            vetting.approve(
                application=application,
                by=request.user,
                estate_ids=approve_form.cleaned_data["estate_ids"],
                category_codes=approve_form.cleaned_data["category_codes"],
                scope=scope_of(request),
            )
        except ApplicationError as error:
            add_service_errors(approve_form, error)
            failed = True
        else:
            messages.success(request, _("Approved. The merchant has been told."))
            return redirect("portal:staff-marketplace-application", pk=pk)
    elif decision in ("reject", "suspend", "resume") and reason_form.is_valid():
        actions: dict[str, Callable[..., MerchantApplication]] = {
            "reject": vetting.reject,
            "suspend": vetting.suspend,
            "resume": vetting.resume,
        }
        try:
            actions[decision](application=application, by=request.user, reason=reason_form.cleaned_data["reason"])
        except ApplicationError as error:
            add_service_errors(reason_form, error)
            failed = True
        else:
            messages.success(
                request,
                {
                    "reject": _("Rejected. The merchant has been told why."),
                    "suspend": _("Suspended. Its listings leave this company's marketplace."),
                    "resume": _("Resumed. Its listings are back."),
                }[decision],
            )
            return redirect("portal:staff-marketplace-application", pk=pk)
    elif decision:
        failed = True
    return render(
        request,
        f"{TEMPLATES}/application.html",
        {
            "application": application,
            "merchant": application.merchant,
            "estates": selectors.estate_statuses(application),
            "categories": selectors.category_names({*application.category_codes, *application.approved_category_codes}),
            "licence_is_pdf": selectors.licence_is_pdf(application),
            "approve_form": approve_form,
            "reason_form": reason_form,
            "decision": decision,
        },
        status=400 if failed else 200,
    )


@permission_required(perms.MARKETPLACE_MANAGE)
def application_licence(request: CompanyRequest, pk: int) -> HttpResponseBase:
    """The applicant's licence (营业执照), for this company's staff only: an image inline, a PDF to download."""
    licence = selectors.licence_of(pk)
    if licence is None:
        raise Http404
    return upload_response(licence, kind=MERCHANT_LICENCE, download_name=f"licence-{pk}")


@permission_required(perms.MARKETPLACE_MANAGE)
@require_http_methods(["GET", "POST"])
def merchants(request: CompanyRequest) -> HttpResponse:
    """The merchants this company admitted, with their status in each estate; suspend or resume with a
    reason."""
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        try:
            application = _application_or_404(int(request.POST.get("application") or 0))
            if decision == "suspend":
                vetting.suspend(application=application, by=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, _("Suspended. Its listings leave this company's marketplace."))
            elif decision == "resume":
                vetting.resume(application=application, by=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, _("Resumed. Its listings are back."))
        except ApplicationError as error:
            messages.error(request, error.text)
        except ValueError:
            raise Http404 from None
        return redirect("portal:staff-marketplace-merchants")
    status = request.GET.get("status") or ""
    page = Paginator(selectors.merchant_list(status=status if status in selectors.ADMITTED else None), 30).get_page(
        request.GET.get("page")
    )
    names = selectors.estate_names(page)
    categories = selectors.category_names({c for a in page for c in a.approved_category_codes})
    rows = [
        (a, selectors.estate_statuses(a, names), [categories.get(c, c) for c in a.approved_category_codes])
        for a in page
    ]
    return render(
        request,
        f"{TEMPLATES}/merchants.html",
        {"page": page, "rows": rows, "status": status, "query": f"status={status}"},
    )


@permission_required(perms.MARKETPLACE_MANAGE)
@require_http_methods(["GET", "POST"])
def categories(request: CompanyRequest) -> HttpResponse:
    """Every platform category: on or off for this company's residents, and its commission in percent."""
    rows = selectors.category_settings()
    errors: dict[str, str] = {}
    if request.method == "POST":
        changed = 0
        for row in rows:
            code = row.category.code
            enabled = request.POST.get(f"enabled-{code}") == "on"
            raw = (request.POST.get(f"commission-{code}") or "").strip()
            try:
                bp = moderation.percent_to_bp(raw)
            except ApplicationError as error:
                errors[code] = error.text
                continue
            if enabled != row.enabled or bp != row.commission_bp:
                try:
                    moderation.category_setting_update(
                        category_code=code, by=request.user, enabled=enabled, commission_bp=bp
                    )
                    changed += 1
                except ApplicationError as error:
                    errors[code] = error.text
        if not errors:
            messages.success(request, _("Categories saved (%(n)d changed).") % {"n": changed})
            return redirect("portal:staff-marketplace-categories")
        rows = selectors.category_settings()
    posted = request.POST if errors else None
    table = [
        {
            "row": row,
            "error": errors.get(row.category.code, ""),
            "commission": posted.get(f"commission-{row.category.code}", "")
            if posted is not None
            else row.commission_percent,
        }
        for row in rows
    ]
    return render(request, f"{TEMPLATES}/categories.html", {"table": table}, status=400 if errors else 200)


@permission_required(perms.MARKETPLACE_MANAGE)
@require_http_methods(["GET", "POST"])
def listings(request: CompanyRequest) -> HttpResponse:
    """The admitted merchants' listings: hide one with a reason (the merchant is told), or show it again."""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "hide":
                moderation.listing_hide(
                    listing_id=int(request.POST.get("listing") or 0),
                    by=request.user,
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("Hidden. The merchant has been told why."))
            elif action == "unhide":
                hide = selectors.listing_hide_list().filter(pk=int(request.POST.get("hide") or 0)).first()
                if hide is None:
                    raise Http404
                moderation.listing_unhide(hide=hide, by=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, _("Shown again."))
        except ApplicationError as error:
            messages.error(request, error.text)
        except ValueError:
            raise Http404 from None
        return redirect(f"{request.path}?{request.GET.urlencode()}" if request.GET else request.path)
    shown = request.GET.get("hidden", "")
    q = (request.GET.get("q") or "").strip()[:50]
    qs = selectors.moderation_listings(hidden={"1": True, "0": False}.get(shown), q=q or None)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    hides = {h.listing_id: h for h in selectors.listing_hide_list().filter(listing_id__in=[x.pk for x in page])}
    rows = [(listing, hides.get(listing.pk)) for listing in page]
    return render(
        request,
        f"{TEMPLATES}/listings.html",
        {"page": page, "rows": rows, "hidden": shown, "q": q, "query": f"hidden={shown}&q={q}"},
    )
