"""The form of a personal API token's key (claims.models.ApiToken), written once for the
service that issues keys and the authentication that reads them.

A key is `cpor_` followed by 40 URL-safe characters (240 random bits). The `cpor_` start
tells it from DRF's authtoken keys (40 hex digits), so authentication runs the one query of
the key's kind; secret scanners can match it too.
"""

from __future__ import annotations

import hashlib
import secrets

KEY_START = "cpor_"
PREFIX_LENGTH = len(KEY_START) + 8  # what the tokens page shows of a key


def new_key() -> str:
    return KEY_START + secrets.token_urlsafe(30)


def is_personal(key: str) -> bool:
    return key.startswith(KEY_START)


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def prefix_of(key: str) -> str:
    return key[:PREFIX_LENGTH]
