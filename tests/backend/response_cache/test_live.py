"""The response cache on a real uvicorn (backend/asgi.py): a repeated GET is answered from Redis, and every
change that matters to it (a committed write to a table it read, a sign-out, a revoked token, another
company's host, another person's credentials) is answered afresh."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.db import transaction
from django_tenants.utils import tenant_context

from backend.access.models import ApiToken
from backend.access.services import api_token_issue
from backend.accounts.models import Membership, User
from backend.accounts.sessions import session_open
from tests.conftest import host_of
from tests.factories import MemberFactory

# No `db` fixture: what these tests write is committed (the server is another process), and removed after.


@pytest.fixture
def tenant_a(django_db_setup: None, django_db_blocker: Any) -> Any:
    from tenants.models import Tenant

    with django_db_blocker.unblock():
        return Tenant.objects.get(slug="alpha")


@pytest.fixture
def tenant_b(django_db_setup: None, django_db_blocker: Any) -> Any:
    from tenants.models import Tenant

    with django_db_blocker.unblock():
        return Tenant.objects.get(slug="beta")


@pytest.fixture
def person(django_db_blocker: Any, tenant_a: Any) -> Iterator[dict[str, Any]]:
    """A committed company admin of alpha with a session and a token, removed afterwards."""
    with django_db_blocker.unblock(), tenant_context(tenant_a):
        user = MemberFactory(tenant=tenant_a, roles=["company_admin"]).user
        session = session_open(user)
        token, raw = api_token_issue(user=user, name="cache test")
    yield {"user": user, "session": session, "token": token, "raw": raw}
    with django_db_blocker.unblock(), tenant_context(tenant_a):
        ApiToken.objects.filter(user_id=user.pk).delete()
        session.delete()
        Membership.objects.filter(user_id=user.pk).delete()
        User.objects.filter(pk=user.pk).delete()


def _get(where: str, tenant: Any, path: str, **headers: str) -> requests.Response:
    return requests.get(
        f"http://127.0.0.1{where}{path}",
        headers={"Host": host_of(tenant), **headers},
        allow_redirects=False,
        timeout=10,
    )


def _cached(response: requests.Response) -> bool:
    return response.headers.get("X-Response-Cache") == "hit"


def _until_hit(where: str, tenant: Any, path: str, **headers: str) -> requests.Response:
    """The first answers learn the host and keep the response; the third is served from the cache."""
    for _ in range(3):
        response = _get(where, tenant, path, **headers)
    return response


def _me_until_hit(where: str, tenant: Any, person: dict[str, Any]) -> tuple[dict[str, str], requests.Response]:
    """The person's token header, and /api/v1/me/ answered from the cache with it."""
    auth = {"Authorization": f"Bearer {person['raw']}"}
    response = _until_hit(where, tenant, "/api/v1/me/", **auth)
    assert _cached(response)
    return auth, response


def test_a_repeated_get_is_a_hit_and_a_committed_write_it_read_makes_the_next_one_fresh(
    live_asgi: str, person: dict[str, Any], tenant_a: Any, django_db_blocker: Any
) -> None:
    auth, first = _me_until_hit(live_asgi, tenant_a, person)
    assert first.status_code == 200
    assert first.json()["name"] == person["user"].name
    with django_db_blocker.unblock():
        User.objects.filter(pk=person["user"].pk).update(name="改过的名字")
    fresh = _get(live_asgi, tenant_a, "/api/v1/me/", **auth)
    assert not _cached(fresh) and fresh.json()["name"] == "改过的名字"
    again = _get(live_asgi, tenant_a, "/api/v1/me/", **auth)
    assert _cached(again) and again.json()["name"] == "改过的名字"


def test_a_write_rolled_back_or_to_a_table_not_read_keeps_the_entry(
    live_asgi: str, person: dict[str, Any], tenant_a: Any, django_db_blocker: Any
) -> None:
    auth, _first = _me_until_hit(live_asgi, tenant_a, person)
    with django_db_blocker.unblock():
        with pytest.raises(RuntimeError), transaction.atomic():
            User.objects.filter(pk=person["user"].pk).update(name="never committed")
            raise RuntimeError
        with tenant_context(tenant_a):
            from backend.properties.models import Building

            Building.objects.filter(pk=-1).update(name="x")  # a write /api/v1/me/ did not read
    kept = _get(live_asgi, tenant_a, "/api/v1/me/", **auth)
    assert _cached(kept) and kept.json()["name"] == person["user"].name


def test_a_signed_out_session_gets_the_sign_in_page_not_the_cached_one(
    live_asgi: str, person: dict[str, Any], tenant_a: Any, django_db_blocker: Any
) -> None:
    cookie = {"Cookie": f"sessionid={person['session'].session_key}; csrftoken={'c' * 32}"}
    page = _until_hit(live_asgi, tenant_a, "/staff/", **cookie)
    assert page.status_code == 200 and _cached(page)
    with django_db_blocker.unblock(), tenant_context(tenant_a):
        person["session"].delete()
    after = _get(live_asgi, tenant_a, "/staff/", **cookie)
    assert after.status_code == 302 and "/login" in after.headers["Location"]


def test_a_revoked_token_is_refused_at_once(
    live_asgi: str, person: dict[str, Any], tenant_a: Any, django_db_blocker: Any
) -> None:
    auth, _first = _me_until_hit(live_asgi, tenant_a, person)
    with django_db_blocker.unblock(), tenant_context(tenant_a):
        ApiToken.objects.filter(pk=person["token"].pk).delete()
    assert _get(live_asgi, tenant_a, "/api/v1/me/", **auth).status_code == 401


def test_other_hosts_and_other_credentials_never_get_the_entry(
    live_asgi: str, person: dict[str, Any], tenant_a: Any, tenant_b: Any
) -> None:
    auth, _first = _me_until_hit(live_asgi, tenant_a, person)
    elsewhere = _get(live_asgi, tenant_b, "/api/v1/me/", **auth)
    assert elsewhere.status_code == 401 and not _cached(elsewhere)
    nobody = _get(live_asgi, tenant_a, "/api/v1/me/")
    assert nobody.status_code in (401, 403) and person["user"].email not in nobody.text
    forged = _get(live_asgi, tenant_a, "/api/v1/me/", Authorization=f"Bearer {person['raw']}x")
    assert forged.status_code == 401


def test_someone_elses_notification_keeps_my_unread_count_and_mine_renews_it(
    live_asgi: str, person: dict[str, Any], tenant_a: Any, django_db_blocker: Any
) -> None:
    from backend.notifications.models import Notification
    from backend.notifications.services import notifications_create

    auth = {"Authorization": f"Bearer {person['raw']}"}
    path = "/api/v1/notifications/unread-count/"
    first = _until_hit(live_asgi, tenant_a, path, **auth)
    assert _cached(first)
    made: list[int] = []
    try:
        with django_db_blocker.unblock(), tenant_context(tenant_a):
            someone = User.objects.get(email="admin@alpha.test")
            made += [n.pk for n in notifications_create(user_ids=[someone.pk], kind="test", title="别人的")]
        kept = _get(live_asgi, tenant_a, path, **auth)
        assert _cached(kept) and kept.json() == first.json()
        with django_db_blocker.unblock(), tenant_context(tenant_a):
            made += [n.pk for n in notifications_create(user_ids=[person["user"].pk], kind="test", title="我的")]
        renewed = _get(live_asgi, tenant_a, path, **auth)
        assert not _cached(renewed) and renewed.json() != first.json()
    finally:
        with django_db_blocker.unblock(), tenant_context(tenant_a):
            Notification.objects.filter(pk__in=made).delete()


def test_a_hit_has_a_request_id_of_its_own_and_ignores_one_sent_by_an_untrusted_peer(
    live_asgi: str, person: dict[str, Any], tenant_a: Any
) -> None:
    auth, first = _me_until_hit(live_asgi, tenant_a, person)
    second = _get(live_asgi, tenant_a, "/api/v1/me/", **auth, **{"X-Request-ID": "forged-by-the-client"})
    assert _cached(second)
    assert second.headers["X-Request-ID"] not in ("forged-by-the-client", first.headers["X-Request-ID"])
    assert len(second.headers["X-Request-ID"]) == 32
