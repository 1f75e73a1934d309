"""Realtime plumbing over the real ASGI application and the real Redis channel layer."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing.websocket import WebsocketCommunicator
from django.db import connection, transaction

from backend.accounts.models import Membership
from backend.asgi import application
from backend.notifications.realtime import push_to_user
from backend.notifications.services import notification_send


def session_cookie(client_for, tenant, user) -> str:
    return client_for(tenant, user).cookies["sessionid"].value


def communicator(host: str, cookie: str | None = None) -> WebsocketCommunicator:
    headers = [(b"host", host.encode()), (b"origin", f"http://{host}".encode())]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, "/ws/notifications/", headers=headers)


def test_an_event_for_a_user_on_company_a_never_reaches_their_socket_on_company_b(
    tenant_a, tenant_b, member, client_for
):
    # One person, one numeric id, member of both companies, with a socket open on each.
    user = member(tenant_a, ["company_admin"])
    Membership.objects.create(user=user, tenant=tenant_b, roles=["company_admin"])
    cookie_a = session_cookie(client_for, tenant_a, user)
    cookie_b = session_cookie(client_for, tenant_b, user)

    async def scenario():
        ws_a, ws_b = communicator("alpha.localhost", cookie_a), communicator("beta.localhost", cookie_b)
        assert (await ws_a.connect())[0] and (await ws_b.connect())[0]
        assert (await ws_a.receive_json_from())["type"] == "hello"
        assert (await ws_b.receive_json_from())["type"] == "hello"
        await ws_a.send_json_to({"type": "ping"})
        assert (await ws_a.receive_json_from())["type"] == "pong"  # the group join is done
        from channels.layers import get_channel_layer

        await get_channel_layer().group_send(
            f"alpha.user.{user.pk}",
            {"type": "push", "message": {"type": "notification", "id": 1, "title": "A"}},
        )
        got = await ws_a.receive_json_from(timeout=3)
        assert got["title"] == "A"
        assert await ws_b.receive_nothing(timeout=0.5)
        await ws_a.disconnect()
        await ws_b.disconnect()

    async_to_sync(scenario)()


def test_a_socket_without_a_session_is_refused(tenant_a):
    async def scenario():
        ws = communicator("alpha.localhost")
        connected, code = await ws.connect()
        assert not connected and code == 4401

    async_to_sync(scenario)()


def test_a_session_cookie_of_company_a_opens_nothing_on_company_b(tenant_a, tenant_b, member, client_for):
    user = member(tenant_a, ["company_admin"])
    Membership.objects.create(user=user, tenant=tenant_b, roles=["company_admin"])
    cookie_a = session_cookie(client_for, tenant_a, user)

    async def scenario():
        ws = communicator("beta.localhost", cookie_a)
        connected, code = await ws.connect()
        assert not connected and code == 4401

    async_to_sync(scenario)()


@pytest.mark.parametrize("host", ["nobody.localhost", "localhost"])
def test_sockets_to_unknown_hosts_or_the_platform_are_refused(db, host):
    async def scenario():
        ws = communicator(host)
        connected, _code = await ws.connect()
        assert not connected

    async_to_sync(scenario)()


def test_a_suspended_company_refuses_sockets(tenant_a, member, client_for):
    from tenants.services import company_suspend

    user = member(tenant_a, ["company_admin"])
    cookie = session_cookie(client_for, tenant_a, user)
    company_suspend(tenant=tenant_a, reason="test")

    async def scenario():
        connected, _ = await communicator("alpha.localhost", cookie).connect()
        assert not connected

    async_to_sync(scenario)()


def test_notifications_are_pushed_after_commit_and_never_from_a_rolled_back_transaction(
    tenant_a, member, client_for, django_capture_on_commit_callbacks
):
    from asgiref.sync import sync_to_async

    user = member(tenant_a, ["finance"])
    cookie = session_cookie(client_for, tenant_a, user)

    class Abort(Exception):
        pass

    def send_in_rolled_back_transaction() -> list:
        connection.set_tenant(tenant_a)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            try:
                with transaction.atomic():
                    notification_send(recipient=user, kind="test", title="rolled back")
                    raise Abort
            except Abort:
                pass
        return callbacks

    def send_and_commit():
        connection.set_tenant(tenant_a)
        with django_capture_on_commit_callbacks(execute=True):
            return notification_send(recipient=user, kind="test", title="账单已出", url="/notifications/")

    async def scenario():
        ws = communicator("alpha.localhost", cookie)
        await ws.connect()
        assert (await ws.receive_json_from())["type"] == "hello"
        assert await sync_to_async(send_in_rolled_back_transaction)() == []
        assert await ws.receive_nothing(timeout=0.5)
        sent = await sync_to_async(send_and_commit)()
        message = await ws.receive_json_from(timeout=3)
        assert message == {
            **message,
            "type": "notification",
            "id": sent.pk,
            "title": "账单已出",
            "kind": "test",
        }
        await ws.disconnect()

    async_to_sync(scenario)()


def test_a_reconnecting_socket_gets_what_it_missed_without_duplicates(tenant_a, member, client_for):
    user = member(tenant_a, ["finance"])
    cookie = session_cookie(client_for, tenant_a, user)
    connection.set_tenant(tenant_a)
    first = notification_send(recipient=user, kind="test", title="one")
    second = notification_send(recipient=user, kind="test", title="two")
    third = notification_send(recipient=user, kind="test", title="three")

    async def scenario():
        ws = communicator("alpha.localhost", cookie)
        await ws.connect()
        hello = await ws.receive_json_from()
        assert hello["unread"] == 3
        await ws.send_json_to({"type": "resume", "last_id": first.pk})
        got = [await ws.receive_json_from(timeout=3), await ws.receive_json_from(timeout=3)]
        assert [m["id"] for m in got] == [second.pk, third.pk]
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    async_to_sync(scenario)()


def test_push_to_user_targets_the_schema_prefixed_group():
    from backend.notifications.realtime import user_group

    assert user_group("alpha", 7) == "alpha.user.7"
    assert user_group("alpha", 7) != user_group("beta", 7)
    assert push_to_user  # used by notification_send
