from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from backend.client_ip import client_ip

from .context import Actor, acting_as


class RequestActorMiddleware:
    """Makes the signed-in user and their IP the actor of every service call in this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        actor = Actor(
            user_id=user.pk if user is not None and user.is_authenticated else None,
            user_name=str(user) if user is not None and user.is_authenticated else "",
            ip=client_ip(request.META),
        )
        with acting_as(actor):
            return self.get_response(request)
