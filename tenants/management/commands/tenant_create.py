from django.core.management.base import BaseCommand, CommandError

from backend.errors import ApplicationError
from tenants.services import company_onboard


class Command(BaseCommand):
    help = "Onboard a property company (operators): same rules and result as the sign-up page."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="company name, e.g. 示范物业")
        parser.add_argument("--subdomain", required=True)
        parser.add_argument("--admin-name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-phone", required=True)
        parser.add_argument("--admin-password", required=True)

    def handle(self, *args, **o):
        try:
            result = company_onboard(
                company_name=o["name"],
                subdomain=o["subdomain"],
                admin_name=o["admin_name"],
                admin_email=o["admin_email"],
                admin_phone=o["admin_phone"],
                admin_password=o["admin_password"],
            )
        except ApplicationError as error:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())
            raise CommandError(f"{error.message} {details}".strip()) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"created {result.tenant.slug} (schema {result.tenant.schema_name}) in {result.seconds:.3f}s: "
                f"{result.portal_url}"
            )
        )
