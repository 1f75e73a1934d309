"""Rebuild the marketplace search index from the catalogue: everything (the index is dropped and made anew),
or in place the listings of one company's merchants (--company <slug or schema>) or of one merchant
(--merchant <id>). Runs in this process, on the configured backend (SEARCH_BACKEND)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketplace.search.backends import get_backend
from marketplace.search.indexing import Progress, search_rebuild
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Rebuild the marketplace search index (all listings, one company's merchants', or one merchant's)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--company", help="a company's subdomain or schema: only its merchants' listings")
        parser.add_argument("--merchant", type=int, help="a merchant id: only its listings")

    def handle(self, *args: Any, **options: Any) -> None:
        schema_name = None
        if options["company"]:
            tenant = (
                Tenant.objects.filter(slug=options["company"]).first()
                or Tenant.objects.filter(schema_name=options["company"]).first()
            )
            if tenant is None:
                raise CommandError(f"no company {options['company']!r}")
            schema_name = tenant.schema_name
        backend = get_backend()
        started = time.monotonic()
        last = [0.0]

        def report(progress: Progress) -> None:
            now = time.monotonic()
            if progress.done == progress.total or now - last[0] >= 1 or options["verbosity"] > 1:
                last[0] = now
                self.stdout.write(
                    f"  {progress.done}/{progress.total} listings "
                    f"({progress.indexed} indexed, {progress.removed} without a document)"
                )

        scope = (
            f"merchant {options['merchant']}"
            if options["merchant"]
            else f"company {schema_name}"
            if schema_name
            else "all listings"
        )
        self.stdout.write(f"search_reindex on {backend.name}: {scope}")
        progress = search_rebuild(
            merchant_id=options["merchant"],
            schema_name=schema_name,
            backend=backend,
            on_progress=report if options["verbosity"] > 0 else None,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"done: {progress.indexed} indexed, {progress.removed} without a document, "
                f"in {time.monotonic() - started:.1f}s"
            )
        )
