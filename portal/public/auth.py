"""Signing in and out on a company domain, resident sign-up, invitations, the sign-up hand-off, and the
password reset (Django's views, limited to this company's members and audited)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backend.access.services import invitation_accept, invitation_find, resident_sign_up, session_start
from backend.accounts import permissions as perms
from backend.accounts.backends import user_find_by_login
from backend.accounts.services import login_handoff_consume, membership_get_active, user_sign_in
from backend.client_ip import client_ip
from backend.errors import ApplicationError, RateLimited
from marketplace.selectors_merchant import merchant_is_user
from portal.access import public_view
from portal.common.forms import add_service_errors
from portal.public.forms import (
    AuditedSetPasswordForm,
    InvitationAcceptForm,
    LoginForm,
    MemberPasswordResetForm,
    PasswordConfirmForm,
    ResidentSignupForm,
)
from portal.throttling import rate_limited
from tenants.http import CompanyRequest
from tenants.services import platform_url


def _safe_next(request: CompanyRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def home_for(request: CompanyRequest) -> str:
    membership = getattr(request, "membership", None)
    if membership is None:
        return reverse("portal:login")
    if perms.STAFF_AREA.granted_to(membership):
        return reverse("portal:staff-home")
    return reverse("portal:resident-home")


def _sign_in(request: CompanyRequest, user: object) -> None:
    request.membership = session_start(request=request, user=user)  # type: ignore[arg-type]


@public_view
def root(request: CompanyRequest) -> HttpResponse:
    return redirect(home_for(request))


@public_view
@require_http_methods(["GET", "POST"])
def sign_in(request: CompanyRequest) -> HttpResponse:
    if getattr(request, "membership", None) is not None:
        return redirect(_safe_next(request, home_for(request)))
    form = LoginForm(request.POST or None)
    status = 200
    retry_after: int | None = None
    if request.method == "POST" and form.is_valid():
        try:
            user = user_sign_in(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                ip=client_ip(request.META),
            )
            if membership_get_active(user=user, tenant=request.tenant) is None:  # type: ignore[attr-defined]
                if merchant_is_user(user_id=user.pk):
                    # A merchant's account opens the merchant portal on the platform site, never a company's.
                    raise ApplicationError(
                        _("This is a merchant account: sign in on the merchant portal at %(url)s.")
                        % {"url": platform_url("/merchant/login/")},
                        code="merchant_account",
                        status=403,
                    )
                raise ApplicationError(
                    _("This account is not a member of %(company)s.") % {"company": request.tenant.name}
                )  # type: ignore[attr-defined]
        except ApplicationError as error:
            add_service_errors(form, error)
            status = error.status
            if isinstance(error, RateLimited):
                retry_after = error.retry_after
        else:
            _sign_in(request, user)
            return redirect(_safe_next(request, home_for(request)))
    response = render(
        request,
        "portal/public/auth/login.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=status if request.method == "POST" else 200,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@public_view
@require_POST
def sign_out(request: CompanyRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("portal:login")


@public_view
@rate_limited("handoff", methods=("GET", "POST"))
def handoff(request: CompanyRequest, token: str) -> HttpResponse:
    """Arrive signed in from the platform site's sign-up (a one-time ticket, valid two minutes)."""
    user = login_handoff_consume(raw_token=token, tenant=request.tenant)  # type: ignore[attr-defined]
    if user is None:
        messages.warning(request, _("That sign-in link has expired. Please sign in."))
        return redirect("portal:login")
    _sign_in(request, user)
    return redirect(_safe_next(request, home_for(request)))


@public_view
@require_http_methods(["GET", "POST"])
@rate_limited("resident_signup")
def resident_signup(request: CompanyRequest) -> HttpResponse:
    form = ResidentSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, _membership = resident_sign_up(**form.cleaned_data, ip=client_ip(request.META))
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            _sign_in(request, user)
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect("portal:resident-home")
    return render(
        request,
        "portal/public/auth/resident_signup.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@public_view
def privacy_policy(request: HttpRequest) -> HttpResponse:
    """The privacy policy (隐私政策), open to anyone on a company's domain and on the platform's."""
    return render(request, "portal/public/privacy.html", {"policy_version": settings.PRIVACY_POLICY_VERSION})


@public_view
@require_http_methods(["GET", "POST"])
@rate_limited("invitation")
def invitation(request: CompanyRequest, token: str) -> HttpResponse:
    """Accept an invitation: a newcomer creates the account; someone who already has one (e.g. staff of
    another company) confirms with their password; both land signed in here."""
    try:
        invite = invitation_find(raw_token=token)
    except ApplicationError as error:
        return render(request, "portal/public/auth/invitation_invalid.html", {"error": error}, status=error.status)
    has_account = user_find_by_login(invite.email) is not None
    form: forms.Form = (PasswordConfirmForm if has_account else InvitationAcceptForm)(
        request.POST or None, initial={"name": invite.name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            if has_account:
                user = user_sign_in(
                    request=request,
                    username=invite.email,
                    password=form.cleaned_data["password"],
                    ip=client_ip(request.META),
                )
                user, _m = invitation_accept(raw_token=token, user=user)
            else:
                user, _m = invitation_accept(raw_token=token, **form.cleaned_data)
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            if request.user.is_authenticated and request.user.pk != user.pk:
                logout(request)
            _sign_in(request, user)
            messages.success(request, _("You have joined %(company)s.") % {"company": request.tenant.name})  # type: ignore[attr-defined]
            return redirect(home_for(request))
    return render(
        request,
        "portal/public/auth/invitation.html",
        {"invite": invite, "form": form, "has_account": has_account},
        status=400 if request.method == "POST" else 200,
    )


# --- password reset: Django's views with this company's forms and templates ---------------------------

password_reset = public_view(
    rate_limited("password_reset")(
        auth_views.PasswordResetView.as_view(
            template_name="portal/public/auth/password_reset.html",
            form_class=MemberPasswordResetForm,
            email_template_name="portal/public/auth/password_reset_email.txt",
            subject_template_name="portal/public/auth/password_reset_subject.txt",
            success_url=reverse_lazy("portal:password-reset-done"),
        )
    )
)
password_reset_done = public_view(
    auth_views.PasswordResetDoneView.as_view(template_name="portal/public/auth/password_reset_done.html")
)
password_reset_confirm = public_view(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="portal/public/auth/password_reset_confirm.html",
        form_class=AuditedSetPasswordForm,
        success_url=reverse_lazy("portal:password-reset-complete"),
    )
)
password_reset_complete = public_view(
    auth_views.PasswordResetCompleteView.as_view(template_name="portal/public/auth/password_reset_complete.html")
)
