"""claims/prepared.py and claims/api/auth.py lean on parts of Django that are not public API
(the SQL compiler and the database converters). These tests fail when a Django upgrade
changes any of them, so the upgrade re-checks both modules (and re-measures B2 without them,
docs/benchmarks.md) before it ships."""

import django
import pytest
from django.db import connection
from django.db.models import F
from rest_framework.authtoken.models import Token

from claims import prepared
from claims.models import Claim, User


def test_the_django_it_was_checked_against():
    assert django.VERSION[:2] == prepared.DJANGO_CHECKED, (
        "Django changed: re-check claims/prepared.py and claims/api/auth.py against its SQL compiler, "
        "run tests/api/test_listing.py and tests/api/test_token_auth.py, then move DJANGO_CHECKED"
    )


@pytest.mark.django_db
def test_the_compiler_hands_back_sql_params_and_select_as_the_module_reads_them():
    qs = Claim.objects.filter(company_id=prepared.MARK, state="submitted").values_list("id", "created_at", "name")
    compiler = qs.query.get_compiler(using="default")
    sql, params = compiler.as_sql()
    assert isinstance(sql, str) and "SELECT" in sql
    assert prepared.MARK in params and "submitted" in params  # the values, as given, among the parameters
    assert [len(entry) for entry in compiler.select] == [3, 3, 3]  # (expression, sql, alias) per column
    col = compiler.select[1][0]
    assert col.target.name == "created_at"
    assert callable(connection.ops.get_db_converters) and callable(col.get_db_converters)
    converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
    assert all(callable(c) for c in converters)
    annotated = Claim.objects.annotate(n=F("id")).values_list("n").query.get_compiler(using="default")
    annotated.as_sql()
    assert len(annotated.select[0]) == 3


def test_the_token_query_reads_the_fields_the_models_declare():
    token_fields = {f.attname for f in Token._meta.concrete_fields}
    assert {"key", "user_id", "created"} == token_fields
    user_col = User._meta.get_field("last_login").get_col(User._meta.db_table)
    assert user_col.target.name == "last_login"
    assert hasattr(Token, "from_db") and hasattr(User, "from_db")


def test_the_personal_token_query_reads_the_fields_the_auth_checks():
    from claims.models import ApiToken

    fields = {f.attname for f in ApiToken._meta.concrete_fields}
    assert {"digest", "user_id", "expires_at", "revoked_at", "last_used_at"} <= fields
    assert ApiToken._meta.get_field("digest").unique  # the lookup is by an indexed, unique column
