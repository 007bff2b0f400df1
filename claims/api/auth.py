"""Token authentication with its one query written once.

DRF's TokenAuthentication runs `Token.objects.select_related("user").get(key=key)` on every
API request: building and compiling that queryset cost more than running it (docs/benchmarks.md,
B2). This class runs the same SELECT from SQL written once per process from the models' own
table and column names, applies the database's converters as the ORM would (the same
non-public converter hooks as claims/prepared.py, guarded by tests/api/test_prepared_guard.py),
and answers exactly as DRF does (same errors, same (user, token) pair).
"""

from __future__ import annotations

from functools import lru_cache

from django.db import DEFAULT_DB_ALIAS, connections
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from claims.models import User


@lru_cache(maxsize=1)
def _plan(alias: str) -> tuple[str, list, list, list]:
    connection = connections[alias]
    q = connection.ops.quote_name
    tm, um = Token._meta, User._meta
    token_fields, user_fields = list(tm.concrete_fields), list(um.concrete_fields)
    columns = [f"t.{q(f.column)}" for f in token_fields] + [f"u.{q(f.column)}" for f in user_fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM {q(tm.db_table)} t "
        f"INNER JOIN {q(um.db_table)} u ON u.{q(um.pk.column)} = t.{q(tm.get_field('user').column)} "
        f"WHERE t.{q(tm.pk.column)} = %s"
    )
    converters = []
    for i, (field, table) in enumerate([(f, tm.db_table) for f in token_fields] + [(f, um.db_table) for f in user_fields]):
        col = field.get_col(table)
        for convert in connection.ops.get_db_converters(col) + field.get_db_converters(connection):
            converters.append((i, convert, col))
    return sql, token_fields, user_fields, converters


def token_with_user(key: str, alias: str = DEFAULT_DB_ALIAS) -> Token | None:
    """The token and its user, as `Token.objects.select_related("user").get(key=key)` reads them."""
    sql, token_fields, user_fields, converters = _plan(alias)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for i, convert, col in converters:
        values[i] = convert(values[i], col, connection)
    n = len(token_fields)
    token = Token.from_db(alias, [f.attname for f in token_fields], values[:n])
    token.user = User.from_db(alias, [f.attname for f in user_fields], values[n:])
    return token


class FastTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        token = token_with_user(key)
        if token is None or not token.user.is_active:
            # Refused: DRF's own path answers, with its own (translated) message.
            return super().authenticate_credentials(key)
        return (token.user, token)
