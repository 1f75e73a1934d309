"""The load benchmarks' baseline: a bare Django JSON view (no middleware, no database), served by the same
server stack (infra/web.sh: uvicorn, the same worker count and keep-alive) as the platform. What the
platform costs above this is what our own middleware, queries and templates cost.

    ASGI_APP=infra.bench.bare_asgi:application bash infra/web.sh
"""

from __future__ import annotations

import django
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path

if not settings.configured:
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        SECRET_KEY="bench-bare-view",  # noqa: S106 - serves no user and signs nothing
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        USE_TZ=True,
    )
    django.setup(set_prefix=False)


def bare(request: HttpRequest, anything: str = "") -> JsonResponse:
    return JsonResponse({"ok": True, "path": request.path})


urlpatterns = [path("<path:anything>", bare), path("", bare)]

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
