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
from tenants.asgi import TenantWebsocketMiddleware  # noqa: E402

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(TenantWebsocketMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
