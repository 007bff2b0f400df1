"""Celery tasks: thin adapters at the top of the stack, ids in and a module call out.

Deadlines run on the default queue; email delivery on the "deliveries" queue
(CELERY_TASK_ROUTES), each with a hard time limit, so a hung mail server never
holds a deadline.
"""

from celery import shared_task
from django.utils import timezone

from . import deadlines, heartbeats, outbox, scanning


@shared_task(acks_late=True)
def run_deadline_sweep() -> int:
    """Sweeps, then records when it finished and how long it took (the monitoring's
    cpor_sweep_* metrics). A sweep that raised records nothing, so its success goes stale."""
    started = timezone.now()
    handled = deadlines.run_sweep()
    heartbeats.record(heartbeats.SWEEP, started_at=started, ended_at=timezone.now())
    return handled


@shared_task(acks_late=True, ignore_result=True)
def beat_heartbeat() -> None:
    """Scheduled by beat on the default queue: a fresh row says beat schedules and the
    deadlines' worker runs what it schedules (/readyz's "beat" check)."""
    heartbeats.record(heartbeats.BEAT, ended_at=timezone.now())


@shared_task(acks_late=True, ignore_result=True)
def drain_outbox(ids: list[int] | None = None) -> int:
    """Sends these outbox rows (just committed), or everything due when no ids are given.
    Safe to run twice or concurrently."""
    return outbox.drain_all(ids=ids)


@shared_task(acks_late=True)
def prune_idempotency_keys() -> int:
    from .api.idempotency import prune

    return prune()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=180, time_limit=240)
def precheck_evidence(evidence_id: int) -> str | None:
    """Reads one uploaded PoE and stores its checks (claims.precheck). Idempotent.
    Its own bounds (pages, characters, CPOR_POE_TIME_BUDGET) end it well before the time limit."""
    from celery.exceptions import SoftTimeLimitExceeded

    from . import precheck

    try:
        return precheck.run(evidence_id)
    except SoftTimeLimitExceeded:
        precheck.mark_unreadable(evidence_id)
        return "unreadable"


@shared_task(acks_late=True, ignore_result=True)
def precheck_pending() -> int:
    from . import precheck

    return precheck.run_pending()


@shared_task(bind=True, acks_late=True, ignore_result=True)
def scan_evidence(self, evidence_id: int) -> None:
    """Scans one PoE file (claims.services.evidence_scan). clamd down: retried with backoff;
    after the last retry (or when run eagerly) the file stays pending for the scan sweep."""
    from .services import evidence_scan

    try:
        evidence_scan(evidence_id=evidence_id)
    except scanning.ScannerUnavailable as exc:
        if self.request.is_eager or self.request.retries >= scanning.MAX_RETRIES:
            return
        raise self.retry(exc=exc, countdown=scanning.retry_delay(self.request.retries), max_retries=scanning.MAX_RETRIES)


@shared_task(acks_late=True, ignore_result=True)
def sweep_pending_scans() -> int:
    """Beat: queues a scan of every PoE file still pending (clamd was down, a message was
    lost). Idempotent: a file scanned twice is recorded once."""
    from .services.evidence import pending_scans

    ids = pending_scans()
    for pk in ids:
        scan_evidence.delay(pk)
    return len(ids)
