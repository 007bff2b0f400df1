"""Reviewers' background work."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache


@shared_task(acks_late=True, ignore_result=True)
def refresh_queue_counts(area: str = "") -> None:
    """Counts the review queue (one solution area or all) again for the pages, which show the
    last counts meanwhile (reviews.selectors, QUEUE_COUNTS_SLOW_SECONDS). Idempotent: a run
    counts the queue as it is when it runs."""
    from .selectors import _shared_key, count_shared

    try:
        count_shared(area)
    finally:
        cache.delete(f"{_shared_key(area)}:refreshing")
