"""Per-usage-pattern layout: stacking rows into one ``(usage_pattern, time)`` series and back.

A per-usage-pattern quantity is one array with a ``usage_pattern`` dimension, labelled by usage
pattern ids, so that a thousand usage patterns cost one vectorised operation. Rows of different spans
are put on the union span, zero-filled (model.md §1).
"""
from __future__ import annotations

import numpy as np

from efp.values.base import EmptyExplainableObject
from efp.values.hourly import HOUR, ExplainableHourlyQuantities, time_array
from efp.values import factors, reuse
from efp.values.rows import Row, RowStack, add_rows


def stack(ids, series_list, unit=None):
    """One per-usage-pattern series from 1-D series, one row each (``∅`` rows are zero; all ``∅`` gives ``∅``).

    The rows keep referring to the given series' arrays (:mod:`efp.values.rows`): nothing is copied.
    """
    present = [(i, s) for i, s in zip(ids, series_list) if isinstance(s, ExplainableHourlyQuantities)]
    if not present:
        return EmptyExplainableObject()
    unit = unit or present[0][1].unit
    rows = []
    for key, series in present:
        if series.is_per_usage_pattern:
            raise ValueError(f"stack takes 1-D series; the row for {key!r} is per usage pattern")
        rows.append(row_of(series, unit))
    return ExplainableHourlyQuantities.from_rows(RowStack([key for key, _ in present], rows), unit)


def stack_shifted(ids, series_list, shifts_list, unit=None):
    """One per-usage-pattern series whose row ``i`` is ``Σ_h shift(series_list[i], h)`` over
    ``shifts_list[i]`` (whole hours, in order), without copying any row (rows with no shift are ∅).

    The same numbers as ``stack(ids, [total(shift(s, h) for h in hs) ...])``, to the bit.
    """
    present = [(key, series, tuple(int(h) for h in shifts))
               for key, series, shifts in zip(ids, series_list, shifts_list)
               if isinstance(series, ExplainableHourlyQuantities) and len(shifts) > 0]
    if not present:
        return EmptyExplainableObject()
    unit = unit or present[0][1].unit
    rows = []
    for key, series, shifts in present:
        if series.is_per_usage_pattern:
            raise ValueError(f"stack_shifted takes 1-D series; the row for {key!r} is per usage pattern")
        rows.append(row_of(series, unit, shifts))
    return ExplainableHourlyQuantities.from_rows(RowStack([key for key, _, _ in present], rows), unit)


def _final_numbers(series) -> np.ndarray:
    """A series' numbers with its operations applied, found again while its array is alive."""
    return reuse.derived((series._dense.values,), ("numbers", series._ops), series.numbers)


def weighted_row_sum(series, weights: dict):
    """``Σ_rows weight[row] × series[row]`` over the rows named in ``weights`` (others ignored).

    ``weights`` maps usage pattern ids to plain floats; the result keeps the series' unit.
    """
    if isinstance(series, EmptyExplainableObject):
        return series
    ids = series.usage_patterns
    row_weights = [weights.get(key, 0.0) for key in ids]
    if not any(row_weights):
        return EmptyExplainableObject()
    start, length = series._span()
    rows, ops = series.row_terms()
    summed = add_rows(rows, start, length, row_weights, outer_ops=ops)
    data = time_array(summed, start)
    return ExplainableHourlyQuantities(data, series.unit)


def weighted_total(series_list, weights):
    """``Σ weight × series`` over 1-D hourly series (``∅`` ones and zero weights skipped), in the first
    series' unit, over the union of their spans; ``∅`` when nothing is left. Many series are summed by
    blocks found again while unchanged (:func:`efp.values.rows.add_rows`)."""
    kept = [(series, float(weight)) for series, weight in zip(series_list, weights)
            if isinstance(series, ExplainableHourlyQuantities) and weight != 0.0]
    if not kept:
        return EmptyExplainableObject()
    unit = kept[0][0].unit
    rows = [row_of(series, unit) for series, _ in kept]
    start, length = _union(rows)
    buffer = add_rows(rows, start, length, [weight for _, weight in kept])
    return ExplainableHourlyQuantities(time_array(buffer, start), unit)


def accumulate(series_list):
    """The sum of hourly series (1-D or per usage pattern) in one buffer over the union of their spans.

    Every series is converted to the first one's unit; a dimension mismatch raises
    :class:`efp.errors.UnitDimensionError`.
    """
    unit = series_list[0].unit
    per_pattern = [s for s in series_list if s.is_per_usage_pattern]
    if per_pattern:  # rows of different patterns: let xarray align the pattern labels
        result = EmptyExplainableObject()
        from efp.values.algebra import binary
        for series in series_list:
            result = binary("add", result, series)
        return result
    rows = [row_of(series, unit) for series in series_list]
    start, length = _union(rows)
    buffer = add_rows(rows, start, length)
    return ExplainableHourlyQuantities(time_array(buffer, start), unit)


def row_of(series, unit, shifts: tuple = (0,)) -> Row:
    """A 1-D series as a :class:`Row` in ``unit``: ``Σ_h shift(series, h)`` over ``shifts`` (whole
    hours, in order), sharing the series' array where there is one shift. Made once per series, unit
    and shifts, so that stacks and sums over the same series find the same rows, and their derived
    arrays (:mod:`efp.values.reuse`). A dimension mismatch raises :class:`efp.errors.UnitDimensionError`.
    """
    from efp.values.algebra import _factor
    made = series.__dict__.get("_rows_made")
    if made is None:
        made = series._rows_made = {}
    row = made.get((unit, shifts))
    if row is None:
        factor = _factor(series.unit, unit, "add")
        start = series._span()[0] + min(shifts) * HOUR
        if len(shifts) > 1:  # the shifted copies are summed first, then converted (as eager sums would)
            row = Row(_final_numbers(series), start, factors.then((), "mul", factor),
                      tuple(h - min(shifts) for h in shifts))
        else:
            row = Row(series._dense.values, start, factors.then(series._ops, "mul", factor))
        made[(unit, shifts)] = row
    return row


def _union(rows) -> tuple[np.datetime64, int]:
    start = min(row.start for row in rows)
    return start, int((max(row.end for row in rows) - start) // HOUR)
