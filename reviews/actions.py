"""The reviewer's claim actions, declared once in the registry of claims.actions (registered
when this app is ready). The API endpoint, the page endpoint (with its confirmation step),
the review page's buttons and `available_actions` all come from these declarations."""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from claims.actions import REVIEWER, ClaimAction, register
from claims.choices import DeadlineKind as K
from claims.choices import RejectionReason
from claims.clocks import clock_length
from claims.competition import competitors
from claims.models import Claim

from . import services


def _approve_effects(claim: Claim, data: dict) -> dict | None:
    """What an approval does, to confirm: the other partners' associations it ends, the customer's email."""
    ending = competitors(claim)["associations"]
    if ending and not data["rationale"].strip():
        return None  # the service refuses without a rationale and says why
    effects = [
        _("The association of %(partner)s for %(product)s (since %(date)s) ends: the arbitration is decided for %(winner)s.")
        % {
            "partner": a.company.name,
            "product": a.product.name,
            "date": formats.date_format(a.started_at, "DATE_FORMAT"),
            "winner": claim.company.name,
        }
        for a in ending
    ]
    effects.append(
        _("The customer contact (%(email)s) is emailed and has %(period)s to deny the association.")
        % {"email": claim.customer_contact_email, "period": clock_length(K.CONSENT_WINDOW)}
    )
    return {
        "title": _("Approve #%(pk)s %(name)s?") % {"pk": claim.pk, "name": claim.name},
        "effects": effects,
        "button": _("Confirm approval"),
    }


def _reject_effects(claim: Claim, data: dict) -> dict:
    reason = RejectionReason(data["reason"]).label
    return {
        "title": _("Reject #%(pk)s %(name)s?") % {"pk": claim.pk, "name": claim.name},
        "effects": [
            _("Reason: %(reason)s. The partner is emailed the reason and your message.") % {"reason": reason},
            _("This decides a dispute: the rejection is final.")
            if claim.disputed_at
            else _("The partner may dispute the rejection within %(period)s.") % {"period": clock_length(K.DISPUTE_WINDOW)},
        ],
        "button": _("Confirm rejection"),
    }


def _deciding(claim: Claim, user, now) -> bool:
    return can_proceed(claim.approve)


register(
    ClaimAction(
        "start_review",
        REVIEWER,
        lambda claim, user, now: can_proceed(claim.start_review),
        run=lambda claim, user, data, files: services.review_start(claim=claim, reviewer=user),
        description=_("Submitted -> Under Review, assigned to the caller."),
        label=_("Start review"),
        done=lambda claim: _("Review started and assigned to you."),
        page_slug="start",
    ),
    ClaimAction(
        "request_info",
        REVIEWER,
        _deciding,
        run=lambda claim, user, data, files: services.review_request_info(
            claim=claim, reviewer=user, reasons=data["reasons"], message=data["message"], remove_products=data["remove_products"]
        ),
        description=_("Under Review -> Partner Action Required, with reasons and a message (emailed to the partner)."),
        api_input="claims.api.serializers.RequestInfoSerializer",
        form="reviews.forms.RequestInfoForm",
        form_kwargs=lambda claim: {"claim": claim, "auto_id": "info_%s"},
        done=lambda claim: (
            _("Request sent to the partner, who has %(period)s to answer.") % {"period": clock_length(K.PARTNER_ANSWER)}
        ),
    ),
    ClaimAction(
        "approve",
        REVIEWER,
        _deciding,
        run=lambda claim, user, data, files: services.review_approve(
            claim=claim, reviewer=user, message=data["message"], rationale=data["rationale"]
        ),
        description=_("Under Review -> Approved; the customer is emailed the consent link. Competing: rationale required."),
        api_input="claims.api.serializers.ApproveSerializer",
        form="reviews.forms.ApproveForm",
        form_kwargs=lambda claim: {"auto_id": "approve_%s"},
        done=lambda claim: (
            _("Approved. The customer contact has been emailed and has %(period)s to deny.")
            % {"period": clock_length(K.CONSENT_WINDOW)}
        ),
        confirm=_approve_effects,
    ),
    ClaimAction(
        "reject",
        REVIEWER,
        _deciding,
        run=lambda claim, user, data, files: services.review_reject(
            claim=claim, reviewer=user, reason=data["reason"], message=data["message"]
        ),
        description=_("Under Review -> Rejected with a reason; final when it decides a dispute."),
        api_input="claims.api.serializers.RejectSerializer",
        form="reviews.forms.RejectForm",
        form_kwargs=lambda claim: {"auto_id": "reject_%s"},
        done=lambda claim: _("Rejected. The partner has been emailed the reason."),
        confirm=_reject_effects,
    ),
)
