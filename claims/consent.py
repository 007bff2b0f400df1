"""The customer's signed consent link: one claim, one approval, valid for the consent window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .choices import DeadlineKind
from .clocks import length
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
    max_age = timedelta(days=length(DeadlineKind.CONSENT_WINDOW))
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
        return ConsentToken(int(data["c"]), str(data["n"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def consent_url(claim: Claim) -> str:
    return f"{settings.SITE_URL}{reverse('consent', args=[make_token(claim)])}"
