"""What every member has, staff or resident: the notification inbox, notification preferences, and the
announcements sent to them (with their images)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts import permissions as perms
from backend.notifications import announcements as ann
from backend.notifications.api import preferences_of
from backend.notifications.kinds import KINDS
from backend.notifications.selectors import notification_list
from backend.notifications.services import notification_mark_all_read, notification_mark_read, preferences_set
from backend.uploads.kinds import ANNOUNCEMENT_IMAGE
from backend.uploads.serving import upload_response
from portal.access import permission_required
from portal.member.forms import PreferencesForm
from tenants.http import CompanyRequest


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
        "portal/member/notifications.html",
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
        "portal/member/preferences.html",
        {"form": form, "kinds": current["kinds"]},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(perms.MEMBER)
def announcements(request: CompanyRequest) -> HttpResponse:
    page = Paginator(ann.announcements_for(user_id=request.user.pk), 20).get_page(request.GET.get("page"))
    return render(request, "portal/member/announcements.html", {"page": page, "query": ""})


@permission_required(perms.MEMBER)
def announcement_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    announcement = ann.announcements_for(user_id=request.user.pk).filter(pk=pk).first()
    if announcement is None:
        raise Http404
    ann.announcement_mark_read(announcement=announcement, user_id=request.user.pk)
    return render(request, "portal/member/announcement.html", {"a": announcement})


@permission_required(perms.MEMBER)
def announcement_image(request: CompanyRequest, pk: int) -> HttpResponseBase:
    """An announcement's image, for the people it was sent to and for publishers (never public)."""
    qs = ann.announcements_visible(membership=request.membership, user_id=request.user.pk)
    announcement = qs.filter(pk=pk).first()
    if announcement is None:
        raise Http404
    return upload_response(announcement.image, kind=ANNOUNCEMENT_IMAGE, download_name=f"announcement-{announcement.pk}")
