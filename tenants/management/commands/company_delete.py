from django.core.management.base import BaseCommand, CommandError

from backend.errors import ApplicationError
from tenants.deletion import companies_delete_due, company_delete_cancel, company_delete_schedule, grace_days
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Schedule a company's deletion (suspended now, deleted after the grace period), --cancel it, or --due: "
        "delete every company past its date now (what the daily task does)."
    )

    def add_arguments(self, parser):
        parser.add_argument("subdomain", nargs="?")
        parser.add_argument("--reason", default="")
        parser.add_argument("--days", type=int, default=None, help=f"grace period (default {grace_days()})")
        parser.add_argument("--cancel", action="store_true")
        parser.add_argument("--due", action="store_true")

    def handle(self, *args, **o):
        if o["due"]:
            for purged in companies_delete_due():
                self.stdout.write(
                    f"deleted {purged.schema}: {purged.users_deleted} people, {purged.files_deleted} files"
                )
            return
        tenant = Tenant.objects.filter(slug=o["subdomain"] or "").first()
        if tenant is None:
            raise CommandError(f"no company {o['subdomain']!r}")
        try:
            if o["cancel"]:
                tenant = company_delete_cancel(tenant=tenant)
                self.stdout.write(self.style.SUCCESS(f"{tenant.slug}: deletion cancelled, {tenant.status}"))
            else:
                tenant = company_delete_schedule(tenant=tenant, reason=o["reason"], days=o["days"])
                self.stdout.write(
                    self.style.SUCCESS(f"{tenant.slug}: suspended, deleted after {tenant.delete_after:%Y-%m-%d %H:%M}")
                )
        except ApplicationError as error:
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in (error.fields or {}).items())
            raise CommandError(detail or error.message) from error
