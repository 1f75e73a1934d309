"""Indexing after commit in a real Celery worker, on each backend: a merchant company A suspends vanishes from A's
residents' search within seconds and stays in company B's. (Committed data: made here and removed after.)"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from tests.marketplace.search.conftest import RUN_PREFIX

SECONDS = 30  # the most a change may take to show; it takes well under a second once the worker is up


@pytest.fixture(params=["postgres", "elasticsearch"])
def worker_backend(request: Any, settings: Any, monkeypatch: Any) -> str:
    """The backend, in this process's settings and in the environment the worker is started with."""
    prefix = f"{RUN_PREFIX}w{uuid.uuid4().hex[:4]}_"
    values = {"SEARCH_BACKEND": request.param, "SEARCH_INDEX_PREFIX": prefix}
    if request.param == "elasticsearch":
        values["ELASTICSEARCH_URL"] = request.getfixturevalue("noida_url")
    for name, value in values.items():
        setattr(settings, name, value)
        monkeypatch.setenv(name, value)
    return request.param


@pytest.fixture
def committed(worker_backend: str, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    from marketplace.models import ListingKind
    from marketplace.search.backends import get_backend
    from marketplace.search.models import ListingSearchRow
    from tenants.models import Tenant
    from tests.marketplace.factories import make_application, make_listing, make_merchant

    with django_db_blocker.unblock():
        alpha, beta = Tenant.objects.get(slug="alpha"), Tenant.objects.get(slug="beta")
        merchant = make_merchant(f"好帮手家政{uuid.uuid4().hex[:4]}")
        a = make_application(merchant, alpha, status="approved", estates={31: "阳光花园"}, categories=["home_services"])
        make_application(merchant, beta, status="approved", estates={41: "贝塔花园"}, categories=["home_services"])
        listings = [
            make_listing(merchant, kind=ListingKind.SERVICE, category="housekeeping", title="上门家政保洁"),
            make_listing(merchant, kind=ListingKind.SERVICE, category="moving", title="家政搬家一条龙"),
        ]
        backend = get_backend()
        if worker_backend == "elasticsearch":
            backend.reset()
    try:
        yield {"alpha": alpha, "beta": beta, "merchant": merchant, "application": a, "listings": listings}
    finally:
        with django_db_blocker.unblock():
            ListingSearchRow.objects.filter(listing_id__in=[x.pk for x in listings]).delete()
            merchant.delete()
            if worker_backend == "elasticsearch":
                backend.client.options(ignore_status=404).indices.delete(index=backend.index_name)


def _wait_for(condition: Any, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > SECONDS:
            raise AssertionError(f"not within {SECONDS}s: {what}")
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.mark.worker
def test_a_suspended_merchant_vanishes_from_company_a_and_stays_in_b(
    committed: dict[str, Any], worker: str, settings: Any, django_db_blocker: Any
) -> None:
    from marketplace.models import ApplicationStatus
    from marketplace.search import hooks
    from marketplace.search.selectors import search_for_resident

    settings.SEARCH_INDEX_QUEUE = worker
    ids = {x.pk for x in committed["listings"]}

    def found(tenant: Any, estate: int) -> set[int]:
        with django_db_blocker.unblock():
            return {h.id for h in search_for_resident(tenant, [estate], text="家政").hits}

    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack), django_db_blocker.unblock(), transaction.atomic():
        hooks.listings_changed(sorted(ids))
        raise RolledBack
    time.sleep(3)  # the worker is up and idle: a task sent would have been indexed by now
    assert found(committed["alpha"], 31) == set()
    with django_db_blocker.unblock(), transaction.atomic():
        hooks.listings_changed(sorted(ids))
        assert found(committed["alpha"], 31) == set()  # nothing is sent before the commit
    _wait_for(lambda: found(committed["alpha"], 31) == ids, "indexed for company A")
    assert found(committed["beta"], 41) == ids

    with django_db_blocker.unblock(), transaction.atomic():
        application = committed["application"]
        application.status = ApplicationStatus.SUSPENDED
        application.save()
        hooks.visibility_changed(schema_name="alpha", merchant_id=committed["merchant"].pk)
    took = _wait_for(lambda: found(committed["alpha"], 31) == set(), "gone from company A")
    assert found(committed["beta"], 41) == ids
    assert took < 10, f"took {took:.1f}s"
