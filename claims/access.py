"""Who may act on claims: the role checks, written once for the services, the API and the pages.

- A partner acts on its own company's claims only, and only with a claims role (Global,
  Billing or Incentives admin). Another company's claim is `not_found` (404), never
  `permission_denied`, so the answer never reveals that it exists.
- A company user without a claims role is told which role to ask for (403) on their own
  company's claim; another company's claim stays a 404.
- Reviewers act on every claim.
"""

from __future__ import annotations

from collections.abc import Callable

from .choices import ActorRole
from .errors import DomainError
from .models import Claim, User


def has_claims_role(user: User) -> bool:
    return bool(getattr(user, "is_partner", False) or getattr(user, "is_reviewer", False))


def is_own_company_claim(user: User, pk) -> bool:
    return user.company_id is not None and Claim.objects.filter(pk=pk, company_id=user.company_id).exists()


def require_partner(user: User, claim: Claim | None = None) -> None:
    """Own company's claim (else `not_found`) and a claims role (else `permission_denied`)."""
    if claim is not None and (user.company_id is None or claim.company_id != user.company_id):
        raise DomainError.of("not_found")
    if not user.is_partner:
        raise DomainError.of("permission_denied")


def require_reviewer(user: User) -> None:
    if not user.is_reviewer:
        raise DomainError.of("reviewer_only")


def partner_of(user: User) -> Callable[[Claim], None]:
    """The access check of a partner service on its locked claim."""
    return lambda claim: require_partner(user, claim)


def reviewer(user: User) -> Callable[[Claim], None]:
    return lambda claim: require_reviewer(user)


def partner_or_reviewer(user: User) -> Callable[[Claim], None]:
    """Comments: the claim's partner or any reviewer."""
    return lambda claim: None if user.is_reviewer else require_partner(user, claim)


def role_of(user: User | None) -> str:
    """The history role of an actor: a user is a reviewer or a partner; no user is the system."""
    if user is None:
        return ActorRole.SYSTEM
    return ActorRole.REVIEWER if user.is_reviewer else ActorRole.PARTNER
