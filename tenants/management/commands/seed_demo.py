from django.core.management.base import BaseCommand

from tenants.demo import demo_seed, demo_summary


class Command(BaseCommand):
    help = "Create (or top up) the demo company 示范物业 with one login per role."

    def handle(self, *args, **options):
        demo_seed()
        self.stdout.write(demo_summary())
