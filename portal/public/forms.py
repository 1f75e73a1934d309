"""Forms of the public pages: company and resident sign-up, sign-in, invitations, password reset."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from backend.accounts.passwords import password_reset_complete
from portal.common.forms import ServiceValidatedForm
from tenants.db import connection


class CompanySignupForm(ServiceValidatedForm):
    company_name = forms.CharField(label=_("Company name"), max_length=100)
    subdomain = forms.CharField(
        label=_("Subdomain"),
        max_length=40,
        help_text=_("Your portal address. Lowercase letters, digits and hyphens."),
    )
    admin_name = forms.CharField(label=_("Your name"), max_length=60)
    admin_email = forms.CharField(label=_("E-mail"), max_length=254, widget=forms.EmailInput)
    admin_phone = forms.CharField(label=_("Mobile phone"), max_length=30, widget=forms.TextInput(attrs={"type": "tel"}))
    admin_password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    privacy_accepted = forms.BooleanField(
        label=_("I have read and accept the privacy policy"),
        required=False,
        help_text=_("Required. The policy says what we collect, why, and how to download or erase your data."),
    )


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("E-mail or mobile phone"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ResidentSignupForm(ServiceValidatedForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    phone = forms.CharField(label=_("Mobile phone"), max_length=30, widget=forms.TextInput(attrs={"type": "tel"}))
    email = forms.CharField(label=_("E-mail (optional)"), max_length=254, required=False, widget=forms.EmailInput)
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    privacy_accepted = forms.BooleanField(
        label=_("I have read and accept the privacy policy"),
        required=False,
        help_text=_("Required. The policy says what we collect, why, and how to download or erase your data."),
    )


class InvitationAcceptForm(ServiceValidatedForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    phone = forms.CharField(
        label=_("Mobile phone"), max_length=30, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class MemberPasswordResetForm(PasswordResetForm):
    """Password reset on a company domain reaches only that company's members."""

    def get_users(self, email: str):  # type: ignore[no-untyped-def]

        from backend.accounts.models import Membership

        tenant = connection.tenant
        member_ids = Membership.objects.filter(tenant=tenant, is_active=True).values("user_id")
        return (u for u in super().get_users(email) if u.pk in {m["user_id"] for m in member_ids})


class AuditedSetPasswordForm(SetPasswordForm):
    """The last step of a password reset: saves the password, lifts any sign-in lock, writes the audit log."""

    def save(self, commit: bool = True):  # type: ignore[no-untyped-def]
        return password_reset_complete(user=self.user, password=self.cleaned_data["new_password1"])
