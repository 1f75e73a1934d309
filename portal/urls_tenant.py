from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from .access import public_view
from .forms import AuditedSetPasswordForm, MemberPasswordResetForm
from .throttling import rate_limited
from .views import (
    auth,
    billing_dunning,
    billing_meters,
    billing_money,
    billing_reports,
    billing_resident,
    billing_staff,
    notifications,
    payments_bank_collection,
    payments_counter,
    payments_finance,
    payments_resident,
    properties,
    resident,
    staff,
)

app_name = "portal"

urlpatterns = [
    path("", auth.root, name="root"),
    path("login/", auth.sign_in, name="login"),
    path("logout/", auth.sign_out, name="logout"),
    path("signup/", auth.resident_signup, name="resident-signup"),
    path("handoff/<str:token>/", auth.handoff, name="handoff"),
    path("invite/<str:token>/", auth.invitation, name="invitation"),
    path(
        "password-reset/",
        public_view(
            rate_limited("password_reset")(
                auth_views.PasswordResetView.as_view(
                    template_name="portal/auth/password_reset.html",
                    form_class=MemberPasswordResetForm,
                    email_template_name="portal/auth/password_reset_email.txt",
                    subject_template_name="portal/auth/password_reset_subject.txt",
                    success_url=reverse_lazy("portal:password-reset-done"),
                )
            )
        ),
        name="password-reset",
    ),
    path(
        "password-reset/sent/",
        public_view(auth_views.PasswordResetDoneView.as_view(template_name="portal/auth/password_reset_done.html")),
        name="password-reset-done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        public_view(
            auth_views.PasswordResetConfirmView.as_view(
                template_name="portal/auth/password_reset_confirm.html",
                form_class=AuditedSetPasswordForm,
                success_url=reverse_lazy("portal:password-reset-complete"),
            )
        ),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/complete/",
        public_view(
            auth_views.PasswordResetCompleteView.as_view(template_name="portal/auth/password_reset_complete.html")
        ),
        name="password-reset-complete",
    ),
    path("staff/", staff.dashboard, name="staff-home"),
    path("staff/members/", staff.members, name="staff-members"),
    path("staff/members/<int:pk>/", staff.member_edit, name="staff-member"),
    path("staff/invitations/<int:pk>/withdraw/", staff.invitation_withdraw, name="staff-invitation-withdraw"),
    path("staff/audit/", staff.audit_log, name="staff-audit"),
    path("resident/", resident.home, name="resident-home"),
    path("resident/bind/", resident.bind, name="resident-bind"),
    path("staff/registry/", properties.registry_tree, name="registry"),
    path("staff/buildings/<int:pk>/generate/", properties.building_generate, name="registry-generate"),
    path("staff/units/", properties.unit_list, name="units"),
    path("staff/units/export.xlsx", properties.unit_export, name="units-export"),
    path("staff/units/residents.xlsx", properties.residents_export, name="residents-export"),
    path("staff/units/<int:pk>/", properties.unit_detail, name="unit"),
    path("staff/people/", properties.people, name="people"),
    path("staff/people/<int:pk>/", properties.person_detail, name="person"),
    path("staff/bindings/", properties.bindings, name="bindings"),
    path("staff/bindings/<int:pk>/document/", properties.binding_document, name="binding-document"),
    path("staff/imports/", properties.import_page, name="imports"),
    path("staff/imports/<int:pk>/status/", properties.import_status, name="import-status"),
    path("staff/imports/template/<str:kind>.xlsx", properties.import_template, name="import-template"),
    path("staff/search/", properties.search, name="search"),
    path("notifications/", notifications.inbox, name="notifications"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification-open"),
    path("notifications/preferences/", notifications.preferences, name="notification-preferences"),
    path("announcements/", notifications.announcements, name="announcements"),
    path("announcements/<int:pk>/", notifications.announcement_detail, name="announcement"),
    path("announcements/<int:pk>/image/", notifications.announcement_image, name="announcement-image"),
    path("staff/announcements/", notifications.staff_announcements, name="staff-announcements"),
    path("staff/announcements/<int:pk>/", notifications.staff_announcement, name="staff-announcement"),
    path("staff/deliveries/", notifications.deliveries, name="deliveries"),
    path("staff/holidays/", notifications.holidays, name="holidays"),
    path("notifications/read-all/", notifications.read_all, name="notifications-read-all"),
]
# Billing pages, one module per area.
urlpatterns += [
    *billing_staff.urlpatterns,
    *billing_meters.urlpatterns,
    *billing_money.urlpatterns,
    *billing_dunning.urlpatterns,
    *billing_reports.urlpatterns,
    *billing_resident.urlpatterns,
]
# Payments pages: the counter, receipts and day close; residents' online payment and autopay; finance.
urlpatterns += [
    *payments_counter.urlpatterns,
    *payments_resident.urlpatterns,
    *payments_finance.urlpatterns,
    *payments_bank_collection.urlpatterns,
]
