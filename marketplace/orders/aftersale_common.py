"""What the after-sale services share: photos (through backend.uploads), who at the company hears of an
escalated refund or a new complaint (members holding marketplace_manage whose data scope covers the home),
and the public index rows the merchant portal lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from backend.accounts import permissions as perms
from backend.accounts.models import Membership
from backend.errors import ApplicationError
from backend.notifications.services import notifications_create
from backend.properties.models import Unit
from backend.properties.scope import Scope
from backend.uploads.storage import files_removed_on_error
from backend.uploads.validation import AcceptedUpload
from tenants.db import connection

from .aftersale_models import AftersalePhoto

MAX_PHOTOS = 6
TEXT_MAX = 500


def photos_check(photos: Sequence[AcceptedUpload] | None) -> list[AcceptedUpload]:
    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS:
        raise ApplicationError.for_fields({"photos": [_("At most %(n)s photos.") % {"n": MAX_PHOTOS}]})
    return photos


def photos_add(photos: Iterable[AcceptedUpload], **owner: Any) -> int:
    """Store accepted photos for one refund request, review or complaint (`refund=`, `review=`, `complaint=`);
    a failure later in the transaction removes the files again."""
    count = 0
    for image in photos:
        photo = AftersalePhoto(image=image.content_file(), **owner)
        with files_removed_on_error(photo):
            photo.save()
        count += 1
    return count


def text_clean(value: str | None, field: str, *, required: bool, limit: int = TEXT_MAX) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ApplicationError.for_fields({field: [_("This field is required.")]})
    if len(text) > limit:
        raise ApplicationError.for_fields({field: [_("At most %(n)d characters.") % {"n": limit}]})
    return text


def marketplace_staff_for(unit: Unit) -> list[int]:
    """Active members of this company who run the marketplace and whose data scope covers the home."""
    members = Membership.objects.filter(
        tenant=connection.tenant, is_active=True, roles__overlap=sorted(perms.MARKETPLACE_MANAGE.roles)
    ).filter(
        Q(scope_all=True)
        | Q(scope_office_ids__contains=[unit.office_id])
        | Q(scope_estate_ids__contains=[unit.estate_id])
    )
    return sorted(set(members.values_list("user_id", flat=True)))


def tell_staff(unit: Unit, *, kind: str, title: str, body: str, url: str, payload: dict[str, Any]) -> None:
    ids = marketplace_staff_for(unit)
    if ids:
        notifications_create(user_ids=ids, kind=kind, title=title, body=body, url=url, payload=payload)


def staff_scope_q(scope: Scope) -> Q:
    """Rows with a `unit` the staff member's data scope covers."""
    return scope.unit_q("unit__")
