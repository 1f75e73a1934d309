"""The company admin's record pages: the audit log (操作日志) and the messages that could not be delivered."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from backend.accounts import permissions as perms
from backend.audit.selectors import audit_entry_list
from backend.notifications.models import Delivery
from portal.access import permission_required
from portal.staff.audit.forms import AuditFilterForm
from tenants.http import CompanyRequest


@permission_required(perms.AUDIT_READ)
def audit_log(request: CompanyRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = audit_entry_list(**{k: v for k, v in filters.items() if v})
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "portal/staff/audit/audit_log.html", {"form": form, "page": page, "query": query.urlencode()}
    )


@permission_required(perms.DELIVERIES_READ)
def deliveries(request: CompanyRequest) -> HttpResponse:
    status = request.GET.get("status", Delivery.Status.FAILED)
    qs = Delivery.objects.filter(status=status).select_related("notification")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request, "portal/staff/audit/deliveries.html", {"page": page, "status": status, "query": f"status={status}"}
    )
