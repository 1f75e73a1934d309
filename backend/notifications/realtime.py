"""Channel-layer group names and pushes. Every group name starts with the company's schema name, so an
event for user 7 of company A can never reach a socket of company B, even if B also has a user 7."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def user_group(schema_name: str, user_id: int) -> str:
    return f"{schema_name}.user.{user_id}"


def push_to_user(*, schema_name: str, user_id: int, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(user_group(schema_name, user_id), {"type": "push", "message": message})
