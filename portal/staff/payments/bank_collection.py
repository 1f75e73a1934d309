"""Portal pages: 银行托收 (bank collection) for finance and company admins (routes in this package's urls.py).

- payments-bank-collection: upload the bank's result file; the imports so far
- payments-bank-collection-detail: one import. Pending: every row as it would be counted, the problems by
  row and column, the totals, and Confirm (only for a file without problems). Applied: what it did.
- payments-bank-collection-template: the columns, as a CSV with an example row

Every write goes through backend/payments/bank_collection.py; lookups go through the caller's scope."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from backend.accounts.permissions import PAYMENT_RECORD
from backend.errors import ApplicationError
from backend.payments.bank_collection import (
    CollectionRejected,
    bank_collection_apply,
    bank_collection_upload,
    bank_collections_visible,
    collection_debits,
    collection_of,
    template_csv,
)
from backend.payments.models import BankCollection
from backend.uploads.fields import UploadFormField
from backend.uploads.kinds import BANK_COLLECTION_RESULT
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

TEMPLATE = "portal/staff/payments/bank_collection.html"
SHOWN_ROWS = 500  # the rows a page lists; the totals count them all


class BankCollectionForm(forms.Form):
    file = UploadFormField(
        kind=BANK_COLLECTION_RESULT,
        label=gettext_lazy("The bank's result file (.csv or .xlsx)"),
    )


def _collection_or_404(request: CompanyRequest, pk: int) -> BankCollection:
    found = bank_collections_visible(scope=scope_of(request), user=request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@permission_required(PAYMENT_RECORD)
@require_http_methods(["GET", "POST"])
def bank_collection(request: CompanyRequest) -> HttpResponse:
    form = BankCollectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            collection, check = bank_collection_upload(
                upload=form.cleaned_data["file"], scope=scope_of(request), by=request.user
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            if check is None:
                messages.info(request, _("This file was imported already; nothing was counted again."))
            return redirect("portal:payments-bank-collection-detail", collection.pk)
    imports = bank_collections_visible(scope=scope_of(request), user=request.user)[:20]
    return render(
        request,
        TEMPLATE,
        {"form": form, "imports": imports},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(PAYMENT_RECORD)
@require_http_methods(["GET", "POST"])
def bank_collection_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    collection = _collection_or_404(request, pk)
    scope = scope_of(request)
    status = 200
    if request.method == "POST":
        try:
            collection = bank_collection_apply(collection_id=collection.pk, scope=scope, by=request.user)
        except CollectionRejected:
            messages.error(request, _("Nothing was imported: the file has problems (see below)."))
            status = 400
        except ApplicationError as error:
            messages.error(request, error.message)
            status = 400
        else:
            messages.success(
                request,
                _("Imported: %(n)s debits became payments.") % {"n": collection.succeeded},
            )
            return redirect("portal:payments-bank-collection-detail", collection.pk)
    context: dict[str, Any] = {"collection": collection}
    if collection.status == BankCollection.Status.APPLIED:
        debits = list(collection_debits(collection, scope=scope))
        context.update(
            debits=debits[:SHOWN_ROWS],
            more=max(0, len(debits) - SHOWN_ROWS),
            failed_amount=sum(d.amount for d in debits if d.outcome == "failed"),
            skipped_amount=sum(d.amount for d in debits if d.outcome == "skipped"),
        )
    else:
        try:
            check = collection_of(BankCollection.objects.get(pk=collection.pk), scope=scope, by=request.user)
        except ApplicationError as error:  # a file the checks of today no longer read
            messages.error(request, error.message)
            return render(request, TEMPLATE, {"collection": collection, "unreadable": True}, status=400)
        context.update(
            check=check,
            totals=check.totals(),
            rows=check.debits[:SHOWN_ROWS],
            more=max(0, len(check.debits) - SHOWN_ROWS),
        )
    return render(request, TEMPLATE, context, status=status)


@permission_required(PAYMENT_RECORD)
def bank_collection_template(request: CompanyRequest) -> HttpResponse:
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="bank-collection-template.csv"'
    return response
