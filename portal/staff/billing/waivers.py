"""Waivers (减免) and corrections (红冲) of bill lines: billing staff ask, a second person with the approval
permission decides (four eyes: never the one who asked)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.billing import ledger
from backend.billing.models import BillLine, WaiverRequest
from backend.billing.money import yuan
from backend.billing.selectors import bill_lines_for, lines_with_balances
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.links import statement_url
from portal.common.scope import scope_of, units_in_scope
from portal.staff.billing.forms import WaiverDecisionForm, WaiverRequestForm
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/billing"


@permission_required(perms.WAIVER_REQUEST)
@require_http_methods(["GET", "POST"])
def waiver_request(request: CompanyRequest, pk: int) -> HttpResponse:
    scope = scope_of(request)
    line = (
        lines_with_balances(bill_lines_for(scope, BillLine.objects.filter(pk=pk)))
        .select_related("fee_item", "unit")
        .first()
    )
    if line is None:
        raise Http404
    form = WaiverRequestForm(request.POST or None, initial={"amount": int(line.owed) or None})  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ledger.waiver_request(
                line=line, amount=data["amount"], reason=data["reason"], by=request.user, kind=data["kind"]
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Waiver requested. A second person approves it."))
            return redirect("portal:billing-waiver-request", pk=line.pk)
    return render(
        request,
        f"{TEMPLATES}/waiver_request.html",
        {
            "line": line,
            "unit": line.unit,
            "form": form,
            "requests": WaiverRequest.objects.filter(bill_line=line).select_related("requested_by", "decided_by"),
            "statement_url": statement_url(line.unit_id),
            "may_decide": perms.WAIVER_APPROVE.granted_to(request.membership),
        },
        status=400 if request.method == "POST" else 200,
    )


def _waivers_in_scope(request: CompanyRequest) -> QuerySet[WaiverRequest]:
    return WaiverRequest.objects.filter(bill_line__unit__in=units_in_scope(request)).select_related(
        "bill_line__fee_item", "bill_line__unit", "requested_by", "decided_by"
    )


@permission_required(perms.WAIVER_APPROVE)
@require_http_methods(["GET", "POST"])
def waivers(request: CompanyRequest) -> HttpResponse:
    """Pending waivers to approve or reject (four-eyes: not the requester), and the ones decided."""
    failed: dict[int, WaiverDecisionForm] = {}
    status = 200
    if request.method == "POST":
        raw = request.POST.get("waiver", "")
        waiver = _waivers_in_scope(request).filter(pk=int(raw)).first() if raw.isdigit() else None
        if waiver is None:
            raise Http404
        form = WaiverDecisionForm(request.POST)
        if form.is_valid():
            approve = form.cleaned_data["decision"] == "approve"
            try:
                ledger.waiver_decide(request=waiver, by=request.user, approve=approve, note=form.cleaned_data["note"])
            except ApplicationError as error:
                add_service_errors(form, error)
            else:
                if approve:
                    messages.success(
                        request,
                        _("Approved: %(amount)s credited to %(unit)s.")
                        % {"amount": yuan(waiver.amount), "unit": waiver.bill_line.unit.label},
                    )
                else:
                    messages.success(request, _("Rejected. The requester has been told why."))
                return redirect("portal:billing-waivers")
        failed[waiver.pk] = form
        status = 400
    pending = lines_and_owed(
        _waivers_in_scope(request).filter(status=WaiverRequest.Status.PENDING).order_by("requested_at", "id")
    )
    decided = _waivers_in_scope(request).exclude(status=WaiverRequest.Status.PENDING).order_by("-decided_at", "-id")
    page = Paginator(decided, 30).get_page(request.GET.get("page"))
    return render(
        request,
        f"{TEMPLATES}/waivers.html",
        {
            "pending": pending,
            "page": page,
            "failed": failed,
            # a decision on a waiver no longer pending (decided meanwhile by someone else): say so on top
            "stray": [form for pk, form in failed.items() if pk not in {w.pk for w in pending}],
            "query": "",
        },
        status=status,
    )


def lines_and_owed(waivers_qs: QuerySet[WaiverRequest]) -> list[WaiverRequest]:
    """The waivers with their line's current owed amount (`line_owed`), for the approver to compare."""
    rows = list(waivers_qs)
    lines = lines_with_balances(BillLine.objects.filter(pk__in={w.bill_line_id for w in rows}))
    owed = {line.pk: line.owed for line in lines}  # type: ignore[attr-defined]
    for w in rows:
        w.line_owed = int(owed.get(w.bill_line_id, 0))  # type: ignore[attr-defined]
    return rows
