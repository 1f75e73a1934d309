"""backend/response_cache/tracking.py: committed writes move the clocks (after the commit, never for a
rollback), and a request's reads, writes and cache use are noted."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from backend.properties.models import Building
from backend.response_cache import tracking


def _clock(schema: str, field: str = "#") -> int:
    raw = cache._cache.get_client().hget(tracking.clock_key(schema), field)  # type: ignore[attr-defined]
    return int(raw or 0)


@pytest.fixture
def alpha(django_db_setup: None, django_db_blocker: Any) -> Any:
    from tenants.models import Tenant

    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(slug="alpha")
        with tenant_context(tenant):
            yield tenant


def test_an_autocommitted_write_moves_its_schemas_clock_and_its_tables_field(alpha: Any) -> None:
    before = _clock(alpha.schema_name)
    Building.objects.filter(pk=-1).update(name="x")
    after = _clock(alpha.schema_name)
    assert after == before + 1
    assert _clock(alpha.schema_name, "properties_building") == after
    assert _clock("public", "properties_building") == 0  # a company's table, not public's


def test_a_transaction_moves_the_clock_once_after_its_commit_and_a_rollback_not_at_all(alpha: Any) -> None:
    before = _clock(alpha.schema_name)
    with transaction.atomic():
        Building.objects.filter(pk=-1).update(name="x")
        Building.objects.filter(pk=-2).update(name="y")
        assert _clock(alpha.schema_name) == before  # not before the commit
    assert _clock(alpha.schema_name) == before + 1
    with pytest.raises(RuntimeError), transaction.atomic():
        Building.objects.filter(pk=-1).update(name="z")
        raise RuntimeError
    assert _clock(alpha.schema_name) == before + 1


def test_a_request_notes_its_reads_its_writes_and_its_use_of_the_cache(alpha: Any) -> None:
    token = tracking.begin()
    try:
        list(Building.objects.filter(pk=-1))
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM accounts_user WHERE id = -1")
        read_only = tracking.current()
        assert read_only is not None
        assert read_only.reads == {alpha.schema_name: {"properties_building"}, "public": {"accounts_user"}}
        assert not read_only.wrote and not read_only.opaque and not read_only.refused
        cache.get("tenant-host:v1:x")  # the host lookup: traced by the tenants table
        assert not read_only.opaque
        cache.get("something-else")
        assert read_only.opaque
        cache.set("something-else", 1)
        assert read_only.refused
        Building.objects.filter(pk=-1).update(name="x")
    finally:
        tracker = tracking.end(token)
    assert tracker.wrote
    assert tracking.current() is None


def test_one_persons_notifications_invalidate_only_that_persons_reads(alpha: Any) -> None:
    """Through the real services (Django's own SQL): reading someone's unread count depends on their rows;
    creating, reading and marking-all-read a notification moves only its recipient's field."""
    from backend.accounts.models import User
    from backend.notifications import selectors, services
    from backend.notifications.models import Notification

    me, other = User.objects.get(email="admin@alpha.test"), User.objects.exclude(email="admin@alpha.test").first()
    assert other is not None
    table = "notifications_notification"
    token = tracking.begin()
    try:
        selectors.notification_unread_count(user_id=me.pk)
    finally:
        reads = tracking.end(token).reads[alpha.schema_name]
    assert {f"{table}#{me.pk}", f"{table}#?"} <= reads and table not in reads

    def fields() -> tuple[int, int, int]:
        return (
            _clock(alpha.schema_name, f"{table}#{me.pk}"),
            _clock(alpha.schema_name, f"{table}#{other.pk}"),
            _clock(alpha.schema_name, f"{table}#?"),
        )

    made: list[int] = []
    try:
        before = fields()
        made += [n.pk for n in services.notifications_create(user_ids=[other.pk], kind="test", title="t")]
        services.notification_mark_read(user_id=other.pk, notification_id=made[0])
        services.notification_mark_all_read(user_id=other.pk)
        after = fields()
        assert after[0] == before[0] and after[2] == before[2]  # mine, and "someone's", unmoved
        assert after[1] > before[1]
    finally:
        Notification.objects.filter(pk__in=made).delete()
