"""Reads for reviewers: the queue with its filters and counts, and the overview."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.query import ModelIterable
from django.utils.dateparse import parse_datetime

from claims.api.listing import CountedPaginator  # noqa: F401 (the queue pages use it from here)
from claims.choices import ActorRole, ClaimState, EventAction
from claims.competition import competing_condition, count_competing, mark_competing
from claims.models import Claim, ClaimEvent, User
from claims.selectors import _with_list_relations

QUEUE_STATES = (ClaimState.SUBMITTED, ClaimState.UNDER_REVIEW)


def _filters(me: User | None) -> dict[str, Q]:
    """Queue filter key -> condition on the queue."""
    return {
        "overdue": Q(is_overdue=True),
        "competing": Q(competing_condition()),
        "dispute": Q(is_dispute=True),
        "mine": Q(assigned_reviewer=me),
        "unassigned": Q(assigned_reviewer__isnull=True),
        "submitted": Q(state=ClaimState.SUBMITTED),
        "under_review": Q(state=ClaimState.UNDER_REVIEW),
    }


FILTER_KEYS = ("overdue", "competing", "dispute", "mine", "unassigned", "submitted", "under_review")


class QueueQuerySet(QuerySet):
    """Claims whose rows, once read, carry `is_competing`: computed for the rows read (a
    page), never for the whole queue before the LIMIT."""

    def _fetch_all(self) -> None:
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._iterable_class is ModelIterable:
            mark_competing(self._result_cache)


def _queue_base() -> QuerySet[Claim]:
    return QueueQuerySet(Claim).filter(state__in=QUEUE_STATES)


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


# Counting the queue reads every queued claim (the competition check most of all): at a
# million claims that takes a second or more, far too long for each page view. The counts
# are kept until the next change: every change to a claim, its products, its reviewer or
# its associations writes a history row in the same transaction, so the newest history id
# names the state the counts were taken in. The time limit only bounds the rare case of a
# change that commits after a newer one was counted.
QUEUE_COUNTS_SECONDS = 60


def _queue_generation() -> int:
    return ClaimEvent.objects.aggregate(newest=Max("pk"))["newest"] or 0


def queue_counts(*, me: User, area: str = "") -> dict[str, int]:
    """How many claims each filter shows. Everything but "mine" is computed once per change
    of the claims and then read from the cache (one query: the newest history id); "mine" is
    one indexed count of the caller's own claims."""
    return {**_shared_counts(area), "mine": _count_mine(me, area)}


def queue_total(*, me: User, show: str = "", area: str = "") -> int:
    """How many claims one filter of the queue shows (the total of its pages)."""
    return _count_mine(me, area) if show == "mine" else _shared_counts(area)[show if show in FILTER_KEYS else "all"]


def _shared_counts(area: str) -> dict[str, int]:
    key = f"cpor:queue-counts:v2:{area}:{_queue_generation()}"
    counts = cache.get(key)
    if counts is None:
        counts = _count_queue(area=area)
        cache.set(key, counts, QUEUE_COUNTS_SECONDS)
    return counts


def _count_mine(me: User, area: str) -> int:
    mine = Claim.objects.filter(state__in=QUEUE_STATES, assigned_reviewer=me)
    return (mine.filter(solution_area=area) if area else mine).count()


def _count_queue(*, area: str) -> dict[str, int]:
    qs = Claim.objects.filter(state__in=QUEUE_STATES)
    if area:
        qs = qs.filter(solution_area=area)
    shared = {key: cond for key, cond in _filters(None).items() if key not in ("competing", "mine")}
    counts = qs.aggregate(all=Count("pk"), **{key: Count("pk", filter=cond) for key, cond in shared.items()})
    counts["competing"] = count_competing(states=QUEUE_STATES, area=area)
    return counts


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
