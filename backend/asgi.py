"""One ASGI application for HTTP and websockets."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.local")
django.setup(set_prefix=False)

from backend.asgi_handler import OneHopASGIHandler  # noqa: E402

# HTTP: Django with its middleware chain run in one thread hop per request (see backend/asgi_handler.py).
django_asgi_app = OneHopASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from backend.notifications.consumers import NotificationConsumer  # noqa: E402
from marketplace.consumers import MerchantNoticeConsumer, MerchantWebsocketMiddleware  # noqa: E402
from tenants.asgi import TenantWebsocketMiddleware  # noqa: E402

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]

# The platform domain's one socket: a merchant user's live notices (signed in from the platform's session).
merchant_websocket = MerchantWebsocketMiddleware(URLRouter([path("ws/merchant/", MerchantNoticeConsumer.as_asgi())]))
company_websocket = TenantWebsocketMiddleware(URLRouter(websocket_urlpatterns))


async def websocket_by_path(scope: dict, receive: object, send: object) -> object:
    """/ws/merchant/ is the platform's (merchants); every other socket is a company's."""
    inner = merchant_websocket if scope.get("path", "").startswith("/ws/merchant/") else company_websocket
    return await inner(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(websocket_by_path),
    }
)
