from django.db.models import F, QuerySet

from claims.choices import ClaimState
from claims.models import Claim
from claims.selectors import _with_list_relations

QUEUE_STATES = (ClaimState.SUBMITTED, ClaimState.UNDER_REVIEW)


def review_queue() -> QuerySet[Claim]:
    """Claims that need a reviewer: overdue first, then the deadline that falls first."""
    return (
        _with_list_relations(Claim.objects.filter(state__in=QUEUE_STATES))
        .select_related("company", "assigned_reviewer")
        .order_by("-is_overdue", F("deadline_at").asc(nulls_last=True), "pk")
    )
