from django.core.management.base import BaseCommand

from backend.demo.companies import demo_seed, demo_summary
from backend.demo.progress import Progress


class Command(BaseCommand):
    help = "Create (or top up) the demo companies 示范物业 and 绿城物业 with one login per role."

    def handle(self, *args, **options):
        progress = Progress(lambda line: self.stderr.write(line))
        demo_seed(progress=progress)
        self.stderr.write(f"demo: ready in {progress.total():.1f} s")
        self.stdout.write(demo_summary())
