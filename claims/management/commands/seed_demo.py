from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from claims import demo
from claims.models import PartnerCompany


class Command(BaseCommand):
    help = "Creates the demo companies, users, tenants, subscriptions and claims in every status."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo creates known passwords; it runs only with DEBUG on (or --force).")
        if PartnerCompany.objects.filter(name="Fabrikam Consulting").exists():
            self.stdout.write("Demo data is already there.")
        else:
            demo.seed()
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        self.stdout.write(f"\nDemo logins (password for all: {demo.PASSWORD}):")
        for username, what in demo.LOGINS:
            self.stdout.write(f"  {username:<22} {what}")
