"""Querysets of a fixed shape, compiled once per process and run with each request's values.

Building and compiling a queryset costs the ORM about as much as PostgreSQL takes to run a
simple indexed query: on the API's list pages (four queries each) through the ORM alone, the B2
line is not met (docs/benchmarks.md). A *shape* is a queryset whose SQL differs between requests only by parameter
values (the caller's company, a status): it is built once with marker values, compiled,
and each marker's place among the SQL parameters recorded; later calls substitute their own
values and run the SQL, applying the database converters as the ORM does. The shape's key
must name everything else that changes the SQL (sort, which filters are present, the
length of an IN list). A shape whose markers cannot all be found once each among the
parameters (a value the ORM transformed) is not cached: it runs through the ORM each time.

It relies on parts of Django that are not public API: `Query.get_compiler()`, the compiler's
`as_sql()` and `select`, and the database converters (`connection.ops.get_db_converters()`,
`Expression.get_db_converters()`). tests/api/test_prepared_guard.py fails on a Django other
than DJANGO_CHECKED and when any of these changes shape; tests/api/test_listing.py holds every
shape's rows equal to the ORM's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

DJANGO_CHECKED = (5, 2)  # the Django whose compiler this module was checked against
MARK = -7_319_000_000_000  # marker integers count up from here: no real id or value is this


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple  # constants of the shape, or a marker's position among the call's values
    slots: tuple  # for each parameter: the value's index, or -1 for the constant
    converters: tuple  # (column, converter, expression)


_PLANS: dict = {}
_MAX_PLANS = 2048


def _marker(i: int, kind: type):
    return MARK + i if kind is int else f"\x00cpor-prepared-{i}\x00"


def _plan(qs: QuerySet, markers: list, alias: str, count: bool = False) -> _Plan | None:
    if count:
        qs = qs.order_by().values_list("pk")
    compiler = qs.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    if count:
        sql = f"SELECT COUNT(*) FROM ({sql}) counted"
    slots, seen = [], set()
    for p in params:
        hit = next((i for i, m in enumerate(markers) if type(p) is type(m) and p == m), -1)
        if hit in seen:
            return None
        if hit >= 0:
            seen.add(hit)
        slots.append(hit)
    if len(seen) != len(markers):
        return None
    select = [] if count else [col for col, _sql, _alias in compiler.select]
    converters = tuple(
        (i, convert, expr)
        for i, expr in enumerate(select)
        for convert in compiler.connection.ops.get_db_converters(expr) + expr.get_db_converters(compiler.connection)
    )
    return _Plan(sql, tuple(params), tuple(slots), converters)


def rows(
    key: tuple,
    build: Callable[..., QuerySet],
    values: Sequence,
    *,
    suffix: str = "",
    suffix_params: Sequence = (),
    alias: str = DEFAULT_DB_ALIAS,
    count: bool = False,
) -> list[tuple]:
    """The rows of `build(*values)` (a values_list() queryset, unsliced) as tuples, in its
    select order. `suffix` is SQL appended to the compiled query (LIMIT/OFFSET: a page).
    With `count`, one row: how many rows the queryset has."""
    full_key = (alias, count, *key)
    plan = _PLANS.get(full_key)
    if plan is None and full_key not in _PLANS:
        markers = [_marker(i, type(v)) for i, v in enumerate(values)]
        plan = _plan(build(*markers), markers, alias, count)
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        _PLANS[full_key] = plan
    if plan is None:  # not a shape: compiled by the ORM each time, with the real values
        plan = _plan(build(*values), [], alias, count)
    params = [values[s] if s >= 0 else p for s, p in zip(plan.slots, plan.params, strict=True)]
    return _execute(alias, plan.sql + suffix, [*params, *suffix_params], plan)


def _execute(alias: str, sql: str, params: list, plan: _Plan) -> list[tuple]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    if not plan.converters:
        return [tuple(r) for r in fetched]
    out = []
    for r in fetched:
        r = list(r)
        for i, convert, expr in plan.converters:
            r[i] = convert(r[i], expr, connection)
        out.append(tuple(r))
    return out
