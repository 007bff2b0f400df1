"""What the caller may do next with a claim, from the same rules the services apply."""

from __future__ import annotations

from django.utils import timezone
from django_fsm import can_proceed

from claims.models import Claim, User
from claims.rules import answer_open, dispute_refusal
from claims.states import EDIT_ALL, STATES, edit_scope


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
    if edit_scope(claim.state):
        actions.append("edit")
    if STATES[claim.state].evidence:
        actions.append("upload_evidence")
    if edit_scope(claim.state) == EDIT_ALL:
        actions += ["submit", "delete"]
    if answer_open(claim, now):
        actions.append("respond")
    if can_proceed(claim.withdraw):
        actions.append("withdraw")
    if dispute_refusal(claim, now) is None:
        actions.append("dispute")
    return actions + ["comment"]
