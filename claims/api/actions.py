"""What the caller may do next with a claim, from the same rules the services apply."""

from __future__ import annotations

from django.utils import timezone
from django_fsm import can_proceed

from claims import clocks
from claims.choices import LIMITED_EDIT_STATES, ClaimState, DeadlineKind
from claims.models import Claim, User
from claims.services import dispute_refusal


def available_actions(claim: Claim, user: User) -> list[str]:
    now = timezone.now()
    actions: list[str] = []
    if user.is_reviewer:
        if can_proceed(claim.start_review):
            actions.append("start_review")
        if can_proceed(claim.approve):
            actions += ["request_info", "approve", "reject"]
        return actions + ["comment"]
    if not (user.is_partner and claim.company_id == user.company_id):
        return []
    if claim.state == ClaimState.EDITING:
        actions += ["edit", "upload_evidence", "submit", "delete"]
    elif claim.state in LIMITED_EDIT_STATES:
        actions += ["edit", "upload_evidence"]
    if claim.state == ClaimState.PARTNER_ACTION_REQUIRED and clocks.clock_running(claim, DeadlineKind.PARTNER_ANSWER, now):
        actions.append("respond")
    if can_proceed(claim.withdraw):
        actions.append("withdraw")
    if dispute_refusal(claim, now) is None:
        actions.append("dispute")
    return actions + ["comment"]
