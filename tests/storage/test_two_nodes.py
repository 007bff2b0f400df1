"""Two web nodes with no shared disk: two gunicorn processes, each with its own working and
media folders, and a Celery worker in a third process, over one PostgreSQL, one Redis and one
S3 store (moto's server). A PoE uploaded through node A is downloaded through node B; an import
uploaded through B is validated by the worker and its rejected rows downloaded through A."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import urllib3
from rest_framework.authtoken.models import Token

from claims.demo import demo_pdf
from integrations.models import ClaimImport
from tests import stores
from tests.integration.test_celery_worker import _database_url, _redis_url_for_tests
from tests.integrations.files import csv_bytes, good_row
from tests.support import start_celery, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.s3,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]


def node_env(store: stores.Store, folder: Path, redis_url: str) -> dict[str, str]:
    """One node's environment: the shared database, broker and store; its own folders."""
    (folder / "media").mkdir(parents=True)
    env = {k: v for k, v in stores.process_env(store).items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="cpor.settings",
        DJANGO_SECRET_KEY="two-nodes-test-secret",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SSL_REDIRECT="false",
        DJANGO_MEDIA_ROOT=str(folder / "media"),
        CPOR_VAR_DIR=str(folder),
        DATABASE_URL=_database_url(),
        REDIS_URL=redis_url,
        CPOR_IMPORT_INLINE_BYTES="0",  # every import goes to the worker
        CELERY_TASK_ALWAYS_EAGER="0",
        PYTHONPATH=str(ROOT),
    )
    return env


@pytest.fixture
def cluster(moto, tmp_path):
    """Node A, node B (gunicorn) and a worker (Celery), on one bucket; yields their base URLs."""
    store = stores.s3_store(moto)
    redis_url = _redis_url_for_tests()
    subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], check=False, capture_output=True)
    procs, urls, folders = [], {}, {}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    try:
        for name in ("a", "b"):
            folder = folders[name] = tmp_path / f"node-{name}"
            env = node_env(store, folder, redis_url)
            port = stores.free_port()
            log = (folder / "gunicorn.log").open("w")
            procs.append(
                subprocess.Popen(
                    [gunicorn, "cpor.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
                    cwd=folder,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
            )
            log.close()
            urls[name] = f"http://127.0.0.1:{port}"
        folders["worker"] = tmp_path / "worker"
        worker, _log = start_celery(
            tmp_path,
            "worker",
            ["worker", "--pool=solo", "-Q", "celery", "--without-gossip", "--without-mingle", "-n", "two-nodes@%h"],
            node_env(store, folders["worker"], redis_url),
        )
        procs.append(worker)
        http = urllib3.PoolManager(retries=False, timeout=10)
        for url in urls.values():
            wait_for(lambda url=url: _status(http, f"{url}/healthz") == 200, timeout=90, what=f"gunicorn at {url}")
        yield store, urls, folders, http
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def _status(http, url: str) -> int:
    try:
        return http.request("GET", url).status
    except urllib3.exceptions.HTTPError:
        return 0


def files_on_disk(folder: Path) -> list[Path]:
    return [p for p in (folder / "media").rglob("*") if p.is_file()]


def test_a_file_uploaded_through_one_node_is_served_by_the_other(cluster, build, fabrikam):
    store, urls, folders, http = cluster
    token = {"Authorization": f"Token {Token.objects.create(user=fabrikam).key}"}

    # PoE through A, downloaded through B.
    claim = build.editing(poe=False)
    content = demo_pdf("two-nodes.pdf")
    up = http.request(
        "POST", f"{urls['a']}/api/v1/claims/{claim.pk}/evidence/", headers=token,
        fields={"file": ("two-nodes.pdf", content, "application/pdf")},
    )  # fmt: skip
    assert up.status == 201, up.data[:500]
    evidence = up.json()
    down = http.request("GET", f"{urls['b']}/api/v1/claims/{claim.pk}/evidence/{evidence['id']}/", headers=token)
    assert down.status == 200 and down.data == content

    # An import through B, validated by the worker, its rejected rows downloaded through A.
    rows = [good_row(0), good_row(1) | {"customer_domain": "litware.com"}]
    sent = http.request(
        "POST", f"{urls['b']}/api/v1/imports/", headers=token, fields={"file": ("claims.csv", csv_bytes(rows), "text/csv")}
    )
    assert sent.status == 201, sent.data[:500]
    batch_id = sent.json()["id"]
    wait_for(lambda: ClaimImport.objects.get(pk=batch_id).status != "validating", timeout=120, what="the worker to validate")
    batch = ClaimImport.objects.get(pk=batch_id)
    assert (batch.status, batch.valid_rows, batch.invalid_rows) == ("preview", 1, 1), batch.error_code
    rejected = http.request("GET", f"{urls['a']}/api/v1/imports/{batch_id}/rejected.csv", headers=token)
    text = rejected.data.decode("utf-8-sig")
    assert rejected.status == 200 and "litware.com" in text and "domain_tenant_mismatch" in text

    # Every file lives in the store, none on a node's disk.
    assert _stored(evidence["id"]) in store.names()
    assert batch.file.name in store.names()
    assert not any(files_on_disk(folder) for folder in folders.values())


def _stored(evidence_id: int) -> str:
    from claims.models import ClaimEvidence

    return ClaimEvidence.objects.get(pk=evidence_id).file.name
