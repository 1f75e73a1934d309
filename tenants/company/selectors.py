from __future__ import annotations

from .models import CompanySettings


def company_settings_get() -> CompanySettings:
    """The current schema's settings row (every schema is cloned with one; recreate it if someone deleted it)."""
    settings, _ = CompanySettings.objects.get_or_create(singleton=True)
    return settings
