"""Domain errors: a stable code, a message that tells the user what to do, the field.

The browser shows them next to fields, the API returns them as
{"errors": [{"code", "field", "message"}]} with the HTTP status of the kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .choices import DeadlineKind
from .clocks import with_clock_lengths

MESSAGES = {
    "required": _("This field is required to submit the claim."),
    "unknown_tenant": _(
        "No customer tenant has this tenant ID. Check the ID with your customer: it is a GUID "
        "such as 7c4b0e6a-1d2f-4a3b-9c8d-0e1f2a3b4c5d."
    ),
    "invalid_tenant_id": _("Enter the tenant ID as a GUID, such as 7c4b0e6a-1d2f-4a3b-9c8d-0e1f2a3b4c5d."),
    "domain_tenant_mismatch": _(
        "This subdomain or domain does not belong to that tenant. Contact your customer to make "
        "sure you have the correct details."
    ),
    "invalid_subscription_id": _(
        "This is not a subscription ID. Enter the subscription's GUID as shown in the customer's "
        "admin center, such as 11111111-1111-4111-8111-111111111111."
    ),
    "subscription_required": _("Enter the subscription ID for this Dynamics 365 product."),
    "subscription_not_applicable": _("This product does not take a subscription ID. Leave the field empty."),
    "product_not_on_tenant": _(
        "The customer's tenant has no such subscription for this product. Check the subscription "
        "ID and the product with your customer."
    ),
    "subscription_not_dynamics": _(
        "This subscription is not for a Dynamics 365 product. Enter the subscription of the Dynamics 365 product you claim."
    ),
    "subscription_is_csp": _(
        "This subscription was bought through the Cloud Solution Provider (CSP) program, which "
        "cannot be claimed here. Only Volume Licensing and Web-Direct purchases can."
    ),
    "subscription_not_provisioned": _(
        "The customer has not yet activated the products of this subscription. Ask your customer "
        "to provision them, then claim again."
    ),
    "subscription_inactive": _(
        "This subscription is neither active nor in its grace period. Claim the customer's current subscription instead."
    ),
    "subscription_already_claimed": _(
        "This subscription has already been claimed. If you believe that claim is wrong, file "
        "your claim with proof of execution for the customer's other subscriptions or contact support."
    ),
    "activity_not_in_solution_area": _("Choose an activity that exists for this solution area."),
    "product_not_in_solution_area": _("Choose products of the claim's solution area only."),
    "solution_area_unknown": _("Choose Business Applications or Microsoft 365."),
    "unknown_product": _("This product does not exist. Choose one from the catalog."),
    "duplicate_product": _("Each product can be claimed once per claim."),
    "mpn_not_in_company": _("Choose one of your company's MPN IDs."),
    "evidence_required": _(
        "Upload at least one proof of execution document: a claim needs one to be submitted and keeps at least one "
        "afterwards (upload the right file before you remove the wrong one)."
    ),
    "evidence_too_large": _("This file is too large. Upload a file of at most %(max_mb)s MB."),
    "evidence_empty": _("This file is empty. Upload the document again."),
    "evidence_type_not_allowed": _(
        "This type of file is not accepted. Upload a PDF, an image (PNG, JPEG) or an Office document (Word, Excel, PowerPoint)."
    ),
    "not_editable": _(
        "This can no longer be changed in the claim's current status. After submission you may "
        "change only the MPN ID, products, contacts, proof of execution and comments, and only "
        "while the claim is Submitted or Partner Action Required."
    ),
    "invalid_transition": _("This action is not possible in the claim's current status. Reload the claim to see its status."),
    "concurrent_change": _("Someone else changed this claim at the same moment. Reload the claim and try again."),
    "dispute_window_closed": with_clock_lengths(
        _("The time to dispute this rejection (%(period)s) has passed. File a new claim with updated proof of execution."),
        period=DeadlineKind.DISPUTE_WINDOW,
    ),
    "not_disputable": _("This rejection cannot be disputed: %(why)s File a new claim with updated proof of execution."),
    "dispute_needs_content": _("Give a business justification or upload updated proof of execution."),
    "answer_deadline_passed": _("The time to answer this request has passed."),
    "consent_window_closed": _("The period to deny this association has ended."),
    "invalid_reason": _("Choose one of the listed reasons."),
    "message_required": _("Write a message that explains this to the partner."),
    "invalid_email": _("Enter a valid email address, such as name@contoso.com."),
    "too_long": _("This is too long: use at most %(max)s characters."),
    "unsupported_language": _("Choose one of the product's languages: en, pt-BR, it, zh-Hans or es."),
    "invalid_products": _("Send products as a list of {product, subscription_id} entries."),
    "rationale_required": _(
        "This claim competes with another partner for the same customer and product. Write the rationale "
        "of your decision: approving it ends the other partner's association."
    ),
    "duplicate_claim": _(
        "Your company already has a live claim for this customer and product: %(claim)s. A company holds at most "
        "one live claim per customer tenant and product. Update that claim (add the product or new proof of "
        "execution there) or withdraw it first."
    ),
    "association_ended": _(
        "The association of this claim has ended: the customer and product were decided for another partner. "
        "There is nothing left to withdraw."
    ),
    "evidence_already_removed": _("This file was already removed."),
    "removal_reason_required": _("Say why you remove this file, for the reviewer and the claim's history."),
    "not_a_reviewer": _("Choose a reviewer."),
    "no_claims_selected": _("No claim was selected. Tick the claims to assign, then choose Assign selected again."),
    "invalid_credentials": _("Wrong username or password."),
    "mfa_required": _(
        "This account signs in with a second factor, which a password alone cannot replace, so no token is issued "
        "here. Sign in on the web instead; for scripts, create a personal API token there (/account/tokens/)."
    ),
    # Personal API tokens (claims/api/auth.py, /account/tokens/).
    "token_expired": _("This API token has expired. Create a new one on the web (/account/tokens/) and use it instead."),
    "token_revoked": _("This API token was revoked. Create a new one on the web (/account/tokens/) and use it instead."),
    "api_token_limit": _(
        "You already have %(max)s API tokens that work, the most allowed. Revoke one you no longer use, then create the new one."
    ),
    "api_token_not_found": _("No such API token."),
    "sso_only": _(
        "Your company signs in through its identity provider only, so no token is issued for a password. "
        "For scripts, use a personal API token."
    ),
    "invalid_idempotency_key": _("Use an Idempotency-Key of at most %(max)s characters."),
    "idempotency_key_reused": _("This Idempotency-Key was used for a different request. Use a new key for a new request."),
    "idempotency_request_in_progress": _("The first request with this Idempotency-Key is still running. Retry in a moment."),
    "permission_denied": _("You need the Global admin, Billing admin or Incentives admin role to work with claims."),
    "reviewer_only": _("Only reviewers can do this."),
    "not_found": _("No such claim."),
    # Request hardening (claims/api/errors.py, cpor/middleware.py).
    "null_characters_not_allowed": _("Null characters are not allowed. Remove them from the address or the form and try again."),
    "json_too_deep": _("The JSON body is nested too deeply (at most %(max)s levels)."),
    "request_too_large": _("The request body is too large: send at most %(max_mb)s MB."),
    "uri_too_long": _("The address is too long: send at most %(max)s characters."),
    "unknown_url": _("There is nothing at this address. API paths end with a slash, e.g. /api/v1/claims/."),
    "server_error": _("Something went wrong on our side. It has been logged; try again later."),
    "bad_request": _("The request could not be understood. Check the address and the body."),
    "invalid_status": _("Choose one of the listed statuses."),
    "invalid_ordering": _("Choose one of the listed sort orders."),
    "invalid_filter": _("Choose one of the listed values."),
    "invalid_date": _("Give the date as YYYY-MM-DD, e.g. 2026-01-31."),
    "invalid_period": _("Choose a period whose start is not after its end, at most three years long."),
    "invalid_page": _("Give the page as a whole number from 1."),
    "invalid_page_size": _("Give page_size as a whole number from 1 to %(max)s."),
    "page_not_found": _("This page is past the last page of results."),
    "invalid_if_match": _('Send If-Match as an ETag from a claim response, e.g. "3f2a…", or *.'),
    "precondition_failed": _(
        "The claim changed since you read it (its ETag no longer matches If-Match). Read it again, then retry."
    ),
    "login_locked_out": _(
        "Too many failed sign-ins for this username from this address. Wait %(minutes)s minutes, then try again."
    ),
    "login_slowed_down": _("Too many failed sign-ins from this address. Wait %(seconds)s seconds, then try again."),
    # The file store (cpor/storage.py) did not answer: nothing was saved.
    "storage_unavailable": _(
        "Files cannot be stored or opened right now: our file store is not answering. Nothing was saved. "
        "Try again in a few minutes."
    ),
}

# A code's message worded for one field where the general one would not fit: the code stays
# the same for clients. {(code, field): message}
FIELD_MESSAGES: dict[tuple[str, str], object] = {}

# A code's message worded for one case, named by the error's `case` parameter, where the
# general one would not fit: the code stays the same for clients. {(code, case): message}
CASE_MESSAGES: dict[tuple[str, str], object] = {
    # The company's own claim holds the subscription: name it (its own, so naming it is fine)
    # instead of sending the partner to support.
    ("subscription_already_claimed", "own_claim"): _(
        "Your company's claim %(claim)s already holds this subscription. Update that claim (add the product or new "
        "proof of execution there) or withdraw it first."
    ),
    # Signed in on the web, but the second factor that CPOR_MFA_REQUIRED_FOR asks for is not set up yet.
    ("mfa_required", "setup"): _("Set up two-factor authentication on the web (/accounts/2fa/) before you continue."),
}

# HTTP status for the API per kind of error; everything else is 400.
STATUS = {
    "invalid_transition": 409,
    # The tenant's associations (another partner's approval) decide these, not the input.
    "rationale_required": 409,
    "duplicate_claim": 409,
    "association_ended": 409,
    "concurrent_change": 409,
    "idempotency_request_in_progress": 409,
    "permission_denied": 403,
    "reviewer_only": 403,
    "mfa_required": 403,
    "token_expired": 401,
    "token_revoked": 401,
    "api_token_not_found": 404,
    "sso_only": 403,
    "not_found": 404,
    # A state refusal like invalid_transition: the claim's status does not allow the change.
    "not_editable": 409,
    "evidence_too_large": 413,
    "request_too_large": 413,
    "uri_too_long": 414,
    "unknown_url": 404,
    "page_not_found": 404,
    "server_error": 500,
    "login_locked_out": 429,
    "login_slowed_down": 429,
    "precondition_failed": 412,
    "storage_unavailable": 503,
}


@dataclass(frozen=True)
class ErrorItem:
    code: str
    field: str | None = None
    params: tuple[tuple[str, object], ...] = ()

    @property
    def message(self) -> str:
        params = dict(self.params)
        text = (
            FIELD_MESSAGES.get((self.code, self.field or ""))
            or CASE_MESSAGES.get((self.code, params.get("case", "")))
            or MESSAGES[self.code]
        )
        return str(text) % params if params else str(text)

    def as_dict(self) -> dict:
        return {"code": self.code, "field": self.field, "message": self.message}


class DomainError(Exception):
    """One or more refusals of a service call. Nothing was changed."""

    def __init__(self, errors: list[ErrorItem]):
        assert errors
        self.errors = errors
        super().__init__("; ".join(f"{e.code}({e.field})" for e in errors))

    @classmethod
    def of(cls, code: str, field: str | None = None, **params) -> DomainError:
        return cls([ErrorItem(code, field, tuple(params.items()))])

    @property
    def code(self) -> str:
        return self.errors[0].code

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.errors]

    @property
    def http_status(self) -> int:
        return STATUS.get(self.code, 400)


class ErrorCollector:
    """Gathers every field error of one input so the user sees them all at once."""

    def __init__(self) -> None:
        self.errors: list[ErrorItem] = []

    def add(self, code: str, field: str | None = None, **params) -> None:
        self.errors.append(ErrorItem(code, field, tuple(params.items())))

    def has(self, field: str) -> bool:
        return any(e.field == field for e in self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise DomainError(self.errors)
