"""A complaint's breach reaches the supervisor's open socket (the real ASGI application and the real Redis
channel layer): the sweep escalates it and the alert arrives as a notification; 滨江's supervisor, signed in
at the same time, hears nothing of it."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from backend.asgi import application
from backend.desk import complaints as cx
from tenants.db import connection

from .conftest import NOW, Desk, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    import channels.db

    monkeypatch.setattr(channels.db, "close_old_connections", lambda: None)


def socket(cookie: str) -> WebsocketCommunicator:
    host = "alpha.localhost"
    headers = [
        (b"host", host.encode()),
        (b"origin", f"http://{host}".encode()),
        (b"cookie", f"sessionid={cookie}".encode()),
    ]
    return WebsocketCommunicator(application, "/ws/notifications/", headers=headers)


def test_the_breach_and_escalation_reach_the_supervisors_socket_only(
    world: Desk, tenant_a: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ours = client_for(tenant_a, world.supervisor).cookies["sessionid"].value
    theirs = client_for(tenant_a, world.other_supervisor).cookies["sessionid"].value
    connection.set_tenant(tenant_a)
    complaint = cx.complaint_intake(
        by=world.engineer,  # recorded by someone else: the supervisor's own steps are not pushed to them
        scope=world.scope,
        channel="phone",
        severity="important",
        cause="attitude",
        description="保安态度恶劣",
        contact_name="王",
        contact_phone="1",
        unit_id=world.home.pk,
        now=NOW,
    )

    def sweep() -> int:
        connection.set_tenant(tenant_a)
        with django_capture_on_commit_callbacks(execute=True):
            return cx.complaint_sweep(now=at(0, "10:05"))

    async def scenario() -> None:
        mine, other = socket(ours), socket(theirs)
        assert (await mine.connect())[0] and (await other.connect())[0]
        assert (await mine.receive_json_from(timeout=5))["type"] == "hello"
        assert (await other.receive_json_from(timeout=5))["type"] == "hello"
        assert await database_sync_to_async(sweep)() == 1
        kinds = set()
        for _ in range(2):
            message = await mine.receive_json_from(timeout=5)
            assert message["type"] == "notification"
            kinds.add(message["kind"])
        assert kinds == {"desk.complaint_breach", "desk.complaint_escalated"}
        assert await other.receive_nothing(timeout=0.5)
        await mine.disconnect()
        await other.disconnect()

    async_to_sync(scenario)()
    complaint.refresh_from_db()
    assert complaint.level == 1 and complaint.breached
