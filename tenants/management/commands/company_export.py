from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backend.errors import ApplicationError
from tenants.archive import company_export
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Export one company as a restorable archive (.tar.gz): its schema, its public rows and its files."

    def add_arguments(self, parser):
        parser.add_argument("subdomain")
        parser.add_argument("-o", "--output", help="the archive's path (default: <subdomain>-<date>.tar.gz)")

    def handle(self, *args, **o):
        from django.utils import timezone

        tenant = Tenant.objects.filter(slug=o["subdomain"]).first()
        if tenant is None:
            raise CommandError(f"no company {o['subdomain']!r}")
        path = Path(o["output"] or f"{tenant.slug}-{timezone.now():%Y%m%d-%H%M%S}.tar.gz")
        try:
            done = company_export(tenant, path)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        rows = sum(done.tables.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"{path}: {len(done.tables)} tables, {rows} rows, {done.public_rows} public rows, "
                f"{done.files} files in {done.seconds:.1f}s"
            )
        )
