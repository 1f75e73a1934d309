"""The company admin's erasure queue (删除个人信息申请): residents' requests, processed one by one."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from backend.privacy.erasure import erasure_process
from backend.privacy.selectors import erasure_requests_for_staff
from portal.access import permission_required
from tenants.http import CompanyRequest


@permission_required(perms.ERASURE_PROCESS)
@require_GET
def erasure_requests(request: CompanyRequest) -> HttpResponse:
    page = Paginator(erasure_requests_for_staff(), 50).get_page(request.GET.get("page"))
    return render(request, "portal/staff/privacy/erasure_requests.html", {"page": page})


@permission_required(perms.ERASURE_PROCESS)
@require_POST
def erasure_process_view(request: CompanyRequest, pk: int) -> HttpResponse:
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Confirm the erasure first."))
        return redirect("portal:staff-erasure-requests")
    try:
        erasure_process(request_id=pk, by=request.user)  # type: ignore[arg-type]
    except ApplicationError as error:
        if error.status == 404:
            raise Http404 from error
        messages.error(request, error.message)
    else:
        messages.success(request, _("Erased. The ledger records stay, anonymised."))
    return redirect("portal:staff-erasure-requests")
