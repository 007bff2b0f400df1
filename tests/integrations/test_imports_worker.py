"""A real Celery worker on PostgreSQL and Redis validates hostile import files within a
memory budget, and each import ends in a final state (failed with its code, or preview).

The worker's peak resident memory (VmHWM) is reset before each file (clear_refs, as the
bench does) and read once the import is final: the growth is what that file cost."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files import File

from bench.server import reset_peak, rss_kib
from integrations import imports
from integrations.imports import template_columns
from integrations.models import ClaimImport
from tests.integration.test_celery_worker import _database_url
from tests.support import wait_for

from .files import csv_bytes, good_row, xlsx_bytes, xlsx_with_shared_string
from .test_webhooks_worker import publish_to_redis  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
BUDGET_MB = 150


@pytest.fixture
def worker(tmp_path, publish_to_redis, settings):  # noqa: F811
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cpor.settings",
        "DJANGO_SECRET_KEY": "worker-test-secret",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": publish_to_redis,
        "CPOR_VAR_DIR": str(tmp_path),
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),  # reads the files this process stores
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    log = open(tmp_path / "worker.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "cpor", "worker", "--pool=solo", "-Q", "celery", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "-n", "imports@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield proc
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def validate_in_worker(user, worker, name: str, path: Path) -> tuple[ClaimImport, float]:
    """Uploads the file (the worker validates it) and waits for a final state. Returns the
    import and the worker's peak memory growth while it worked, in MB."""
    reset_peak(worker.pid)
    before, _peak = rss_kib(worker.pid)
    with path.open("rb") as handle:
        batch = imports.import_create(actor=user, upload=File(handle, name=name))
    final = ("preview", "failed")
    wait_for(lambda: ClaimImport.objects.get(pk=batch.pk).status in final, timeout=300, what=f"the worker to finish {name}")
    _rss, peak = rss_kib(worker.pid)
    batch.refresh_from_db()
    growth = (peak - before) / 1024
    print(
        f"\n{name}: {os.path.getsize(path) / MB:.1f} MB file, worker peak growth {growth:.1f} MB, {batch.status} {batch.error_code}"
    )
    return batch, growth


@pytest.fixture
def warm_worker(worker, fabrikam, settings, tmp_path):
    """The worker after a CSV and an XLSX import: its code and libraries loaded, idle."""
    settings.CPOR_IMPORT_INLINE_BYTES = 0  # every file goes to the worker
    for name, content in (("warm.csv", csv_bytes([good_row(0)])), ("warm.xlsx", xlsx_bytes([good_row(1)]))):
        path = tmp_path / name
        path.write_bytes(content)
        batch, _growth = validate_in_worker(fabrikam, worker, name, path)
        assert batch.status == "preview", batch.error_code
    return worker


def test_an_xlsx_bomb_is_refused_before_it_is_parsed(warm_worker, fabrikam, tmp_path):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(xlsx_with_shared_string(160 * MB))  # one cell that unpacks to 160 MB
    assert path.stat().st_size < MB
    batch, growth = validate_in_worker(fabrikam, warm_worker, "bomb.xlsx", path)
    assert (batch.status, batch.error_code) == ("failed", "import_workbook_too_large")
    assert growth < BUDGET_MB


def test_a_csv_of_one_19_mb_line_is_refused_naming_the_row(warm_worker, fabrikam, tmp_path):
    path = tmp_path / "one-line.csv"
    with path.open("w", newline="") as out:
        out.write(",".join(template_columns()) + "\r\n")
        for _ in range(19):
            out.write("x," * (MB // 2))
        out.write("\r\n")
    batch, growth = validate_in_worker(fabrikam, warm_worker, "one-line.csv", path)
    assert (batch.status, batch.error_code, batch.error_params["row"]) == ("failed", "import_row_too_long", 2)
    assert growth < BUDGET_MB


def test_a_csv_of_a_million_valid_rows_ends_refused_in_flat_memory(warm_worker, fabrikam, settings, tmp_path):
    settings.CPOR_IMPORT_MAX_BYTES = 1024 * MB  # the upload limit would refuse it before the worker sees it
    path = tmp_path / "million.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=template_columns(), extrasaction="ignore")
        writer.writeheader()
        rows = [good_row(0), good_row(1)]
        for i in range(1_000_000):
            writer.writerow(rows[i % 2] | {"name": f"Imported claim {i}"})
    try:
        batch, growth = validate_in_worker(fabrikam, warm_worker, "million.csv", path)
    finally:
        path.unlink()
    assert (batch.status, batch.error_code, batch.error_params["rows"]) == ("failed", "import_too_many_rows", 1_000_000)
    assert growth < BUDGET_MB
    batch.file.delete(save=False)
