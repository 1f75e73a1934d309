"""/ws/merchant/ over the real ASGI application and the real Redis channel layer: a merchant user's socket
hears its merchant's notices only, after commit; signed-out sockets, company hosts and company sessions are
refused."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from backend.asgi import application
from marketplace.notices import notify_merchant
from tests.conftest import host_of

from .conftest import PLATFORM


def communicator(host: str, cookie: str | None = None, path: str = "/ws/merchant/") -> WebsocketCommunicator:
    headers = [(b"host", host.encode()), (b"origin", f"http://{host}".encode())]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


def test_a_notice_reaches_its_merchants_sockets_only(
    owner: Any, clerk_of: Any, portal_for: Any, tenant_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mine, theirs = owner(), owner()
    clerk = clerk_of(mine)
    cookies = [portal_for(m).cookies["sessionid"].value for m in (mine, clerk, theirs)]

    def decide() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            notify_merchant(
                merchant_id=mine.merchant_id,
                kind="application.approved",
                title="阿尔法物业通过了您的申请",
                tenant_id=tenant_a.pk,
            )

    async def scenario() -> None:
        sockets = [communicator(PLATFORM, c) for c in cookies]
        for ws in sockets:
            assert (await ws.connect())[0]
            hello = await ws.receive_json_from()
            assert hello["type"] == "hello"
            await ws.send_json_to({"type": "ping"})
            assert (await ws.receive_json_from())["type"] == "pong"
        await sync_to_async(decide)()
        for ws in sockets[:2]:  # the owner and the clerk of the merchant
            got = await ws.receive_json_from(timeout=3)
            assert got["type"] == "merchant.notice" and got["title"] == "阿尔法物业通过了您的申请"
        assert await sockets[2].receive_nothing(timeout=0.5)
        for ws in sockets:
            await ws.disconnect()

    async_to_sync(scenario)()


def test_resume_sends_what_the_socket_missed(owner: Any, portal_for: Any) -> None:
    member = owner()
    cookie = portal_for(member).cookies["sessionid"].value
    first = notify_merchant(merchant_id=member.merchant_id, kind="x", title="一")
    notify_merchant(merchant_id=member.merchant_id, kind="x", title="二")

    async def scenario() -> None:
        ws = communicator(PLATFORM, cookie)
        assert (await ws.connect())[0]
        assert (await ws.receive_json_from())["unread"] == 2
        await ws.send_json_to({"type": "resume", "last_id": first.pk})
        got = await ws.receive_json_from(timeout=3)
        assert got["title"] == "二"
        assert await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()

    async_to_sync(scenario)()


def test_signed_out_sockets_are_refused(db: None) -> None:
    async def scenario() -> None:
        connected, code = await communicator(PLATFORM).connect()
        assert not connected and code == 4401

    async_to_sync(scenario)()


def test_a_company_members_session_opens_no_merchant_socket(tenant_a: Any, member: Any, client_for: Any) -> None:
    user = member(tenant_a, ["company_admin"])
    company_cookie = client_for(tenant_a, user).cookies["sessionid"].value

    async def scenario() -> None:
        connected, code = await communicator(PLATFORM, company_cookie).connect()
        assert not connected and code == 4401

    async_to_sync(scenario)()


def test_the_merchant_socket_is_not_served_on_a_company_domain(owner: Any, portal_for: Any, tenant_a: Any) -> None:
    cookie = portal_for(owner()).cookies["sessionid"].value

    async def scenario() -> None:
        connected, _code = await communicator(host_of(tenant_a), cookie).connect()
        assert not connected
        # And a merchant's session opens no company socket either.
        connected, _code = await communicator(host_of(tenant_a), cookie, "/ws/notifications/").connect()
        assert not connected

    async_to_sync(scenario)()
