"""Personal API tokens (issue 21, point 5; claims.models.ApiToken, claims/api/auth.py).

A signed-in user with a claims role, or a reviewer, creates tokens for their scripts:
each named, with a lifetime they pick up to CPOR_API_TOKEN_MAX_DAYS, at most
CPOR_API_TOKENS_PER_USER that still work. The key is handed back once, by
`api_token_create`; only its SHA-256 and first characters are stored. Revoking is for good.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..access import has_claims_role
from ..errors import DomainError
from ..models import ApiToken, User
from ..tokens import digest_of, new_key, prefix_of

log = logging.getLogger("cpor.security")


def working_tokens(user: User, now=None):
    """The user's tokens that still authenticate (neither revoked nor expired)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now or timezone.now())


def api_token_create(*, user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """A new token for `user` and its key (the only time the key exists outside the caller's
    script). Refuses `permission_denied` without a claims role or the reviewer role, and
    `api_token_limit` when the user already holds the most working tokens allowed."""
    if not has_claims_role(user):
        raise DomainError.of("permission_denied")
    days = max(1, min(int(days), settings.CPOR_API_TOKEN_MAX_DAYS))
    now = timezone.now()
    with transaction.atomic():
        # Two creations at once must not both pass the limit: lock the user's row.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if working_tokens(user, now).count() >= settings.CPOR_API_TOKENS_PER_USER:
            raise DomainError.of("api_token_limit", max=settings.CPOR_API_TOKENS_PER_USER)
        key = new_key()
        token = ApiToken.objects.create(
            user=user,
            name=name.strip()[:100],
            prefix=prefix_of(key),
            digest=digest_of(key),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    log.info("api token %s created by user %s, expires %s", token.prefix, user.pk, token.expires_at.isoformat())
    return token, key


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revokes the user's token `token_id` at once (the next request with it gets 401
    `token_revoked`). Another user's token is `api_token_not_found`. Revoking twice is a no-op."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
        if token is None:
            raise DomainError.of("api_token_not_found")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            log.info("api token %s revoked by user %s", token.prefix, user.pk)
    return token
