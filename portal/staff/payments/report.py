"""The payment report: money received over a day range by day, method, cashier and channel, refunds and
net; the same as .xlsx."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from backend.payments import reports
from portal.access import permission_required
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/payments"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@permission_required(perms.PAYMENTS_READ)
def report(request: CompanyRequest) -> HttpResponse:
    scope = scope_of(request)
    errors: dict[str, list[str]] = {}
    try:
        days = reports.parse_day_range(request.GET)
    except ApplicationError as error:
        errors = error.fields
        days = reports.this_month()
    summary = reports.payments_summary(scope=scope, days=days)
    if request.GET.get("format") == "xlsx" and not errors:
        response = HttpResponse(reports.summary_xlsx(summary), content_type=XLSX)
        name = f"payments-{days.start:%Y%m%d}-{days.end:%Y%m%d}"
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    values = {"start": days.start.isoformat(), "end": days.end.isoformat()}
    if errors:
        values = {k: str(request.GET.get(k, "")) for k in ("start", "end")}
    return render(
        request,
        f"{TEMPLATES}/report.html",
        {
            "summary": summary,
            "errors": errors,
            "values": values,
            "export_url": f"{reverse('portal:payments-report')}?{urlencode({**days.params(), 'format': 'xlsx'})}",
            "list_url": f"{reverse('portal:payments-list')}?{urlencode(days.params())}",
            "sections": [
                (_("By method"), _("Method"), summary.by_method),
                (_("By cashier"), _("Cashier"), summary.by_cashier),
                (_("By channel"), _("Channel"), summary.by_channel),
            ],
        },
        status=400 if errors else 200,
    )
