"""Celery tasks: thin adapters at the top of the stack, ids in and a module call out.

Deadlines run on the default queue; email delivery on the "deliveries" queue
(CELERY_TASK_ROUTES), each with a hard time limit, so a hung mail server never
holds a deadline.
"""

from celery import shared_task

from . import deadlines, outbox


@shared_task(acks_late=True)
def run_deadline_sweep() -> int:
    return deadlines.run_sweep()


@shared_task(acks_late=True, ignore_result=True)
def drain_outbox(ids: list[int] | None = None) -> int:
    """Sends these outbox rows (just committed), or everything due when no ids are given.
    Safe to run twice or concurrently."""
    return outbox.drain_all(ids=ids)


@shared_task(acks_late=True)
def prune_idempotency_keys() -> int:
    from .api.idempotency import prune

    return prune()
