"""The customer's denial of an approved association, from the emailed link (no account)."""

from __future__ import annotations

from ..choices import ActorRole, DeadlineKind, EventAction, RejectionReason
from ..errors import DomainError
from ..lengths import max_length
from ..models import Claim
from .base import change, end_associations

K = DeadlineKind


def consent_deny(*, claim_id: int, nonce: str, reason: str = "") -> Claim:
    """The customer denies the association from the emailed link (no account).

    Only for the approval the link was issued for, and only within the consent window.
    Approved -> Rejected (customer denial, not disputable); the association ends; the
    partner is emailed; associations an arbitration won by this claim had ended come back
    (claims.services.arbitration.restore_after_denial).
    """
    from .. import clocks
    from .arbitration import restore_after_denial

    def same_link(claim: Claim) -> None:
        if claim.consent_nonce.hex != nonce:
            raise DomainError.of("not_found")

    # The restore touches other partners' claims: the tenant first.
    with change(
        claim_id, actor=None, role=ActorRole.CUSTOMER, action=EventAction.CONSENT_DENIED, access=same_link, tenant_first=True
    ) as c:
        c.guard("deny_consent")
        if not clocks.clock_running(c.claim, K.CONSENT_WINDOW, c.now):
            raise DomainError.of("consent_window_closed")
        c.fire("deny_consent")
        c.claim.rejection_reason = RejectionReason.CUSTOMER_DENIAL
        c.claim.rejection_message = (reason or "").strip()[: max_length(Claim, "rejection_message")]
        c.claim.decided_at = c.now
        c.stop_clock()
        end_associations(c.claim, reason=RejectionReason.CUSTOMER_DENIAL, now=c.now)
        c.details = {"reason": c.claim.rejection_message, "customer_contact": c.claim.customer_contact_email}
        c.then(lambda: restore_after_denial(c.claim, now=c.now))
    return c.claim
