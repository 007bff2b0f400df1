"""Reads for reviewers: the queue with its filters and counts, and the overview."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet

from claims.choices import ClaimState
from claims.competition import with_competing
from claims.models import Claim, User
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


def overview(*, now: datetime, since: datetime | None = None, until: datetime | None = None) -> dict:
    """Claims by status, the overdue list, and SLA compliance over [since, until) (default:
    the last 30 days), counting pickup, decision and dispute-decision clocks (reviews.sla)."""
    from .sla import sla_report

    by_status = dict(Claim.objects.values_list("state").annotate(n=Count("pk")).order_by())
    overdue = list(review_queue().filter(is_overdue=True)[:20])
    until = until or now + timedelta(seconds=1)  # up to and including now
    since = since or now - timedelta(days=30)
    report = sla_report(since=since, until=until, now=now)
    return {
        "by_status": [(label, by_status.get(value, 0)) for value, label in ClaimState.choices],
        "overdue": overdue,
        "sla": report,
        "decisions": report.overall.total,
        "on_time": report.overall.on_time,
        "sla_percent": report.overall.percent,
        "per_reviewer": [(str(name), t.on_time, t.total, t.percent) for name, t in report.reviewer_rows],
        "since": since,
        "until": until,
    }
