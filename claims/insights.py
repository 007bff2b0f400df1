"""Partner insights: each chart's numbers as named series of {period, value} points.

One function per chart computes its series; the page, its CSV/XLSX downloads and the API
(`GET /api/v1/insights/claims/`) all call `partner_insights`, so they show the same numbers.
Every series is one aggregate query (GROUP BY a truncated date on an indexed column of the
company's rows): the number of queries stays the same however many claims there are.

The shared pieces of both insight pages (periods, filters, the series shape, the downloads)
live here too; reviews.insights builds the reviewers' charts on them.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Aggregate, Count, DateField, DurationField, Exists, F, FloatField, Max, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import DeadlineKind, EventAction, InfoRequestReason, RejectionReason, SolutionArea
from .models import Association, Claim, ClaimEvent, ClaimProduct, Product
from .spreadsheet import safe_row
from .states import STATES

MONTH, WEEK, DAY, BUCKET = "month", "week", "day", "bucket"
# The longest period one request may ask for: a bounded number of points per series.
MAX_DAYS = 3 * 366
DEADLINE_DAYS = 14


@dataclass(frozen=True)
class Filters:
    """What the reader asked for: a period [start, end] (dates, inclusive), a solution area, a product."""

    start: date
    end: date
    solution_area: str = ""
    product: str = ""  # a product code

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=timezone.get_current_timezone())

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())

    def query(self) -> dict[str, str]:
        out = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.solution_area:
            out["solution_area"] = self.solution_area
        if self.product:
            out["product"] = self.product
        return out


def default_filters(*, today: date, days: int) -> Filters:
    return Filters(start=today - timedelta(days=days - 1), end=today)


def parse_filters(params, *, today: date, default_days: int) -> tuple[Filters, dict[str, str]]:
    """Filters from query parameters (`from`, `to`, `solution_area`, `product`) and the error
    codes of the ones that are wrong, by parameter: {"from": "invalid_date", ...}. A wrong
    parameter is never silently ignored by the API; the page shows the error and the default."""
    from django.utils.dateparse import parse_date

    errors: dict[str, str] = {}
    base = default_filters(today=today, days=default_days)
    start, end = base.start, base.end
    for name in ("from", "to"):
        raw = (params.get(name) or "").strip()
        if not raw:
            continue
        try:
            value = parse_date(raw[:10]) if len(raw) == 10 else None
        except ValueError:
            value = None
        if value is None:
            errors[name] = "invalid_date"
        elif name == "from":
            start = value
        else:
            end = value
    if not errors and (start > end or (end - start).days >= MAX_DAYS):
        errors["to"] = "invalid_period"
        start, end = base.start, base.end
    area = params.get("solution_area") or ""
    if area and area not in SolutionArea.values:
        errors["solution_area"] = "invalid_filter"
        area = ""
    product = params.get("product") or ""
    if product and not Product.objects.filter(code=product).exists():
        errors["product"] = "invalid_filter"
        product = ""
    if errors.keys() & {"from", "to"}:
        start, end = base.start, base.end
    return Filters(start=start, end=end, solution_area=area, product=product), errors


# --- The shape every chart shares ---------------------------------------------------


@dataclass
class Series:
    key: str  # stable: "approved", "missing_poe", a reviewer's username
    label: str
    points: list[dict] = field(default_factory=list)  # [{"period": "2026-11-01", "value": 3}]


@dataclass
class Chart:
    key: str  # stable: "claims_by_status"
    title: str
    kind: str  # "bar", "stacked", "line"
    unit: str  # "count", "percent", "days"
    period: str  # MONTH, WEEK, DAY, BUCKET
    series: list[Series]
    # Labels of BUCKET periods ({"0-1": "Under a day"}); dates are formatted by the reader's browser.
    period_labels: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "title": str(self.title),
            "kind": self.kind,
            "unit": self.unit,
            "period": self.period,
            "period_labels": {k: str(v) for k, v in self.period_labels.items()},
            "series": [{"key": s.key, "label": str(s.label), "points": s.points} for s in self.series],
        }

    def resolved(self) -> Chart:
        """The chart with its labels as text in the active language (to be cached)."""
        return Chart(
            self.key, str(self.title), self.kind, self.unit, self.period,
            [Series(s.key, str(s.label), s.points) for s in self.series],
            {k: str(v) for k, v in self.period_labels.items()},
        )  # fmt: skip

    @property
    def periods(self) -> list[str]:
        return [p["period"] for p in self.series[0].points] if self.series else []

    def rows(self) -> list[list]:
        """The chart as a table: one row per period, one column per series (the page's
        accessible table and the downloads)."""
        by_key = [{p["period"]: p["value"] for p in s.points} for s in self.series]
        return [[self.period_labels.get(p, p), *(values.get(p) for values in by_key)] for p in self.periods]

    def header(self) -> list[str]:
        return [str(PERIOD_HEADERS[self.period]), *(str(s.label) for s in self.series)]


PERIOD_HEADERS = {MONTH: _("Month"), WEEK: _("Week starting"), DAY: _("Day"), BUCKET: _("Range")}


def month_starts(start: date, end: date) -> list[date]:
    out, d = [], start.replace(day=1)
    while d <= end:
        out.append(d)
        d = (d + timedelta(days=32)).replace(day=1)
    return out


def week_starts(start: date, end: date) -> list[date]:
    out, d = [], start - timedelta(days=start.weekday())
    while d <= end:
        out.append(d)
        d += timedelta(days=7)
    return out


def day_list(start: date, days: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(days)]


def periods_of(kind: str, f: Filters) -> list[date]:
    return month_starts(f.start, f.end) if kind == MONTH else week_starts(f.start, f.end)


def as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def fill(periods: Iterable, values: dict, *, default=0) -> list[dict]:
    """Points for every period, in order, the periods without rows at `default`."""
    return [{"period": str(p), "value": values.get(p, default)} for p in periods]


def trunc(kind: str, column: str):
    fn = {MONTH: TruncMonth, WEEK: TruncWeek, DAY: TruncDate}[kind]
    return fn(column) if kind == DAY else fn(column, output_field=_DATE)


_DATE = DateField()


class Median(Aggregate):
    """The median of a duration (PostgreSQL's percentile_cont); see `median_by`."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def median_by(qs: QuerySet, group: str, seconds_expr) -> dict:
    """{group value: median seconds}. One aggregate query on PostgreSQL; SQLite (the demo,
    `make run`) has no percentile function, so there the durations are read and the median
    taken in Python (still one query)."""
    if connection.vendor == "postgresql":
        from django.db.models.functions import Extract

        rows = qs.values(group).annotate(median_=Median(Extract(seconds_expr, "epoch"))).values_list(group, "median_")
        return dict(rows)
    groups: dict = defaultdict(list)
    for k, d in qs.annotate(_d=seconds_expr).values_list(group, "_d"):
        if d is not None:
            groups[k].append(d.total_seconds())
    return {k: statistics.median(v) for k, v in groups.items()}


# --- Partner charts ------------------------------------------------------------------


def company_claims(company_id: int, f: Filters) -> QuerySet[Claim]:
    qs = Claim.objects.filter(company_id=company_id)
    if f.solution_area:
        qs = qs.filter(solution_area=f.solution_area)
    if f.product:
        qs = qs.filter(Exists(ClaimProduct.objects.filter(claim=OuterRef("pk"), product__code=f.product)))
    return qs.order_by()


def company_events(company_id: int, f: Filters) -> QuerySet[ClaimEvent]:
    return ClaimEvent.objects.filter(claim__in=company_claims(company_id, f).values("pk")).order_by()


def claims_by_status(company_id: int, f: Filters) -> Chart:
    """Claims created each month, by their status now (stacked)."""
    months = month_starts(f.start, f.end)
    rows = (
        company_claims(company_id, f)
        .filter(created_at__gte=f.since, created_at__lt=f.until)
        .values(m=trunc(MONTH, "created_at"), s=F("state"))
        .annotate(n=Count("pk"))
        .values_list("m", "s", "n")
    )
    counts: dict[str, dict] = defaultdict(dict)
    for m, s, n in rows:
        counts[s][as_date(m)] = n
    series = [Series(code, state.label, fill(months, counts.get(code, {}))) for code, state in STATES.items()]
    return Chart("claims_by_status", _("Claims by status, by month created"), "stacked", "count", MONTH, series)


def _decisions(company_id: int, f: Filters) -> QuerySet[Claim]:
    return company_claims(company_id, f).filter(decided_at__gte=f.since, decided_at__lt=f.until, submitted_at__isnull=False)


def approval_rate(company_id: int, f: Filters) -> Chart:
    """Per month of the reviewer's decision: approvals in percent of decisions. A claim the
    customer later denied was approved by the reviewer, so it counts as an approval."""
    months = month_starts(f.start, f.end)
    approved = Q(state="approved") | Q(rejection_reason=RejectionReason.CUSTOMER_DENIAL)
    rows = (
        _decisions(company_id, f)
        .values(m=trunc(MONTH, "decided_at"))
        .annotate(total=Count("pk"), ok=Count("pk", filter=approved))
        .values_list("m", "total", "ok")
    )
    rates = {as_date(m): round(100 * ok / total, 1) for m, total, ok in rows if total}
    return Chart(
        "approval_rate",
        _("Approval rate"),
        "line",
        "percent",
        MONTH,
        [Series("approval_rate", _("Approved (%)"), fill(months, rates, default=None))],
    )


def median_days_to_decision(company_id: int, f: Filters) -> Chart:
    """Per month of the decision: the median time from submission to the reviewer's decision, in days."""
    months = month_starts(f.start, f.end)
    qs = _decisions(company_id, f).annotate(m=trunc(MONTH, "decided_at"))
    medians = median_by(qs, "m", duration("decided_at", "submitted_at"))
    values = {as_date(m): round(sec / 86400, 1) for m, sec in medians.items() if sec is not None}
    return Chart(
        "median_days_to_decision",
        _("Median days to decision"),
        "line",
        "days",
        MONTH,
        [Series("median_days", _("Median days"), fill(months, values, default=None))],
    )


def duration(end: str, start: str):
    from django.db.models import ExpressionWrapper

    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def info_request_reasons(company_id: int, f: Filters) -> Chart:
    """Per month: how many requests for information gave each reason (a request may give several)."""
    months = month_starts(f.start, f.end)
    # The reasons are a JSON list of codes; no code is part of another once quoted, so a
    # text match counts them on PostgreSQL and SQLite alike, in one aggregate query.
    per_reason = {code: Count("pk", filter=Q(details__reasons__icontains=f'"{code}"')) for code in InfoRequestReason.values}
    rows = (
        company_events(company_id, f)
        .filter(action=EventAction.INFO_REQUESTED, at__gte=f.since, at__lt=f.until)
        .values(m=trunc(MONTH, "at"))
        .annotate(**per_reason)
    )
    counts: dict[str, dict] = defaultdict(dict)
    for row in rows:
        for code in InfoRequestReason.values:
            counts[code][as_date(row["m"])] = row[code]
    series = [Series(code, label, fill(months, counts[code])) for code, label in InfoRequestReason.choices]
    return Chart("info_request_reasons", _("Reasons for requests for information"), "stacked", "count", MONTH, series)


REJECTION_ACTIONS = {
    EventAction.REJECTED: None,  # the reviewer's reason is in the history row
    EventAction.AUTO_REJECTED: RejectionReason.NO_PARTNER_RESPONSE,
    EventAction.CONSENT_DENIED: RejectionReason.CUSTOMER_DENIAL,
}


def rejection_reasons(company_id: int, f: Filters) -> Chart:
    """Per month: rejections by reason (the reviewer's, no partner answer, the customer's denial)."""
    months = month_starts(f.start, f.end)
    rows = (
        company_events(company_id, f)
        .filter(action__in=list(REJECTION_ACTIONS), at__gte=f.since, at__lt=f.until)
        .values(m=trunc(MONTH, "at"), a=F("action"), r=F("details__reason"))
        .annotate(n=Count("pk"))
        .values_list("m", "a", "r", "n")
    )
    counts: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for m, action, reason, n in rows:
        code = REJECTION_ACTIONS[action] or reason
        if code in RejectionReason.values:
            counts[code][as_date(m)] += n
    shown = [(c, label) for c, label in RejectionReason.choices if c != RejectionReason.PARTNER_REQUEST]
    series = [Series(code, label, fill(months, counts.get(code, {}))) for code, label in shown]
    return Chart("rejection_reasons", _("Reasons for rejections"), "stacked", "count", MONTH, series)


def active_associations(company_id: int, f: Filters) -> Chart:
    """At the end of each month: the company's associations active then (started, not ended)."""
    months = month_starts(f.start, f.end)
    tz = timezone.get_current_timezone()
    ends = [min(datetime.combine((m + timedelta(days=32)).replace(day=1), time.min, tzinfo=tz), f.until) for m in months]
    qs = Association.objects.filter(company_id=company_id, started_at__lt=f.until).order_by()
    if f.solution_area:
        qs = qs.filter(product__solution_area=f.solution_area)
    if f.product:
        qs = qs.filter(product__code=f.product)
    # One query: a conditional count per month (the period has a bounded number of months).
    aggregates = {
        f"m{i}": Count("pk", filter=Q(started_at__lt=end) & (Q(ended_at__isnull=True) | Q(ended_at__gte=end)))
        for i, end in enumerate(ends)
    }
    counts = qs.aggregate(**aggregates) if aggregates else {}
    values = {m: counts.get(f"m{i}") or 0 for i, m in enumerate(months)}
    return Chart(
        "active_associations", _("Active associations at the end of each month"), "line", "count", MONTH,
        [Series("active", _("Active associations"), fill(months, values))],
    )  # fmt: skip


def upcoming_deadlines(company_id: int, f: Filters, *, now: datetime) -> Chart:
    """The company's running clocks that fall due in the next 14 days, per day and kind."""
    today = timezone.localdate(now)
    days = day_list(today, DEADLINE_DAYS)
    tz = timezone.get_current_timezone()
    until = datetime.combine(today + timedelta(days=DEADLINE_DAYS), time.min, tzinfo=tz)
    rows = (
        company_claims(company_id, f)
        .filter(deadline_at__gte=now, deadline_at__lt=until, deadline_expired=False)
        .values(d=trunc(DAY, "deadline_at"), k=F("deadline_kind"))
        .annotate(n=Count("pk"))
        .values_list("d", "k", "n")
    )
    counts: dict[str, dict] = defaultdict(dict)
    for d, k, n in rows:
        counts[k][as_date(d)] = n
    series = [Series(code, label, fill(days, counts.get(code, {}))) for code, label in DeadlineKind.choices]
    return Chart("upcoming_deadlines", _("Deadlines in the next 14 days"), "stacked", "count", DAY, series)


def partner_insights(company_id: int, f: Filters, *, now: datetime) -> list[Chart]:
    """Every chart of the partner insights page, in page order (a fixed number of queries),
    computed once per change (`cached`)."""
    return cached(f"company{company_id}", f, now=now, compute=lambda: compute_partner_insights(company_id, f, now=now))


def compute_partner_insights(company_id: int, f: Filters, *, now: datetime) -> list[Chart]:
    return [
        claims_by_status(company_id, f),
        approval_rate(company_id, f),
        median_days_to_decision(company_id, f),
        info_request_reasons(company_id, f),
        rejection_reasons(company_id, f),
        active_associations(company_id, f),
        upcoming_deadlines(company_id, f, now=now),
    ]


# --- Computed once per change ------------------------------------------------------


CACHE_SECONDS = 60
# A computation in flight holds this lock (seconds) so that no other request starts the same one.
REFRESH_LOCK_SECONDS = 120


def cache_key(scope: str, f: Filters) -> str:
    """Where `cached` keeps the charts of `scope` for these filters in the reader's language."""
    from django.utils.translation import get_language

    params = "&".join(f"{k}={v}" for k, v in sorted(f.query().items()))
    return f"insights:{scope}:{params}:{get_language()}"


def cached(scope: str, f: Filters, *, now: datetime, compute) -> list[Chart]:
    """The charts of `scope` for these filters, computed once per change of the claims and per
    minute (the deadlines and ages move with the clock), then read from the cache: the page, its
    downloads and the API of the same moment share one computation. Keyed, as the review queue's
    counts are, by the newest history id (every change of a claim writes one), read in one
    index-only query; the labels are resolved in the reader's language, which is in the key.

    One request computes, the others wait for nobody: while a computation is in flight (its lock
    in the cache), a request for the same charts is answered with the last ones computed, so a
    change or a new minute costs one computation, not one per request that arrives meanwhile
    (at 1,000,000 claims a cold computation takes 0.3-1.5 s)."""
    from django.core.cache import cache

    generation = ClaimEvent.objects.aggregate(newest=Max("pk"))["newest"] or 0
    key = cache_key(scope, f)
    moment = (generation, f"{now:%Y%m%d%H%M}")
    entry = cache.get(key)  # (moment, charts)
    if entry is not None and entry[0] == moment:
        return entry[1]
    lock = f"{key}:computing"
    locked = cache.add(lock, 1, REFRESH_LOCK_SECONDS)
    if not locked and entry is not None:
        return entry[1]  # another request is computing the new ones
    try:
        charts = [c.resolved() for c in compute()]
        cache.set(key, (moment, charts), CACHE_SECONDS * 60)
    finally:
        if locked:
            cache.delete(lock)
    return charts


# --- Downloads: one chart's table, the same numbers --------------------------------


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def chart_table(chart: Chart) -> list[list]:
    """The chart's header and rows as spreadsheet cells: every cell through safe_row."""
    return [safe_row(chart.header()), *(safe_row(r) for r in chart.rows())]


def csv_bytes(chart: Chart) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in chart_table(chart):
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + out.getvalue()).encode()  # BOM: Excel opens UTF-8 correctly


def xlsx_bytes(chart: Chart) -> bytes:
    """The table as an Excel workbook (as the claims export writes it: write-only, safe cells)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", str(chart.title))[:31] or "chart")
    for row in chart_table(chart):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def find_chart(charts: list[Chart], key: str) -> Chart | None:
    return next((c for c in charts if c.key == key), None)
