"""Reads for reviewers: the queue with its filters and counts, and the overview."""

from __future__ import annotations

import logging
import zlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.lookups import Exact
from django.db.models.query import ModelIterable
from django.utils.translation import gettext_lazy as _

from claims.competition import competing_condition, competing_ids, mark_competing
from claims.models import Claim, ClaimEvent, User, reviewer_or_zero
from claims.selectors import (
    CountedPaginator,  # noqa: F401 (the queue pages use it from here)
    _with_list_relations,
    claim_number,
    guid_prefix_range,
)
from claims.states import QUEUE_STATES, STATES
from claims.validation import parse_guid

IN_QUEUE = Q(state__in=QUEUE_STATES)
logger = logging.getLogger(__name__)


def assigned_to(reviewer: User | None) -> Q:
    """Claims assigned to `reviewer` (None: to nobody), as claim_queue_reviewer_idx reads them
    in the queue order."""
    return Q(Exact(reviewer_or_zero(), reviewer.pk if reviewer is not None else 0))


@dataclass(frozen=True)
class QueueFilter:
    key: str  # ?show=<key> on the page and in the API
    label: Any
    condition: Callable[[User | None], Q]  # which claims it shows, for the reviewer looking


# The queue's filters, declared once: the page's tabs and counts, the API's `show` values and
# the cache keys of the counts all follow this list. One filter per state the state table
# gives a queue filter (claims.states).
FILTERS: tuple[QueueFilter, ...] = (
    QueueFilter("overdue", _("Overdue"), lambda me: IN_QUEUE & Q(is_overdue=True)),
    QueueFilter("competing", _("Competing"), lambda me: IN_QUEUE & Q(competing_condition())),
    QueueFilter("dispute", _("Disputes"), lambda me: IN_QUEUE & Q(is_dispute=True)),
    QueueFilter("mine", _("Assigned to me"), lambda me: IN_QUEUE & assigned_to(me)),
    QueueFilter("unassigned", _("Unassigned"), lambda me: IN_QUEUE & assigned_to(None)),
    *(
        QueueFilter(state.queue_filter, state.filter_label, lambda me, code=str(state.code): Q(state=code))
        for state in STATES.values()
        if state.queue_filter
    ),
)
FILTER_KEYS = tuple(f.key for f in FILTERS)
# Every state a filter shows: the counts read these claims once.
FILTER_STATES = tuple(dict.fromkeys((*QUEUE_STATES, *(str(s.code) for s in STATES.values() if s.queue_filter))))
FILTER_LABELS = {f.key: f.label for f in FILTERS}
# The cached counts change shape with the filters: their keys carry this.
FILTERS_VERSION = zlib.crc32(",".join(FILTER_KEYS).encode())


def _filters(me: User | None) -> dict[str, Q]:
    """Queue filter key -> condition on the queue."""
    return {f.key: f.condition(me) for f in FILTERS}


# Sortable queue columns: key -> ordering. The default puts overdue first, then the deadline that falls first.
QUEUE_SORTS = {
    "claim": ("pk",),
    "partner": ("company__name",),
    "customer": ("tenant__name",),
    "status": ("state",),
    "assigned": ("assigned_reviewer__username",),
    "deadline": ("deadline_at",),
    "submitted": ("submitted_at",),
}


class QueueQuerySet(QuerySet):
    """Claims whose rows, once read, carry `is_competing`: computed for the rows read (a
    page), never for the whole queue before the LIMIT; or, once `known_competing` has been
    given the queue's competing claims (cached with the counts), looked up in them."""

    _competing: frozenset[int] | None = None

    def known_competing(self, ids) -> QueueQuerySet:
        """The same claims, flagged from `ids`: every competing claim in QUEUE_STATES (claims
        in other states, the Partner Action Required ones, are still checked as read)."""
        clone = self._chain()
        clone._competing = frozenset(ids)
        return clone

    def _clone(self) -> QueueQuerySet:
        clone = super()._clone()
        clone._competing = self._competing
        return clone

    def _fetch_all(self) -> None:
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._iterable_class is ModelIterable:
            known = self._competing
            if known is None:
                mark_competing(self._result_cache)
                return
            for claim in self._result_cache:
                claim.is_competing = claim.pk in known
            mark_competing([claim for claim in self._result_cache if claim.state not in QUEUE_STATES])


def search_queue(qs: QuerySet[Claim], q: str) -> QuerySet[Claim]:
    """Claim number (#12 or 12), claim name, partner name, customer name or domain, tenant ID (whole
    GUID, or its first characters: a prefix range on the indexed UUID column)."""
    q = (q or "").strip()[:100]
    if not q:
        return qs
    match = Q(name__icontains=q) | Q(company__name__icontains=q) | Q(tenant__name__icontains=q) | Q(customer_domain__icontains=q)
    if (number := claim_number(q)) is not None:
        match |= Q(pk=number)
    guid = parse_guid(q)
    if guid is not None:
        match |= Q(customer_tenant_id=guid)
    elif (prefix := guid_prefix_range(q)) is not None:
        match |= Q(customer_tenant_id__gte=prefix[0], customer_tenant_id__lte=prefix[1])
    return qs.filter(match)


def review_queue(*, me: User | None = None, show: str = "", area: str = "", q: str = "", sort: str = "") -> QuerySet[Claim]:
    """Claims that need a reviewer (Submitted; Under Review, including disputes and answered
    requests): overdue first, then the deadline that falls first. `show=waiting` lists the
    Partner Action Required claims instead (waiting on the partner, with their answer deadline)."""
    # Each filter names its states: one condition on the state, so the planner estimates
    # the rows well and reads the filter's index in order.
    qs = QueueQuerySet(Claim).filter(_filters(me)[show] if me is not None and show in FILTER_KEYS else IN_QUEUE)
    if area:
        qs = qs.filter(solution_area=area)
    qs = search_queue(qs, q)
    key = (sort or "").lstrip("-")
    if key in QUEUE_SORTS:
        desc = sort.startswith("-")
        ordering = [F(f).desc(nulls_last=True) if desc else F(f).asc(nulls_last=True) for f in QUEUE_SORTS[key]]
    else:
        ordering = ["-is_overdue", F("deadline_at").asc(nulls_last=True)]
    return _with_list_relations(qs).select_related("company", "assigned_reviewer").order_by(*ordering, "pk")


# Counting the queue reads every queued claim (the competition check most of all): at a million
# claims 1.3 s on an idle 2-core machine, several seconds under load, far too long for each page
# view (docs/benchmarks.md). The counts and the competing claims' ids are kept in the cache with
# the state they were taken in: every change to a claim, its products, its reviewer or its
# associations writes a history row in the same transaction, so the newest history id names it.
# A page whose state matches reads them. Otherwise, when counting took less than
# QUEUE_COUNTS_SLOW_SECONDS, the page counts again at once (a small queue: always exact); when it
# took longer, the page shows the last counts and a worker counts again
# (reviews.tasks.refresh_queue_counts, one at a time per area, at most every ten times what the
# last count took and at least 15 s apart), so under a steady flow of changes the queue is
# counted a few times a minute instead of on every page; counts older than
# QUEUE_COUNTS_MAX_STALE_SECONDS are never shown (the page counts, should no worker run).
QUEUE_COUNTS_SECONDS = 60  # "Assigned to me", counted again at every change: how long it is kept
QUEUE_COUNTS_SLOW_SECONDS = 0.25
QUEUE_COUNTS_MAX_STALE_SECONDS = 600
QUEUE_REFRESH_LOCK_SECONDS = 120
QUEUE_REFRESH_MIN_SECONDS = 15
QUEUE_REFRESH_FACTOR = 10
QUEUE_COUNTS_WAIT_SECONDS = 30  # how long a page waits for another process's first count
QUEUE_COUNTS_POLL_SECONDS = 0.05


def queue_generation() -> int:
    """The state the queue's cached counts and competing ids were taken in (the newest history
    id); a page reads it once and passes it to queue_counts, queue_total and queue_rows."""
    return ClaimEvent.objects.aggregate(newest=Max("pk"))["newest"] or 0


def queue_counts(*, me: User, area: str = "", q: str = "", generation: int | None = None) -> dict[str, int]:
    """How many claims each filter shows. Without a search, everything is computed once per
    change of the claims and then read from the cache ("mine" per reviewer): one query, the
    newest history id."""
    if (q or "").strip():
        return _count_queue(area=area, q=q, me=me)
    generation = queue_generation() if generation is None else generation
    return {**_shared_counts(area, generation), "mine": _count_mine(me, area, generation)}


def queue_total(*, me: User, show: str = "", area: str = "", q: str = "", generation: int | None = None) -> int:
    """How many claims one filter of the queue shows (the total of its pages)."""
    if (q or "").strip():
        return review_queue(me=me, show=show, area=area, q=q).order_by().count()
    generation = queue_generation() if generation is None else generation
    if show == "mine":
        return _count_mine(me, area, generation)
    return _shared_counts(area, generation)[show if show in FILTER_KEYS else "all"]


def _shared_key(area: str) -> str:
    return f"cpor:queue-shared:{FILTERS_VERSION}:{area}"


def _shared(area: str, generation: int) -> dict:
    """The counts and competing ids of the queue (one area or all), as kept in the cache:
    {"generation", "at", "took", "counts", "competing"} (see QUEUE_COUNTS_SLOW_SECONDS)."""
    import time

    entry = cache.get(_shared_key(area))
    if entry is not None and entry["generation"] == generation:
        return entry
    age = time.time() - entry["at"] if entry is not None else 0.0
    if entry is not None and entry["took"] >= QUEUE_COUNTS_SLOW_SECONDS and age < QUEUE_COUNTS_MAX_STALE_SECONDS:
        # Counting again at most every QUEUE_REFRESH_FACTOR times what it took (and at least
        # QUEUE_REFRESH_MIN_SECONDS apart): the counts cost at most a tenth of one worker.
        due = age >= max(QUEUE_REFRESH_MIN_SECONDS, QUEUE_REFRESH_FACTOR * entry["took"])
        lock = f"{_shared_key(area)}:refreshing"
        if due and cache.add(lock, 1, QUEUE_REFRESH_LOCK_SECONDS):
            from .tasks import refresh_queue_counts

            try:
                refresh_queue_counts.delay(area)
            except Exception:  # noqa: BLE001 (a broker that is down: the page still answers)
                logger.warning("queue_counts_refresh_not_queued", exc_info=True)
                cache.delete(lock)
        return entry
    if entry is None or entry["took"] >= QUEUE_COUNTS_SLOW_SECONDS:
        return _count_once(area, generation)
    return count_shared(area, generation)


def _count_once(area: str, generation: int) -> dict:
    """A slow count that no page may show yet (none kept: after a deploy or a cache flush; or
    too old): one process counts, under a lock, and the pages that arrive meanwhile wait for
    its counts instead of each counting the whole queue too (at a million claims, every web
    process counted at once and the first queue pages took 6 s). A waiter that has waited
    QUEUE_COUNTS_WAIT_SECONDS (the counting process died) counts itself."""
    import time

    lock = f"{_shared_key(area)}:counting"
    waited_until = time.monotonic() + QUEUE_COUNTS_WAIT_SECONDS
    while not cache.add(lock, 1, QUEUE_REFRESH_LOCK_SECONDS):
        time.sleep(QUEUE_COUNTS_POLL_SECONDS)
        entry = cache.get(_shared_key(area))
        if entry is not None and time.time() - entry["at"] < QUEUE_COUNTS_MAX_STALE_SECONDS:
            return entry
        if time.monotonic() >= waited_until:
            return count_shared(area, generation)
    try:
        return count_shared(area, generation)
    finally:
        cache.delete(lock)


def count_shared(area: str, generation: int | None = None) -> dict:
    """Counts the queue (one area or all) and finds its competing claims now, and keeps both."""
    import time

    generation = queue_generation() if generation is None else generation
    started = time.perf_counter()
    counts = _count_queue(area=area)
    ids = competing_ids(states=QUEUE_STATES, area=area)
    counts["competing"] = len(ids)
    entry = {
        "generation": generation,
        "at": time.time(),
        "took": time.perf_counter() - started,
        "counts": counts,
        "competing": array("q", ids).tobytes(),
    }
    cache.set(_shared_key(area), entry, QUEUE_COUNTS_MAX_STALE_SECONDS)
    return entry


def _shared_counts(area: str, generation: int) -> dict[str, int]:
    return _shared(area, generation)["counts"]


def _cached_competing_ids(area: str, generation: int) -> array:
    ids = array("q")
    ids.frombytes(_shared(area, generation)["competing"])
    return ids


def _count_mine(me: User, area: str, generation: int) -> int:
    key = f"cpor:queue-mine:v1:{me.pk}:{area}:{generation}"
    count = cache.get(key)
    if count is None:
        mine = Claim.objects.filter(IN_QUEUE & assigned_to(me))
        count = (mine.filter(solution_area=area) if area else mine).count()
        cache.set(key, count, QUEUE_COUNTS_SECONDS)
    return count


def _count_queue(*, area: str, q: str = "", me: User | None = None) -> dict[str, int]:
    qs = Claim.objects.filter(state__in=FILTER_STATES)
    if area:
        qs = qs.filter(solution_area=area)
    qs = search_queue(qs, q)
    skip = ("competing",) if not q else ()  # counted set-based with the ids (_shared_counts)
    skip += ("mine",) if me is None else ()
    shared = {key: cond for key, cond in _filters(me).items() if key not in skip}
    return qs.aggregate(all=Count("pk", filter=IN_QUEUE), **{key: Count("pk", filter=cond) for key, cond in shared.items()})


class IdOrderedRows:
    """A queue filter's rows for a paginator when the filter's claims are known in order (by
    id): a page reads its own claims by id, in that order."""

    def __init__(self, ids: array, rows: QuerySet) -> None:
        self.ids, self.rows = ids, rows

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, bounds: slice) -> list:
        page = self.ids[bounds].tolist()
        found = {(row["id"] if isinstance(row, dict) else row.pk): row for row in self.rows.filter(pk__in=page)}
        return [found[pk] for pk in page if pk in found]  # a claim that left the queue since: not shown


def queue_rows(
    *,
    me: User,
    show: str = "",
    area: str = "",
    q: str = "",
    sort: str = "",
    shape: Callable[[QuerySet], QuerySet] | None = None,
    generation: int | None = None,
):
    """The rows of one filter of the queue, for a paginator (`shape` turns a queryset into the
    rows wanted, such as the API's values). The "competing" filter in the queue's own order
    reads the competing claims' ids cached with the counts: checking competition claim by
    claim down a long queue until a page is full took longer than the rest of the page."""
    if (q or "").strip():
        qs = review_queue(me=me, show=show, area=area, q=q, sort=sort)
        return shape(qs) if shape else qs
    in_order = show == "competing" and not sort
    ids = None
    if in_order or shape is None:
        ids = _cached_competing_ids(area, queue_generation() if generation is None else generation)
    qs = review_queue(me=me, area=area) if in_order else review_queue(me=me, show=show, area=area, sort=sort)
    # Model rows (the HTML queue) show each claim's competition flag: looked up in the competing
    # ids cached with the counts, not an EXISTS query per page (docs/benchmarks.md).
    qs = shape(qs) if shape else qs.known_competing(ids)
    return IdOrderedRows(ids, qs) if in_order else qs


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
        "by_status": [(state.label, by_status.get(code, 0)) for code, state in STATES.items()],
        "overdue": overdue,
        "sla": report,
        "decisions": report.overall.total,
        "on_time": report.overall.on_time,
        "sla_percent": report.overall.percent,
        "per_reviewer": [(str(name), t.on_time, t.total, t.percent) for name, t in report.reviewer_rows],
        "since": since,
        "until": until,
    }
