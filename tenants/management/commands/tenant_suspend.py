from django.core.management.base import BaseCommand, CommandError

from backend.errors import ApplicationError
from tenants.models import Tenant
from tenants.services import company_resume, company_suspend


class Command(BaseCommand):
    help = "Suspend a company (its portal shows the reason, its API answers 403), or --resume it."

    def add_arguments(self, parser):
        parser.add_argument("subdomain")
        parser.add_argument("--reason", default="")
        parser.add_argument("--resume", action="store_true")

    def handle(self, *args, **o):
        tenant = Tenant.objects.filter(slug=o["subdomain"]).first()
        if tenant is None:
            raise CommandError(f"no company {o['subdomain']!r}")
        try:
            if o["resume"]:
                company_resume(tenant=tenant)
            else:
                company_suspend(tenant=tenant, reason=o["reason"])
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS(f"{tenant.slug}: {tenant.status}"))
