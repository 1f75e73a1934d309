"""Live availability over the real ASGI application and the real Redis channel layer: a socket subscribes to a
facility it may see and gets the places left when anyone books or cancels; a facility it may not see (another
estate's, another office's for scoped staff, another company's) is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from backend.accounts.models import Membership
from backend.asgi import application
from backend.club import booking as engine
from tenants.db import connection

from .conftest import NOW, Club, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Channels closes "old" connections around every consumer database call; inside a test's transaction
    that is the test's own connection. Keep it, so the consumer and the test share the test's data."""
    import channels.db

    monkeypatch.setattr(channels.db, "close_old_connections", lambda: None)


def socket(host: str, cookie: str) -> WebsocketCommunicator:
    headers = [
        (b"host", host.encode()),
        (b"origin", f"http://{host}".encode()),
        (b"cookie", f"sessionid={cookie}".encode()),
    ]
    return WebsocketCommunicator(application, "/ws/notifications/", headers=headers)


def cookie_of(client_for: Any, tenant: Any, user: Any) -> str:
    value = client_for(tenant, user).cookies["sessionid"].value
    connection.set_tenant(tenant)
    return value


async def opened(host: str, cookie: str) -> WebsocketCommunicator:
    ws = socket(host, cookie)
    connected, _code = await ws.connect()
    assert connected
    assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
    return ws


async def subscribe(ws: WebsocketCommunicator, facility_id: Any) -> str:
    await ws.send_json_to({"type": "subscribe", "topic": "facility", "id": facility_id})
    answer = await ws.receive_json_from(timeout=5)
    return str(answer["type"])


def test_a_resident_watching_a_facility_sees_the_places_left_when_a_neighbour_books(
    world: Club, tenant_a, client_for, django_capture_on_commit_callbacks
):
    cookie = cookie_of(client_for, tenant_a, world.resident)

    def neighbour_books() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            engine.booking_create(
                facility=world.gym,
                user=world.neighbour,
                unit=world.units[1],
                starts_at=at(1, "10:00"),
                ends_at=at(1, "11:00"),
                now=NOW,
            )

    async def scenario() -> None:
        ws = await opened("alpha.localhost", cookie)
        assert await subscribe(ws, world.gym.pk) == "subscribed"
        await database_sync_to_async(neighbour_books)()  # on the test's thread and connection
        while (message := await ws.receive_json_from(timeout=5))["type"] != "club.availability":
            pass  # the resident's own notifications, if any, come on the same socket
        assert message["facility"] == world.gym.pk
        assert message["cells"] == [{"starts_at": at(1, "10:00").astimezone(dt.UTC).isoformat(), "left": 1}]
        await ws.disconnect()

    async_to_sync(scenario)()


def test_a_resident_of_another_estate_and_a_made_up_id_are_refused(world: Club, tenant_a, client_for):
    cookie = cookie_of(client_for, tenant_a, world.other_resident)

    async def scenario() -> None:
        ws = await opened("alpha.localhost", cookie)
        assert await subscribe(ws, world.gym.pk) == "subscribe_refused"
        assert await subscribe(ws, 10**9) == "subscribe_refused"
        assert await subscribe(ws, "1; DROP") == "subscribe_refused"
        await ws.send_json_to({"type": "subscribe", "topic": "nonsense", "id": 1})
        assert (await ws.receive_json_from(timeout=5))["type"] == "subscribe_refused"
        await ws.disconnect()

    async_to_sync(scenario)()


def test_estate_scoped_staff_watch_only_their_estates_facilities(world: Club, tenant_a, member, client_for):
    from backend.club import services as club

    from .conftest import EVERYTHING

    other = club.facility_create(estate_id=world.other_estate.pk, scope=EVERYTHING, name="江景泳池", kind="pool")
    clerk = member(tenant_a, ["security"])
    Membership.objects.filter(user=clerk, tenant=tenant_a).update(scope_all=False, scope_estate_ids=[world.estate.pk])
    cookie = cookie_of(client_for, tenant_a, clerk)

    async def scenario() -> None:
        ws = await opened("alpha.localhost", cookie)
        assert await subscribe(ws, world.gym.pk) == "subscribed"
        assert await subscribe(ws, other.pk) == "subscribe_refused"
        await ws.disconnect()

    async_to_sync(scenario)()


def test_company_b_cannot_watch_company_a_facilities(world: Club, tenant_a, tenant_b, member, client_for):
    # beta's company-wide admin, on beta's domain, asks for alpha's facility by its id
    admin = member(tenant_b, ["company_admin"])
    cookie = cookie_of(client_for, tenant_b, admin)
    connection.set_tenant(tenant_a)

    async def scenario() -> None:
        ws = await opened("beta.localhost", cookie)
        assert await subscribe(ws, world.gym.pk) == "subscribe_refused"
        # and an event for alpha's facility group never reaches a beta socket
        from channels.layers import get_channel_layer

        await get_channel_layer().group_send(
            f"beta.facility.{world.gym.pk}", {"type": "push", "message": {"type": "club.availability"}}
        )
        await get_channel_layer().group_send(
            f"alpha.facility.{world.gym.pk}", {"type": "push", "message": {"type": "club.availability"}}
        )
        assert await ws.receive_nothing(timeout=0.5)
        await ws.disconnect()

    async_to_sync(scenario)()
