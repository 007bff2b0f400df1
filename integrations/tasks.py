"""Celery tasks: thin, idempotent, ids in and a service call out."""

from celery import shared_task

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
