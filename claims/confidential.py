"""What a partner may read of a claim's history: nothing that identifies the other side.

Reviewers see both sides of a competing claim; partners never see the other partner's
company, claim, users or the reviewer's arbitration rationale (product decision). History
rows keep the full record for reviewers; this filter is applied wherever a partner reads
them (API history, pages).
"""

from __future__ import annotations

# Keys of ClaimEvent.details that only reviewers may read.
REVIEWER_ONLY_KEYS = frozenset({"rationale", "decided_by_claim", "restored_by_denial_of", "claims", "company"})


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in REVIEWER_ONLY_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def details_for(details: dict, user) -> dict:
    """The event details this user may read."""
    if getattr(user, "is_reviewer", False):
        return details
    return _strip(details or {})
