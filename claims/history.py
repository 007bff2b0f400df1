"""The history action table: for each kind of history row (ClaimEvent.action), declared once,

- what a partner may read of its details (an allowlist: a key not listed stays hidden, so
  nothing of the other side of a competing claim ever reaches a partner by accident),
- the webhook events it stands for (their fields are drawn from that allowlist only),
- the emails it sends, and to whom.

The API history, the claim page, the webhook payloads and the emails all read this table;
the sweep's history rows go through it exactly as the services' do (claims.events).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .choices import ActorRole, DeadlineKind, EventAction
from .clocks import with_clock_lengths

A = EventAction

# Who an email goes to (claims.emails turns each into SQL over the history row's claim).
PARTNER_CONTACT = "partner_contact"  # the claim's partner contact, in the partner's language
CUSTOMER_CONTACT = "customer_contact"  # the claim's customer contact, in the language chosen for them
ASSIGNED_REVIEWER = "assigned_reviewer"  # the claim's assigned reviewer, in their language
PARTNER_PEOPLE = "partner_people"  # the partner contact and every claims-role user of the company


@dataclass(frozen=True)
class Email:
    kind: str  # templates/emails/<kind>.html (subject, text, HTML); what it says: claims.emails.CONTEXT
    to: str
    actor_role: str = ""  # only for history rows written by this role ("" = any)


@dataclass(frozen=True)
class Webhook:
    type: str  # one of WEBHOOK_TYPES
    constants: dict = field(default_factory=dict)  # fixed fields of this event
    fields: dict = field(default_factory=dict)  # payload field -> details key (partner-visible only)


@dataclass(frozen=True)
class Action:
    code: EventAction
    # Keys of ClaimEvent.details a partner may read. `changes` of a history row are the
    # claim's own fields and always readable by its company.
    partner: tuple[str, ...] = ()
    webhooks: tuple[Webhook, ...] = ()
    emails: tuple[Email, ...] = ()


# The webhook event types a partner can subscribe to, and what each means (the endpoint forms
# and the API list them). The history actions below say which of them each change sends.
WEBHOOK_TYPES: dict[str, object] = {
    "claim.submitted": _("A claim was submitted."),
    "claim.review_started": _("A reviewer started the review (or it started automatically, overdue)."),
    "claim.info_requested": _("A reviewer asked for more information (Partner Action Required)."),
    "claim.answered": _("Your company answered a request for information."),
    "claim.approved": with_clock_lengths(
        _("A claim was approved; the customer may deny consent for %(period)s."), period=DeadlineKind.CONSENT_WINDOW
    ),
    "claim.rejected": _("A claim was rejected, with the reason (also withdrawals and missed answers)."),
    "claim.disputed": _("Your company disputed a rejection."),
    "claim.consent_denied": _("The customer denied consent to an approved association."),
    "claim.eligibility_sent": _("The consent period passed: sent to incentive eligibility evaluation."),
    "claim.association_ended": _("The customer and product were decided for another partner (arbitration)."),
    "claim.comment_posted": _("A comment was posted on a claim."),
    "claim.deadline_passed": _("A claim's deadline passed and the system acted on it."),
    "claim.evidence_quarantined": _(
        "The malware scan found a threat in an uploaded PoE file: it was quarantined, upload a clean copy."
    ),
}


# Details every transition that starts a clock records (claims.services.base.Change): which
# clock and when it ends. The emails and webhooks read them from here.
CLOCK = ("clock", "clock_ends_at")


def _deadline_passed(deadline: str, outcome: str) -> Webhook:
    return Webhook("claim.deadline_passed", constants={"deadline": deadline, "outcome": outcome})


ACTIONS: dict[str, Action] = {
    a.code: a
    for a in (
        Action(A.CREATED, partner=("ignored_fields",)),
        Action(A.UPDATED),
        Action(A.EVIDENCE_ADDED, partner=("file", "size", "evidence_id")),
        Action(A.EVIDENCE_REMOVED, partner=("file", "evidence_id", "reason")),
        Action(
            A.EVIDENCE_INFECTED,  # written by the malware scan (claims.services.evidence_scan)
            partner=("file", "evidence_id", "signature"),
            webhooks=(
                Webhook(
                    "claim.evidence_quarantined",
                    fields={"file": "file", "evidence_id": "evidence_id", "signature": "signature"},
                ),
            ),
            emails=(Email("evidence_infected", PARTNER_PEOPLE),),
        ),
        Action(
            A.COMMENTED,
            partner=("comment_id",),
            webhooks=(Webhook("claim.comment_posted", fields={"comment_id": "comment_id"}),),
            emails=(
                Email("comment_posted", PARTNER_CONTACT, actor_role=ActorRole.REVIEWER),
                Email("partner_commented", ASSIGNED_REVIEWER, actor_role=ActorRole.PARTNER),
            ),
        ),
        Action(
            A.SUBMITTED,
            partner=CLOCK,
            webhooks=(Webhook("claim.submitted"),),
            emails=(Email("claim_submitted", PARTNER_CONTACT),),
        ),
        Action(
            A.REVIEW_STARTED,
            partner=("due_at", *CLOCK),
            webhooks=(Webhook("claim.review_started", constants={"automatic": False}),),
        ),
        Action(A.ASSIGNED),
        Action(A.ARBITRATION_STARTED),
        Action(
            A.ARBITRATION_DECIDED,
            # Never `decided_by_claim`: it names the other partner's claim.
            partner=("products", "association_ended"),
            webhooks=(Webhook("claim.association_ended", constants={"reason": "arbitration"}, fields={"products": "products"}),),
            emails=(Email("arbitration_lost", PARTNER_PEOPLE),),
        ),
        Action(
            A.ARBITRATION_DECIDED_OPEN,
            partner=("products", "association_ended"),
            emails=(Email("arbitration_lost", PARTNER_PEOPLE),),
        ),
        Action(
            A.ASSOCIATION_RESTORED,
            partner=("products", *CLOCK),  # never `restored_by_denial_of`: the other partner's claim
            emails=(Email("association_restored", PARTNER_PEOPLE),),
        ),
        # On the winner whose denial restored them: never `claims`, the other partners' claims.
        Action(A.ASSOCIATIONS_RESTORED, partner=("products",)),
        Action(
            A.REVIEW_AUTO_STARTED,
            partner=CLOCK,
            webhooks=(
                _deadline_passed("review_pickup", "review_started"),
                Webhook("claim.review_started", constants={"automatic": True, "overdue": True}),
            ),
        ),
        Action(
            A.REVIEW_OVERDUE,
            partner=("deadline", "due_at"),
            webhooks=(
                Webhook("claim.deadline_passed", constants={"outcome": "review_overdue"}, fields={"deadline": "deadline"}),
            ),
            emails=(Email("review_overdue", ASSIGNED_REVIEWER),),
        ),
        Action(
            A.INFO_REQUESTED,
            partner=("reasons", "message", "remove_products", "comment_id", *CLOCK),
            webhooks=(
                Webhook(
                    "claim.info_requested",
                    fields={"reasons": "reasons", "message": "message", "remove_products": "remove_products"},
                ),
            ),
            emails=(Email("info_requested", PARTNER_CONTACT),),
        ),
        Action(
            A.RESPONDED,
            partner=("comment_id", "message", *CLOCK),
            webhooks=(Webhook("claim.answered", fields={"message": "message"}),),
            emails=(Email("partner_answered", ASSIGNED_REVIEWER),),
        ),
        Action(
            A.APPROVED,
            # Never `rationale` (the reviewers' comparison) nor `associations_ended` (the
            # other partners' claims and companies this approval ended).
            partner=("message", "dispute", "due_at", *CLOCK),
            webhooks=(Webhook("claim.approved", fields={"message": "message", "dispute": "dispute"}),),
            emails=(Email("claim_approved", PARTNER_CONTACT), Email("consent_request", CUSTOMER_CONTACT)),
        ),
        Action(
            A.REJECTED,
            partner=("reason", "message", "dispute", "final", "due_at", *CLOCK),
            webhooks=(Webhook("claim.rejected", fields={"reason": "reason", "message": "message", "final": "final"}),),
            emails=(Email("claim_rejected", PARTNER_CONTACT),),
        ),
        Action(
            A.AUTO_REJECTED,
            partner=("reason", "final", *CLOCK),
            webhooks=(
                _deadline_passed("partner_answer", "rejected"),
                Webhook("claim.rejected", constants={"message": ""}, fields={"reason": "reason"}),
            ),
            emails=(Email("claim_rejected", PARTNER_CONTACT),),
        ),
        Action(
            A.WITHDRAWN,
            partner=("reason", "message", "associations_ended"),
            webhooks=(
                Webhook(
                    "claim.rejected",
                    constants={"reason": "partner_request"},
                    fields={"withdraw_reason": "reason", "message": "message"},
                ),
            ),
            emails=(Email("claim_withdrawn", PARTNER_CONTACT),),
        ),
        Action(
            A.CONSENT_DENIED,
            partner=("reason", "customer_contact"),
            webhooks=(Webhook("claim.consent_denied", constants={"reason": "customer_denial"}, fields={"message": "reason"}),),
            emails=(Email("claim_rejected", PARTNER_CONTACT),),
        ),
        Action(
            A.CONSENT_PERIOD_PASSED,
            webhooks=(_deadline_passed("consent_window", "eligibility_sent"), Webhook("claim.eligibility_sent")),
            emails=(Email("consent_period_passed", PARTNER_CONTACT),),
        ),
        Action(
            A.DISPUTED,
            partner=("justification", "files", *CLOCK),
            webhooks=(Webhook("claim.disputed", fields={"justification": "justification", "files": "files"}),),
        ),
        Action(A.DISPUTE_WINDOW_CLOSED, webhooks=(_deadline_passed("dispute_window", "dispute_window_closed"),)),
    )
}


def partner_details(action: str, details: dict | None) -> dict:
    """What a partner may read of a history row's details: the action's allowlisted keys."""
    allowed = ACTIONS[action].partner if action in ACTIONS else ()
    return {k: v for k, v in (details or {}).items() if k in allowed}


def details_for(action: str, details: dict | None, user) -> dict:
    """The details this user may read: all of them for reviewers, the allowlist for partners."""
    if getattr(user, "is_reviewer", False):
        return dict(details or {})
    return partner_details(action, details)


def webhook_events(action: str, details: dict | None, base: dict) -> list[tuple[str, dict]]:
    """(type, fields) of the webhook events a history row stands for: `base` (status, actor),
    the event's constants and its fields, read from the partner-visible details only."""
    visible = partner_details(action, details)
    found = []
    for hook in ACTIONS[action].webhooks if action in ACTIONS else ():
        fields = {**base, **hook.constants}
        fields.update({name: visible[key] for name, key in hook.fields.items() if key in visible})
        found.append((hook.type, fields))
    return found
