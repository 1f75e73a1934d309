from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from tenants.asgi import in_tenant

from .realtime import user_group
from .selectors import notification_list, notification_unread_count
from .services import notification_message

CLOSE_UNAUTHENTICATED = 4401


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """/ws/notifications/: one per tab. Joins <schema>.user.<id>; on connect sends the unread count, and on
    {"type": "resume", "last_id": N} sends what the socket missed since N (from the inbox)."""

    groups: list[str] = []

    async def connect(self) -> None:
        user = self.scope.get("user")
        tenant = self.scope.get("tenant")
        if tenant is None or user is None or not user.is_authenticated or self.scope.get("membership") is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = user_group(tenant.schema_name, user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        unread = await in_tenant(tenant, notification_unread_count, user_id=user.pk)
        await self.send_json({"type": "hello", "unread": unread})

    async def disconnect(self, code: int) -> None:
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        elif content.get("type") == "resume":
            try:
                last_id = int(content.get("last_id") or 0)
            except (TypeError, ValueError):
                last_id = 0
            tenant, user = self.scope["tenant"], self.scope["user"]

            def missed() -> list[dict[str, Any]]:
                rows = notification_list(user_id=user.pk, after_id=last_id).order_by("id")[:100]
                return [notification_message(n) for n in rows]

            for message in await in_tenant(tenant, missed):
                await self.send_json(message)

    async def push(self, event: dict[str, Any]) -> None:
        await self.send_json(event["message"])
