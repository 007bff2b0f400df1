"""Stored files on each backend, against real servers (moto's S3 server, Azurite, a folder):
PoE and import files go to the store through the pages and the API, come back through Django's
access checks, and a store that is down is a 503 storage_unavailable with nothing half-saved."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import transaction
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from claims import services
from claims.demo import demo_pdf
from claims.models import ClaimEvent, ClaimEvidence
from cpor import readiness, storage
from integrations.models import ClaimImport
from tests.conftest import pdf
from tests.integrations.files import csv_bytes, good_row

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def poe_zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_poe_goes_to_the_store_and_comes_back_through_the_page_and_the_api(store, build, fabrikam, northwind):
    claim = build.editing(poe=False)
    content = demo_pdf("signed.pdf")
    response = signed_in(fabrikam).post(
        f"/claims/{claim.pk}/evidence/", {"files": [SimpleUploadedFile("signed.pdf", content, "application/pdf")]}
    )
    assert response.status_code == 302
    evidence = ClaimEvidence.objects.get(claim=claim)
    assert evidence.file.name in store.names()

    page = signed_in(fabrikam).get(f"/claims/{claim.pk}/evidence/{evidence.pk}/")
    assert page.status_code == 200 and body(page) == content
    assert page["Content-Security-Policy"] == "sandbox" and page["Content-Length"] == str(len(content))
    api = api_for(fabrikam).get(f"/api/v1/claims/{claim.pk}/evidence/{evidence.pk}/")
    assert api.status_code == 200 and body(api) == content
    # The access check still decides: another company's partner gets a 404, from either door.
    assert signed_in(northwind).get(f"/claims/{claim.pk}/evidence/{evidence.pk}/").status_code == 404
    assert api_for(northwind).get(f"/api/v1/claims/{claim.pk}/evidence/{evidence.pk}/").status_code == 404


def test_a_poe_uploaded_through_the_api_is_stored(store, build, fabrikam):
    claim = build.editing(poe=False)
    content = demo_pdf("api.pdf")
    response = api_for(fabrikam).post(
        f"/api/v1/claims/{claim.pk}/evidence/", {"file": SimpleUploadedFile("api.pdf", content)}, format="multipart"
    )
    assert response.status_code == 201, response.content
    evidence = ClaimEvidence.objects.get(claim=claim)
    assert store.names() == {evidence.file.name}
    with evidence.file.open("rb") as handle:
        assert handle.read() == content


def test_a_file_larger_than_a_part_streams_both_ways(store, build, fabrikam):
    """12 MB: more than one S3 part (5 MB) and more than one Azure block (4 MB), each way."""
    claim = build.editing(poe=False)
    content = b"%PDF-1.4\n" + bytes(range(256)) * (12 * 1024 * 4)
    services.evidence_add(claim=claim, actor=fabrikam, file=SimpleUploadedFile("big.pdf", content))
    evidence = ClaimEvidence.objects.get(claim=claim)
    page = signed_in(fabrikam).get(f"/claims/{claim.pk}/evidence/{evidence.pk}/")
    chunks = list(page.streaming_content)
    assert b"".join(chunks) == content and len(chunks) > 1


def test_an_import_with_its_poe_zip_is_stored_validated_imported_and_its_rejected_rows_served(store, fabrikam):
    client = signed_in(fabrikam)
    data = [good_row(0) | {"poe_files": "signed-poe.pdf"}, good_row(1) | {"customer_domain": "litware.com"}]
    archive = poe_zip({"signed-poe.pdf": demo_pdf("signed-poe.pdf")})
    response = client.post(
        "/integrations/imports/",
        {"file": SimpleUploadedFile("c.csv", csv_bytes(data)), "poe_zip": SimpleUploadedFile("poe.zip", archive)},
    )
    batch = ClaimImport.objects.get()
    assert response.status_code == 302 and (batch.status, batch.valid_rows, batch.invalid_rows) == ("preview", 1, 1)
    assert {batch.file.name, batch.poe_zip.name} <= store.names()
    client.post(f"/integrations/imports/{batch.pk}/commit/")
    batch.refresh_from_db()
    assert batch.status == "done" and batch.imported_rows == 1
    attached = ClaimEvidence.objects.get(claim__imported__batch=batch)
    assert attached.file.name in store.names()
    rejected = body(client.get(f"/integrations/imports/{batch.pk}/rejected.csv")).decode("utf-8-sig")
    assert "litware.com" in rejected and "domain_tenant_mismatch" in rejected


def test_an_import_validated_by_the_worker_reads_the_file_from_the_store(
    store, fabrikam, settings, django_capture_on_commit_callbacks
):
    settings.CPOR_IMPORT_INLINE_BYTES = 0  # the (eager) task validates it after commit
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(fabrikam).post(
            "/api/v1/imports/", {"file": SimpleUploadedFile("c.csv", csv_bytes([good_row(0), good_row(1)]))}, format="multipart"
        )
    assert response.status_code == 201, response.content
    batch = ClaimImport.objects.get()
    assert (batch.status, batch.valid_rows) == ("preview", 2) and batch.file.name in store.names()


def test_readiness_writes_and_deletes_in_the_store(store):
    assert readiness.run(["storage"]) == {"storage": "ok"}
    assert not any(name.startswith("readyz/") for name in store.names())


# The store is down: stop its server in the middle of the test.


def test_a_store_that_is_down_is_a_503_and_nothing_is_saved(own_store, build, fabrikam):
    claim = build.editing(poe=False)
    before = demo_pdf("before.pdf")
    kept = services.evidence_add(claim=claim, actor=fabrikam, file=SimpleUploadedFile("before.pdf", before))
    events = ClaimEvent.objects.filter(claim=claim).count()
    own_store.server.stop()

    page = signed_in(fabrikam).post(f"/claims/{claim.pk}/evidence/", {"files": [SimpleUploadedFile("a.pdf", demo_pdf("a.pdf"))]})
    assert page.status_code == 503 and page["Retry-After"]
    assert "our file store is not answering" in page.content.decode()
    api = api_for(fabrikam).post(
        f"/api/v1/claims/{claim.pk}/evidence/", {"file": SimpleUploadedFile("b.pdf", demo_pdf("b.pdf"))}, format="multipart"
    )
    assert api.status_code == 503 and api.json()["errors"][0]["code"] == "storage_unavailable"
    # No row without its file, no history event of an upload that did not happen.
    assert list(ClaimEvidence.objects.filter(claim=claim)) == [kept]
    assert ClaimEvent.objects.filter(claim=claim).count() == events

    download = signed_in(fabrikam).get(f"/claims/{claim.pk}/evidence/{kept.pk}/")
    assert download.status_code == 503
    api_download = api_for(fabrikam).get(f"/api/v1/claims/{claim.pk}/evidence/{kept.pk}/")
    assert api_download.status_code == 503 and api_download.json()["errors"][0]["code"] == "storage_unavailable"

    imported = signed_in(fabrikam).post("/integrations/imports/", {"file": SimpleUploadedFile("c.csv", csv_bytes([good_row(0)]))})
    assert imported.status_code == 503 and not ClaimImport.objects.exists()
    api_import = api_for(fabrikam).post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("c.csv", csv_bytes([good_row(0)]))}, format="multipart"
    )
    assert api_import.status_code == 503 and api_import.json()["errors"][0]["code"] == "storage_unavailable"

    assert readiness.run(["storage"])["storage"].startswith("failed")

    own_store.server.start()  # back: uploads work again (moto's server came back empty: no old files)
    own_store.ensure_container()
    assert readiness.run(["storage"]) == {"storage": "ok"}
    again = api_for(fabrikam).post(
        f"/api/v1/claims/{claim.pk}/evidence/", {"file": SimpleUploadedFile("c.pdf", demo_pdf("c.pdf"))}, format="multipart"
    )
    assert again.status_code == 201
    if own_store.kind == "azure":  # Azurite on disk kept the blobs: the file is served again
        assert body(signed_in(fabrikam).get(f"/claims/{claim.pk}/evidence/{kept.pk}/")) == before


@pytest.mark.django_db(transaction=True)
def test_a_file_whose_transaction_rolls_back_is_removed_from_the_store(store, build, fabrikam):
    claim = build.editing(poe=False)
    kept = services.evidence_add(claim=claim, actor=fabrikam, file=pdf("kept.pdf"))
    with pytest.raises(RuntimeError), transaction.atomic():
        services.evidence_add(claim=claim, actor=fabrikam, file=pdf("rolled-back.pdf"))
        raise RuntimeError("the caller's transaction fails after the upload")
    assert len(store.names()) == 2  # stored, its row rolled back: until the request ends
    request_finished.send(sender=None)  # what Django's handler sends when a response is done
    assert store.names() == {kept.file.name}
    assert list(ClaimEvidence.objects.filter(claim=claim)) == [kept]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_removes_its_file_and_keeps_the_committed_ones(store, build, fabrikam):
    claim = build.editing(poe=False)
    with transaction.atomic():
        kept = services.evidence_add(claim=claim, actor=fabrikam, file=pdf("kept.pdf"))
        try:
            with transaction.atomic():  # a savepoint, as the import's commit makes per row
                services.evidence_add(claim=claim, actor=fabrikam, file=pdf("row.pdf"))
                raise RuntimeError
        except RuntimeError:
            pass
    assert storage.remove_rolled_back() and store.names() == {kept.file.name}
    assert storage.remove_rolled_back() == []  # nothing left pending
