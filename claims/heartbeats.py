"""When each periodic job last finished: written by its task, read by the monitoring
(cpor.metrics, cpor.readiness). Stored in the database (claims.models.Heartbeat), so the web
processes see what a worker on another machine wrote."""

from __future__ import annotations

from datetime import datetime

from .models import Heartbeat

SWEEP = "deadline-sweep"  # the deadline sweep finished without an error
BEAT = "beat"  # beat's heartbeat task ran: beat schedules and the default queue's worker runs


def record(name: str, *, ended_at: datetime, started_at: datetime | None = None) -> None:
    """One UPSERT: safe from any number of processes at once (the last writer wins)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"started_at": started_at, "ended_at": ended_at})


def read(*names: str) -> dict[str, Heartbeat]:
    """The rows of these jobs that ever ran, in one query."""
    return {h.name: h for h in Heartbeat.objects.filter(name__in=names)}
