"""Without clamd: the "no scanner" mode of `make run` and the newcomer's tests marks uploads
clean at once; with a scanner required but none configured, uploads stay pending (never
served) and /readyz fails "clamd"."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.test import Client

from claims import services
from claims.choices import ScanStatus
from claims.demo import demo_pdf
from claims.tasks import sweep_pending_scans
from cpor import readiness


def test_no_scanner_mode_marks_uploads_clean_and_readyz_skips_clamd(build, fabrikam, settings):
    settings.CPOR_CLAMD_SOCKET = settings.CPOR_CLAMD_HOST = ""
    settings.CPOR_SCAN_REQUIRED = False
    claim = build.editing(poe=False)
    evidence = services.evidence_add(claim=claim, actor=fabrikam, file=ContentFile(demo_pdf("a.pdf"), name="a.pdf"))
    assert evidence.scan_status == ScanStatus.CLEAN
    assert readiness.run(["clamd"]) == {"clamd": "skipped"}


def test_a_required_scanner_that_is_not_configured_keeps_uploads_pending_and_fails_readyz(
    build, fabrikam, settings, django_capture_on_commit_callbacks
):
    settings.CPOR_CLAMD_SOCKET = settings.CPOR_CLAMD_HOST = ""
    settings.CPOR_SCAN_REQUIRED = True
    claim = build.editing(poe=False)
    with django_capture_on_commit_callbacks(execute=True):
        evidence = services.evidence_add(claim=claim, actor=fabrikam, file=ContentFile(demo_pdf("a.pdf"), name="a.pdf"))
    evidence.refresh_from_db()
    assert evidence.scan_status == ScanStatus.PENDING
    client = Client()
    client.force_login(fabrikam)
    assert client.get(f"/claims/{claim.pk}/evidence/{evidence.pk}/").status_code == 404
    assert readiness.run(["clamd"])["clamd"] == "failed: no scanner configured (set CPOR_CLAMD_SOCKET or CPOR_CLAMD_HOST)"

    # Switching to the "no scanner" mode later releases what waited, through the sweep.
    settings.CPOR_SCAN_REQUIRED = False
    assert sweep_pending_scans() == 1
    evidence.refresh_from_db()
    assert evidence.scan_status == ScanStatus.CLEAN
