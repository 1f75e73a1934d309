"""The company's billing settings page: bill run and due days, the prepaid balance's settlement order, the
meter anomaly threshold, the reminder ladder (催缴) and sanctions."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.billing.configuration import billing_settings_update, billing_settings_values
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.staff.billing.forms import BillingSettingsForm
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/billing"


@permission_required(perms.BILLING_MANAGE)
@require_http_methods(["GET", "POST"])
def billing_settings(request: CompanyRequest) -> HttpResponse:
    form = BillingSettingsForm(request.POST or None, initial=billing_settings_values())
    if request.method == "POST" and form.is_valid():
        try:
            changes = billing_settings_update(values=form.cleaned_data)
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Billing settings saved.") if changes else _("Nothing changed."))
            return redirect("portal:billing-settings")
    groups = [
        (_("Bill runs"), ["billing_day", "payment_due_day", "auto_bill_run", "meter_anomaly_ratio"]),
        (_("Prepaid balance (预收)"), ["settlement_order"]),
        (
            _("Payment reminders (催缴)"),
            [
                "reminders_enabled",
                "remind_days_before_due",
                "remind_on_overdue",
                "remind_every_days",
                "remind_max_per_week",
                "remind_hour_from",
                "remind_hour_to",
            ],
        ),
        (_("Sanctions"), ["sanctions", "sanction_min_overdue_days"]),
    ]
    return render(
        request,
        f"{TEMPLATES}/settings.html",
        {"form": form, "groups": [(title, [form[n] for n in names]) for title, names in groups]},
        status=400 if request.method == "POST" else 200,
    )
