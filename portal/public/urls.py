"""The public pages' URLs: `urlpatterns` on a company's domain (sign-in, sign-up, invitations, password
reset), `platform_urlpatterns` on the platform's (what it is, a company signing itself up)."""

from django.urls import path

from . import auth, platform

urlpatterns = [
    path("", auth.root, name="root"),
    path("login/", auth.sign_in, name="login"),
    path("logout/", auth.sign_out, name="logout"),
    path("signup/", auth.resident_signup, name="resident-signup"),
    path("privacy/", auth.privacy_policy, name="privacy"),
    path("handoff/<str:token>/", auth.handoff, name="handoff"),
    path("invite/<str:token>/", auth.invitation, name="invitation"),
    path("password-reset/", auth.password_reset, name="password-reset"),
    path("password-reset/sent/", auth.password_reset_done, name="password-reset-done"),
    path("password-reset/<uidb64>/<token>/", auth.password_reset_confirm, name="password-reset-confirm"),
    path("password-reset/complete/", auth.password_reset_complete, name="password-reset-complete"),
]

platform_urlpatterns = [
    path("", platform.landing, name="landing"),
    path("signup/", platform.company_signup, name="signup"),
    path("privacy/", auth.privacy_policy, name="privacy"),
]
