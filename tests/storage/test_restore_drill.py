"""The restore drill (`make restore-drill`): back up PostgreSQL (pg_dump) and the stored files
(`manage.py files_backup`), drop both, restore them (pg_restore, `manage.py files_restore`) and
find the same claims, with the same files served again, on each backend."""

from __future__ import annotations

import subprocess

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from claims import services
from claims.demo import demo_pdf
from claims.models import Claim, ClaimEvidence
from tests.conftest import another_customer, m365_data
from tests.integration.test_celery_worker import _database_url

from .test_stores import body, signed_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def psql(url: str, sql: str) -> subprocess.CompletedProcess:
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql], capture_output=True, text=True)


def snapshot() -> list[tuple]:
    return list(Claim.objects.order_by("pk").values_list("pk", "state", "name", "updated_at"))


def test_backup_drop_restore_shows_the_same_claims_and_serves_the_same_files(store, build, fabrikam, tmp_path):
    contents = {}
    for i in range(3):
        claim = build.editing(m365_data(name=f"Drill {i}", **another_customer(i)), poe=False)
        content = demo_pdf(f"poe-{i}.pdf")
        services.evidence_add(claim=claim, actor=fabrikam, file=SimpleUploadedFile(f"poe-{i}.pdf", content))
        services.claim_submit(claim=claim, actor=fabrikam)
        contents[claim.pk] = content
    before = snapshot()
    evidence = {e.claim_id: (e.pk, e.file.name) for e in ClaimEvidence.objects.all()}
    url = _database_url()

    # Back up: the database first, then every file its rows name.
    dump = tmp_path / "cpor.dump"
    subprocess.run(["pg_dump", "-Fc", "-d", url, "-f", str(dump)], check=True, capture_output=True)
    call_command("files_backup", str(tmp_path / "files"))

    # Drop both: every table, every stored file.
    connection.close()
    dropped = psql(url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    assert dropped.returncode == 0, dropped.stderr
    assert psql(url, "SELECT count(*) FROM claims_claim").returncode != 0
    for name in store.names():
        default_storage.delete(name)
    assert store.names() == set()

    # Restore both.
    subprocess.run(["pg_restore", "--no-owner", "--no-acl", "-d", url, str(dump)], check=True, capture_output=True)
    call_command("files_restore", str(tmp_path / "files"))

    assert snapshot() == before
    assert store.names() >= {name for _pk, name in evidence.values()}
    for claim_id, (evidence_id, _name) in evidence.items():
        response = signed_in(fabrikam).get(f"/claims/{claim_id}/evidence/{evidence_id}/")
        assert response.status_code == 200 and body(response) == contents[claim_id]
