"""我的个人信息 / My data: download everything the company holds about me (JSON), and ask for its erasure."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from backend.privacy.erasure import erasure_request_create
from backend.privacy.personal_data import COLLECTORS, personal_data_collect
from backend.privacy.selectors import erasure_request_pending_of
from portal.access import permission_required
from portal.common.forms import add_service_errors
from tenants.http import CompanyRequest


class ErasureRequestForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand: my personal data here will be erased and my account closed"),
        required=True,
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )
    reason = forms.CharField(label=gettext_lazy("Reason (optional)"), max_length=300, required=False)


@permission_required(perms.MY_DATA)
@require_http_methods(["GET", "POST"])
def my_data(request: CompanyRequest) -> HttpResponse:
    form = ErasureRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            erasure_request_create(user=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Your request has been sent. The company will process it and close your account.")
            )
            return redirect("portal:resident-my-data")
    return render(
        request,
        "portal/resident/my_data.html",
        {
            "form": form,
            "pending": erasure_request_pending_of(user=request.user),  # type: ignore[arg-type]
            "sections": list(COLLECTORS),
        },
        status=400 if request.method == "POST" else 200,
    )


@permission_required(perms.MY_DATA)
@require_GET
def my_data_download(request: CompanyRequest) -> HttpResponse:
    data = personal_data_collect(user=request.user)  # type: ignore[arg-type]
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    name = f"my-data-{request.tenant.slug}-{timezone.localdate():%Y%m%d}.json"  # type: ignore[attr-defined]
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
