from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from claims.choices import Role
from claims.models import IdentityProviderLink, IdentityProviderRole, PartnerCompany

# The tenant of tests/sso/demo-accounts.json's Fabrikam users.
DEMO_TENANT = "f0f0f0f0-0000-4000-8000-fab41c4a0001"
MAPPING = [
    ("Claims.Global", Role.GLOBAL_ADMIN),
    ("Claims.Billing", Role.BILLING_ADMIN),
    ("Claims.Incentives", Role.INCENTIVES_ADMIN),
]


class Command(BaseCommand):
    help = "Links the demo's Fabrikam to the local test identity provider at ISSUER (make run), with its app roles mapped."

    def add_arguments(self, parser):
        parser.add_argument("issuer")

    def handle(self, *args, issuer, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo_sso links a test identity provider; it runs only with DEBUG on.")
        company = PartnerCompany.objects.get(name="Fabrikam Consulting")
        link, _created = IdentityProviderLink.objects.update_or_create(
            issuer=issuer, tenant_id=DEMO_TENANT, defaults={"company": company, "role_claim": "roles"}
        )
        for value, role in MAPPING:
            IdentityProviderRole.objects.update_or_create(link=link, value=value, defaults={"role": role})
        self.stdout.write(f"Fabrikam Consulting is linked to the demo identity provider {issuer} (tenant {DEMO_TENANT}).")
