"""B6: the outbox drain (claims.outbox.drain) of pending emails into a local SMTP sink
(bench/smtp_sink.py), against a plain smtplib loop sending the same messages."""

from __future__ import annotations

import json
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import env
from .config import Config, log, timezone_now
from .report import Verdict


class Sink:
    def __init__(self, *, nice: int = 0) -> None:
        """`nice`: the sink's CPU priority below the product's (B7: it stands for a mail server
        on another machine, so it yields this machine's cores to the product)."""
        from .server import free_port

        self.port = free_port()
        self.dump = Path(tempfile.mkdtemp(prefix="cpor-bench-smtp-")) / "dump.json"
        self.proc = subprocess.Popen(
            [
                *(["nice", "-n", str(nice)] if nice else []),
                sys.executable,
                "-m",
                "bench.smtp_sink",
                str(self.port),
                str(self.dump),
            ],
            cwd=env.ROOT,
            env=env.process_env("postgres"),
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("SMTP sink did not start")

    def state(self) -> dict:
        import signal

        self.dump.unlink(missing_ok=True)
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 30
        while not self.dump.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("SMTP sink did not answer")
            time.sleep(0.05)
        return json.loads(self.dump.read_text())

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dump.parent, ignore_errors=True)


def bench_outbox(cfg: Config, out: dict[str, Verdict]) -> None:
    import base64

    v = out["B6 outbox"] = Verdict("B6 outbox")
    try:
        from claims.outbox import drain
    except ImportError as exc:
        v.unavailable = "unavailable"
        v.note = f"claims.outbox.drain: {exc}"
        return
    from django.conf import settings
    from django.db import connection, transaction

    from claims import emails
    from claims.choices import ActorRole, EventAction
    from claims.events import Batch
    from claims.models import Claim, ClaimEvent, Notification
    from cpor.startup import prepare_serving_process

    sink = Sink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    n = cfg.outbox
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE claims_notification SET status = 'sent' WHERE status = 'pending'")
            cursor.execute("SELECT coalesce(max(id), 0) FROM claims_notification")
            watermark = cursor.fetchone()[0]
        # A few emails written the product's way (history rows, and the email subscriber's
        # outbox rows for them), then copied set-based to n rows.
        at = timezone_now() - _hours(1)
        claims = list(Claim.objects.filter(state="approved").exclude(partner_contact_email="").order_by("pk")[:20])
        action = EventAction.CONSENT_PERIOD_PASSED
        with transaction.atomic():
            rows = ClaimEvent.objects.bulk_create(
                ClaimEvent(claim=c, at=at, actor_role=ActorRole.SYSTEM, action=action) for c in claims
            )
            ids = emails.write(Batch(ids=tuple(r.pk for r in rows), actions=frozenset({action})))
        protos = list(Notification.objects.filter(pk__in=ids))
        cols = [c for c in _table_columns("claims_notification") if c != "id"]
        col_sql = ", ".join(f'"{c}"' for c in cols)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO claims_notification ({col_sql}) SELECT {col_sql} FROM claims_notification n, "
                f"generate_series(1, %s) g WHERE n.id = ANY(%s)",
                [n // len(protos) - 1, [p.pk for p in protos]],
            )
            cursor.execute("DROP TABLE IF EXISTS bench_outbox_snapshot")
            cursor.execute("CREATE TABLE bench_outbox_snapshot AS SELECT * FROM claims_notification WHERE id > %s", [watermark])
            cursor.execute("SELECT count(*) FROM bench_outbox_snapshot")
            total = cursor.fetchone()[0]
        sets = ", ".join(f'"{c}" = s."{c}"' for c in cols)
        samples: list = []
        # The harness drains in its own process: set up as the delivery worker sets itself up (cpor.celery).
        prepare_serving_process()
        for run in range(cfg.runs):
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE claims_notification n SET {sets} FROM bench_outbox_snapshot s WHERE n.id = s.id")
                # Every run starts from the same table: without the previous runs' dead rows
                # (each run leaves two per email; autovacuum would clear them in its own time).
                cursor.execute("VACUUM ANALYZE claims_notification")
            before = sink.state()["count"]
            t0 = time.perf_counter()
            sent = 0
            while handled := drain():
                sent += handled
            p_seconds = time.perf_counter() - t0
            state = sink.state()
            received = state["count"] - before
            samples = samples or [(f, to, base64.b64decode(c)) for f, to, c in state["samples"]]
            t0 = time.perf_counter()
            smtp = smtplib.SMTP("127.0.0.1", sink.port, timeout=30)
            for i in range(total):
                mail_from, rcpt, content = samples[i % len(samples)]
                smtp.sendmail(mail_from, rcpt, content)
            smtp.quit()
            f_seconds = time.perf_counter() - t0
            log(
                f"  B6 run {run + 1}: product {sent} sent ({received} received) in {p_seconds:.1f} s = {total / p_seconds:.0f}/s, "
                f"floor {total} in {f_seconds:.1f} s = {total / f_seconds:.0f}/s"
            )
            if received != total or sent != total:
                v.note = f"product sent {sent}, sink received {received}, expected {total}"
            v.product.append(total / p_seconds)
            v.floor.append(total / f_seconds)
    finally:
        sink.close()
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_outbox_snapshot")


def _hours(n: int):
    from datetime import timedelta

    return timedelta(hours=n)


def _table_columns(table: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, table)]
