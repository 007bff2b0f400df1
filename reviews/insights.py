"""Review insights: each chart's numbers as named series (claims.insights has the shape, the
periods, the filters and the downloads). The page, its downloads and the API
(`GET /api/v1/review/insights/`) all call `review_insights`.

SLA compliance is reviews.sla's rule (sla_report), called here, never restated.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from claims.choices import ActorRole, EventAction
from claims.insights import (
    BUCKET,
    MONTH,
    WEEK,
    Chart,
    Filters,
    Series,
    as_date,
    cached,
    duration,
    fill,
    month_starts,
    trunc,
    week_starts,
)
from claims.models import ClaimEvent
from claims.states import QUEUE_STATES

from .sla import CLOCK_LABELS, claims_of, sla_report

# (key, lower bound, upper bound or None, label)
AGE_BUCKETS = [
    ("0-1", timedelta(0), timedelta(days=1), _("Under 1 day")),
    ("1-3", timedelta(days=1), timedelta(days=3), _("1 to 3 days")),
    ("3-7", timedelta(days=3), timedelta(days=7), _("3 to 7 days")),
    ("7-14", timedelta(days=7), timedelta(days=14), _("7 to 14 days")),
    ("14-30", timedelta(days=14), timedelta(days=30), _("14 to 30 days")),
    ("30+", timedelta(days=30), None, _("30 days or more")),
]
PICKUP_BUCKETS = [
    ("0-4h", timedelta(0), timedelta(hours=4), _("Under 4 hours")),
    ("4-8h", timedelta(hours=4), timedelta(hours=8), _("4 to 8 hours")),
    ("8-24h", timedelta(hours=8), timedelta(days=1), _("8 to 24 hours")),
    ("1-2d", timedelta(days=1), timedelta(days=2), _("1 to 2 days")),
    ("2-3d", timedelta(days=2), timedelta(days=3), _("2 to 3 days")),
    ("3d+", timedelta(days=3), None, _("3 days or more")),
]


def _claims(f: Filters):
    return claims_of(f.solution_area, f.product).order_by()


def _events(f: Filters):
    events = ClaimEvent.objects.filter(at__gte=f.since, at__lt=f.until).order_by()
    if f.solution_area or f.product:
        events = events.filter(claim__in=_claims(f).values("pk"))
    return events


def backlog_by_age(f: Filters, *, now: datetime) -> Chart:
    """The review queue now (Submitted, Under Review) by the time since submission."""
    aggregates = {}
    for key, low, high, _label in AGE_BUCKETS:
        cond = Q(submitted_at__lte=now - low)
        if high is not None:
            cond &= Q(submitted_at__gt=now - high)
        aggregates[key] = Count("pk", filter=cond)
    counts = _claims(f).filter(state__in=list(QUEUE_STATES), submitted_at__isnull=False).aggregate(**aggregates)
    keys = [b[0] for b in AGE_BUCKETS]
    return Chart(
        "backlog_by_age", _("Review backlog by age"), "bar", "count", BUCKET,
        [Series("claims", _("Claims in the queue"), fill(keys, counts))],
        period_labels={key: label for key, _low, _high, label in AGE_BUCKETS},
    )  # fmt: skip


def sla_met(f: Filters, *, now: datetime) -> Chart:
    """Per week: the clocks that ended in time, in percent of those that ended (reviews.sla)."""
    weeks = week_starts(f.start, f.end)
    report = sla_report(since=f.since, until=f.until, now=now, solution_area=f.solution_area, product=f.product, late_rows=False)
    series = []
    for clock, label in CLOCK_LABELS.items():
        values = {w: t.percent for (c, w), t in report.weeks.items() if c == clock}
        series.append(Series(clock, label, fill(weeks, values, default=None)))
    return Chart("sla_met", _("SLA met per clock (%)"), "line", "percent", WEEK, series)


def decisions_per_reviewer(f: Filters) -> Chart:
    """Per week: each reviewer's approvals and rejections."""
    weeks = week_starts(f.start, f.end)
    rows = (
        _events(f)
        .filter(actor_role=ActorRole.REVIEWER, action__in=[EventAction.APPROVED, EventAction.REJECTED])
        .values(w=trunc(WEEK, "at"), who=F("actor__username"))
        .annotate(n=Count("pk"))
        .values_list("w", "who", "n")
    )
    counts: dict[str, dict] = defaultdict(dict)
    for w, who, n in rows:
        counts[who or "?"][as_date(w)] = n
    series = [Series(who, who, fill(weeks, counts[who])) for who in sorted(counts)]
    return Chart("decisions_per_reviewer", _("Decisions per reviewer per week"), "stacked", "count", WEEK, series)


def time_to_pickup(f: Filters) -> Chart:
    """Claims whose review started in the period, by the time from submission to that start."""
    aggregates = {}
    for key, low, high, _label in PICKUP_BUCKETS:
        cond = Q(pickup__gte=low)
        if high is not None:
            cond &= Q(pickup__lt=high)
        aggregates[key] = Count("pk", filter=cond)
    counts = (
        _claims(f)
        .filter(review_started_at__gte=f.since, review_started_at__lt=f.until, submitted_at__isnull=False)
        .alias(pickup=duration("review_started_at", "submitted_at"))
        .aggregate(**aggregates)
    )
    keys = [b[0] for b in PICKUP_BUCKETS]
    return Chart(
        "time_to_pickup", _("Time to pickup"), "bar", "count", BUCKET,
        [Series("claims", _("Claims"), fill(keys, counts))],
        period_labels={key: label for key, _low, _high, label in PICKUP_BUCKETS},
    )  # fmt: skip


def arbitrations_and_disputes(f: Filters) -> Chart:
    """Per month: claims that entered an arbitration, and rejections disputed."""
    months = month_starts(f.start, f.end)
    rows = (
        _events(f)
        .filter(action__in=[EventAction.ARBITRATION_STARTED, EventAction.DISPUTED])
        .values(m=trunc(MONTH, "at"), a=F("action"))
        .annotate(n=Count("pk"))
        .values_list("m", "a", "n")
    )
    counts: dict[str, dict] = defaultdict(dict)
    for m, a, n in rows:
        counts[a][as_date(m)] = n
    return Chart(
        "arbitrations_disputes", _("Arbitrations and disputes per month"), "bar", "count", MONTH,
        [
            Series("arbitrations", _("Arbitrations"), fill(months, counts[EventAction.ARBITRATION_STARTED])),
            Series("disputes", _("Disputes"), fill(months, counts[EventAction.DISPUTED])),
        ],
    )  # fmt: skip


def review_insights(f: Filters, *, now: datetime) -> list[Chart]:
    """Every chart of the review insights page, in page order (a fixed number of queries),
    computed once per change (claims.insights.cached)."""
    return cached("review", f, now=now, compute=lambda: compute_review_insights(f, now=now))


def compute_review_insights(f: Filters, *, now: datetime) -> list[Chart]:
    return [
        backlog_by_age(f, now=now),
        sla_met(f, now=now),
        decisions_per_reviewer(f),
        time_to_pickup(f),
        arbitrations_and_disputes(f),
    ]
