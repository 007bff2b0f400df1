"""The notifications page's feed: the history rows of the claims a user follows, what their
role follows of them, and which of them the user has read.

Built on the claim history (claims.history.ACTIONS is the one list of actions and of what a
partner may read of each): no copy of an event is written, so the feed can never disagree
with the history, the emails or the webhooks.

Who follows what:
- a company's **Global admin**: every history row of the company's claims;
- its **Billing admin** and **Incentives admin**: the decisions (approved, rejected, withdrawn,
  sent to incentive eligibility evaluation), the information requests and answers, the
  customer's consent, the disputes, arbitration, and everything emailed to every claims role
  of the company (ACTIONS' PARTNER_PEOPLE emails, e.g. a quarantined upload);
- a **Reviewer**: every row but creation and edits of the claims assigned to them (arbitration
  included: its rows land on each assigned side);
- anyone else (a company user without a claims role): nothing.
Nobody is told of what they did themselves. Another company's claims are never in a partner's
feed (the company is the first filter of every query), and a row's details are read through
`claims.history.details_for`, the partner allowlist.

Read marks: `User.notifications_read_up_to` (a history id: "mark all read" moves it to the
newest row the page showed) and one NotificationRead row per row marked read one by one
above it (deleted when "mark all read" passes them). Unread = followed, above the mark, not
marked. Every query is set-based, one per list whatever its length: a page costs the same
number of queries however many rows there are. The header badge, on every page, counts only
the history rows written since its last look (`unread_count`). No new index on the history
(each costs every write): PostgreSQL reads a small company's feed through its claims (company
index, then ClaimEvent's claim index) and a large one's backward along the history's primary key.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet

from .choices import CLAIM_ROLES, EventAction, Role
from .history import ACTIONS, PARTNER_PEOPLE
from .models import ClaimEvent, NotificationRead, User

A = EventAction

# The header badge counts up to this many and shows "99+" beyond.
BADGE_CAP = 100

DECISIONS = frozenset({A.APPROVED, A.REJECTED, A.AUTO_REJECTED, A.WITHDRAWN, A.CONSENT_PERIOD_PASSED})
INFORMATION = frozenset({A.INFO_REQUESTED, A.RESPONDED})
CONSENT = frozenset({A.CONSENT_DENIED, A.CONSENT_PERIOD_PASSED})
DISPUTES = frozenset({A.DISPUTED, A.DISPUTE_WINDOW_CLOSED})
ARBITRATION = frozenset(
    {A.ARBITRATION_STARTED, A.ARBITRATION_DECIDED, A.ARBITRATION_DECIDED_OPEN, A.ASSOCIATION_RESTORED, A.ASSOCIATIONS_RESTORED}
)
# What is emailed to every claims role of the company is in each one's feed too.
EMAILED_TO_EVERY_ROLE = frozenset(code for code, a in ACTIONS.items() if any(e.to == PARTNER_PEOPLE for e in a.emails))
ADMIN_TOPICS = DECISIONS | INFORMATION | CONSENT | DISPUTES | ARBITRATION | EMAILED_TO_EVERY_ROLE

FOLLOWS: dict[str, frozenset[str]] = {
    Role.GLOBAL_ADMIN: frozenset(ACTIONS),
    Role.BILLING_ADMIN: ADMIN_TOPICS,
    Role.INCENTIVES_ADMIN: ADMIN_TOPICS,
    Role.REVIEWER: frozenset(ACTIONS) - {A.CREATED, A.UPDATED},
}


def follows(user: User) -> frozenset[str]:
    """The history actions this user's role follows (empty: no feed)."""
    if user.is_reviewer or (user.role in CLAIM_ROLES and user.company_id is not None):
        return FOLLOWS.get(user.role, frozenset())
    return frozenset()


def feed(user: User) -> QuerySet[ClaimEvent]:
    """Every history row in this user's feed (read or not)."""
    actions = follows(user)
    if not actions:
        return ClaimEvent.objects.none()
    if user.is_reviewer:
        rows = ClaimEvent.objects.filter(claim__assigned_reviewer_id=user.pk)
    else:
        rows = ClaimEvent.objects.filter(claim__company_id=user.company_id)
    return rows.filter(action__in=sorted(actions)).exclude(actor_id=user.pk)


def _read_above_mark(user: User) -> QuerySet[NotificationRead]:
    return NotificationRead.objects.filter(user_id=user.pk, event_id__gt=user.notifications_read_up_to or 0)


def unread(user: User) -> QuerySet[ClaimEvent]:
    """The feed's unread rows."""
    return feed(user).filter(pk__gt=user.notifications_read_up_to or 0).exclude(pk__in=_read_above_mark(user).values("event_id"))


# The badge's count is kept in the cache per user and brought up to date at each look by
# counting only the history rows written since (the primary key's newest range): counting a
# large company's whole history on every page cost 230-420 ms at 1,000,000 claims (PostgreSQL
# hashes the company's claims against the whole history). Rows within BADGE_LAG ids of the
# newest are counted again at every look, so a transaction that commits after a newer one is
# still counted. The key holds everything that changes the answer but new rows: the user's role,
# company and read mark; marking one row read forgets it (`forget_badge`). One case is left to
# the daily full count: a claim newly assigned to a reviewer brings its older rows into their
# feed, and the badge counts only the rows written after (the "assigned" row among them).
BADGE_LAG = 1000
BADGE_SECONDS = 24 * 3600


def _badge_key(user: User) -> str:
    return f"feed-badge:{user.pk}:{user.role}:{user.is_reviewer:d}:{user.company_id}:{user.notifications_read_up_to or 0}"


def forget_badge(user: User) -> None:
    """After the user's read marks change: the next look counts the feed again."""
    from django.core.cache import cache

    cache.delete(_badge_key(user))


def unread_count(user: User) -> int:
    """The header badge: the feed's unread rows, at most BADGE_CAP. One index-only query for the
    newest history id and one count of the rows written since the last look (none once the
    count has reached the cap); the whole feed is counted once per BADGE_SECONDS."""
    from django.core.cache import cache

    if not follows(user):
        return 0
    key = _badge_key(user)
    state = cache.get(key)
    if state is not None and state[0] >= BADGE_CAP:
        return BADGE_CAP
    settled, counted_to = state if state is not None else (0, user.notifications_read_up_to or 0)
    newest = ClaimEvent.objects.aggregate(newest=Max("pk"))["newest"] or 0
    settle_to = max(counted_to, newest - BADGE_LAG)
    # Not a LIMIT under the count (newest rows first, stop at the cap): tried on 2026-12-08, it cut
    # an idle first look from 200-250 ms to 18-65 ms at a million claims, but under B7 that scan
    # walked down the history index's newest end while the sweep inserted there, and the first
    # minute served 57 pages instead of about 1,500 (docs/benchmarks.md, Measured history).
    counts = (
        unread(user)
        .filter(pk__gt=counted_to)
        .order_by()
        .aggregate(settled=Count("pk", filter=Q(pk__lte=settle_to)), recent=Count("pk", filter=Q(pk__gt=settle_to)))
    )
    settled += counts["settled"]
    if settled + counts["recent"] >= BADGE_CAP:
        # History rows are never deleted: only a read (a new key) brings the count back down.
        settled, settle_to = BADGE_CAP, newest
    cache.set(key, (settled, settle_to), BADGE_SECONDS)
    return min(settled + counts["recent"], BADGE_CAP)


def page_rows(user: User, events: list[ClaimEvent]) -> tuple[set[int], dict[int, int]]:
    """For the rows of one page: which are unread, and each of their claims' unread count
    (two queries whatever the page's size)."""
    if not events:
        return set(), {}
    ids = [e.pk for e in events]
    up_to = user.notifications_read_up_to or 0
    marked = set(
        NotificationRead.objects.filter(user_id=user.pk, event_id__in=[i for i in ids if i > up_to]).values_list(
            "event_id", flat=True
        )
    )
    unread_ids = {i for i in ids if i > up_to and i not in marked}
    claims = {e.claim_id for e in events}
    per_claim = dict(unread(user).filter(claim_id__in=claims).order_by().values_list("claim_id").annotate(n=Count("id")))
    return unread_ids, per_claim


def mark_read(user: User, event_id: int) -> bool:
    """Marks one row of the user's feed read; False if it is not in their feed."""
    if not feed(user).filter(pk=event_id).exists():
        return False
    if event_id > (user.notifications_read_up_to or 0):
        NotificationRead.objects.get_or_create(user_id=user.pk, event_id=event_id)
        transaction.on_commit(lambda: forget_badge(user))
    return True


def mark_all_read(user: User, up_to: int | None = None) -> None:
    """Reads every row of the feed up to `up_to` (the newest the page showed; rows that came
    after stay unread), or the whole feed."""
    newest = feed(user).aggregate(m=Max("id"))["m"] or 0
    mark = min(up_to, newest) if up_to is not None else newest
    if mark <= (user.notifications_read_up_to or 0):
        return
    User.objects.filter(pk=user.pk).filter(
        Q(notifications_read_up_to__isnull=True) | Q(notifications_read_up_to__lt=mark)
    ).update(notifications_read_up_to=mark)
    NotificationRead.objects.filter(user_id=user.pk, event_id__lte=mark).delete()
    user.notifications_read_up_to = mark
