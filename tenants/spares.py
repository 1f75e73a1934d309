"""A small pool of spare company schemas, cloned from the template ahead of time.

Cloning runs django-tenants' clone_schema(), which inspects the catalog table by table: about 200 ms for
today's schema and growing with every table later issues add. Onboarding instead claims a spare and
renames it (ALTER SCHEMA … RENAME, a catalog update), so it takes the same few milliseconds however large
the schema grows; the pool is refilled after commit by a Celery task (and by platform_setup). Spares are
Tenant rows, so migrate_schemas keeps them current like any company; they have no domain and are never
served or scheduled. With the pool empty, onboarding clones on the spot.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.db import connection, transaction

from .models import Tenant
from .schema_clone import schema_clone

logger = logging.getLogger(__name__)


def spare_claim() -> Tenant | None:
    """Lock one spare for this transaction; concurrent onboardings each get a different one (or none)."""
    return Tenant.objects.select_for_update(skip_locked=True).filter(status=Tenant.Status.SPARE).order_by("id").first()


def schema_rename(*, old: str, new: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER SCHEMA "{old}" RENAME TO "{new}"')


def spare_schemas_fill(*, target: int | None = None) -> int:
    """Clone spares until the pool holds `target` (TENANT_SPARE_SCHEMAS); returns how many were made."""
    target = settings.TENANT_SPARE_SCHEMAS if target is None else target
    made = 0
    while Tenant.objects.filter(status=Tenant.Status.SPARE).count() < target:
        name = f"spare_{uuid.uuid4().hex[:12]}"
        with transaction.atomic():
            Tenant.objects.create(
                schema_name=name, slug=name.replace("_", "-"), name="spare", status=Tenant.Status.SPARE
            )
            schema_clone(source=settings.TENANT_BASE_SCHEMA, target=name)
        made += 1
    if made:
        logger.info("made %d spare schema(s)", made)
    return made
