"""The embedded default of `make run`: SQLite and a Celery worker with beat on the
filesystem broker (no server). Beat really fires the deadline sweep on the demo data."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def embedded_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_EMAIL_BACKEND")}
    env.update(
        DJANGO_SETTINGS_MODULE="cpor.settings",
        DJANGO_DEBUG="1",
        CPOR_VAR_DIR=str(tmp_path),
        CPOR_SWEEP_INTERVAL_SECONDS="5",
        CPOR_OUTBOX_DRAIN_INTERVAL_SECONDS="5",
    )
    return env


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db, timeout=20) as conn:
        return conn.execute(sql).fetchone()[0]


def test_the_worker_with_beat_sweeps_the_demo_data_and_delivers_every_email(embedded_env, tmp_path):
    manage(embedded_env, "migrate", "--noinput")
    manage(embedded_env, "seed_demo")
    db = tmp_path / "db.sqlite3"
    assert count(db, "select count(*) from claims_claimevent where actor_role = 'system'") == 0
    log = open(tmp_path / "worker.log", "w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "cpor", "worker", "--beat", "--pool=solo", "-Q", "celery,deliveries", "--loglevel=INFO",
         f"--schedule={tmp_path / 'celerybeat-schedule'}"],
        cwd=ROOT, env=embedded_env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        # The demo seeds five claims past a deadline; beat's sweep must handle all of them.
        wait_for(
            lambda: count(db, "select count(*) from claims_claimevent where actor_role = 'system'") == 5,
            what="beat to run the deadline sweep",
        )
        wait_for(
            lambda: count(db, "select count(*) from claims_notification where status != 'sent'") == 0,
            what="the worker to deliver every email",
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
    actions = count(db, "select count(distinct action) from claims_claimevent where actor_role = 'system'")
    assert actions == 4  # review auto-started, auto-rejected, consent passed, dispute window closed
    # Aged demo claims' emails count as sent back then; everything sent now is on disk.
    mails = [p.read_bytes() for p in (tmp_path / "mail").glob("*.eml")]
    assert len(mails) >= 10
    assert any(b"Fabrikam Consulting says it helped" in m and b"/consent/" in m for m in mails)
