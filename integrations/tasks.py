"""Celery tasks: thin, idempotent, ids in and a service call out."""

from celery import shared_task

from claims import scanning

from . import imports, webhooks


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> bool:
    # Sent to the "deliveries" queue by webhooks.schedule (apply_async(queue=...): Celery
    # deprecates the task attribute). Retries are the outbox's own backoff, not Celery's.
    return webhooks.deliver(delivery_id)


@shared_task(acks_late=True)
def retry_webhooks() -> int:
    return webhooks.retry_due()


@shared_task(acks_late=True)
def validate_import(import_id: int) -> None:
    imports.validate_file(import_id)


@shared_task(acks_late=True)
def commit_import(import_id: int, actor_id: int) -> None:
    imports.commit_rows(import_id, actor_id)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def scan_import(self, import_id: int) -> None:
    """Scans an import's files, then validates it (imports.import_scan). clamd down: retried
    with backoff; after the last retry (or when run eagerly) the sweep picks it up."""
    try:
        imports.import_scan(import_id)
    except scanning.ScannerUnavailable as exc:
        if self.request.is_eager or self.request.retries >= scanning.MAX_RETRIES:
            return
        raise self.retry(exc=exc, countdown=scanning.retry_delay(self.request.retries), max_retries=scanning.MAX_RETRIES)


@shared_task(acks_late=True, ignore_result=True)
def sweep_pending_import_scans() -> int:
    """Beat: queues the scan of every import still pending (idempotent, like the PoE sweep)."""
    ids = imports.pending_import_scans()
    for pk in ids:
        scan_import.delay(pk)
    return len(ids)
