"""Derived arrays found again (efp.values.reuse) and blocked sums over many rows (efp.values.rows)."""
import gc

import numpy as np
import pytest

from efp import u
from efp.values import reuse
from efp.values.rows import BLOCK, Row, add_rows
from efp.values.stacking import stack, weighted_row_sum
from efp.values.timeops import concurrency, from_values

START = np.datetime64("2025-01-01T00", "ns")
HOUR = np.timedelta64(1, "h")


def _rows(rng, n, length=50):
    return [Row(rng.uniform(0, 10, length + i % 7), START + (i % 5) * HOUR, (("mul", 1.1 + i),)) for i in range(n)]


def _flat_sum(rows, start, length, weights=None):
    """The rows added one by one with plain numpy, in blocks like add_rows (the reference order)."""
    items = [(row, 1.0 if weights is None else weights[i]) for i, row in enumerate(rows)]
    items = [(row, w) for row, w in items if w != 0.0]
    levels = []
    while len(items) > BLOCK:
        level = []
        for first in range(0, len(items), BLOCK):
            block = items[first:first + BLOCK]
            b_start = min(r.start for r, _ in block)
            b_len = int((max(r.start + r.length * HOUR for r, _ in block) - b_start) // HOUR)
            level.append((Row(_plain(block, b_start, b_len), b_start), 1.0))
        items = level
        levels.append(level)
    return _plain(items, start, length)


def _plain(items, start, length):
    buffer = np.zeros(length)
    for row, weight in items:
        numbers = row.values.copy()
        for op, value in row.ops:
            numbers = numbers * value if op == "mul" else numbers / value
        offset = int((row.start - start) // HOUR)
        buffer[offset:offset + len(numbers)] += numbers if weight == 1.0 else weight * numbers
    return buffer


@pytest.mark.parametrize("n", [1, BLOCK, BLOCK + 1, BLOCK * BLOCK + 3])
def test_add_rows_equals_the_blocked_order_of_plain_numpy_additions(n):
    rows = _rows(np.random.default_rng(n), n)
    start, end = min(r.start for r in rows), max(r.end for r in rows)
    length = int((end - start) // HOUR)
    weights = [0.0 if i % 4 == 0 else 0.5 + i for i in range(n)]
    assert np.array_equal(add_rows(rows, start, length), _flat_sum(rows, start, length))
    assert np.array_equal(add_rows(rows, start, length, weights), _flat_sum(rows, start, length, weights))
    # and it is the sum, within rounding
    assert np.allclose(add_rows(rows, start, length).sum(), sum(_plain([(r, 1.0)], r.start, r.length).sum()
                                                                    for r in rows))


def test_a_sum_redone_after_one_row_changed_recomputes_one_block_per_level_and_equals_a_fresh_sum():
    rng = np.random.default_rng(1)
    n = BLOCK * BLOCK + 5  # three levels of blocks
    rows = _rows(rng, n)
    start, end = min(r.start for r in rows), max(r.end for r in rows)
    length = int((end - start) // HOUR)
    with reuse.site("test sum"):
        first = add_rows(rows, start, length)
    changed = list(rows)
    changed[BLOCK + 3] = Row(rng.uniform(0, 10, 50), START, (("mul", 2.0),))
    before = dict(reuse.counts)
    with reuse.site("test sum"):
        again = add_rows(changed, start, length)
    computed = reuse.counts["computed"] - before["computed"]
    assert computed == 2  # the changed row's block, and the block of blocks above it
    fresh_rows = [Row(r.values.copy(), r.start, r.ops, r.shifts) for r in changed]
    assert np.array_equal(again, add_rows(fresh_rows, start, length))
    assert not np.array_equal(first, again)


def test_derived_arrays_live_as_long_as_a_site_keeps_them():
    values = np.arange(10.0)
    calls = []

    def doubled():
        calls.append(1)
        return values * 2

    sites: dict = {}
    with reuse.site("doubling", sites):
        a = reuse.derived((values,), "double", doubled)
    del a
    gc.collect()
    with reuse.site("doubling", sites):
        b = reuse.derived((values,), "double", doubled)
    assert len(calls) == 1 and np.array_equal(b, values * 2)
    del b
    sites.clear()  # what a discarded model does
    gc.collect()
    reuse.derived((values,), "double", doubled)  # nothing kept it: computed again
    assert len(calls) == 2


def test_a_dead_source_is_never_confused_with_a_new_array_at_the_same_address():
    results = []
    for i in range(200):
        source = np.full(8, float(i))
        with reuse.site("reused addresses"):
            results.append(reuse.derived((source,), "copy", lambda s=source: s + 0.0))
        del source
    assert [r[0] for r in results] == [float(i) for i in range(200)]


def test_concurrency_rows_and_weighted_sums_reuse_unchanged_rows():
    rng = np.random.default_rng(3)
    series = [from_values(rng.uniform(0, 5, 100), START, u.dimensionless) for _ in range(BLOCK * 3)]
    ids = [f"up{i}" for i in range(len(series))]
    weights = {key: 0.1 * i for i, key in enumerate(ids)}
    with reuse.site("rows"):
        per_pattern = concurrency(stack(ids, series), 1.5 * u.hour)
    with reuse.site("sum"):
        summed = weighted_row_sum(per_pattern, weights)
    series[40] = from_values(rng.uniform(0, 5, 100), START, u.dimensionless)
    before = dict(reuse.counts)
    with reuse.site("rows"):
        per_pattern = concurrency(stack(ids, series), 1.5 * u.hour)
    with reuse.site("sum"):
        resummed = weighted_row_sum(per_pattern, weights)
    assert reuse.counts["computed"] - before["computed"] == 2  # the new row, its block's partial sum
    assert reuse.counts["found"] - before["found"] >= len(series) - 1 + 2
    copies = [from_values(s.magnitude.copy(), START, u.dimensionless) for s in series]
    fresh = weighted_row_sum(concurrency(stack(ids, copies), 1.5 * u.hour), weights)
    assert np.array_equal(resummed.magnitude, fresh.magnitude)
    assert not np.array_equal(summed.magnitude, resummed.magnitude)
