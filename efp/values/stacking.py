"""Per-usage-pattern layout: stacking rows into one ``(usage_pattern, time)`` series and back.

A per-usage-pattern quantity is one array with a ``usage_pattern`` dimension, labelled by usage
pattern ids, so that a thousand usage patterns cost one vectorised operation. Rows of different spans
are put on the union span, zero-filled (model.md §1).
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from efp.units import conversion_factor
from efp.values.base import EmptyExplainableObject
from efp.values.hourly import HOUR, TIME, USAGE_PATTERN, ExplainableHourlyQuantities, hourly_index


def _span(series_list):
    starts = [s._base[TIME].values[0] for s in series_list]
    ends = [start + len(s) * HOUR for start, s in zip(starts, series_list)]
    start = min(starts)
    return start, int((max(ends) - start) // HOUR), starts


def stack(ids, series_list, unit=None):
    """One ``(usage_pattern, time)`` series from 1-D series (``∅`` rows are zero; all ``∅`` gives ``∅``)."""
    present = [(i, s) for i, s in zip(ids, series_list) if isinstance(s, ExplainableHourlyQuantities)]
    if not present:
        return EmptyExplainableObject()
    unit = unit or present[0][1].unit
    start, length, starts = _span([s for _, s in present])
    index = {key: row for row, key in enumerate(ids)}
    values = np.zeros((len(ids), length))
    for (key, series), first in zip(present, starts):
        offset = int((first - start) // HOUR)
        factor = conversion_factor(series.unit, unit) * series._scale
        row = values[index[key], offset:offset + len(series)]
        if factor == 1.0:
            row[:] = series._base.values
        else:
            np.multiply(series._base.values, factor, out=row)
    data = xr.DataArray(values, coords={USAGE_PATTERN: list(ids), TIME: hourly_index(start, length)},
                        dims=(USAGE_PATTERN, TIME))
    return ExplainableHourlyQuantities(data, unit)


def weighted_row_sum(series, weights: dict):
    """``Σ_rows weight[row] × series[row]`` over the rows named in ``weights`` (others ignored).

    ``weights`` maps usage pattern ids to plain floats; the result keeps the series' unit.
    """
    if isinstance(series, EmptyExplainableObject):
        return series
    rows = [key for key in series.usage_patterns if key in weights]
    if not rows:
        return EmptyExplainableObject()
    selected = series._base.sel({USAGE_PATTERN: rows})
    factors = np.array([weights[key] for key in rows]) * series._scale
    summed = factors @ selected.values
    data = xr.DataArray(summed, coords={TIME: selected[TIME].values}, dims=(TIME,))
    return ExplainableHourlyQuantities(data, series.unit)


def accumulate(series_list):
    """The sum of hourly series (1-D or per usage pattern) in one buffer over the union of their spans.

    Every series is converted to the first one's unit; a dimension mismatch raises
    :class:`efp.errors.UnitDimensionError`.
    """
    from efp.values.algebra import _factor
    unit = series_list[0].unit
    per_pattern = [s for s in series_list if USAGE_PATTERN in s._base.dims]
    if per_pattern:  # rows of different patterns: let xarray align the pattern labels
        result = EmptyExplainableObject()
        from efp.values.algebra import binary
        for series in series_list:
            result = binary("add", result, series)
        return result
    start, length, starts = _span(series_list)
    buffer = np.zeros(length)
    for series, first in zip(series_list, starts):
        offset = int((first - start) // HOUR)
        factor = _factor(series.unit, unit, "add") * series._scale
        target = buffer[offset:offset + len(series)]
        if factor == 1.0:
            target += series._base.values
        else:
            target += factor * series._base.values
    data = xr.DataArray(buffer, coords={TIME: hourly_index(start, length)}, dims=(TIME,))
    return ExplainableHourlyQuantities(data, unit)
