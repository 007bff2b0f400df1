"""Reads for reviewers: the queue with its filters and counts, and the overview."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.utils.dateparse import parse_datetime

from claims.choices import ActorRole, ClaimState, EventAction
from claims.competition import with_competing
from claims.models import Claim, ClaimEvent, User
from claims.selectors import _with_list_relations

QUEUE_STATES = (ClaimState.SUBMITTED, ClaimState.UNDER_REVIEW)


def _filters(me: User) -> dict[str, Q]:
    """Queue filter key -> condition on the competing-annotated queue."""
    return {
        "overdue": Q(is_overdue=True),
        "competing": Q(is_competing=True),
        "dispute": Q(is_dispute=True),
        "mine": Q(assigned_reviewer=me),
        "unassigned": Q(assigned_reviewer__isnull=True),
        "submitted": Q(state=ClaimState.SUBMITTED),
        "under_review": Q(state=ClaimState.UNDER_REVIEW),
    }


FILTER_KEYS = ("overdue", "competing", "dispute", "mine", "unassigned", "submitted", "under_review")


def _queue_base() -> QuerySet[Claim]:
    return with_competing(Claim.objects.filter(state__in=QUEUE_STATES))


def review_queue(*, me: User | None = None, show: str = "", area: str = "") -> QuerySet[Claim]:
    """Claims that need a reviewer (Submitted; Under Review, including disputes and answered
    requests): overdue first, then the deadline that falls first."""
    qs = _queue_base()
    if me is not None and show in FILTER_KEYS:
        qs = qs.filter(_filters(me)[show])
    if area:
        qs = qs.filter(solution_area=area)
    return (
        _with_list_relations(qs)
        .select_related("company", "assigned_reviewer")
        .order_by("-is_overdue", F("deadline_at").asc(nulls_last=True), "pk")
    )


def queue_counts(*, me: User, area: str = "") -> dict[str, int]:
    """How many claims each filter shows, in one query."""
    qs = _queue_base()
    if area:
        qs = qs.filter(solution_area=area)
    return qs.aggregate(all=Count("pk"), **{key: Count("pk", filter=cond) for key, cond in _filters(me).items()})


def overview(*, now: datetime) -> dict:
    by_status = dict(Claim.objects.values_list("state").annotate(n=Count("pk")).order_by())
    overdue = list(review_queue().filter(is_overdue=True)[:20])
    since = now - timedelta(days=30)
    decisions = list(
        ClaimEvent.objects.filter(
            actor_role=ActorRole.REVIEWER, action__in=[EventAction.APPROVED, EventAction.REJECTED], at__gte=since
        )
        .select_related("actor")
        .only("at", "details", "actor__username")
    )
    timed = [(e, parse_datetime(e.details["due_at"])) for e in decisions if e.details.get("due_at")]
    on_time = sum(1 for e, due in timed if e.at <= due)
    per_reviewer: dict[str, list[int]] = {}
    for e, due in timed:
        counts = per_reviewer.setdefault(e.actor.username if e.actor else "?", [0, 0])
        counts[0] += e.at <= due
        counts[1] += 1
    return {
        "by_status": [(label, by_status.get(value, 0)) for value, label in ClaimState.choices],
        "overdue": overdue,
        "decisions": len(timed),
        "on_time": on_time,
        "sla_percent": round(100 * on_time / len(timed)) if timed else None,
        "per_reviewer": sorted((name, ok, total, round(100 * ok / total)) for name, (ok, total) in per_reviewer.items()),
        "since": since,
    }
