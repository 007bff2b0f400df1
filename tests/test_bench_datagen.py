"""The bench data set's due-claim layouts (bench/datagen.py DUE_LAYOUTS), evaluated by
PostgreSQL as the generator evaluates them, on a small series."""

from collections import Counter

import pytest
from django.db import connection

from bench.datagen import DUE_LAYOUTS, Params

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def due_claims(layout: str, p: Params) -> list[tuple[int, int]]:
    """(k, clock slot) of every due claim k = 1..N, as the generator's INSERT chooses them."""
    due_sql, slot_sql = DUE_LAYOUTS[layout]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT k, db FROM (SELECT k, {due_sql} AS due, {slot_sql} AS db FROM generate_series(1, %(n)s) k) plan "
            "WHERE due ORDER BY k",
            {"n": p.claims, "due": p.due, "step": p.step},
        )
        return cursor.fetchall()


def test_spread_puts_every_tenth_claim_due_across_the_whole_table():
    rows = due_claims("spread", Params(claims=10_000, due=1_000, big=1_000, companies=20))
    ks = [k for k, _slot in rows]
    assert len(ks) == 1_000 and ks[0] == 10 and ks[-1] == 10_000
    assert {b - a for a, b in zip(ks, ks[1:], strict=False)} == {10}


def test_filed_puts_the_last_claims_written_due_side_by_side():
    rows = due_claims("filed", Params(claims=10_000, due=1_000, big=1_000, companies=20, layout="filed"))
    assert [k for k, _slot in rows] == list(range(9_001, 10_001))


@pytest.mark.parametrize("layout", sorted(DUE_LAYOUTS))
def test_every_layout_has_the_same_mix_of_clocks(layout):
    # 20 slots, each taken by the same number of due claims: the clock shares of the docstring.
    slots = Counter(slot for _k, slot in due_claims(layout, Params(claims=10_000, due=1_000, big=1_000, companies=20)))
    assert sorted(slots) == list(range(20)) and set(slots.values()) == {50}


def test_the_layout_is_part_of_the_data_sets_identity():
    # A data set generated in one layout is not reused for the other (bench_meta holds the params).
    from bench.datagen import _wanted

    spread = Params(claims=10_000, due=1_000, big=1_000, companies=20)
    assert _wanted(spread) != _wanted(Params(**{**spread.__dict__, "layout": "filed"}))
