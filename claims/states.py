"""The state table: every fact about a claim's status, declared once.

Each group below (which states are open, which the review queue shows, which allow which
edits ...) is read from this table by the services, the selectors, the pages, the API and the
index conditions of claims.models, so a new status or a changed rule is one row here.
The transitions between states are the state machine's (claims.models.Claim).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from .choices import ClaimState

S = ClaimState

# What a partner may change in a state.
EDIT_ALL, EDIT_LIMITED = "all", "limited"


@dataclass(frozen=True)
class State:
    code: ClaimState
    # Open: on its way to a decision. Open claims compete for a customer and product
    # (competition) and count as the company's live claim (duplicates).
    open: bool = False
    in_queue: bool = False  # the review queue lists it (Submitted, Under Review)
    waiting: bool = False  # "Waiting on the partner" (Partner Action Required)
    holds_subscriptions: bool = False  # no other claim may claim its subscriptions
    edit: str = ""  # EDIT_ALL, EDIT_LIMITED (MPN, products, contacts), or nothing
    evidence: bool = False  # PoE may be uploaded and removed
    assignable: bool = False  # a reviewer may (re)assign it
    withdrawable: bool = False  # the partner may withdraw it (partner request)
    decided: bool = False  # approved or rejected: the decision is made
    # What the claim page's timeline still shows ahead of a claim in this state.
    ahead: tuple = ()
    # The review queue's filter of this state: its key and, when not the state's name, its label.
    queue_filter: str = ""
    queue_label: Any = None

    @property
    def label(self) -> str:
        return self.code.label

    @property
    def filter_label(self):
        return self.queue_label or self.code.label


DECISION = _("Decision")
_OPEN = {"open": True, "holds_subscriptions": True, "assignable": True, "withdrawable": True}

# fmt: off
STATES: dict[str, State] = {
    s.code: s
    for s in (
        State(S.EDITING, edit=EDIT_ALL, evidence=True, ahead=(S.SUBMITTED.label, S.UNDER_REVIEW.label, DECISION)),
        State(
            S.SUBMITTED, **_OPEN, in_queue=True, edit=EDIT_LIMITED, evidence=True, queue_filter="submitted",
            ahead=(S.UNDER_REVIEW.label, DECISION),
        ),
        State(S.UNDER_REVIEW, **_OPEN, in_queue=True, queue_filter="under_review", ahead=(DECISION,)),
        State(
            S.PARTNER_ACTION_REQUIRED, **_OPEN, waiting=True, edit=EDIT_LIMITED, evidence=True,
            queue_filter="waiting", queue_label=_("Waiting on the partner"), ahead=(S.UNDER_REVIEW.label, DECISION),
        ),
        State(S.APPROVED, holds_subscriptions=True, withdrawable=True, decided=True),
        State(S.REJECTED, decided=True),
    )
}
# fmt: on


def states_where(**flags) -> tuple[str, ...]:
    """The state codes whose flags have these values, in the table's order."""
    return tuple(str(s.code) for s in STATES.values() if all(getattr(s, k) == v for k, v in flags.items()))


OPEN_STATES = states_where(open=True)
QUEUE_STATES = states_where(in_queue=True)
WAITING_STATES = states_where(waiting=True)
HOLDING_STATES = states_where(holds_subscriptions=True)
LIMITED_EDIT_STATES = states_where(edit=EDIT_LIMITED)
EVIDENCE_STATES = states_where(evidence=True)
ASSIGNABLE_STATES = states_where(assignable=True)
WITHDRAWABLE_STATES = states_where(withdrawable=True)
DECIDED_STATES = states_where(decided=True)


def edit_scope(state: str) -> str:
    """EDIT_ALL, EDIT_LIMITED or "" (nothing may change)."""
    return STATES[state].edit if state in STATES else ""
