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
    starts = [s.data_array[TIME].values[0] for s in series_list]
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
        factor = conversion_factor(series.unit, unit)
        values[index[key], offset:offset + len(series)] = series.magnitude * factor if factor != 1.0 \
            else series.magnitude
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
    selected = series.data_array.sel({USAGE_PATTERN: rows})
    factors = np.array([weights[key] for key in rows])
    summed = (selected.values * factors[:, None]).sum(axis=0)
    data = xr.DataArray(summed, coords={TIME: selected[TIME].values}, dims=(TIME,))
    return ExplainableHourlyQuantities(data, series.unit)
