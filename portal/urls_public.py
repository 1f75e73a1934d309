"""The portal on the platform's domain (the `platform:` namespace): the public package's platform pages."""

from .public.urls import platform_urlpatterns

app_name = "platform"

urlpatterns = [*platform_urlpatterns]
