"""Signing up, in and out of the merchant portal, and the dashboard (figures and the notice feed, kept live by
the /ws/merchant/ socket: js/merchant.js inserts each notice and asks for the figures again)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backend.client_ip import client_ip
from backend.errors import ApplicationError, RateLimited
from marketplace import merchant_permissions as mperms
from marketplace.merchants import merchant_notices_read, merchant_sign_in, merchant_sign_up
from marketplace.selectors_merchant import merchant_dashboard
from portal.access import public_view
from portal.common.forms import add_service_errors
from portal.public.forms import LoginForm
from portal.throttling import rate_limited

from .access import merchant_required, page, request_member
from .forms import SignupForm

BACKEND = "backend.accounts.backends.EmailOrPhoneBackend"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/merchant/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/merchant/"


@public_view
@require_http_methods(["GET", "POST"])
@rate_limited("merchant_signup")
def signup(request: HttpRequest) -> HttpResponse:
    if request_member(request) is not None:
        return redirect("merchant:dashboard")
    form = SignupForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = merchant_sign_up(**form.cleaned_data)
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            login(request, member.user, backend=BACKEND)
            messages.success(request, _("Welcome! Next, apply to the property companies whose estates you serve."))
            return redirect("merchant:applications")
    return page(request, "portal/merchant/signup.html", {"form": form}, status=400 if request.method == "POST" else 200)


@public_view
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request_member(request) is not None:
        return redirect(_next(request))
    form = LoginForm(request.POST or None)
    status = 200
    retry_after = None
    if request.method == "POST" and form.is_valid():
        try:
            member = merchant_sign_in(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                ip=client_ip(request.META),
            )
        except ApplicationError as error:
            add_service_errors(form, error)
            status = error.status
            if isinstance(error, RateLimited):
                retry_after = error.retry_after
        else:
            login(request, member.user, backend=BACKEND)
            return redirect(_next(request))
    response = page(request, "portal/merchant/login.html", {"form": form, "next": request.GET.get("next", "")}, status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@public_view
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("merchant:login")


@merchant_required(mperms.MERCHANT_AREA)
def dashboard(request: HttpRequest) -> HttpResponse:
    member = request_member(request)
    assert member is not None
    return page(request, "portal/merchant/dashboard.html", {"board": merchant_dashboard(merchant=member.merchant)})


@merchant_required(mperms.MERCHANT_AREA)
def dashboard_figures(request: HttpRequest) -> HttpResponse:
    """The figures alone (htmx asks again when a notice arrives)."""
    member = request_member(request)
    assert member is not None
    return page(request, "portal/merchant/_figures.html", {"board": merchant_dashboard(merchant=member.merchant)})


@merchant_required(mperms.MERCHANT_AREA)
@require_POST
def notices_read(request: HttpRequest) -> HttpResponse:
    member = request_member(request)
    assert member is not None
    merchant_notices_read(member=member)
    return redirect("merchant:dashboard")
