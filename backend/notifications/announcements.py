"""Announcements (公告 / 温馨提示) and greetings: staff write, target, schedule and pin; residents of the
targeted estates/buildings (or holders of the targeted roles) get a notification and can read it; staff see
who read it."""

from __future__ import annotations

import datetime as dt

import nh3
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts import permissions as perms
from backend.accounts.models import Membership, User
from backend.accounts.roles import Role
from backend.audit.services import audit_record
from backend.errors import ApplicationError, not_found
from backend.properties.models import Building, Estate, Person
from backend.properties.scope import Scope
from backend.properties.selectors import AreaSelection, areas_outside_scope, areas_within_q
from backend.uploads.storage import files_removed_on_error
from backend.uploads.validation import AcceptedUpload

from .models import Announcement, AnnouncementRecipient, Holiday, Notification
from .recipients import Recipients, recipients_resolve
from .services import notify

# The roles of perms.ANNOUNCEMENT_PUBLISH, for portal/views/notifications.py until the portal asks the
# catalogue itself (its move by audience and area does); nothing else reads it.
ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "h3", "h4", "blockquote", "a", "span"}


def body_clean(html: str) -> str:
    """Rich text as staff type it, without scripts, styles, event handlers or foreign embeds."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes={"a": {"href"}}, link_rel="noopener noreferrer")


def announcement_recipients(a: Announcement) -> Recipients:
    return Recipients(
        everyone=a.target_all,
        estate_ids=tuple(a.target_estate_ids),
        building_ids=tuple(a.target_building_ids),
        roles=tuple(a.target_roles),
    )


def _target_errors(
    *, scope: Scope, target_all: bool, estate_ids: list[int], building_ids: list[int], roles: list[str]
) -> dict[str, list[str]]:
    """A publisher addresses only what their data scope covers. The whole company, and roles (whose holders
    are found company-wide), need a company-wide scope."""
    errors: dict[str, list[str]] = {}
    if target_all and not scope.all_offices:
        errors["target_all"] = [_("Only staff who cover the whole company can address everyone.")]
    if roles and not scope.all_offices:
        errors["roles"] = [
            _("A role reaches the whole company: only staff who cover the whole company can address it.")
        ]
    outside = areas_outside_scope(
        scope=scope, selection=AreaSelection.of(estate_ids=estate_ids, building_ids=building_ids)
    )
    if Estate.objects.filter(pk__in=estate_ids).count() != len(estate_ids):
        errors["estate_ids"] = [_("Unknown estate.")]
    elif "estate_ids" in outside:
        errors["estate_ids"] = [_("Choose estates in your scope.")]
    if Building.objects.filter(pk__in=building_ids).count() != len(building_ids):
        errors["building_ids"] = [_("Unknown building.")]
    elif "building_ids" in outside:
        errors["building_ids"] = [_("Choose buildings in your scope.")]
    return errors


def announcement_create(
    *,
    title: str,
    body: str,
    by: User,
    scope: Scope,
    target_all: bool = False,
    estate_ids: list[int] | None = None,
    building_ids: list[int] | None = None,
    roles: list[str] | None = None,
    publish_at: dt.datetime | None = None,
    pinned: bool = False,
    image: AcceptedUpload | None = None,
) -> Announcement:
    """`image` (uploads kind ANNOUNCEMENT_IMAGE) was checked and re-encoded by the field it came through."""
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    clean = body_clean(body)
    if not title:
        errors["title"] = [_("Enter a title.")]
    if not nh3.clean(clean, tags=set()).strip():
        errors["body"] = [_("Write the announcement.")]
    estate_ids = sorted({int(i) for i in estate_ids or []})
    building_ids = sorted({int(i) for i in building_ids or []})
    roles = sorted({r for r in roles or [] if r in Role.values})
    if not (target_all or estate_ids or building_ids or roles):
        errors["target_all"] = [_("Choose who it is for: the whole company, estates, buildings or roles.")]
    errors.update(
        _target_errors(
            scope=scope, target_all=target_all, estate_ids=estate_ids, building_ids=building_ids, roles=roles
        )
    )
    now = timezone.now()
    if publish_at is not None and publish_at < now - dt.timedelta(minutes=5):
        errors["publish_at"] = [_("Choose a time from now on, or leave it empty to publish now.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    announcement = Announcement(
        title=title[:120],
        body=clean,
        image=image.content_file() if image else "",
        target_all=target_all,
        target_estate_ids=estate_ids,
        target_building_ids=building_ids,
        target_roles=roles,
        publish_at=publish_at or now,
        pinned=pinned,
        created_by=by,
    )
    with files_removed_on_error(announcement), transaction.atomic():
        announcement.save()
        audit_record(
            action="announcement.create",
            target=announcement,
            changes={"publish_at": announcement.publish_at.isoformat(), "pinned": pinned},
        )
        if announcement.publish_at <= now:
            announcement_publish(announcement=announcement)
    return announcement


def announcement_publish(*, announcement: Announcement) -> int:
    """Reach everyone targeted (once: the rows are unique per person); returns how many."""
    with transaction.atomic():
        a = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if a.status != Announcement.Status.SCHEDULED:
            return 0
        user_ids = recipients_resolve(announcement_recipients(a))
        AnnouncementRecipient.objects.bulk_create(
            [AnnouncementRecipient(announcement=a, user_id=uid) for uid in user_ids],
            batch_size=2000,
            ignore_conflicts=True,
        )
        a.status = Announcement.Status.PUBLISHED
        a.published_at = timezone.now()
        a.recipients_count = len(user_ids)
        a.save(update_fields=["status", "published_at", "recipients_count"])
        notify(
            recipients=Recipients(user_ids=tuple(user_ids)),
            kind=a.kind,
            title=a.title,
            body=nh3.clean(a.body, tags=set())[:300],
            url=f"/announcements/{a.pk}/",
            payload={"announcement": a.pk},
        )
        audit_record(action="announcement.publish", target=a, changes={"recipients": len(user_ids)})
    announcement.status, announcement.recipients_count = a.status, a.recipients_count
    return len(user_ids)


def announcements_publish_due() -> int:
    due = Announcement.objects.filter(status=Announcement.Status.SCHEDULED, publish_at__lte=timezone.now())
    return sum(announcement_publish(announcement=a) for a in due.order_by("publish_at"))


def announcement_withdraw(*, announcement: Announcement, scope: Scope) -> Announcement:
    """Withdraw an announcement the publisher manages (not found otherwise: one addressed beyond their scope)."""
    if not announcements_managed(scope=scope).filter(pk=announcement.pk).exists():
        raise not_found()
    with transaction.atomic():
        announcement.status = Announcement.Status.WITHDRAWN
        announcement.pinned = False
        announcement.save(update_fields=["status", "pinned"])
        audit_record(action="announcement.withdraw", target=announcement)
    return announcement


def announcement_mark_read(*, announcement: Announcement, user_id: int) -> None:
    now = timezone.now()
    AnnouncementRecipient.objects.filter(announcement=announcement, user_id=user_id, read_at__isnull=True).update(
        read_at=now
    )
    Notification.objects.filter(
        recipient_id=user_id, payload__announcement=announcement.pk, read_at__isnull=True
    ).update(read_at=now)


# --- reads -------------------------------------------------------------------------------------------


def announcements_for(*, user_id: int) -> QuerySet[Announcement]:
    """What a person was sent and can still read: pinned first, newest first."""
    return (
        Announcement.objects.filter(status=Announcement.Status.PUBLISHED, recipients__user_id=user_id)
        .annotate(read=Count("recipients", filter=Q(recipients__user_id=user_id, recipients__read_at__isnull=False)))
        .order_by("-pinned", "-published_at")
    )


def announcements_managed(*, scope: Scope) -> QuerySet[Announcement]:
    """The announcements a publisher may see with who read them, and withdraw: every one for company-wide staff;
    for scoped staff those addressed only to estates and buildings within their scope (the whole company or a
    role reaches people beyond it)."""
    qs = Announcement.objects.all()
    if scope.all_offices:
        return qs
    beyond = Q(target_all=True) | ~Q(target_roles=[])
    within = areas_within_q(
        scope=scope, office_field=None, estate_field="target_estate_ids", building_field="target_building_ids"
    )
    return qs.filter(~beyond & within)


def announcement_list_for_staff(*, scope: Scope) -> QuerySet[Announcement]:
    return (
        announcements_managed(scope=scope)
        .annotate(read_count=Count("recipients", filter=Q(recipients__read_at__isnull=False)))
        .order_by("-pinned", "-publish_at")
    )


def announcements_visible(*, membership: Membership | None, user_id: int) -> QuerySet[Announcement]:
    """What a member may open (the API list, the image): what they were sent, and for publishers also what
    they manage."""
    received = Announcement.objects.filter(status=Announcement.Status.PUBLISHED, recipients__user_id=user_id)
    if not perms.ANNOUNCEMENT_PUBLISH.granted_to(membership):
        return received.order_by("-pinned", "-published_at")
    managed = announcements_managed(scope=Scope.of(membership))
    return Announcement.objects.filter(Q(pk__in=managed.values("pk")) | Q(pk__in=received.values("pk"))).order_by(
        "-pinned", "-publish_at"
    )


def read_rate(announcement: Announcement) -> float:
    total = announcement.recipients.count()
    return announcement.recipients.filter(read_at__isnull=False).count() / total if total else 0.0


# --- greetings ---------------------------------------------------------------------------------------


def greetings_send(today: dt.date | None = None) -> int:
    """Birthday greetings to residents with a portal account whose birthday is today, and the holiday
    greeting of the day to every resident. Idempotent per day (one greeting per person and day)."""
    today = today or timezone.localdate()
    sent = 0
    already = set(
        Notification.objects.filter(kind="greeting", payload__date=today.isoformat()).values_list(
            "recipient_id", flat=True
        )
    )
    birthdays = (
        Person.objects.filter(
            birthday__month=today.month, birthday__day=today.day, user__isnull=False, occupancies__end_date__isnull=True
        )
        .exclude(user_id__in=already)
        .distinct()
    )
    for person in birthdays:
        assert person.user_id is not None
        notify(
            recipients=Recipients(user_ids=(person.user_id,)),
            kind="greeting",
            title=_("Happy birthday, %(name)s!") % {"name": person.name},
            body=_("Best wishes from your property service team."),
            payload={"date": today.isoformat()},
        )
        already.add(person.user_id)
        sent += 1
    holiday = Holiday.objects.filter(date=today).first()
    if holiday is not None:
        residents = Recipients(roles=(Role.RESIDENT,), exclude_user_ids=tuple(sorted(already)))
        sent += len(
            notify(
                recipients=residents,
                kind="greeting",
                title=holiday.name,
                body=holiday.greeting,
                payload={"date": today.isoformat()},
            )
        )
    return sent
