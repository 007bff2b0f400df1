"""The insights are computed once per change of the claims and per minute, and one request
computes while the others are answered with the last charts (claims.insights.cached)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.core.cache import cache

from claims import insights, services
from claims.insights import Filters
from tests.conftest import another_customer, m365_data

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
PERIOD = Filters(start=date(2026, 11, 1), end=date(2026, 12, 31))


def _counting(result):
    calls = []

    def compute():
        calls.append(1)
        return [
            insights.Chart(
                "c", "C", "bar", "count", insights.MONTH, [insights.Series("s", "S", [{"period": "x", "value": result[0]}])]
            )
        ]

    return calls, compute


def _value(charts):
    return charts[0].series[0].points[0]["value"]


def test_computed_once_per_change_and_per_minute(build, fabrikam):
    result = [1]
    calls, compute = _counting(result)
    assert _value(insights.cached("t", PERIOD, now=NOW, compute=compute)) == 1
    assert _value(insights.cached("t", PERIOD, now=NOW + timedelta(seconds=30), compute=compute)) == 1
    assert len(calls) == 1
    result[0] = 2
    assert _value(insights.cached("t", PERIOD, now=NOW + timedelta(minutes=1), compute=compute)) == 2  # a new minute
    services.claim_create(actor=fabrikam, data=m365_data(**another_customer(7)))  # a change: a new history row
    result[0] = 3
    assert _value(insights.cached("t", PERIOD, now=NOW + timedelta(minutes=1), compute=compute)) == 3
    assert len(calls) == 3


def test_while_one_request_computes_the_others_get_the_last_charts(build, fabrikam):
    result = [1]
    calls, compute = _counting(result)
    insights.cached("t", PERIOD, now=NOW, compute=compute)
    services.claim_create(actor=fabrikam, data=m365_data(**another_customer(8)))
    result[0] = 2
    key = insights.cache_key("t", PERIOD)
    assert cache.add(f"{key}:computing", 1, 60)  # another request is computing the new charts
    assert _value(insights.cached("t", PERIOD, now=NOW, compute=compute)) == 1
    assert len(calls) == 1
    cache.delete(f"{key}:computing")  # it finished (here: it failed and stored nothing)
    assert _value(insights.cached("t", PERIOD, now=NOW, compute=compute)) == 2
    assert len(calls) == 2
    assert cache.add(f"{key}:computing", 1, 60)  # the lock was released


def test_a_first_computation_never_waits_for_a_lock(build):
    result = [5]
    calls, compute = _counting(result)
    key = insights.cache_key("u", PERIOD)
    cache.add(f"{key}:computing", 1, 60)
    assert _value(insights.cached("u", PERIOD, now=NOW, compute=compute)) == 5
    assert cache.get(f"{key}:computing") == 1  # not its lock: left alone
