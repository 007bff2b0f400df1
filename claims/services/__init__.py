"""Every write to a claim by a partner or a customer, and the parts shared with reviewers
(reviews.services). Modules by responsibility:

- base: the transition skeleton (lock → fire → fields → clock → save → record), history rows
- drafts: create, edit, delete a claim's own fields
- evidence: proof of execution files
- lifecycle: submit, answer, withdraw, dispute, comments
- consent: the customer's denial
- arbitration: competing claims (notices, the losing side, restorations)

Refusals raise claims.errors.DomainError and change nothing.
"""

from .consent import consent_deny
from .drafts import claim_create, claim_delete, claim_update
from .evidence import evidence_add, evidence_remove, evidence_scan, evidence_scanned
from .lifecycle import claim_dispute, claim_respond, claim_submit, claim_withdraw, comment_add

__all__ = [
    "claim_create",
    "claim_delete",
    "claim_dispute",
    "claim_respond",
    "claim_submit",
    "claim_update",
    "claim_withdraw",
    "comment_add",
    "consent_deny",
    "evidence_add",
    "evidence_remove",
    "evidence_scan",
    "evidence_scanned",
]
