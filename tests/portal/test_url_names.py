"""Every portal URL in use when the portal was reorganised by audience and area (issue 12): its path pattern,
its name in the `portal:` (or `platform:`) namespace and the name of the view it serves. Moving a view to
another module must not change any of them; a new page adds its row here. Listed from the URL resolver
before the move."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, resolve, reverse

import portal.urls_public
import portal.urls_tenant

# (path pattern, URL name, view name)
TENANT_URLS = [
    ("", "root", "root"),
    ("login/", "login", "sign_in"),
    ("logout/", "logout", "sign_out"),
    ("signup/", "resident-signup", "resident_signup"),
    ("handoff/<str:token>/", "handoff", "handoff"),
    ("invite/<str:token>/", "invitation", "invitation"),
    ("password-reset/", "password-reset", "PasswordResetView"),
    ("password-reset/sent/", "password-reset-done", "PasswordResetDoneView"),
    ("password-reset/<uidb64>/<token>/", "password-reset-confirm", "PasswordResetConfirmView"),
    ("password-reset/complete/", "password-reset-complete", "PasswordResetCompleteView"),
    ("staff/", "staff-home", "dashboard"),
    ("staff/members/", "staff-members", "members"),
    ("staff/members/<int:pk>/", "staff-member", "member_edit"),
    ("staff/invitations/<int:pk>/withdraw/", "staff-invitation-withdraw", "invitation_withdraw"),
    ("staff/audit/", "staff-audit", "audit_log"),
    ("resident/", "resident-home", "home"),
    ("resident/bind/", "resident-bind", "bind"),
    ("staff/registry/", "registry", "registry_tree"),
    ("staff/buildings/<int:pk>/generate/", "registry-generate", "building_generate"),
    ("staff/units/", "units", "unit_list"),
    ("staff/units/export.xlsx", "units-export", "unit_export"),
    ("staff/units/residents.xlsx", "residents-export", "residents_export"),
    ("staff/units/<int:pk>/", "unit", "unit_detail"),
    ("staff/people/", "people", "people"),
    ("staff/people/<int:pk>/", "person", "person_detail"),
    ("staff/bindings/", "bindings", "bindings"),
    ("staff/bindings/<int:pk>/document/", "binding-document", "binding_document"),
    ("staff/imports/", "imports", "import_page"),
    ("staff/imports/<int:pk>/status/", "import-status", "import_status"),
    ("staff/imports/template/<str:kind>.xlsx", "import-template", "import_template"),
    ("staff/search/", "search", "search"),
    ("notifications/", "notifications", "inbox"),
    ("notifications/<int:pk>/open/", "notification-open", "notification_open"),
    ("notifications/preferences/", "notification-preferences", "preferences"),
    ("announcements/", "announcements", "announcements"),
    ("announcements/<int:pk>/", "announcement", "announcement_detail"),
    ("announcements/<int:pk>/image/", "announcement-image", "announcement_image"),
    ("staff/announcements/", "staff-announcements", "staff_announcements"),
    ("staff/announcements/<int:pk>/", "staff-announcement", "staff_announcement"),
    ("staff/deliveries/", "deliveries", "deliveries"),
    ("staff/holidays/", "holidays", "holidays"),
    ("notifications/read-all/", "notifications-read-all", "read_all"),
    ("staff/billing/fees/", "billing-fees", "fee_items"),
    ("staff/billing/fees/<int:pk>/", "billing-fee", "fee_item_detail"),
    ("staff/billing/runs/", "billing-runs", "bill_runs"),
    ("staff/billing/runs/<int:pk>/", "billing-run", "bill_run_detail"),
    ("staff/billing/runs/<int:pk>/progress/", "billing-run-progress", "bill_run_progress"),
    ("staff/billing/units/<int:pk>/statement/", "billing-statement", "statement"),
    ("staff/billing/meters/", "billing-meters", "meter_list"),
    ("staff/billing/meters/<int:pk>/", "billing-meter", "meter_detail"),
    ("staff/billing/readings/", "billing-readings", "readings"),
    ("staff/billing/readings/import/", "billing-readings-import", "readings_import"),
    ("staff/billing/readings/import/template.xlsx", "billing-readings-template", "readings_template"),
    ("staff/billing/units/<int:pk>/payment/", "billing-payment-record", "payment_record"),
    ("staff/billing/units/<int:pk>/deposits/", "billing-deposits", "deposits"),
    ("staff/billing/units/<int:pk>/adhoc/", "billing-adhoc", "adhoc_charge"),
    ("staff/billing/lines/<int:pk>/waiver/", "billing-waiver-request", "waiver_request"),
    ("staff/billing/waivers/", "billing-waivers", "waivers"),
    ("staff/billing/settings/", "billing-settings", "billing_settings"),
    ("staff/billing/arrears/", "billing-arrears", "arrears"),
    ("staff/billing/arrears/<int:pk>/", "billing-dunning-unit", "dunning_unit"),
    ("staff/billing/arrears/<int:pk>/letter.pdf", "billing-demand-letter", "demand_letter"),
    ("staff/billing/reports/", "billing-reports", "reports_page"),
    ("staff/billing/reports/export.xlsx", "billing-reports-export", "reports_export"),
    ("billing/units/<int:pk>/notice/<str:period>/", "billing-notice", "unit_notice"),
    ("staff/billing/buildings/<int:pk>/notices/<str:period>/", "billing-building-notices", "building_notices"),
    ("resident/bills/", "resident-bills", "bills"),
    ("resident/bills/<int:pk>/statement/", "resident-statement", "statement"),
    ("staff/payments/counter/", "payments-counter", "counter"),
    ("staff/payments/receipts/", "payments-receipts", "receipts"),
    ("staff/payments/receipts/<int:pk>/", "payments-receipt", "receipt_detail"),
    ("staff/payments/receipts/<int:pk>/pdf/", "payments-receipt-pdf", "receipt_pdf"),
    ("staff/payments/day-close/", "payments-day-close", "day_close_page"),
    ("resident/pay/", "resident-pay", "pay"),
    ("resident/pay/start/", "resident-pay-start", "pay_start"),
    ("resident/pay/card-setup/", "resident-card-setup", "card_setup"),
    ("resident/pay/<int:pk>/", "resident-pay-result", "pay_result"),
    ("resident/pay/<int:pk>/confirm/", "resident-pay-confirm", "pay_confirm"),
    ("resident/pay/<int:pk>/refresh/", "resident-pay-refresh", "pay_refresh"),
    ("resident/pay/<int:pk>/redirect/", "resident-pay-redirect", "pay_redirect"),
    ("resident/receipts/<int:pk>/pdf/", "resident-receipt-pdf", "receipt_pdf"),
    ("resident/autopay/", "resident-autopay", "autopay"),
    ("resident/autopay/enable/", "resident-autopay-enable", "autopay_enable"),
    ("staff/payments/", "payments-list", "payment_list"),
    ("staff/payments/<int:pk>/", "payments-detail", "payment_detail"),
    ("staff/payments/followup/", "payments-followup", "followup"),
    ("staff/payments/report/", "payments-report", "report"),
    ("staff/payments/settings/", "payments-settings", "payment_settings"),
    ("staff/payments/bank-collection/", "payments-bank-collection", "bank_collection"),
    ("staff/payments/bank-collection/<int:pk>/", "payments-bank-collection-detail", "bank_collection_detail"),
    ("staff/payments/bank-collection/template.csv", "payments-bank-collection-template", "bank_collection_template"),
    ("staff/club/reports/", "club-reports", "report_page"),
    ("staff/club/reports/export.xlsx", "club-reports-export", "report_export"),
    ("resident/club/", "resident-facilities", "facilities"),
    ("resident/club/<int:pk>/", "resident-facility", "facility"),
    ("club/photos/<int:pk>/", "club-photo", "facility_photo"),
    ("resident/bookings/", "resident-bookings", "bookings"),
    ("resident/bookings/<int:pk>/", "resident-booking", "booking_detail"),
    ("resident/bookings/<int:pk>/cancel/", "resident-booking-cancel", "booking_cancel_page"),
    ("resident/bookings/<int:pk>/charge/", "resident-booking-charge", "booking_charge"),
    ("resident/series/<int:pk>/end/", "resident-series-end", "series_end_page"),
    ("resident/waitlist/", "resident-waitlist", "waitlist_page"),
    ("resident/waitlist/<int:pk>/", "resident-waitlist-entry", "waitlist_entry"),
    ("staff/club/", "staff-club-facilities", "facilities"),
    ("staff/club/new/", "staff-club-facility-new", "facility_new"),
    ("staff/club/<int:pk>/", "staff-club-facility", "facility_edit"),
    ("staff/club/<int:pk>/photos/", "staff-club-photo-add", "facility_photo_add"),
    ("staff/club/photos/<int:pk>/remove/", "staff-club-photo-remove", "facility_photo_remove"),
    ("staff/club/<int:pk>/closures/", "staff-club-closures", "closures"),
    ("staff/club/closures/<int:pk>/lift/", "staff-club-closure-lift", "closure_lift"),
    ("staff/club/<int:pk>/book/", "staff-club-book", "staff_book"),
    ("staff/club/calendar/", "staff-club-calendar", "day_calendar"),
    ("staff/club/bookings/", "staff-club-bookings", "bookings"),
    ("staff/club/bookings/<int:pk>/", "staff-club-booking", "booking_detail"),
    ("staff/classes/", "classes-list", "classes"),
    ("staff/classes/new/", "classes-create", "class_create"),
    ("staff/classes/<int:pk>/", "classes-detail", "class_detail"),
    ("staff/classes/<int:pk>/edit/", "classes-edit", "class_edit"),
    ("staff/classes/<int:pk>/publish/", "classes-publish", "class_publish"),
    ("staff/classes/<int:pk>/close/", "classes-close", "class_close"),
    ("staff/classes/<int:pk>/cancel/", "classes-cancel", "class_cancel"),
    ("staff/classes/<int:pk>/sessions/", "classes-session-add", "session_add"),
    ("staff/classes/<int:pk>/enrolments/", "classes-enrolments", "enrolments"),
    ("staff/classes/sessions/<int:pk>/cancel/", "classes-session-cancel", "session_cancel"),
    ("staff/classes/sessions/<int:pk>/attendance/", "classes-attendance", "attendance"),
    ("staff/classes/teachers/", "classes-teachers", "teachers"),
    ("staff/classes/teachers/new/", "classes-teacher-create", "teacher_create"),
    ("staff/classes/teachers/<int:pk>/", "classes-teacher", "teacher_edit"),
    ("staff/classes/statement/", "classes-statement", "statement"),
    ("staff/classes/statement/export.pdf", "classes-statement-pdf", "statement_pdf_download"),
    ("staff/classes/statement/export.xlsx", "classes-statement-xlsx", "statement_xlsx_download"),
    ("resident/classes/", "resident-classes", "open_classes"),
    ("resident/classes/<int:pk>/", "resident-class", "class_page"),
    ("resident/classes/mine/", "resident-enrolments", "my_enrolments"),
    ("resident/classes/enrolments/<int:pk>/withdraw/", "resident-enrolment-withdraw", "withdraw"),
    ("staff/club/check-in/", "staff-club-checkin", "check_in"),
    ("staff/club/<int:pk>/week/", "staff-club-week", "week_calendar"),
    ("staff/club/<int:pk>/waitlist/", "staff-club-waitlist", "waitlist"),
    ("staff/club/no-shows/", "staff-club-no-shows", "no_shows"),
    ("staff/club/series/", "staff-club-series", "series_index"),
    ("staff/club/<int:pk>/series/new/", "staff-club-series-new", "series_new"),
    ("staff/club/series/<int:pk>/", "staff-club-series-detail", "series_detail"),
    ("staff/club/settings/", "staff-club-settings", "club_settings"),
    ("staff/marketplace/", "staff-marketplace-applications", "applications"),
    ("staff/marketplace/applications/<int:pk>/", "staff-marketplace-application", "application_detail"),
    ("staff/marketplace/applications/<int:pk>/licence/", "staff-marketplace-licence", "application_licence"),
    ("staff/marketplace/merchants/", "staff-marketplace-merchants", "merchants"),
    ("staff/marketplace/categories/", "staff-marketplace-categories", "categories"),
    ("staff/marketplace/listings/", "staff-marketplace-listings", "listings"),
    ("resident/shop/", "resident-shop", "home"),
    ("resident/shop/search/", "resident-shop-search", "search"),
    ("resident/shop/category/<slug:code>/", "resident-shop-category", "category"),
    ("resident/shop/listings/<int:pk>/", "resident-shop-listing", "listing"),
    ("resident/shop/merchants/<int:pk>/", "resident-shop-merchant", "merchant"),
    ("shop/photos/<int:pk>/", "shop-photo", "photo"),
    ("resident/shop/cart/", "resident-shop-cart", "cart"),
    ("resident/shop/cart/<int:pk>/", "resident-shop-cart-quantity", "cart_quantity"),
    ("resident/shop/cart/add/", "resident-shop-cart-add", "cart_add"),
    ("resident/shop/checkout/", "resident-shop-checkout", "checkout"),
    ("resident/shop/orders/", "resident-shop-orders", "orders"),
    ("resident/shop/orders/<int:pk>/", "resident-shop-order", "order"),
    ("resident/shop/orders/<int:pk>/cancel/", "resident-shop-order-cancel", "order_cancel"),
    ("resident/shop/orders/<int:pk>/confirm/", "resident-shop-order-confirm", "order_confirm"),
    ("resident/repairs/", "resident-repairs", "repairs"),
    ("resident/repairs/new/", "resident-repair-new", "repair_new"),
    ("resident/repairs/<int:pk>/", "resident-repair", "repair"),
    ("resident/repairs/<int:pk>/confirm/", "resident-repair-confirm", "repair_confirm"),
    ("resident/repairs/<int:pk>/cancel/", "resident-repair-cancel", "repair_cancel"),
    ("staff/desk/", "staff-desk-queue", "queue"),
    ("staff/desk/board/", "staff-desk-board", "board"),
    ("staff/desk/new/", "staff-desk-intake", "intake"),
    ("staff/desk/tickets/<int:pk>/", "staff-desk-ticket", "ticket_page"),
    ("staff/desk/tickets/<int:pk>/<slug:step>/", "staff-desk-step", "ticket_step"),
    ("staff/desk/photos/<int:pk>/", "staff-desk-photo", "photo"),
    ("resident/repairs/photos/<int:pk>/", "resident-repair-photo", "repair_photo"),
    ("staff/desk/settings/", "staff-desk-settings", "desk_settings"),
    ("resident/renovation/", "resident-renovations", "applications"),
    ("resident/renovation/new/", "resident-renovation-new", "apply"),
    ("resident/renovation/<int:pk>/", "resident-renovation", "application"),
    ("resident/renovation/<int:pk>/cancel/", "resident-renovation-cancel", "cancel"),
    ("resident/renovation/documents/<int:pk>/", "resident-renovation-document", "document"),
    ("staff/renovation/", "staff-renovation-queue", "queue_page"),
    ("staff/renovation/permit-check/", "staff-renovation-permit-check", "permit_check"),
    ("staff/renovation/<int:pk>/", "staff-renovation", "application_page"),
    ("staff/renovation/<int:pk>/<slug:step>/", "staff-renovation-step", "step"),
    ("staff/renovation/documents/<int:pk>/", "staff-renovation-document", "document"),
    ("staff/renovation/photos/<int:pk>/", "staff-renovation-photo", "photo"),
    ("privacy/", "privacy", "privacy_policy"),
    ("resident/my-data/", "resident-my-data", "my_data"),
    ("resident/my-data/download/", "resident-my-data-download", "my_data_download"),
    ("staff/privacy/erasure/", "staff-erasure-requests", "erasure_requests"),
    ("staff/privacy/erasure/<int:pk>/process/", "staff-erasure-process", "erasure_process_view"),
    ("staff/desk/complaints/", "staff-complaints", "queue"),
    ("staff/desk/complaints/new/", "staff-complaint-new", "intake"),
    ("staff/desk/complaints/analysis/", "staff-complaint-analysis", "analysis"),
    ("staff/desk/complaints/<int:pk>/", "staff-complaint", "complaint_page"),
    ("staff/desk/complaints/<int:pk>/<slug:step>/", "staff-complaint-step", "complaint_step"),
    ("staff/desk/satisfaction/", "staff-satisfaction", "satisfaction"),
    ("staff/desk/surveys/", "staff-surveys", "survey_list"),
    ("staff/desk/surveys/new/", "staff-survey-new", "survey_new"),
    ("staff/desk/surveys/<int:pk>/", "staff-survey", "survey_page"),
    ("staff/desk/surveys/<int:pk>/<slug:step>/", "staff-survey-step", "survey_step"),
    ("resident/complaints/", "resident-complaints", "complaints"),
    ("resident/complaints/new/", "resident-complaint-new", "complaint_new"),
    ("resident/complaints/<int:pk>/", "resident-complaint", "complaint"),
    ("resident/complaints/<int:pk>/<slug:step>/", "resident-complaint-step", "complaint_step"),
    ("resident/surveys/", "resident-surveys", "survey_list"),
    ("resident/surveys/<int:pk>/", "resident-survey", "survey"),
]
PLATFORM_URLS = [
    ("", "landing", "landing"),
    ("signup/", "signup", "company_signup"),
    ("privacy/", "privacy", "privacy_policy"),
]
SAMPLES = {"int": "7", "str": "sample", "slug": "sample"}
PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


def filled(route: str) -> tuple[str, dict[str, str]]:
    """The route with a sample value for each parameter, and those values by name."""
    kwargs = {m.group(2): SAMPLES[m.group(1) or "str"] for m in PARAMETER.finditer(route)}
    return "/" + PARAMETER.sub(lambda m: SAMPLES[m.group(1) or "str"], route), kwargs


def view_name(callback: object) -> str:
    view_class = getattr(callback, "view_class", None)
    return view_class.__name__ if view_class is not None else callback.__name__  # type: ignore[attr-defined]


CASES = [("portal", "backend.urls_tenant", *row) for row in TENANT_URLS] + [
    ("platform", "backend.urls_public", *row) for row in PLATFORM_URLS
]


@pytest.mark.parametrize(("namespace", "urlconf", "route", "name", "view"), CASES, ids=[c[3] for c in CASES])
def test_each_name_reverses_to_its_path_and_the_path_to_its_view(
    namespace: str, urlconf: str, route: str, name: str, view: str
) -> None:
    path, kwargs = filled(route)
    assert reverse(f"{namespace}:{name}", kwargs=kwargs, urlconf=urlconf) == path
    match = resolve(path, urlconf=urlconf)
    assert (match.namespace, match.url_name, view_name(match.func)) == (namespace, name, view)


def test_no_url_was_added_or_dropped_without_saying_so_here() -> None:
    def rows(patterns: list[object]) -> list[tuple[str, str, str]]:
        return [(str(p.pattern), str(p.name), view_name(p.callback)) for p in patterns if isinstance(p, URLPattern)]

    assert sorted(rows(portal.urls_tenant.urlpatterns)) == sorted(TENANT_URLS)
    assert sorted(rows(portal.urls_public.urlpatterns)) == sorted(PLATFORM_URLS)
