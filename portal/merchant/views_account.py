"""The merchant's profile and licence, its clerks, and its applications to companies."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backend.errors import ApplicationError
from backend.uploads.kinds import MERCHANT_LICENCE
from backend.uploads.serving import upload_response
from marketplace import merchant_permissions as mperms
from marketplace.applications import application_submit, application_withdraw
from marketplace.merchants import (
    merchant_clerk_add,
    merchant_licence_replace,
    merchant_member_remove,
    merchant_profile_update,
)
from marketplace.selectors_merchant import (
    audit_list,
    company_directory,
    company_estates,
    company_open_get,
    member_list,
)
from portal.common.forms import add_service_errors

from .access import member_of, merchant_required, page
from .forms import ApplicationForm, ClerkForm, LicenceForm, ProfileForm


@merchant_required(mperms.PROFILE_MANAGE)
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    merchant = member.merchant
    initial = {
        "name": merchant.name,
        "contact_name": merchant.contact_name,
        "contact_phone": merchant.contact_phone,
        "address": merchant.address,
        "service_area": merchant.service_area,
        "description": merchant.description,
        "category_codes": list(merchant.categories.values_list("code", flat=True)),
    }
    form = ProfileForm(request.POST if "save_profile" in request.POST else None, initial=initial)
    licence_form = LicenceForm(
        request.POST if "save_licence" in request.POST else None,
        request.FILES if "save_licence" in request.POST else None,
        initial={"licence_number": merchant.licence_number},
    )
    if request.method == "POST":
        try:
            if "save_profile" in request.POST and form.is_valid():
                merchant_profile_update(member=member, **form.cleaned_data)
                messages.success(request, _("Profile saved."))
                return redirect("merchant:profile")
            if "save_licence" in request.POST and licence_form.is_valid():
                merchant_licence_replace(member=member, **licence_form.cleaned_data)
                messages.success(request, _("Licence replaced."))
                return redirect("merchant:profile")
        except ApplicationError as error:
            add_service_errors(form if "save_profile" in request.POST else licence_form, error)
    status = 400 if request.method == "POST" else 200
    return page(request, "portal/merchant/profile.html", {"form": form, "licence_form": licence_form}, status)


@merchant_required(mperms.MERCHANT_AREA)
def licence(request: HttpRequest) -> HttpResponseBase:
    merchant = member_of(request).merchant
    return upload_response(merchant.licence, kind=MERCHANT_LICENCE, download_name=f"licence-{merchant.pk}")


@merchant_required(mperms.MEMBERS_MANAGE)
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    form = ClerkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            merchant_clerk_add(member=member, **form.cleaned_data)
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Clerk added: they sign in with the phone or e-mail and password you set."))
            return redirect("merchant:members")
    return page(
        request,
        "portal/merchant/members.html",
        {
            "form": form,
            "members": member_list(merchant=member.merchant),
            "activity": audit_list(merchant=member.merchant)[:20],
        },
        status=400 if request.method == "POST" else 200,
    )


@merchant_required(mperms.MEMBERS_MANAGE)
@require_POST
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        merchant_member_remove(member=member_of(request), member_id=pk)
    except ApplicationError as error:
        if error.status == 404:
            raise Http404 from error
        messages.error(request, error.message)
    else:
        messages.success(request, _("Clerk removed."))
    return redirect("merchant:members")


@merchant_required(mperms.APPLICATIONS_READ)
def applications(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    return page(
        request, "portal/merchant/applications.html", {"companies": company_directory(merchant=member.merchant)}
    )


@merchant_required(mperms.APPLICATIONS_MANAGE)
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, tenant_id: int) -> HttpResponse:
    member = member_of(request)
    tenant = company_open_get(tenant_id=tenant_id)
    if tenant is None:
        raise Http404
    existing = member.merchant.applications.filter(tenant=tenant).first()
    initial = (
        {"estate_ids": existing.estate_ids, "category_codes": existing.category_codes, "message": existing.message}
        if existing
        else {"category_codes": list(member.merchant.categories.values_list("code", flat=True))}
    )
    form = ApplicationForm(request.POST or None, estates=company_estates(tenant=tenant), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            application_submit(member=member, tenant_id=tenant.pk, **form.cleaned_data)
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Application sent to %(company)s.") % {"company": tenant.name})
            return redirect("merchant:applications")
    return page(
        request,
        "portal/merchant/apply.html",
        {"form": form, "company": tenant, "application": existing},
        status=400 if request.method == "POST" else 200,
    )


@merchant_required(mperms.APPLICATIONS_MANAGE)
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        application_withdraw(member=member_of(request), application_id=pk)
    except ApplicationError as error:
        if error.status == 404:
            raise Http404 from error
        messages.error(request, error.message)
    else:
        messages.success(request, _("Application withdrawn."))
    return redirect("merchant:applications")
