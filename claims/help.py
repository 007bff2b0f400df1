"""Help in the product (issue 23, point 5): one page per role (partner, reviewer) and a short one
for the customer reached from the consent page.

Nothing here restates a rule: the clock lengths come from `claims.clocks` (the settings of the
moment), business days from `claims.calendar`, the statuses' names from `ClaimState`, and the
errors section renders `claims.errors.MESSAGES` itself, so a new code or a reworded message
shows up here without an edit. This module only says which texts explain what.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .calendar import is_business_day
from .choices import ClaimState, DeadlineKind
from .clocks import CLOCKS, clock_length, with_clock_lengths
from .errors import MESSAGES, STATUS

K = DeadlineKind
S = ClaimState

# What each status means and which clock runs in it; %(name)s is the length of the clock named
# beside it, worded when shown (claims.clocks.with_clock_lengths).
STATES = [
    (S.EDITING, _("The claim is a draft. Fill it in, upload proof of execution and submit it. No clock runs yet."), {}),
    (
        S.SUBMITTED,
        _(
            "The claim waits for a reviewer, who starts the review within %(pickup)s. A claim nobody has "
            "started by then moves to Under Review on its own, at the head of the queue, marked overdue."
        ),
        {"pickup": K.REVIEW_PICKUP},
    ),
    (
        S.UNDER_REVIEW,
        _(
            "A reviewer checks the proof of execution and decides within %(decision)s. A disputed rejection is "
            "decided within %(dispute)s, and that decision is final."
        ),
        {"decision": K.REVIEW_DECISION, "dispute": K.DISPUTE_DECISION},
    ),
    (
        S.PARTNER_ACTION_REQUIRED,
        _(
            "The reviewer asked for more information, with a reason. The partner answers in the claim within "
            "%(answer)s; the claim then returns to Under Review with a new decision clock. Without an answer "
            "it is rejected (reason: No partner response)."
        ),
        {"answer": K.PARTNER_ANSWER},
    ),
    (
        S.APPROVED,
        _(
            "The customer contact is emailed and may deny the association for %(consent)s. After that the claim "
            "goes on to incentive eligibility evaluation. An approved association is not an approval of an "
            "incentive payment."
        ),
        {"consent": K.CONSENT_WINDOW},
    ),
    (
        S.REJECTED,
        _(
            "The claim was rejected, with a reason. The partner may dispute the rejection once, within "
            "%(window)s, with a business justification or updated proof of execution; after that only a new "
            "claim helps. Rejections for Partner request or Customer denial cannot be disputed."
        ),
        {"window": K.DISPUTE_WINDOW},
    ),
]

# The glossary: (term, explanation). Terms as docs/glossary.md names them in each language.
GLOSSARY = [
    (
        pgettext_lazy("glossary term", "Claim"),
        _(
            "A request to associate your company with a customer's tenant for some products, proved by proof "
            "of execution. A reviewer approves or rejects it."
        ),
    ),
    (
        pgettext_lazy("glossary term", "Customer association"),
        _(
            "What an approved claim creates: your company is the customer's partner of record for those products. "
            "Two partners never hold one for the same customer and product."
        ),
    ),
    (
        pgettext_lazy("glossary term", "Proof of execution (PoE)"),
        _(
            "Documents that show your work for the customer: dated, describing your solution or service, naming "
            "the products and signed or confirmed by the customer."
        ),
    ),
    (
        pgettext_lazy("glossary term", "Tenant ID"),
        _("The GUID of the customer's Microsoft tenant. Its subdomain or domain must belong to the same tenant."),
    ),
    (
        pgettext_lazy("glossary term", "Subscription ID"),
        _(
            "For Dynamics 365 products, the GUID of the customer's subscription, bought through Volume Licensing "
            "or Web-Direct (not CSP), provisioned, and active or in its grace period."
        ),
    ),
    (
        pgettext_lazy("glossary term", "MPN ID"),
        _("Your company's partner ID the claim counts for. A wrong MPN ID loses incentives."),
    ),
    (
        pgettext_lazy("glossary term", "Solution area and activity"),
        _("What you did for the customer: presales, usage or revenue association, in Business Applications or Microsoft 365."),
    ),
    (
        pgettext_lazy("glossary term", "Competing claims (arbitration)"),
        _(
            "Another partner holds or claims the same customer and product. Reviewers compare the proofs of "
            "execution and decide; the other partner is never named to you."
        ),
    ),
    (
        pgettext_lazy("glossary term", "Dispute"),
        _("A request to review a rejection again, with a justification or new proof of execution."),
    ),
    (
        pgettext_lazy("glossary term", "Consent period"),
        _("The days after approval when the customer may deny the association. Denial rejects the claim."),
    ),
    (
        pgettext_lazy("glossary term", "Incentive eligibility evaluation"),
        _("Where an approved claim goes once the consent period has passed."),
    ),
    (
        pgettext_lazy("glossary term", "Overdue"),
        _("A claim whose review did not start or was not decided before its clock ended."),
    ),
]

# The errors, grouped by what the reader was doing. A code not listed lands in "Other errors",
# so every code of claims.errors.MESSAGES is always on the page.
ERROR_GROUPS = [
    (
        "claim",
        _("Filling in a claim"),
        [
            "required", "unknown_tenant", "invalid_tenant_id", "domain_tenant_mismatch", "invalid_subscription_id",
            "subscription_required", "subscription_not_applicable", "product_not_on_tenant",
            "subscription_not_dynamics", "subscription_is_csp", "subscription_not_provisioned",
            "subscription_inactive", "subscription_already_claimed", "activity_not_in_solution_area",
            "product_not_in_solution_area", "solution_area_unknown", "unknown_product", "duplicate_product",
            "mpn_not_in_company", "invalid_email", "too_long", "unsupported_language", "invalid_products",
            "duplicate_claim",
        ],
    ),
    (
        "poe",
        _("Proof of execution files"),
        [
            "evidence_required", "evidence_too_large", "evidence_empty", "evidence_type_not_allowed",
            "evidence_already_removed", "removal_reason_required", "storage_unavailable",
        ],
    ),
    (
        "status",
        _("Status, deadlines and decisions"),
        [
            "not_editable", "invalid_transition", "concurrent_change", "dispute_window_closed", "not_disputable",
            "dispute_needs_content", "answer_deadline_passed", "consent_window_closed", "invalid_reason",
            "message_required", "rationale_required", "association_ended", "not_a_reviewer", "no_claims_selected",
        ],
    ),
    (
        "access",
        _("Signing in, roles and API tokens"),
        [
            "invalid_credentials", "mfa_required", "token_expired", "token_revoked", "api_token_limit",
            "api_token_not_found", "sso_only", "permission_denied", "reviewer_only", "not_found",
            "login_locked_out", "login_slowed_down",
        ],
    ),
]  # fmt: skip

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
# Weekdays off listed ahead on the page.
DAYS_OFF_AHEAD = 120


def error_groups() -> list[dict]:
    """Every code of MESSAGES, in its group, with its message as the user reads it (a value the
    message names, e.g. a size, shown as "…") and the HTTP status the API answers with."""
    listed = {code for _key, _title, codes in ERROR_GROUPS for code in codes}
    groups = [(key, title, [c for c in codes if c in MESSAGES]) for key, title, codes in ERROR_GROUPS]
    groups.append(("other", _("Other errors"), [c for c in MESSAGES if c not in listed]))
    return [
        {
            "key": key,
            "title": title,
            "errors": [
                {"code": c, "message": PLACEHOLDER.sub("…", str(MESSAGES[c])), "status": STATUS.get(c, 400)} for c in codes
            ],
        }
        for key, title, codes in groups
        if codes
    ]


def states() -> list[dict]:
    return [{"state": state, "label": state.label, "text": with_clock_lengths(text, **kinds)} for state, text, kinds in STATES]


def clocks() -> list[dict]:
    return [
        {"kind": kind, "label": DeadlineKind(kind).label, "length": clock_length(kind), "business": c.business_days}
        for kind, c in CLOCKS.items()
    ]


def days_off(today: date, ahead: int = DAYS_OFF_AHEAD) -> list[date]:
    """Weekdays that are not business days (holidays of the calendar, extra days off), from today."""
    days = (today + timedelta(days=i) for i in range(ahead))
    return [d for d in days if d.weekday() < 5 and not is_business_day(d)]


def calendar_context() -> dict:
    country = settings.CPOR_HOLIDAY_COUNTRY
    subdivision = settings.CPOR_HOLIDAY_SUBDIVISION
    return {
        "calendar": f"{country}-{subdivision}" if country and subdivision else country,
        "time_zone": settings.CPOR_BUSINESS_TIME_ZONE,
        "days_off": days_off(timezone.now().date()),
        "days_ahead": DAYS_OFF_AHEAD,
    }


def _page(request: HttpRequest, template: str, **extra) -> HttpResponse:
    context = {"states": states(), "clocks": clocks(), "glossary": GLOSSARY, "error_groups": error_groups()}
    return render(request, template, {**context, **calendar_context(), **extra})


def help_home(request: HttpRequest) -> HttpResponse:
    """The header's Help link: the reader's own help."""
    user = request.user
    if user.is_authenticated and user.is_reviewer:
        return redirect("help-reviewer")
    if user.is_authenticated and user.is_partner:
        return redirect("help-partner")
    return redirect("help-customer")


@login_required
def help_partner(request: HttpRequest) -> HttpResponse:
    if not request.user.is_partner:
        return render(request, "claims/no_role.html", status=403)
    return _page(request, "help/partner.html")


@login_required
def help_reviewer(request: HttpRequest) -> HttpResponse:
    if not request.user.is_reviewer:
        return render(request, "claims/no_role.html", {"reviewer_page": True}, status=403)
    return _page(request, "help/reviewer.html")


def help_customer(request: HttpRequest) -> HttpResponse:
    """Public: the customer has no account, only the emailed consent link."""
    return render(request, "help/customer.html", {"consent": clock_length(K.CONSENT_WINDOW)})
