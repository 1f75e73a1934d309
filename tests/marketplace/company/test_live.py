"""A decision reaches the merchant's sockets once it commits (and only that merchant's); the queue's cost does
not grow with its length."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection as default_connection
from django.test.utils import CaptureQueriesContext

from marketplace import vetting
from marketplace.notices import merchant_group
from tenants.db import connection
from tests.marketplace.factories import make_application, make_merchant
from tests.marketplace.test_notices import _heard

pytestmark = pytest.mark.django_db


def test_a_decision_is_pushed_to_the_merchant_after_commit(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    bystander = make_merchant("隔壁店")

    def decide() -> None:
        connection.set_tenant(world.alpha)
        with django_capture_on_commit_callbacks(execute=True):
            vetting.reject(application=world.app_a.pk, by=None, reason="证照不全")

    heard = _heard([merchant_group(world.merchant.pk), merchant_group(bystander.pk)], decide)
    [event] = heard[merchant_group(world.merchant.pk)]
    message = event["message"]
    assert message["kind"] == "application.rejected" and message["tenant"] == world.alpha.pk
    assert "证照不全" in message["body"] and message["data"]["application"] == world.app_a.pk
    assert heard[merchant_group(bystander.pk)] == []


def test_the_queue_costs_the_same_for_three_or_twelve_applications(world: Any, member: Any, client_for: Any) -> None:
    client = client_for(world.alpha, member(world.alpha, ["customer_service"]))

    def cost(path: str) -> int:
        client.get(path)  # the first request of a session warms its caches
        with CaptureQueriesContext(default_connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    def grow(n: int) -> None:
        for i in range(n):
            make_application(
                make_merchant(f"商家{i}-{n}"), world.alpha, estates={world.estates["阳光花园"]: "阳光花园"}
            )

    grow(2)
    small = (cost("/api/v1/marketplace/applications/"), cost("/staff/marketplace/?status=all"))
    grow(9)
    large = (cost("/api/v1/marketplace/applications/"), cost("/staff/marketplace/?status=all"))
    assert small == large, (small, large)
