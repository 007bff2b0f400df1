"""What the claim page shows about where a claim stands. Rules come from the services."""

from __future__ import annotations

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from .choices import ClaimState
from .errors import MESSAGES
from .models import Claim
from .services import dispute_refusal

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
    """The stages in order, each done, current or to come, with its date where known."""
    state = claim.state
    decided = state in (S.APPROVED, S.REJECTED)
    stages = [
        {"label": _("Editing"), "done": state != S.EDITING, "current": state == S.EDITING, "at": claim.created_at},
        {"label": _("Submitted"), "done": state not in (S.EDITING, S.SUBMITTED), "current": state == S.SUBMITTED, "at": claim.submitted_at},
        {"label": _("Under Review"), "done": decided or state == S.PARTNER_ACTION_REQUIRED, "current": state == S.UNDER_REVIEW, "at": claim.review_started_at},
    ]  # fmt: skip
    if state == S.PARTNER_ACTION_REQUIRED or claim.info_request_reasons:
        stages.append(
            {"label": _("Partner Action Required"), "done": state != S.PARTNER_ACTION_REQUIRED and (decided or state == S.UNDER_REVIEW),
             "current": state == S.PARTNER_ACTION_REQUIRED, "at": None}
        )  # fmt: skip
    final = {S.APPROVED: _("Approved"), S.REJECTED: _("Rejected")}.get(state, _("Decision"))
    stages.append({"label": final, "done": False, "current": decided, "at": claim.decided_at if decided else None})
    return stages


def dispute_status(claim: Claim) -> dict:
    """Whether the claim can be disputed now; if not, why, and the way forward."""
    now = timezone.now()
    refusal = dispute_refusal(claim, now)
    status = {
        "possible": refusal is None,
        "why_not": MESSAGES[refusal] if refusal and refusal != "invalid_transition" else "",
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
