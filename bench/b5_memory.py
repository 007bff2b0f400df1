"""B5: a gunicorn worker's peak memory growth while a 19 MB PoE is uploaded (form and API) and
while the CSV export streams, against the file's and the CSV's size."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid

from .config import Config, log
from .report import Verdict
from .web import api_headers, cookie_headers


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
