"""Per-usage-pattern layout: stacking rows into one ``(usage_pattern, time)`` series and back.

A per-usage-pattern quantity is one array with a ``usage_pattern`` dimension, labelled by usage
pattern ids, so that a thousand usage patterns cost one vectorised operation. Rows of different spans
are put on the union span, zero-filled (model.md §1).
"""
from __future__ import annotations

import numpy as np

from efp.units import conversion_factor
from efp.values.base import EmptyExplainableObject
from efp.values.hourly import HOUR, TIME, ExplainableHourlyQuantities, time_array
from efp.values import factors, reuse
from efp.values.rows import Row, RowStack, add_rows


def _span(series_list):
    spans = [s._span() for s in series_list]
    starts = [start for start, _ in spans]
    ends = [start + length * HOUR for start, length in spans]
    start = min(starts)
    return start, int((max(ends) - start) // HOUR), starts


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
        ops = factors.then(series._ops, "mul", conversion_factor(series.unit, unit))
        rows.append(Row(series._dense.values, _first_hour_of(series._dense), ops))
    return ExplainableHourlyQuantities.from_rows(RowStack([key for key, _ in present], rows), unit)


def stack_shifted(ids, series_list, shifts_list, unit=None):
    """One per-usage-pattern series whose row ``i`` is ``Σ_h shift(series_list[i], h)`` over
    ``shifts_list[i]`` (whole hours, in order), without copying any row (rows with no shift are ∅).

    The same numbers as ``stack(ids, [total(shift(s, h) for h in hs) ...])``, to the bit.
    """
    present = [(key, series, tuple(int(h) for h in shifts)) for key, series, shifts in zip(ids, series_list, shifts_list)
               if isinstance(series, ExplainableHourlyQuantities) and len(shifts) > 0]
    if not present:
        return EmptyExplainableObject()
    unit = unit or present[0][1].unit
    rows = []
    for key, series, shifts in present:
        if series.is_per_usage_pattern:
            raise ValueError(f"stack_shifted takes 1-D series; the row for {key!r} is per usage pattern")
        values = _final_numbers(series) if len(shifts) > 1 else series._dense.values
        ops = factors.then(() if len(shifts) > 1 else series._ops, "mul", conversion_factor(series.unit, unit))
        start = _first_hour_of(series._dense) + min(shifts) * HOUR
        rows.append(Row(values, start, ops, tuple(h - min(shifts) for h in shifts) if len(shifts) > 1 else (0,)))
    return ExplainableHourlyQuantities.from_rows(RowStack([key for key, _, _ in present], rows), unit)


def _final_numbers(series) -> np.ndarray:
    """A series' numbers with its operations applied, found again while its array is alive."""
    return reuse.derived((series._dense.values,), ("numbers", series._ops), series.numbers)


def _first_hour_of(data) -> np.datetime64:
    return data.get_index(TIME).values[0]


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
    from efp.values.algebra import _factor
    kept = [(series, float(weight)) for series, weight in zip(series_list, weights)
            if isinstance(series, ExplainableHourlyQuantities) and weight != 0.0]
    if not kept:
        return EmptyExplainableObject()
    unit = kept[0][0].unit
    start, length, starts = _span([series for series, _ in kept])
    rows = [Row(series._dense.values, first, factors.then(series._ops, "mul", _factor(series.unit, unit, "add")))
            for (series, _), first in zip(kept, starts)]
    buffer = add_rows(rows, start, length, [weight for _, weight in kept])
    return ExplainableHourlyQuantities(time_array(buffer, start), unit)


def accumulate(series_list):
    """The sum of hourly series (1-D or per usage pattern) in one buffer over the union of their spans.

    Every series is converted to the first one's unit; a dimension mismatch raises
    :class:`efp.errors.UnitDimensionError`.
    """
    from efp.values.algebra import _factor
    unit = series_list[0].unit
    per_pattern = [s for s in series_list if s.is_per_usage_pattern]
    if per_pattern:  # rows of different patterns: let xarray align the pattern labels
        result = EmptyExplainableObject()
        from efp.values.algebra import binary
        for series in series_list:
            result = binary("add", result, series)
        return result
    start, length, starts = _span(series_list)
    rows = [Row(series._dense.values, first, factors.then(series._ops, "mul", _factor(series.unit, unit, "add")))
            for series, first in zip(series_list, starts)]
    buffer = add_rows(rows, start, length)
    data = time_array(buffer, start)
    return ExplainableHourlyQuantities(data, unit)
