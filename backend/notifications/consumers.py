from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from backend.observability import metrics
from tenants.asgi import in_tenant

from .realtime import TOPICS, topic_group, user_group
from .selectors import notification_list, notification_unread_count
from .services import notification_message

CLOSE_UNAUTHENTICATED = 4401
# Topic subscriptions one socket may hold at once (a grid page needs one or two).
MAX_SUBSCRIPTIONS = 20


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """/ws/notifications/: one per tab. Joins <schema>.user.<id>; on connect sends the unread count, and on
    {"type": "resume", "last_id": N} sends what the socket missed since N (from the inbox).

    {"type": "subscribe", "topic": "facility", "id": N} joins <schema>.facility.<N> when the topic's app
    says this member may see object N (answered "subscribed", else "subscribe_refused"); "unsubscribe"
    leaves it."""

    groups: list[str] = []

    async def connect(self) -> None:
        user = self.scope.get("user")
        tenant = self.scope.get("tenant")
        if tenant is None or user is None or not user.is_authenticated or self.scope.get("membership") is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = user_group(tenant.schema_name, user.pk)
        self.topics: set[str] = set()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.counted = True
        metrics.websockets.labels("company").inc()
        unread = await in_tenant(tenant, notification_unread_count, user_id=user.pk)
        await self.send_json({"type": "hello", "unread": unread})

    async def disconnect(self, code: int) -> None:
        if getattr(self, "counted", False):
            self.counted = False
            metrics.websockets.labels("company").dec()
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)
        for topic in getattr(self, "topics", set()):
            await self.channel_layer.group_discard(topic, self.channel_name)

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
        elif content.get("type") in ("subscribe", "unsubscribe"):
            await self._subscription(content)

    async def _subscription(self, content: dict[str, Any]) -> None:
        topic, raw_id = content.get("topic"), content.get("id")
        object_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) and raw_id > 0 else None
        answer = {"topic": topic, "id": raw_id}
        visible = TOPICS.get(topic) if isinstance(topic, str) else None
        if visible is None or object_id is None:
            await self.send_json({"type": "subscribe_refused", **answer})
            return
        tenant = self.scope["tenant"]
        group = topic_group(tenant.schema_name, str(topic), object_id)
        if content["type"] == "unsubscribe":
            if group in self.topics:
                self.topics.discard(group)
                await self.channel_layer.group_discard(group, self.channel_name)
            await self.send_json({"type": "unsubscribed", **answer})
            return
        allowed = (group in self.topics or len(self.topics) < MAX_SUBSCRIPTIONS) and await in_tenant(
            tenant, visible, user=self.scope["user"], membership=self.scope["membership"], object_id=object_id
        )
        if not allowed:
            await self.send_json({"type": "subscribe_refused", **answer})
            return
        self.topics.add(group)
        await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "subscribed", **answer})

    async def push(self, event: dict[str, Any]) -> None:
        await self.send_json(event["message"])
