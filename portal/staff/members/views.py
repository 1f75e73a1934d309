"""The company's members: invite colleagues (and withdraw invitations), change a member's roles and
data scope."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backend.access.models import Invitation
from backend.access.selectors import invitation_list, member_list, role_names
from backend.access.services import ScopeChange, invitation_create, invitation_revoke, membership_access_set
from backend.accounts import permissions as perms
from backend.accounts.models import Membership
from backend.errors import ApplicationError
from backend.properties.scope import Scope
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.staff.members.forms import InvitationForm, MemberEditForm
from tenants.http import CompanyRequest


@permission_required(perms.MEMBERS_MANAGE)
@require_http_methods(["GET", "POST"])
def members(request: CompanyRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None)
    link = None
    if request.method == "POST" and form.is_valid():
        try:
            _inv, link = invitation_create(
                invited_by=request.user,
                portal_base_url=f"{request.scheme}://{request.get_host()}",  # type: ignore[arg-type]
                **form.cleaned_data,
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            form = InvitationForm()
    context = {
        "form": form,
        "new_link": link,
        "members": member_list(tenant=request.tenant),  # type: ignore[attr-defined]
        "invitations": invitation_list(),
        "role_names": role_names(),
    }
    status = 400 if request.method == "POST" and link is None else 200
    return render(request, "portal/staff/members/members.html", context, status=status)


@permission_required(perms.MEMBERS_MANAGE)
@require_POST
def invitation_withdraw(request: CompanyRequest, pk: int) -> HttpResponse:
    try:
        invitation_revoke(invitation=get_object_or_404(Invitation, pk=pk))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Invitation withdrawn."))
    return redirect("portal:staff-members")


@permission_required(perms.MEMBERS_MANAGE)
@require_http_methods(["GET", "POST"])
def member_edit(request: CompanyRequest, pk: int) -> HttpResponse:
    """Roles (功能权限) and data scope (数据权限) of one member."""
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, tenant=request.tenant)
    initial = {
        "roles": membership.roles,
        "scope_all": membership.scope_all,
        "scope_office_ids": [str(i) for i in membership.scope_office_ids],
        "scope_estate_ids": [str(i) for i in membership.scope_estate_ids],
    }
    form = MemberEditForm(request.POST or None, initial=initial, scope=Scope.everything())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership_access_set(
                membership=membership,
                by=request.user,
                roles=data["roles"],
                scope=ScopeChange(
                    scope_all=data["scope_all"],
                    office_ids=tuple(int(i) for i in data["scope_office_ids"]),
                    estate_ids=tuple(int(i) for i in data["scope_estate_ids"]),
                ),
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("portal:staff-members")
    return render(
        request,
        "portal/staff/members/member_edit.html",
        {"member": membership, "form": form},
        status=400 if request.method == "POST" else 200,
    )
