"""`make bench`: every benchmark of issue 8 against its floor, interleaved, one table, one line each.

    .venv/bin/python -m bench [--small] [--runs 3] [--seconds 10] [--only B1,B2,...]

Each benchmark runs product and floor alternately (A/B/A/B, --runs times) on the same
data in the same run; the table shows medians with min-max, the last lines the verdicts:
    bench B1 sweep: product <median> s, floor <median> s, ratio <product / floor> (goal <= 2.00) met
For goals that are a budget rather than a ratio (B3, B4, B5) the "floor" is the budget.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from . import env
from .b1_sweep import bench_sweep
from .b2_lists import bench_lists
from .b3_pages import bench_pages
from .b4_consent import bench_consent
from .config import Config, log, prepare_database, timezone_now
from .report import Verdict, cpu_ticks, report, steal_share
from .web import api_headers, cookie_headers, fixtures

# --- B5 -----------------------------------------------------------------------------------


def _multipart(field: str, filename: str, content: bytes, extra: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{val}\r\n'.encode() for k, val in extra.items()]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _post(port: int, path: str, body: bytes, headers: dict) -> int:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("POST", path, body=body, headers={**headers, "Content-Length": str(len(body))})
    response = conn.getresponse()
    response.read()
    return response.status


def _get_size(port: int, path: str, headers: dict) -> tuple[int, int]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    size = 0
    while chunk := response.read(65536):
        size += len(chunk)
    return response.status, size


def bench_memory(cfg: Config, fx: dict, out: dict[str, Verdict]) -> None:
    from .server import Gunicorn, reset_peak, rss_kib

    up = out["B5 upload"] = Verdict("B5 upload")
    ex = out["B5 export"] = Verdict("B5 export")
    big = b"%PDF-1.4\n" + os.urandom(19 * 1000 * 1000 - 9)
    tiny = b"%PDF-1.4\n% tiny\n"
    csrf = "b" * 32
    form_headers = {**cookie_headers(fx["partner_session"]), "Cookie": f"sessionid={fx['partner_session']}; csrftoken={csrf}"}
    media = tempfile.mkdtemp(prefix="cpor-bench-media-")

    def measured(server, action) -> tuple[float, object]:
        pid = server.worker_pids()[0]
        before, _ = rss_kib(pid)
        reset_peak(pid)
        result = action()
        _, peak = rss_kib(pid)
        return (peak - before) / 1024, result

    def upload_form(content: bytes):
        body, ctype = _multipart("files", "poe.pdf", content, {"csrfmiddlewaretoken": csrf})
        return lambda port: _post(
            port,
            f"/claims/{fx['editing_id']}/evidence/",
            body,
            {**form_headers, "Content-Type": ctype, "Referer": f"http://127.0.0.1:{port}/"},
        )

    def upload_api(content: bytes):
        body, ctype = _multipart("file", "poe.pdf", content, {})
        return lambda port: _post(
            port,
            f"/api/v1/claims/{fx['editing_id']}/evidence/",
            body,
            {**api_headers(fx["partner_token"]), "Content-Type": ctype},
        )

    def export(port):
        return _get_size(port, "/claims/export.csv", cookie_headers(fx["partner_session"]))

    try:
        for run in range(cfg.runs):
            growth = []
            for label, warm, real in (
                ("form", upload_form(tiny), upload_form(big)),
                ("API", upload_api(tiny), upload_api(big)),
            ):
                # A fresh worker each time: memory a previous request freed would hide growth.
                with Gunicorn(cfg.main_db, workers=1, extra_env={"DJANGO_MEDIA_ROOT": media}) as server:
                    warm(server.port)
                    mb, status = measured(server, lambda s=server, r=real: r(s.port))
                    if status not in (200, 201, 302):
                        up.note = f"{label} upload answered {status}"
                growth.append(mb)
                log(f"  B5 run {run + 1}: 19 MB PoE via {label}: worker peak grew {mb:.1f} MB")
            up.product.append(max(growth))
            up.floor.append(len(big) / 1e6)
            with Gunicorn(cfg.main_db, workers=1) as server:
                _get_size(server.port, "/claims/export.csv?status=editing", cookie_headers(fx["partner_session"]))
                mb, (status, size) = measured(server, lambda s=server: export(s.port))
            log(
                f"  B5 run {run + 1}: CSV export of {cfg.params().big:,} claims ({size / 1e6:.1f} MB): worker peak grew {mb:.1f} MB"
            )
            ex.product.append(mb)
            ex.floor.append(size / 1e6)
            if status != 200:
                ex.note = f"export answered {status}"
    finally:
        shutil.rmtree(media, ignore_errors=True)
        _delete_bench_evidence(fx["editing_id"])
    up.note = up.note or "floor column: the file's size (ratio: how much of it the worker held at its peak)"
    ex.note = ex.note or "floor column: the CSV's size (ratio: how much of it the worker held at its peak)"


def _delete_bench_evidence(claim_id: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM claims_claimevidence WHERE claim_id = %s", [claim_id])


# --- B6 -----------------------------------------------------------------------------------


class Sink:
    def __init__(self) -> None:
        from .server import free_port

        self.port = free_port()
        self.dump = Path(tempfile.mkdtemp(prefix="cpor-bench-smtp-")) / "dump.json"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.smtp_sink", str(self.port), str(self.dump)],
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
    from django.db import connection

    from claims.models import Claim
    from claims.services import partner_email
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
        # A few emails built the product's way, then copied set-based to n rows.
        now = timezone_now()
        claims = list(Claim.objects.filter(state="approved").exclude(partner_contact_email="").order_by("pk")[:20])
        from claims.models import Notification

        protos = Notification.objects.bulk_create([partner_email("consent_period_passed", c, now - _hours(1)) for c in claims])
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


# --- Main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="100k claims (CI smoke run)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (A/B/A/B), at least 3 for a verdict")
    parser.add_argument("--seconds", type=float, default=None, help="length of each load run (default 10, small 3)")
    parser.add_argument("--only", default="", help="comma-separated: B1,B2,B3,B4,B5,B6")
    parser.add_argument(
        "--due-layout",
        choices=("spread", "filed"),
        default="spread",
        help="where the due claims sit: every tenth claim (spread, the default) or the last ones filed (bench/datagen.py)",
    )
    args = parser.parse_args(argv)
    suffix = "_small" if args.small else ""
    cfg = Config(
        small=args.small,
        runs=max(1, args.runs),
        seconds=args.seconds or (3.0 if args.small else 10.0),
        main_db=os.environ.get("BENCH_DATABASE", f"cpor_bench{suffix}"),
        scale_db=os.environ.get("BENCH_SCALE_DATABASE", f"cpor_bench{suffix}_scale"),
        outbox=5_000 if args.small else 50_000,
        layout=args.due_layout,
    )
    only = {x.strip().upper() for x in args.only.split(",") if x.strip()}
    private = None
    if not os.environ.get("BENCH_DATABASE_URL") and os.environ.get("BENCH_SERVER", "private") != "existing":
        from .pgserver import PrivateServer

        private = PrivateServer()
        os.environ["BENCH_DATABASE_URL"] = private.start()  # every bench process inherits it
        log(f"PostgreSQL: the bench's own server ({private.data}, port {private.port}), docker-compose's settings")
    try:
        return _run(cfg, only)
    finally:
        if private is not None:
            private.stop()


def _run(cfg: Config, only: set[str]) -> int:
    want = lambda key: not only or key in only  # noqa: E731
    started = time.perf_counter()
    log(
        f"CPOR bench: {'small' if cfg.small else 'full'} ({cfg.params().claims:,} claims, {cfg.params().due:,} due, {cfg.layout} layout), "
        f"{cfg.runs} runs, {platform.node()}: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}"
    )
    log(f"data sets: {cfg.main_db}, {cfg.scale_db}; PostgreSQL {env.server_settings()}")
    ticks = cpu_ticks()
    took: dict[str, float] = {}  # minutes per part of the run, for the report
    mark = time.perf_counter()

    def lap(part: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        took[part] = (now - mark) / 60
        mark = now

    prepare_database(cfg.main_db, cfg.params())
    if want("B1"):
        prepare_database(cfg.scale_db, cfg.scale_params())
    env.configure(cfg.main_db)
    lap("data")
    out: dict[str, Verdict] = {}
    if want("B1"):
        log(f"B1 deadline sweep (product task vs raw SQL; {cfg.params().claims:,} vs {cfg.scale_params().claims:,} claims)")
        bench_sweep(cfg, out)
        lap("B1")
    fx = fixtures(cfg) if (want("B2") or want("B3") or want("B4") or want("B5")) else {}
    if want("B2") or want("B3") or want("B4"):
        from .server import Gunicorn

        with Gunicorn(cfg.main_db, workers=4) as server:
            if want("B2"):
                log("B2 list APIs (10 clients, 50 rows a page) vs raw-SQL views, same server")
                bench_lists(cfg, fx, server.port, out)
            if want("B3"):
                log("B3 pages (10 users, about a page a second each)")
                bench_pages(cfg, fx, server.port, out)
            if want("B4"):
                log("B4 consent page at 50 req/s")
                bench_consent(cfg, fx, server.port, out)
        lap("B2-B4")
    if want("B5"):
        log("B5 19 MB PoE upload (form, API) and CSV export: worker peak memory")
        bench_memory(cfg, fx, out)
        lap("B5")
    if want("B6"):
        log(f"B6 outbox drain of {cfg.outbox:,} emails vs a plain smtplib loop")
        bench_outbox(cfg, out)
        lap("B6")
    report(out, cfg, time.perf_counter() - started, took, steal_share(ticks, cpu_ticks()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
