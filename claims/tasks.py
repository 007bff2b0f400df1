"""Celery tasks: thin, idempotent, ids in and a service call out."""

from celery import shared_task

from . import deadlines, notifications


@shared_task(autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=5, acks_late=True)
def deliver_notification(notification_id: int) -> bool:
    return notifications.deliver(notification_id)


@shared_task(acks_late=True)
def run_deadline_sweep() -> int:
    return deadlines.run_sweep()


@shared_task(acks_late=True)
def resend_pending_notifications() -> int:
    return notifications.resend_pending()


@shared_task(acks_late=True)
def prune_idempotency_keys() -> int:
    from .api.idempotency import prune

    return prune()
