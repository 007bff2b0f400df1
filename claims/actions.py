"""The registry of claim actions: each action declared once, and the rest derived from it.

An action names its service call, who may run it (the role), its input (the API's
serializer and the page's form, by import path: this module sits below the API and the
pages), its description, and when it is available. From that declaration come:

- the API endpoint `POST /api/v1/claims/{id}/<slug>/` (view, URL, schema, If-Match, the
  Idempotency-Key), claims.api.views.action_views;
- the page endpoint (reviewers: reviews.views.act, with its optional confirmation step;
  an action without input is a button on the review page), and its URL;
- `available_actions`, in the API's claim detail and on the pages.

Partner actions are declared here; reviewer actions in reviews.actions, registered when
that app is ready (claims imports nothing from reviews).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from . import services
from .choices import DeadlineKind
from .clocks import with_clock_lengths
from .models import Claim, User
from .rules import answer_open, dispute_refusal
from .states import EDIT_ALL, STATES, edit_scope

PARTNER, REVIEWER = "partner", "reviewer"


@dataclass(frozen=True)
class ClaimAction:
    name: str  # in available_actions and the API's operation id (claims_<name>)
    role: str  # PARTNER (the claim's own company, a claims role) or REVIEWER
    available: Callable[[Claim, User, datetime], bool]
    # The service call: (claim, acting user, validated input, uploaded files). None: the action
    # has an endpoint of its own (edit is PATCH, a comment is POST …/comments/).
    run: Callable[[Claim, User, dict, list], Any] | None = None
    slug: str = ""  # the URL segment (default: the name with dashes)
    description: Any = ""
    api_input: str = ""  # import path of the request body's serializer ("" for none)
    api_upload: str = ""  # import path of a multipart/form-data serializer, when files are sent
    form: str = ""  # import path of the page's form ("" for a button)
    form_kwargs: Callable[[Claim], dict] = field(default=lambda claim: {})
    label: Any = ""  # the page's button
    done: Callable[[Claim], Any] | None = None  # the page's message once it is done
    # A confirmation step on the page before the change: (claim, validated input) -> the
    # effects to confirm, or None when no confirmation is asked for.
    confirm: Callable[[Claim, dict], dict | None] | None = None
    page_slug: str = ""  # the page's URL segment (default: slug)

    @property
    def path(self) -> str:
        return self.slug or self.name.replace("_", "-")

    @property
    def page_path(self) -> str:
        return self.page_slug or self.path


REGISTRY: dict[str, ClaimAction] = {}


def register(*actions: ClaimAction) -> None:
    for action in actions:
        REGISTRY[action.name] = action


def endpoints(role: str | None = None) -> list[ClaimAction]:
    """The actions with an endpoint of their own (a service call), in registry order."""
    return [a for a in REGISTRY.values() if a.run is not None and (role is None or a.role == role)]


def may_act(user: User, claim: Claim, role: str) -> bool:
    if role == REVIEWER:
        return user.is_reviewer
    return user.is_partner and claim.company_id == user.company_id


def available_actions(claim: Claim, user: User, now: datetime | None = None) -> list[str]:
    """What the user may do next with the claim, from the rules the services apply."""
    now = now or timezone.now()
    found = [a.name for a in REGISTRY.values() if may_act(user, claim, a.role) and a.available(claim, user, now)]
    # Both sides comment, once the claim is theirs to see.
    return [*found, "comment"] if (user.is_reviewer or may_act(user, claim, PARTNER)) else found


register(
    ClaimAction("edit", PARTNER, lambda c, u, now: bool(edit_scope(c.state))),
    ClaimAction("upload_evidence", PARTNER, lambda c, u, now: STATES[c.state].evidence),
    ClaimAction(
        "submit",
        PARTNER,
        lambda c, u, now: edit_scope(c.state) == EDIT_ALL,
        run=lambda claim, user, data, files: services.claim_submit(claim=claim, actor=user),
        description=_("Editing -> Submitted. Needs every field, valid subscriptions and at least one PoE (evidence_required)."),
    ),
    ClaimAction("delete", PARTNER, lambda c, u, now: edit_scope(c.state) == EDIT_ALL),
    ClaimAction(
        "respond",
        PARTNER,
        lambda c, u, now: answer_open(c, now),
        run=lambda claim, user, data, files: services.claim_respond(claim=claim, actor=user, message=data["message"]),
        description=_("Answer a request for information: Partner Action Required -> Under Review."),
        api_input="claims.api.serializers.RespondSerializer",
    ),
    ClaimAction(
        "withdraw",
        PARTNER,
        lambda c, u, now: can_proceed(c.withdraw),
        run=lambda claim, user, data, files: services.claim_withdraw(
            claim=claim, actor=user, reason=data["reason"], message=data["message"]
        ),
        description=_("Ask for the claim to be rejected (partner request); also from Approved."),
        api_input="claims.api.serializers.WithdrawSerializer",
    ),
    ClaimAction(
        "dispute",
        PARTNER,
        lambda c, u, now: dispute_refusal(c, now) is None,
        run=lambda claim, user, data, files: services.claim_dispute(
            claim=claim, actor=user, justification=data["justification"], files=files
        ),
        description=with_clock_lengths(
            _("Rejected -> Under Review, once, within %(period)s. Give a justification and/or updated PoE as multipart 'files'."),
            period=DeadlineKind.DISPUTE_WINDOW,
        ),
        api_input="claims.api.serializers.DisputeSerializer",
        api_upload="claims.api.serializers.DisputeUploadSerializer",
    ),
)
