"""Billing API: dunning. (Routes are collected by backend/billing/urls.py.)"""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
