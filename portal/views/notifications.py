from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from backend.accounts.roles import ALL_ROLES
from backend.notifications.selectors import notification_list
from backend.notifications.services import notification_mark_all_read
from tenants.http import CompanyRequest

from ..access import role_required


@role_required(ALL_ROLES)
def inbox(request: CompanyRequest) -> HttpResponse:
    page = Paginator(notification_list(user_id=request.user.pk), 30).get_page(request.GET.get("page"))
    return render(request, "portal/notifications.html", {"page": page})


@role_required(ALL_ROLES)
@require_POST
def read_all(request: CompanyRequest) -> HttpResponse:
    notification_mark_all_read(user_id=request.user.pk)
    return redirect("portal:notifications")
