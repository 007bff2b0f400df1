"""Access to one claim for users without a claims role (the README's viewer).

Such a user may not see claims, but on their own company's claim they are told which role
to ask for (403) instead of being told it does not exist; another company's claim stays a
404, so the answer never reveals that it exists.
"""

from __future__ import annotations

from .models import Claim, User


def has_claims_role(user: User) -> bool:
    return user.is_partner or user.is_reviewer


def is_own_company_claim(user: User, pk) -> bool:
    return user.company_id is not None and Claim.objects.filter(pk=pk, company_id=user.company_id).exists()
