"""Inbox, preferences and announcements for everyone; publishing, delivery failures and the holiday
calendar for staff."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from backend.notifications import announcements as ann
from backend.notifications.api import preferences_of
from backend.notifications.holidays import holiday_list, holiday_remove, holiday_save
from backend.notifications.kinds import KINDS
from backend.notifications.models import Announcement, Delivery
from backend.notifications.selectors import notification_list
from backend.notifications.services import notification_mark_all_read, notification_mark_read, preferences_set
from backend.properties.scope import Scope
from backend.uploads.kinds import ANNOUNCEMENT_IMAGE
from backend.uploads.serving import upload_response
from tenants.http import CompanyRequest

from ..access import permission_required
from ..forms import AnnouncementForm, HolidayForm, PreferencesForm, add_service_errors


@permission_required(perms.MEMBER)
def inbox(request: CompanyRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    unread = request.GET.get("unread") == "1"
    qs = notification_list(user_id=request.user.pk, unread_only=unread, kind=kind if kind in KINDS else "")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    kinds = [(k.code, k.label) for k in KINDS.values()]
    return render(
        request,
        "portal/notifications.html",
        {"page": page, "kinds": kinds, "kind": kind, "unread": unread, "query": query.urlencode()},
    )


@permission_required(perms.MEMBER)
def notification_open(request: CompanyRequest, pk: int) -> HttpResponse:
    """Clicking a notification marks it read and opens the thing it is about."""
    notification = notification_mark_read(user_id=request.user.pk, notification_id=pk)
    if notification is None:
        raise Http404
    target = notification.url or "/notifications/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/notifications/"
    return redirect(target)


@permission_required(perms.MEMBER)
@require_POST
def read_all(request: CompanyRequest) -> HttpResponse:
    notification_mark_all_read(user_id=request.user.pk)
    return redirect("portal:notifications")


@permission_required(perms.MEMBER)
@require_http_methods(["GET", "POST"])
def preferences(request: CompanyRequest) -> HttpResponse:
    is_staff = perms.STAFF_AREA.granted_to(request.membership)
    current = preferences_of(request.user.pk, is_staff)
    form = PreferencesForm(
        request.POST or None,
        kinds=current["kinds"],
        initial={"quiet_start": current["quiet_start"], "quiet_end": current["quiet_end"]},
    )
    if request.method == "POST" and form.is_valid():
        kinds = {
            k["kind"]: {
                "email": form.cleaned_data[f"{k['kind']}__email"],
                "sms": form.cleaned_data[f"{k['kind']}__sms"],
            }
            for k in current["kinds"]
        }
        preferences_set(
            user=request.user,
            kinds=kinds,
            quiet_start=form.cleaned_data["quiet_start"],
            quiet_end=form.cleaned_data["quiet_end"],
        )
        messages.success(request, _("Saved."))
        return redirect("portal:notification-preferences")
    return render(
        request,
        "portal/notification_preferences.html",
        {"form": form, "kinds": current["kinds"]},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(perms.MEMBER)
def announcements(request: CompanyRequest) -> HttpResponse:
    page = Paginator(ann.announcements_for(user_id=request.user.pk), 20).get_page(request.GET.get("page"))
    return render(request, "portal/announcements/list.html", {"page": page, "query": ""})


@permission_required(perms.MEMBER)
def announcement_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    announcement = ann.announcements_for(user_id=request.user.pk).filter(pk=pk).first()
    if announcement is None:
        raise Http404
    ann.announcement_mark_read(announcement=announcement, user_id=request.user.pk)
    return render(request, "portal/announcements/detail.html", {"a": announcement})


@permission_required(perms.MEMBER)
def announcement_image(request: CompanyRequest, pk: int) -> HttpResponseBase:
    """An announcement's image, for the people it was sent to and for publishers (never public)."""
    qs = ann.announcements_visible(membership=request.membership, user_id=request.user.pk)
    announcement = qs.filter(pk=pk).first()
    if announcement is None:
        raise Http404
    return upload_response(announcement.image, kind=ANNOUNCEMENT_IMAGE, download_name=f"announcement-{announcement.pk}")


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
        "portal/announcements/staff.html",
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
        "portal/announcements/staff_detail.html",
        {
            "a": a,
            "rate": ann.read_rate(a),
            "recipients": [(names.get(r.user_id, "—"), r.read_at) for r in recipients],
            "read": a.recipients.filter(read_at__isnull=False).count(),
        },
    )


@permission_required(perms.DELIVERIES_READ)
def deliveries(request: CompanyRequest) -> HttpResponse:
    status = request.GET.get("status", Delivery.Status.FAILED)
    qs = Delivery.objects.filter(status=status).select_related("notification")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "portal/deliveries.html", {"page": page, "status": status, "query": f"status={status}"})


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
        "portal/holidays.html",
        {"form": form, "holidays": holiday_list()},
        status=400 if request.method == "POST" else 200,
    )
