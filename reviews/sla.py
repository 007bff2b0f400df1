"""SLA compliance over a period, counting every reviewer clock.

- Pickup: a review started by a reviewer before its pickup deadline is on time; a claim
  the sweep moved to review because nobody picked it up is a breach.
- Decision and dispute decision: a decision after its due time is a breach, and so is a
  decision clock that ran out in the period and is still undecided.

Two queries whatever the period: the history rows of the period, and the open overdue claims.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from claims import clocks
from claims.choices import ActorRole, ClaimState, DeadlineKind, EventAction
from claims.clocks import DECISION_CLOCKS
from claims.models import Claim, ClaimEvent, ClaimProduct

PICKUP, DECISION, DISPUTE = "pickup", "decision", "dispute"
CLOCK_LABELS = {PICKUP: _("Review pickup"), DECISION: _("Review decision"), DISPUTE: _("Dispute decision")}
UNASSIGNED = _("Unassigned")


@dataclass
class Tally:
    on_time: int = 0
    late: int = 0

    @property
    def total(self) -> int:
        return self.on_time + self.late

    @property
    def percent(self) -> int | None:
        return round(100 * self.on_time / self.total) if self.total else None

    def add(self, late: bool, n: int = 1) -> None:
        if late:
            self.late += n
        else:
            self.on_time += n


@dataclass
class Report:
    since: datetime
    until: datetime
    overall: Tally = field(default_factory=Tally)
    clocks: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in CLOCK_LABELS})
    reviewers: dict[str, Tally] = field(default_factory=dict)
    late: list[dict] = field(default_factory=list)
    # {(clock, Monday of the week): Tally}, the week of the clock's end (done, else due): the
    # insights' "SLA met per clock per week".
    weeks: dict[tuple[str, date], Tally] = field(default_factory=dict)

    def count(
        self, clock: str, reviewer: str, *, late: bool, claim: Claim | None, due: datetime | None, at: datetime | None, n: int = 1
    ):
        """`n` clocks alike; `claim` None: counted without a row in the late list (the insights' tallies)."""
        self.overall.add(late, n)
        self.clocks[clock].add(late, n)
        day = timezone.localdate(at or due) if (at or due) else None
        if day is not None:
            self.weeks.setdefault((clock, day - timedelta(days=day.weekday())), Tally()).add(late, n)
        self.reviewers.setdefault(reviewer, Tally()).add(late, n)
        if late and claim is not None:
            self.late.append({"claim": claim, "clock": CLOCK_LABELS[clock], "due_at": due, "at": at, "reviewer": reviewer})

    @property
    def clock_rows(self) -> list[tuple]:
        return [(CLOCK_LABELS[k], t) for k, t in self.clocks.items()]

    @property
    def reviewer_rows(self) -> list[tuple]:
        return sorted(self.reviewers.items(), key=lambda item: str(item[0]))


def _due(event: ClaimEvent) -> datetime | None:
    raw = (event.details or {}).get("due_at")
    return parse_datetime(raw) if raw else None


def claims_of(solution_area: str, product: str):
    """The claims an insights filter keeps (all without one)."""
    claims = Claim.objects.all()
    if solution_area:
        claims = claims.filter(solution_area=solution_area)
    if product:
        claims = claims.filter(Exists(ClaimProduct.objects.filter(claim=OuterRef("pk"), product__code=product)))
    return claims


def sla_report(
    *, since: datetime, until: datetime, now: datetime, solution_area: str = "", product: str = "", late_rows: bool = True
) -> Report:
    """`solution_area`, `product`: count only the clocks of those claims (the insights' filters).
    `late_rows=False`: tallies only (no list of late claims), the open late clocks counted in
    one aggregate query by clock, reviewer and week instead of read one by one."""
    report = Report(since=since, until=until)
    events = ClaimEvent.objects.filter(at__gte=since, at__lt=until)
    open_claims = Claim.objects.all()
    if solution_area or product:
        events = events.filter(claim__in=claims_of(solution_area, product).values("pk"))
        open_claims = claims_of(solution_area, product)
    events = (
        events.filter(
            Q(action=EventAction.REVIEW_AUTO_STARTED)
            | Q(
                actor_role=ActorRole.REVIEWER, action__in=[EventAction.REVIEW_STARTED, EventAction.APPROVED, EventAction.REJECTED]
            )
        )
        .select_related("actor", "claim", "claim__assigned_reviewer")
        .order_by("at", "pk")
    )
    for e in events:
        who = e.actor.username if e.actor else None
        if e.action == EventAction.REVIEW_AUTO_STARTED:
            # Nobody picked it up: the breach belongs to whoever it was assigned to, if anyone.
            assignee = e.claim.assigned_reviewer
            submitted = e.claim.submitted_at
            due = clocks.deadline_for(DeadlineKind.REVIEW_PICKUP, submitted) if submitted else e.at
            report.count(PICKUP, assignee.username if assignee else UNASSIGNED, late=True, claim=e.claim, due=due, at=e.at)
        elif e.action == EventAction.REVIEW_STARTED:
            due = _due(e)
            report.count(PICKUP, who, late=bool(due and e.at > due), claim=e.claim, due=due, at=e.at)
        else:
            due = _due(e)
            if due is None:
                continue  # not a clocked decision (e.g. recorded before clocks were stored)
            clock = DISPUTE if e.details.get("dispute") else DECISION
            report.count(clock, who, late=e.at > due, claim=e.claim, due=due, at=e.at)
    # Decision clocks that ran out in the period and are still undecided are breaches too.
    open_late = open_claims.filter(
        state=ClaimState.UNDER_REVIEW,
        deadline_kind__in=list(DECISION_CLOCKS),
        deadline_at__gte=since,
        deadline_at__lt=min(until, now),
    )
    if not late_rows:
        grouped = (
            open_late.order_by()
            .values_list("deadline_kind", "assigned_reviewer__username", TruncWeek("deadline_at"))
            .annotate(n=Count("pk"))
        )
        for kind, username, week, n in grouped:
            clock = DISPUTE if kind == DeadlineKind.DISPUTE_DECISION else DECISION
            report.count(clock, username or UNASSIGNED, late=True, claim=None, due=week, at=None, n=n)
        return report
    for claim in open_late.select_related("assigned_reviewer"):
        clock = DISPUTE if claim.deadline_kind == DeadlineKind.DISPUTE_DECISION else DECISION
        who = claim.assigned_reviewer.username if claim.assigned_reviewer else UNASSIGNED
        report.count(clock, who, late=True, claim=claim, due=claim.deadline_at, at=None)
    report.late.sort(key=lambda row: row["due_at"] or row["at"])
    return report
