"""Malware scanning of every uploaded file with ClamAV's daemon (clamd).

A stored upload (a proof of execution, an import file and its PoE ZIP) starts `pending`
(ScanStatus), is scanned by the Celery worker after the upload commits, and ends `clean` or
`infected`. Nothing pending or infected is ever served: claims.downloads serves clean files
only, reviewers see clean files only, an import reads no row before its files are clean.

- The file streams to clamd with INSTREAM (clamav-client, the maintained client: it reads
  and sends 1 KiB at a time, so a scan holds no file in memory), over the unix socket
  CPOR_CLAMD_SOCKET or TCP CPOR_CLAMD_HOST:CPOR_CLAMD_PORT, with a timeout on every call.
- clamd down or refusing the stream: ScannerUnavailable. The file stays pending, the task
  retries with backoff, and beat's sweep re-queues every pending file (its partial index),
  so files left while clamd was down are scanned once it is back.
- No clamd configured and CPOR_SCAN_REQUIRED off (`make run`, the newcomer's defaults):
  "no scanner" mode, files are marked clean at upload without a scan. With CPOR_SCAN_REQUIRED
  on (the default when DJANGO_DEBUG is off) and no clamd, files stay pending and /readyz
  fails "clamd".

Later work that must only see clean files (text extraction of PoE) subscribes with
`after_clean(name, fn)`: `fn(evidence)` runs after the commit that marked the file clean.

This module sits beside the engine: it imports models and settings only, and reaches the
tasks by their registered names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.db import transaction

from .models import ClaimEvidence

log = logging.getLogger(__name__)

SCAN_EVIDENCE_TASK = "claims.tasks.scan_evidence"
# Backoff of a scan whose clamd did not answer: 15 s, 30 s, ... up to 10 minutes, then the
# beat sweep (CPOR_SCAN_SWEEP_INTERVAL_SECONDS) keeps trying for as long as it takes.
RETRY_BASE_SECONDS = 15
RETRY_MAX_SECONDS = 600
MAX_RETRIES = 8


class ScannerUnavailable(Exception):
    """clamd is not configured, does not answer, or could not scan the stream: try later."""


class TooLargeToScan(Exception):
    """clamd refused the stream as longer than its StreamMaxLength: trying again cannot help."""


@dataclass(frozen=True)
class Verdict:
    signature: str = ""  # the name of what clamd found; "" when the file is clean

    @property
    def infected(self) -> bool:
        return bool(self.signature)


def configured() -> bool:
    return bool(settings.CPOR_CLAMD_SOCKET or settings.CPOR_CLAMD_HOST)


def no_scanner() -> bool:
    """The "no scanner" mode: uploads are marked clean at once, unscanned."""
    return not configured() and not settings.CPOR_SCAN_REQUIRED


def _client():
    from clamav_client.clamd import ClamdNetworkSocket, ClamdUnixSocket

    timeout = settings.CPOR_CLAMD_TIMEOUT_SECONDS
    if settings.CPOR_CLAMD_SOCKET:
        return ClamdUnixSocket(path=settings.CPOR_CLAMD_SOCKET, timeout=timeout)
    if settings.CPOR_CLAMD_HOST:
        return ClamdNetworkSocket(host=settings.CPOR_CLAMD_HOST, port=settings.CPOR_CLAMD_PORT, timeout=timeout)
    raise ScannerUnavailable("no scanner configured")


def ping() -> None:
    """Raises ScannerUnavailable unless clamd answers PONG."""
    from clamav_client.clamd import ClamdError

    try:
        answer = _client().ping()
    except (ClamdError, OSError) as exc:
        raise ScannerUnavailable(type(exc).__name__) from exc
    if answer != "PONG":
        raise ScannerUnavailable("unexpected answer")


def scan(handle: BinaryIO) -> Verdict:
    """clamd's verdict on a stream, sent in chunks (INSTREAM)."""
    from clamav_client.clamd import BufferTooLongError, ClamdError

    try:
        result = _client().instream(handle)
    except BufferTooLongError as exc:
        raise TooLargeToScan(str(exc)) from exc
    except (BrokenPipeError, ConnectionResetError) as exc:
        # clamd answers "INSTREAM size limit exceeded" and closes the connection as soon as a
        # stream passes its StreamMaxLength: a client still sending then sees the pipe break
        # instead of the answer (which of the two depends on timing). clamd still answering
        # means that was the limit; not answering means it went away.
        try:
            ping()
        except ScannerUnavailable:
            raise ScannerUnavailable(f"{type(exc).__name__}: {exc}") from exc
        raise TooLargeToScan(f"clamd closed the stream: {exc}") from exc
    except (ClamdError, OSError) as exc:  # OSError: a send that timed out
        raise ScannerUnavailable(f"{type(exc).__name__}: {exc}") from exc
    status, signature = result.get("stream", ("ERROR", "no answer"))
    if status == "FOUND":
        return Verdict(signature or "unknown")
    if status == "OK":
        return Verdict()
    raise ScannerUnavailable(f"clamd could not scan the file: {signature}")


def scan_file(stored) -> Verdict:
    """The verdict on a stored file (a FieldFile), streamed from the store. In the "no
    scanner" mode every file is clean, unread (files left pending before the mode was chosen
    are released by the sweep)."""
    if no_scanner():
        return Verdict()
    with stored.open("rb") as handle:
        return scan(handle)


def retry_delay(retries: int) -> int:
    return min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2**retries)


def queue(task: str, pk: int) -> None:
    """Asks the worker to scan this upload once the transaction that stored it commits
    (a broker that is down loses nothing: beat's sweep finds the pending row)."""

    def send() -> None:
        from celery import current_app

        try:
            current_app.tasks[task].delay(pk)
        except Exception:  # noqa: BLE001 - the sweep scans it later
            log.warning("Could not queue the scan of %s %s; the scan sweep will.", task, pk, exc_info=True)

    transaction.on_commit(send, robust=True)


# --- After a file is found clean ---------------------------------------------------------

_after_clean: dict[str, Callable[[ClaimEvidence], None]] = {}


def after_clean(name: str, fn: Callable[[ClaimEvidence], None]) -> None:
    """Registers `fn(evidence)` to run after the commit that marks a PoE file clean (in the
    worker, or in the upload's request in "no scanner" mode). Registered once per name, from
    an AppConfig.ready(). A subscriber that raises is logged and does not stop the others."""
    _after_clean[name] = fn


def clean_subscribers() -> tuple[Callable[[ClaimEvidence], None], ...]:
    return tuple(_after_clean.values())


def found_clean(evidence_id: int) -> None:
    """Runs the after_clean subscribers on commit of the caller's transaction."""
    if not _after_clean:
        return

    def run() -> None:
        evidence = ClaimEvidence.objects.filter(pk=evidence_id).scanned_clean().first()
        if evidence is None:
            return
        for name, fn in list(_after_clean.items()):
            try:
                fn(evidence)
            except Exception:  # noqa: BLE001 - one subscriber's failure must not stop the others
                log.exception("after_clean subscriber %s failed for evidence %s", name, evidence_id)

    transaction.on_commit(run, robust=True)
