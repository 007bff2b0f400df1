"""What the claim page shows about where a claim stands. Rules come from the services."""

from __future__ import annotations

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from .choices import ClaimState
from .errors import MESSAGES
from .models import Claim, Product
from .rules import dispute_refusal, not_disputable_why
from .states import STATES

S = ClaimState

POE_CHECKLIST = [
    _("Reviewers approve a claim when its proof of execution (PoE) shows, in documents from the engagement:"),
    _(
        "1. The customer: its name, and a confirmation signed by a customer contact (an email from a customer address, a signed statement of work or a signed letter)."
    ),
    _("2. Dates: when the work was done. Recent work only; undated or old documents are sent back."),
    _(
        "3. Your service: what your company did for the customer (deployment, migration, adoption programme, training), in your own words."
    ),
    _("4. Every claimed product or workload, by name. A product the PoE does not cover is removed from the claim."),
    _("5. Your company: the partner name matching the MPN ID of the claim."),
    _("Accepted files: PDF, PNG, JPEG, Word, Excel and PowerPoint, up to the size the upload form shows."),
    _(
        "Common reasons for a request for more information: wrong file, missing customer signature, missing or old dates, missing service description, missing products."
    ),
]


def timeline(claim: Claim) -> list[dict]:
    """The stages the claim went through, from its history (so Approved then Rejected after a
    withdrawal both stay, and an automatically started review shows its date), then the
    stages still to come. Uses the prefetched history: no extra query."""
    path: list[tuple[str, object, str]] = [(S.EDITING, claim.created_at, "")]
    for event in claim.events.all():
        if event.to_state and event.to_state != path[-1][0]:
            path.append((event.to_state, event.at, event.action))
    stages = []
    for i, (state, at, action) in enumerate(path):
        label = S(state).label if state in S.values else state
        if action == "review_auto_started":
            label = _("Under Review (not picked up in time)")
        elif action == "disputed":
            label = _("Under Review (dispute)")
        stages.append({"label": label, "done": i < len(path) - 1, "current": i == len(path) - 1, "at": at})
    to_come = STATES[claim.state].ahead if claim.state in STATES else ()
    stages += [{"label": label, "done": False, "current": False, "at": None} for label in to_come]
    return stages


def _why_not(claim: Claim, refusal: str | None) -> str:
    if not refusal or refusal == "invalid_transition":
        return ""
    if refusal == "not_disputable":
        return str(MESSAGES["not_disputable"]) % {"why": not_disputable_why(claim)}
    return str(MESSAGES[refusal])


def dispute_status(claim: Claim) -> dict:
    """Whether the claim can be disputed now; if not, why, and the way forward."""
    now = timezone.now()
    refusal = dispute_refusal(claim, now)
    status = {
        "possible": refusal is None,
        "why_not": _why_not(claim, refusal),
        "until": claim.deadline_at if refusal is None else None,
        "new_claim_url": f"{reverse('claims:create')}?from={claim.pk}",
        "applies": claim.state == S.REJECTED,
    }
    if refusal is None:
        left = claim.deadline_at - now
        status["days_left"] = left.days
        status["hours_left"] = left.seconds // 3600
    return status


def next_deadline_text(claim: Claim) -> str:
    """The "Next deadline" cell of the dashboard, the same words on the page and in the CSV."""
    from .templatetags.claims_tags import deadline_words

    if claim.association_ended_at:
        return str(association_ended_text(claim))
    if claim.eligibility_sent_at:
        return str(_("sent to incentive eligibility evaluation"))
    return deadline_words(claim)


def association_ended_text(claim: Claim) -> str:
    return _("Association ended: decided for another partner on %(date)s") % {
        "date": formats.date_format(timezone.localtime(claim.association_ended_at), "DATE_FORMAT")
    }


def withdraw_reason(claim: Claim) -> str:
    """Why the partner withdrew (the sub-reason of "partner request"), from the history."""
    from .choices import RejectionReason, WithdrawReason

    if claim.rejection_reason != RejectionReason.PARTNER_REQUEST:
        return ""
    events = [e for e in claim.events.all() if e.action == "withdrawn"]
    code = events[-1].details.get("reason") if events else None
    return str(WithdrawReason(code).label) if code in WithdrawReason.values else ""


def catalog_names() -> SimpleLazyObject:
    """Product code -> name for a history's product changes (the history_value tag), read
    from the database only if the page shows such a change: most history rows have none."""
    return SimpleLazyObject(lambda: dict(Product.objects.values_list("code", "name")))
