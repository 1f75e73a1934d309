"""Staff pages of notifications: publishing and withdrawing announcements (with who read them), and the
holiday calendar whose greetings go to every resident."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from backend.notifications import announcements as ann
from backend.notifications.holidays import holiday_list, holiday_remove, holiday_save
from backend.notifications.models import Announcement
from backend.properties.scope import Scope
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.staff.notifications.forms import AnnouncementForm, HolidayForm
from tenants.http import CompanyRequest


@permission_required(perms.ANNOUNCEMENT_PUBLISH)
@require_http_methods(["GET", "POST"])
def staff_announcements(request: CompanyRequest) -> HttpResponse:
    scope = Scope.of(request.membership)
    form = AnnouncementForm(request.POST or None, request.FILES or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            a = ann.announcement_create(
                title=d["title"],
                body=d["body"],
                by=request.user,
                scope=scope,
                target_all=d["target_all"],
                estate_ids=[int(i) for i in d["estate_ids"]],
                building_ids=[int(i) for i in d["building_ids"]],
                roles=d["roles"],
                publish_at=d["publish_at"],
                pinned=d["pinned"],
                image=d.get("image"),
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            if a.status == Announcement.Status.PUBLISHED:
                messages.success(request, _("Published to %(n)s people.") % {"n": a.recipients_count})
            else:
                messages.success(request, _("Scheduled."))
            return redirect("portal:staff-announcement", pk=a.pk)
    page = Paginator(ann.announcement_list_for_staff(scope=scope), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/staff/notifications/announcements.html",
        {"form": form, "page": page, "query": ""},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(perms.ANNOUNCEMENT_PUBLISH)
@require_http_methods(["GET", "POST"])
def staff_announcement(request: CompanyRequest, pk: int) -> HttpResponse:
    scope = Scope.of(request.membership)
    a = get_object_or_404(ann.announcements_managed(scope=scope), pk=pk)
    if request.method == "POST" and request.POST.get("withdraw"):
        ann.announcement_withdraw(announcement=a, scope=scope)
        messages.success(request, _("Withdrawn."))
        return redirect("portal:staff-announcement", pk=a.pk)
    from backend.accounts.models import User

    recipients = list(a.recipients.order_by("read_at")[:500])
    names = dict(User.objects.filter(pk__in=[r.user_id for r in recipients]).values_list("pk", "name"))
    return render(
        request,
        "portal/staff/notifications/announcement.html",
        {
            "a": a,
            "rate": ann.read_rate(a),
            "recipients": [(names.get(r.user_id, "—"), r.read_at) for r in recipients],
            "read": a.recipients.filter(read_at__isnull=False).count(),
        },
    )


@permission_required(perms.HOLIDAYS_MANAGE)
@require_http_methods(["GET", "POST"])
def holidays(request: CompanyRequest) -> HttpResponse:
    form = HolidayForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("delete"):
            if request.POST["delete"].isdigit():
                holiday_remove(holiday_id=int(request.POST["delete"]))
            return redirect("portal:holidays")
        if form.is_valid():
            try:
                holiday_save(**form.cleaned_data)
            except ApplicationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("portal:holidays")
    return render(
        request,
        "portal/staff/notifications/holidays.html",
        {"form": form, "holidays": holiday_list()},
        status=400 if request.method == "POST" else 200,
    )
