"""The pre-check from upload to the pages, the API and the reviewer's form (issue 24).

Uploads go through the evidence service; its on-commit trigger runs the worker's task in
process (CELERY_TASK_ALWAYS_EAGER in tests). Text PDFs only: no OCR needed here."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from claims import precheck, services
from claims.models import ClaimEvidence, EvidencePage
from tests.conftest import claim_data
from tests.poe.corpus import TEXTS, text_pdf

NOW = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def poe(*, signed=True, name="poe.pdf") -> ContentFile:
    t = TEXTS["en"]
    lines = [
        t["title"],
        t["customer"].format(customer="Contoso", domain="contoso.com"),
        t["service"].format(products="D365 Sales"),
        t["completed"].format(date="March 12, 2026"),
    ]
    if signed:
        lines += [t["signature"].format(signer="Megan Bowen"), t["date"].format(date="March 12, 2026")]
    return ContentFile(text_pdf("en", [lines]), name=name)


@pytest.fixture(autouse=True)
def _pinned():
    with time_machine.travel(NOW, tick=False):
        yield


def upload(claim, actor, file, capture):
    with capture(execute=True):
        return services.evidence_add(claim=claim, actor=actor, file=file)


def test_an_upload_is_read_after_commit_and_keeps_pages_and_five_checks(fabrikam, django_capture_on_commit_callbacks):
    claim = services.claim_create(actor=fabrikam, data=claim_data())
    evidence = upload(claim, fabrikam, poe(signed=False), django_capture_on_commit_callbacks)
    evidence.refresh_from_db()
    assert evidence.precheck_status == "done" and evidence.precheck_at == NOW
    assert {c["code"]: c["verdict"] for c in evidence.precheck_checks} == {
        "customer": "found",
        "signature": "missing",
        "date": "found",
        "service": "found",
        "products": "found",
    }
    page = EvidencePage.objects.get(evidence=evidence)
    assert page.number == 1 and "Contoso" in page.text and not page.ocr


def test_nothing_is_read_when_the_upload_rolls_back(fabrikam, django_capture_on_commit_callbacks):
    claim = services.claim_create(actor=fabrikam, data=claim_data())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        evidence = services.evidence_add(claim=claim, actor=fabrikam, file=poe())
    assert len(callbacks) >= 1
    evidence.refresh_from_db()
    assert evidence.precheck_status == "pending" and not EvidencePage.objects.exists()


def test_running_twice_replaces_the_first_reading(fabrikam, django_capture_on_commit_callbacks):
    claim = services.claim_create(actor=fabrikam, data=claim_data())
    evidence = upload(claim, fabrikam, poe(), django_capture_on_commit_callbacks)
    assert precheck.run(evidence.pk) == "done"
    assert EvidencePage.objects.filter(evidence=evidence).count() == 1


def test_a_file_the_precheck_does_not_read_is_unreadable_with_no_checks(fabrikam, django_capture_on_commit_callbacks):
    claim = services.claim_create(actor=fabrikam, data=claim_data())
    from openpyxl import Workbook

    book, out = Workbook(), __import__("io").BytesIO()
    book.save(out)
    evidence = upload(claim, fabrikam, ContentFile(out.getvalue(), name="poe.xlsx"), django_capture_on_commit_callbacks)
    evidence.refresh_from_db()
    assert evidence.precheck_status == "unreadable" and evidence.precheck_checks == []


def test_a_lost_message_is_sent_again_by_the_periodic_job(fabrikam, django_capture_on_commit_callbacks):
    claim = services.claim_create(actor=fabrikam, data=claim_data())
    with django_capture_on_commit_callbacks(execute=False):
        evidence = services.evidence_add(claim=claim, actor=fabrikam, file=poe())
    assert precheck.run_pending() == 0  # too fresh: its own message may still come
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        assert precheck.run_pending() == 1
    evidence.refresh_from_db()
    assert evidence.precheck_status == "done"


def test_the_partner_sees_the_warning_on_the_claim_and_the_submit_step_and_can_still_submit(
    client, fabrikam, django_capture_on_commit_callbacks
):
    claim = services.claim_create(actor=fabrikam, data=claim_data())
    upload(claim, fabrikam, poe(signed=False), django_capture_on_commit_callbacks)
    client.force_login(fabrikam)
    for url in (f"/claims/{claim.pk}/", f"/claims/{claim.pk}/submit/"):
        html = client.get(url).content.decode()
        assert 'data-check="signature"' in html and 'href="/claims/poe-requirements/#poe-signature"' in html
        assert 'data-check="customer"' not in html and 'data-check="products"' not in html
    response = client.post(f"/claims/{claim.pk}/submit/", {"form_token": "x"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == "submitted"


def test_the_requirements_page_has_an_anchor_per_check(client):
    html = client.get("/claims/poe-requirements/").content.decode()
    for code in precheck.CHECKS:
        assert f'id="poe-{code}"' in html


def test_the_api_lists_each_files_checks(fabrikam, northwind, django_capture_on_commit_callbacks):
    claim = services.claim_create(actor=fabrikam, data=claim_data())
    upload(claim, fabrikam, poe(signed=False), django_capture_on_commit_callbacks)
    api = APIClient()
    api.force_authenticate(fabrikam)
    item = api.get(f"/api/v1/claims/{claim.pk}/evidence/").json()["results"][0]
    assert item["precheck_status"] == "done"
    checks = {c["code"]: c for c in item["checks"]}
    assert checks["signature"] == {
        "code": "signature",
        "reason": "missing_customer_signature",
        "verdict": "missing",
        "page": None,
        "excerpt": "",
        "products": [],
    }
    assert checks["products"]["products"][0]["code"] == "d365_sales" and checks["products"]["page"] == 1
    api.force_authenticate(northwind)
    assert api.get(f"/api/v1/claims/{claim.pk}/evidence/").status_code == 404


def test_the_reviewer_sees_the_checklist_and_the_form_preselects_the_missing_reasons(
    client, fabrikam, ana, django_capture_on_commit_callbacks
):
    from reviews import services as review

    claim = services.claim_create(actor=fabrikam, data=claim_data())
    upload(claim, fabrikam, poe(signed=False), django_capture_on_commit_callbacks)
    claim = review.review_start(claim=services.claim_submit(claim=claim, actor=fabrikam), reviewer=ana)
    client.force_login(ana)
    html = client.get(f"/review/claims/{claim.pk}/").content.decode()
    assert 'class="files precheck-checklist"' in html and "Fabrikam Consulting deployed D365 Sales" in html
    assert html.count('class="precheck-found"') == 4 and html.count('class="precheck-missing"') == 1
    assert _checked(html) == ["missing_customer_signature"]


def _checked(html: str) -> list[str]:
    import re

    return re.findall(r'<input type="checkbox" name="reasons" value="([a-z_]+)"[^>]*checked', html)


def test_a_signed_file_added_later_clears_the_warning(fabrikam, django_capture_on_commit_callbacks):
    claim = services.claim_create(actor=fabrikam, data=claim_data())
    upload(claim, fabrikam, poe(signed=False), django_capture_on_commit_callbacks)
    assert [c["code"] for c in precheck.claim_checks(claim)["warnings"]] == ["signature"]
    upload(claim, fabrikam, poe(signed=True, name="signed.pdf"), django_capture_on_commit_callbacks)
    claim = type(claim).objects.prefetch_related("evidence").get(pk=claim.pk)
    assert precheck.claim_checks(claim)["warnings"] == []
    assert ClaimEvidence.objects.filter(claim=claim, precheck_status="done").count() == 2


def test_a_file_whose_reading_started_is_not_sent_again_by_the_periodic_job(fabrikam, django_capture_on_commit_callbacks):
    claim = services.claim_create(actor=fabrikam, data=claim_data())
    with django_capture_on_commit_callbacks(execute=False):
        evidence = services.evidence_add(claim=claim, actor=fabrikam, file=poe())
    ClaimEvidence.objects.filter(pk=evidence.pk).update(precheck_at=NOW)  # a worker died reading it
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert precheck.run_pending() == 0


def test_a_reading_past_the_task_time_limit_leaves_the_file_unreadable(fabrikam, django_capture_on_commit_callbacks, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    from claims.tasks import precheck_evidence

    claim = services.claim_create(actor=fabrikam, data=claim_data())
    with django_capture_on_commit_callbacks(execute=False):
        evidence = services.evidence_add(claim=claim, actor=fabrikam, file=poe())

    def too_slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("claims.precheck.extract", too_slow)  # Celery's signal, raised where a slow read would be
    assert precheck_evidence(evidence.pk) == "unreadable"
    evidence.refresh_from_db()
    assert evidence.precheck_status == "unreadable"
