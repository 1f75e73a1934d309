"""Channel-layer group names and pushes. Every group name starts with the company's schema name, so an
event for user 7 of company A can never reach a socket of company B, even if B also has a user 7.

Besides its own user group, a socket may subscribe to topics other apps register (`subscription_topic`):
e.g. the club's "facility" topic, whose group `<schema>.facility.<id>` carries live availability. The app
says who may see an object; the consumer asks it, inside the socket's company, before joining, and builds
the group name itself (never from what the client sent)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

# topic → visible(user=..., membership=..., object_id=...) -> bool, called in the company's schema.
TOPICS: dict[str, Callable[..., bool]] = {}


def subscription_topic(name: str, visible: Callable[..., bool]) -> None:
    TOPICS[name] = visible


def user_group(schema_name: str, user_id: int) -> str:
    return f"{schema_name}.user.{user_id}"


def topic_group(schema_name: str, topic: str, object_id: int) -> str:
    return f"{schema_name}.{topic}.{object_id}"


def push_to_user(*, schema_name: str, user_id: int, message: dict[str, Any]) -> None:
    push_to_group(group=user_group(schema_name, user_id), message=message)


def push_to_group(*, group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, {"type": "push", "message": message})
