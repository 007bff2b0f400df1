"""Personas and claim builders. States are always built by calling services.

Personas (from the demo directory, so tests and demo agree on identifiers):
- fabrikam: Global admin of Fabrikam Consulting (files claims)
- fabrikam_incentives / fabrikam_billing: Fabrikam's other claims roles
- fabrikam_viewer: a Fabrikam user without a claims role
- northwind: Global admin of Northwind Solutions, who must never see Fabrikam's claims
- ana, ben: reviewers
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from claims import demo, services
from claims.demo import CONTOSO, LITWARE, demo_pdf
from reviews import services as review
from tests import stores
from tests.clamd import CLAMD, clamd, clamd_daemon  # noqa: F401 (fixtures)
from tests.sso.support import OIDC_PROVIDER, fabrikam_link, oidc_op, sso  # noqa: F401  (SSO fixtures for every test folder)

STRICT = os.environ.get("CI", "").lower() in ("1", "true", "yes") or os.environ.get("CPOR_REQUIRE_FULL_STACK") == "1"
CHROMIUM = os.environ.get("CPOR_CHROMIUM", "/usr/bin/chromium")
# axe-core, installed by `npm ci --prefix .ci/node` (.ci/run does it; a newcomer may not have).
AXE = Path(__file__).resolve().parents[1] / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"


def _missing(item) -> str | None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if item.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        return "needs Redis: set REDIS_URL=redis://..."
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    if item.get_closest_marker("axe") and not AXE.exists():
        return "needs axe-core: npm ci --prefix .ci/node"
    if item.get_closest_marker("promtool") and not shutil.which("promtool"):
        return "needs promtool (apt-get install prometheus)"
    if item.get_closest_marker("oidc") and not (shutil.which("node") and OIDC_PROVIDER.exists()):
        return "needs node and oidc-provider (npm ci --prefix .ci/node)"
    if item.get_closest_marker("s3") and not stores.moto_server():
        return "needs moto's S3 server (pip install -r requirements-dev.txt)"
    if item.get_closest_marker("azurite") and not stores.azurite_blob():
        return "needs Azurite and Node.js (npm ci --prefix .ci/node)"
    if item.get_closest_marker("tesseract") and (missing := _missing_ocr()):
        return f"needs {missing} (the PoE pre-check's OCR)"
    if item.get_closest_marker("clamd") and not os.path.exists(CLAMD):
        return f"needs clamd at {CLAMD} (apt-get install clamav-daemon)"
    return None


OCR_PACKS = {"eng": "eng", "por": "por", "ita": "ita", "chi_sim": "chi-sim", "spa": "spa"}


@functools.cache
def _missing_ocr() -> str | None:
    if not shutil.which("tesseract"):
        return "Tesseract (apt-get install tesseract-ocr)"
    if not shutil.which("pdftoppm"):
        return "pdftoppm (apt-get install poppler-utils)"
    import subprocess

    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout.split()
    lacking = [pack for code, pack in OCR_PACKS.items() if code not in listed]
    return f"Tesseract language packs (apt-get install {' '.join('tesseract-ocr-' + p for p in lacking)})" if lacking else None


def pytest_sessionstart(session):
    """Builds the .mo files from the committed .po catalogues when they are missing or
    stale (`make test` does it too), so a plain `pytest` shows the translated product."""
    if shutil.which("msgfmt"):
        from django.core.management import call_command

        call_command("compilemessages", verbosity=0, ignore_patterns=[".venv", "staticfiles", "var"])


def pytest_runtest_setup(item):
    reason = _missing(item)
    if reason:
        # CI must prove the whole stack: a missing service fails there instead of skipping.
        (pytest.fail if STRICT else pytest.skip)(reason)


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if STRICT and skipped and exitstatus == 0:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(f"FAILED: {skipped} test(s) skipped; CI runs every test.", red=True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (cached queue counts are keyed by history ids,
    which a rolled-back test may hand out again)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language_between_tests():
    """A request leaves its language active in the thread (Django never resets it);
    the next test starts in the default language again."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def directory(db):
    return demo.seed_directory()


@pytest.fixture
def users(directory):
    return directory["users"]


@pytest.fixture
def fabrikam(users):
    return users["fabrikam-global"]


@pytest.fixture
def fabrikam_incentives(users):
    return users["fabrikam-incentives"]


@pytest.fixture
def fabrikam_billing(users):
    return users["fabrikam-billing"]


@pytest.fixture
def fabrikam_viewer(users):
    return users["fabrikam-viewer"]


@pytest.fixture
def northwind(users):
    return users["northwind-global"]


@pytest.fixture
def ana(users):
    return users["reviewer-ana"]


@pytest.fixture
def ben(users):
    return users["reviewer-ben"]


SUB_SALES = "11111111-1111-4111-8111-111111111111"
SUB_SERVICE = "22222222-2222-4222-8222-222222222222"
SUB_CSP = "33333333-3333-4333-8333-333333333333"
SUB_NOT_PROVISIONED = "44444444-4444-4444-8444-444444444444"
SUB_M365 = "55555555-5555-4555-8555-555555555555"
SUB_EXPIRED = "66666666-6666-4666-8666-666666666666"
SUB_HELD = "77777777-7777-4777-8777-777777777777"
SUB_LITWARE = "88888888-8888-4888-8888-888888888888"


def claim_data(**overrides) -> dict:
    data = {
        "name": "Contoso Sales adoption",
        "customer_tenant_id": CONTOSO,
        "customer_domain": "contoso.com",
        "solution_area": "business_applications",
        "activity": "usage",
        "mpn_id": "4567890",
        "products": [{"product": "d365_sales", "subscription_id": SUB_SALES}],
        "customer_contact": {"name": "Megan Bowen", "email": "megan.bowen@contoso.com", "phone": "+1 425 555 0100"},
        "partner_contact": {"name": "Alex Wilber", "email": "alex.wilber@fabrikam.example", "phone": ""},
    }
    data.update(overrides)
    return data


def m365_data(**overrides) -> dict:
    return claim_data(
        **{
            "name": "Contoso Teams adoption",
            "solution_area": "microsoft_365",
            "activity": "usage",
            "products": [{"product": "teams", "subscription_id": None}],
            **overrides,
        }
    )


def another_customer(n: int) -> dict:
    """A fresh customer tenant (n-th): a company may have one live claim per customer and
    product, so tests that need many open claims spread them over customers."""
    import uuid

    from claims.models import CustomerTenant

    tenant, _ = CustomerTenant.objects.get_or_create(
        tenant_id=uuid.uuid5(uuid.NAMESPACE_DNS, f"customer{n}.example"),
        defaults={"name": f"Customer {n}", "subdomain": f"customer{n}"},
    )
    return {"customer_tenant_id": str(tenant.tenant_id), "customer_domain": tenant.subdomain}


def pdf(name: str = "signed-poe.pdf") -> ContentFile:
    return ContentFile(demo_pdf(name), name=name)


class Builder:
    """Walks a claim to any state through the services, as users would."""

    def __init__(self, partner, reviewer):
        self.partner, self.reviewer = partner, reviewer

    def editing(self, data=None, *, poe=True, partner=None):
        partner = partner or self.partner
        claim = services.claim_create(actor=partner, data=data or claim_data())
        if poe:
            services.evidence_add(claim=claim, actor=partner, file=pdf())
        return claim

    def submitted(self, data=None, **kw):
        claim = self.editing(data, **kw)
        return services.claim_submit(claim=claim, actor=kw.get("partner") or self.partner)

    def under_review(self, data=None, **kw):
        return review.review_start(claim=self.submitted(data, **kw), reviewer=self.reviewer)

    def par(self, data=None, **kw):
        return review.review_request_info(
            claim=self.under_review(data, **kw), reviewer=self.reviewer, reasons=["missing_poe"], message="Upload the signed PoE."
        )

    def approved(self, data=None, **kw):
        return review.review_approve(claim=self.under_review(data, **kw), reviewer=self.reviewer)

    def rejected(self, data=None, **kw):
        return review.review_reject(
            claim=self.under_review(data, **kw), reviewer=self.reviewer, reason="insufficient_poe", message="No signature."
        )


@pytest.fixture
def build(fabrikam, ana):
    return Builder(fabrikam, ana)


__all__ = ["CONTOSO", "LITWARE", "another_customer", "claim_data", "m365_data", "pdf"]
