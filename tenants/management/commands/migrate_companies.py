from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tenants.migrate import companies_migrate


class Command(BaseCommand):
    help = (
        "Migrate the public schema, then every company schema that is behind the migrations on disk "
        "(up-to-date schemas are skipped after one query per 200). Failed schemas are named; exit status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schema", action="append", dest="schemas", help="only this schema (repeatable)")
        parser.add_argument("--skip-shared", action="store_true", help="leave the public schema alone")

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        if not options["skip_shared"]:
            call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        result = companies_migrate(
            schemas=options["schemas"], verbosity=verbosity, write=lambda line: self.stdout.write(line)
        )
        if result.failed:
            raise CommandError(
                "migrations failed in schema(s): "
                + "; ".join(f"{schema}: {error}" for schema, error in sorted(result.failed.items()))
            )
