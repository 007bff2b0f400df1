"""Token authentication with its one query written once.

DRF's TokenAuthentication runs `Token.objects.select_related("user").get(key=key)` on every
API request: building and compiling that queryset cost more than running it (docs/benchmarks.md,
B2). This class runs the same SELECT from SQL written once per process from the models' own
table and column names, applies the database's converters as the ORM would (the same
non-public converter hooks as claims/prepared.py, guarded by tests/api/test_prepared_guard.py),
and answers exactly as DRF does (same errors, same (user, token) pair).

`Authorization: Token <key>` takes two kinds of key, told apart by their form (claims/tokens.py),
so each request still runs one SELECT:

- DRF's authtoken keys (the password token endpoint's), looked up by key;
- personal API tokens (claims.models.ApiToken, /account/tokens/), looked up by the SHA-256 of
  the key. An expired or revoked one is refused with 401 `token_expired` / `token_revoked`.
  Its `last_used_at` is written by a conditional UPDATE only when the stored value is older
  than CPOR_API_TOKEN_LAST_USE_SECONDS: one write per token per minute, not one per request.

A deactivated user's tokens of both kinds stop at once: the SELECT reads the user with the token.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from claims.errors import MESSAGES
from claims.models import ApiToken, User
from claims.tokens import digest_of, is_personal

# DRF's own wording (and its catalogues' translations), as for its authtoken keys.
INVALID = _("Invalid token.")
INACTIVE = _("User inactive or deleted.")


class TokenRefused(exceptions.AuthenticationFailed):
    """A 401 with the project's own stable code (claims.errors), not DRF's `authentication_failed`."""

    def __init__(self, code: str) -> None:
        super().__init__(detail=str(MESSAGES[code]), code=code)
        self.cpor_code = code


@lru_cache(maxsize=4)
def _plan(alias: str, model: type[Model] = Token, lookup: str = "key") -> tuple[str, list, list, list]:
    connection = connections[alias]
    q = connection.ops.quote_name
    tm, um = model._meta, User._meta
    token_fields, user_fields = list(tm.concrete_fields), list(um.concrete_fields)
    columns = [f"t.{q(f.column)}" for f in token_fields] + [f"u.{q(f.column)}" for f in user_fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM {q(tm.db_table)} t "
        f"INNER JOIN {q(um.db_table)} u ON u.{q(um.pk.column)} = t.{q(tm.get_field('user').column)} "
        f"WHERE t.{q(tm.get_field(lookup).column)} = %s"
    )
    converters = []
    for i, (field, table) in enumerate([(f, tm.db_table) for f in token_fields] + [(f, um.db_table) for f in user_fields]):
        col = field.get_col(table)
        for convert in connection.ops.get_db_converters(col) + field.get_db_converters(connection):
            converters.append((i, convert, col))
    return sql, token_fields, user_fields, converters


def _read(model: type[Model], lookup: str, value: str, alias: str):
    sql, token_fields, user_fields, converters = _plan(alias, model, lookup)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, [value])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for i, convert, col in converters:
        values[i] = convert(values[i], col, connection)
    n = len(token_fields)
    token = model.from_db(alias, [f.attname for f in token_fields], values[:n])
    token.user = User.from_db(alias, [f.attname for f in user_fields], values[n:])
    return token


def token_with_user(key: str, alias: str = DEFAULT_DB_ALIAS) -> Token | None:
    """The token and its user, as `Token.objects.select_related("user").get(key=key)` reads them."""
    return _read(Token, "key", key, alias)


def api_token_with_user(key: str, alias: str = DEFAULT_DB_ALIAS) -> ApiToken | None:
    """The personal token whose key is `key`, and its user, as
    `ApiToken.objects.select_related("user").get(digest=digest_of(key))` reads them."""
    return _read(ApiToken, "digest", digest_of(key), alias)


@lru_cache(maxsize=4)
def _touch_sql(alias: str) -> str:
    q = connections[alias].ops.quote_name
    meta = ApiToken._meta
    last = q(meta.get_field("last_used_at").column)
    return f"UPDATE {q(meta.db_table)} SET {last} = %s WHERE {q(meta.pk.column)} = %s AND ({last} IS NULL OR {last} <= %s)"


def touch(token: ApiToken, now, alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Record a use of `token` when its stored last use is older than the interval. The
    condition is in the UPDATE, so workers racing on one token write it once."""
    threshold = now - timedelta(seconds=settings.CPOR_API_TOKEN_LAST_USE_SECONDS)
    if token.last_used_at is not None and token.last_used_at > threshold:
        return False
    connection = connections[alias]
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(_touch_sql(alias), [adapt(now), token.pk, adapt(threshold)])
        touched = cursor.rowcount == 1
    if touched:
        token.last_used_at = now
    return touched


class FastTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        if is_personal(key):
            return self._personal(key)
        token = token_with_user(key)
        if token is None or not token.user.is_active:
            # Refused: DRF's own path answers, with its own (translated) message.
            return super().authenticate_credentials(key)
        return (token.user, token)

    @staticmethod
    def _personal(key: str):
        token = api_token_with_user(key)
        if token is None:
            raise exceptions.AuthenticationFailed(INVALID)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(INACTIVE)
        if token.revoked_at is not None:
            raise TokenRefused("token_revoked")
        now = timezone.now()
        if token.is_expired(now):
            raise TokenRefused("token_expired")
        touch(token, now)
        return (token.user, token)
