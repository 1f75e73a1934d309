from django.core.management.base import BaseCommand

from backend.demo.companies import COMPANIES, company_seed, demo_summary, marketplace_seed
from backend.demo.progress import Progress


class Command(BaseCommand):
    help = (
        "Create (or top up) the demo companies 示范物业 and 绿城物业 with one login per role, their registries "
        "and billing histories. Prints one line per stage on stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--company",
            action="append",
            choices=[c.slug for c in COMPANIES],
            help="Seed only this company (repeatable); default: every demo company.",
        )

    def handle(self, *args, **options):
        progress = Progress(lambda line: self.stderr.write(line))
        wanted = options.get("company") or [c.slug for c in COMPANIES]
        for company in COMPANIES:
            if company.slug in wanted:
                company_seed(company, progress=progress)
        marketplace_seed(progress=progress)
        self.stderr.write(f"demo: ready in {progress.total():.1f} s")
        self.stdout.write(demo_summary())
