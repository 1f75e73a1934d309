from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _public_foreign_keys_drop(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After each migrate of a company schema: no database foreign key to a public table (public_references.py)."""
    from .public_references import public_foreign_keys_drop

    connection = connections[using]
    schema = getattr(connection, "schema_name", "public")
    public_foreign_keys_drop(connection, schema)


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants (property companies)"

    def ready(self) -> None:
        post_migrate.connect(_public_foreign_keys_drop, sender=self, dispatch_uid="tenants.public_foreign_keys_drop")
