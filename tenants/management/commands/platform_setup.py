from django.core.management.base import BaseCommand

from tenants.services import platform_setup


class Command(BaseCommand):
    help = "Migrate the public schema, create the platform domain and the template schema, migrate every company."

    def handle(self, *args, **options):
        platform_setup(verbosity=options["verbosity"])
        self.stdout.write(self.style.SUCCESS("platform ready"))
