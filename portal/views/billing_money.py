"""Portal pages: billing (money operations). Routes are added to portal/urls_tenant.py through `urlpatterns`."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
