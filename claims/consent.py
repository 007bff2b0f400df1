"""The customer's signed consent link: one claim, one approval, the 7-day window."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Claim

SALT = "cpor.consent.v1"


@dataclass(frozen=True)
class ConsentToken:
    claim_id: int
    nonce: str


def make_token(claim: Claim) -> str:
    return signing.dumps({"c": claim.pk, "n": claim.consent_nonce.hex}, salt=SALT, compress=True)


def read_token(token: str) -> ConsentToken | None:
    """The token's content, or None when it is tampered with or older than the window."""
    max_age = settings.CPOR_CONSENT_WINDOW_DAYS * 24 * 3600
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
        return ConsentToken(int(data["c"]), str(data["n"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def consent_url(claim: Claim) -> str:
    return f"{settings.SITE_URL}{reverse('consent', args=[make_token(claim)])}"
