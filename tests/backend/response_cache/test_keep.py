"""backend/response_cache/store.py ResponseCache.keep: what is never kept, and what a kept entry depends on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory

from backend.response_cache.store import Probe, ResponseCache
from backend.response_cache.tracking import Tracker, clock_key


class _Tenant:
    schema_name = "alpha"


def _request(**cookies: str) -> Any:
    request = RequestFactory().get("/resident/", HTTP_HOST="alpha.localhost")
    request.COOKIES.update(cookies)
    request.tenant = _Tenant()
    return request


def _probe() -> Probe:
    return Probe(key="test:rc:e:keep", host="alpha.localhost", schema="alpha", clocks=(7, 3))


def _tracker(**fields: Any) -> Tracker:
    return Tracker(reads={"alpha": {"billing_billline"}, "public": {"accounts_user"}}, **fields)


@pytest.fixture(autouse=True)
def _no_entry() -> Any:
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    client.delete("test:rc:e:keep")
    yield client
    client.delete("test:rc:e:keep")


def test_a_clean_200_is_kept_with_the_clocks_read_before_and_every_table_it_read(_no_entry: Any) -> None:
    assert ResponseCache().keep(_probe(), _request(), HttpResponse("ok"), _tracker()) == "stored"
    meta = json.loads(_no_entry.hget("test:rc:e:keep", "m"))
    assert meta["d"][clock_key("alpha")] == [7, ["*", "billing_billline"]]
    public = meta["d"][clock_key("public")]
    assert public[0] == 3 and {"accounts_user", "*", "tenants_tenant", "tenants_domain"} == set(public[1])
    assert 0 < _no_entry.ttl("test:rc:e:keep") <= 30


def test_a_value_read_from_the_cache_makes_it_depend_on_every_write() -> None:
    assert ResponseCache().keep(_probe(), _request(), HttpResponse("ok"), _tracker(opaque=True)) == "stored"
    meta = json.loads(cache._cache.get_client().hget("test:rc:e:keep", "m"))  # type: ignore[attr-defined]
    assert all("#" in deps for _clock, deps in meta["d"].values())


@pytest.mark.parametrize(
    ("response", "tracker", "why"),
    [
        (HttpResponse("no", status=404), {}, "status 404"),
        (HttpResponse("ok"), {"wrote": True}, "wrote to the database"),
        (HttpResponse("ok"), {"refused": "sent a task"}, "sent a task"),
        (HttpResponse("ok", headers={"Cache-Control": "no-store"}), {}, "no-store"),
        (HttpResponse("ok", headers={"Vary": "User-Agent"}), {}, "varies on user-agent"),
    ],
)
def test_what_a_cached_answer_would_get_wrong_is_not_kept(response: Any, tracker: dict[str, Any], why: str) -> None:
    assert ResponseCache().keep(_probe(), _request(), response, _tracker(**tracker)) == why
    assert not cache._cache.get_client().exists("test:rc:e:keep")  # type: ignore[attr-defined]


def test_another_companys_schema_read_is_not_kept() -> None:
    tracker = _tracker()
    tracker.reads["beta"] = {"billing_billline"}
    assert ResponseCache().keep(_probe(), _request(), HttpResponse("ok"), tracker) == "read another company's schema"


def test_a_new_cookie_is_not_kept_but_the_csrf_cookie_renewed_with_its_own_value_is() -> None:
    response = HttpResponse("ok")
    response.set_cookie("csrftoken", "secret-1")
    assert ResponseCache().keep(_probe(), _request(csrftoken="secret-1"), response, _tracker()) == "stored"
    other = HttpResponse("ok")
    other.set_cookie("csrftoken", "secret-2")
    assert ResponseCache().keep(_probe(), _request(csrftoken="secret-1"), other, _tracker()) == "sets a cookie"


def test_a_host_served_by_another_schema_than_the_probe_knew_is_learnt_not_kept() -> None:
    store = ResponseCache()
    probe = Probe(key="test:rc:e:keep", host="alpha.localhost", schema=None)
    assert store.keep(probe, _request(), HttpResponse("ok"), _tracker()) == "company not known before the render"
    assert store.hosts == {"alpha.localhost": "alpha"}
