from django.core.management.base import BaseCommand, CommandError

from backend.errors import ApplicationError
from tenants.archive import company_restore


class Command(BaseCommand):
    help = "Make a new company from an archive written by company_export (a new subdomain and schema)."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--subdomain", required=True, help="the new company's subdomain")
        parser.add_argument("--name", default=None, help="the new company's name (default: the archived one)")

    def handle(self, *args, **o):
        try:
            done = company_restore(o["archive"], slug=o["subdomain"], name=o["name"])
        except ApplicationError as error:
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in (error.fields or {}).items())
            raise CommandError(detail or error.message) from error
        for line in done.skipped:
            self.stderr.write(f"skipped {line}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{done.tenant.slug}: {len(done.tables)} tables, {sum(done.tables.values())} rows, "
                f"{done.public_rows} public rows, {done.files} files in {done.seconds:.1f}s"
            )
        )
