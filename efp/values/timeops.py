"""Operations on the time axis of hourly series (model.md §1).

- :func:`shift`: move a series later by whole hours.
- :func:`concurrency`: the average number of events in progress during each hour, computed as one
  convolution with the kernel ``[1, …, 1, r]``.
- :func:`local_to_utc`: the DST-aware conversion of a series on a local wall clock to UTC.
- :func:`ceil`, :func:`cumsum`, :func:`maximum`, :func:`minimum`: hour-by-hour helpers with the
  model's conventions (``ceil`` ignores float noise: see :func:`ceil`).

Every function accepts ``∅`` and returns ``∅`` where the model says "no value".
"""
from __future__ import annotations

import functools
import math
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import xarray as xr

from efp.units import u
from efp.values import reuse
from efp.values.base import EmptyExplainableObject
from efp.values.hourly import (HOUR, TIME, ExplainableHourlyQuantities, align, hourly_data_array, hourly_index,
                               time_array)
from efp.values.quantity import ExplainableQuantity

CEIL_TOLERANCE = 1e-9
# Above this many whole hours the kernel sums a running total instead of adding shifted copies.
_DIRECT_KERNEL_MAX_HOURS = 48


def _hours(duration) -> float:
    quantity = duration.value if isinstance(duration, ExplainableQuantity) else duration
    return float(quantity.to(u.hour).magnitude)


def _retimed(series: ExplainableHourlyQuantities, values: np.ndarray, start, ops=()):
    data = series._dense if series._dense is not None else series.data_array
    if values.ndim == 1:
        return ExplainableHourlyQuantities(time_array(values, start), series.unit, ops=ops)
    coords = {name: coord for name, coord in data.coords.items() if name != TIME}
    coords[TIME] = hourly_index(start, values.shape[-1])
    return ExplainableHourlyQuantities(xr.DataArray(values, coords=coords, dims=data.dims), series.unit, ops=ops)


def _first(series) -> np.datetime64:
    return series.first_hour


def shift(series, hours: int):
    """The series moved ``hours`` whole hours later (values unchanged)."""
    if isinstance(series, EmptyExplainableObject) or hours == 0:
        return series
    if series._rows is not None:
        shifted = ExplainableHourlyQuantities.from_rows(series._rows.shifted(int(hours)), series.unit)
        shifted._ops = series._ops
        return shifted
    return _retimed(series, series._dense.values, _first(series) + int(hours) * HOUR, series._ops)


def whole_hours(hours: float) -> int:
    """The whole hours in ``hours`` (``floor``, ignoring float noise below 1e-9 h)."""
    return math.floor(hours + CEIL_TOLERANCE)


def shift_by_duration(series, duration):
    """``shift(s, d)`` of model.md: moves later by ``floor(d in hours)`` whole hours."""
    return shift(series, whole_hours(_hours(duration)))


def concurrency_kernel(hours: float) -> np.ndarray:
    """The kernel of ``avg(s, d)``: ``n`` ones then the fraction ``r`` (dropped when zero)."""
    whole = math.floor(hours + CEIL_TOLERANCE)
    fraction = hours - whole
    if abs(fraction) < CEIL_TOLERANCE:
        fraction = 0.0
    kernel = np.ones(whole + 1)
    kernel[-1] = fraction
    if fraction == 0.0 and whole > 0:
        kernel = kernel[:-1]
    return kernel


def concurrency(series, duration):
    """``avg(s, d)``: events starting at the top of each hour and lasting ``d``, in progress per hour.

    ``avg[t] = Σ_{k<n} s[t-k] + r·s[t-n]`` with ``n = floor(d/h)``, ``r = d/h - n``: a convolution of
    each row with :func:`concurrency_kernel`, so the result runs ``len(kernel) - 1`` hours longer.
    """
    if isinstance(series, EmptyExplainableObject):
        return series
    hours = _hours(duration)
    if hours <= 0:
        raise ValueError(f"a duration must be positive to average concurrency, got {duration}")
    kernel = concurrency_kernel(hours)
    if len(kernel) == 1:  # shorter than an hour (or exactly one): a plain scaling, sharing the array
        return series.scaled(kernel[0])
    if series._rows is not None:
        from efp.values.rows import Row, RowStack
        recipe = ("concurrency", series._ops, tuple(kernel))
        rows = [reuse.derived((row,), recipe,
                              lambda row=row: Row(_convolve(row.numbers(series._ops), kernel), row.start))
                for row in series._rows.rows]
        return ExplainableHourlyQuantities.from_rows(RowStack(series._rows.ids, rows), series.unit)
    return _retimed(series, _convolve(series.numbers(), kernel), _first(series))


def _convolve(values: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Each row of ``values`` convolved with the concurrency kernel (full length)."""
    length = values.shape[-1]
    out = np.zeros(values.shape[:-1] + (length + len(kernel) - 1,))
    whole = len(kernel) if kernel[-1] == 1.0 else len(kernel) - 1
    if whole <= _DIRECT_KERNEL_MAX_HOURS:
        for k in range(whole):
            out[..., k:k + length] += values
    else:
        running = np.cumsum(np.concatenate([values, np.zeros(values.shape[:-1] + (whole,))], axis=-1), axis=-1)
        out[..., :length + whole - 1] = running[..., :length + whole - 1]
        out[..., whole:length + whole - 1] -= running[..., :length - 1]
    if kernel[-1] != 1.0:
        out[..., whole:whole + length] += kernel[-1] * values
    return out


def local_to_utc(series, timezone: str):
    """A series on a local wall clock (naive hours) converted to UTC hour by hour.

    Each local hour takes the UTC offset in force at that hour in ``timezone`` (IANA name). A local
    hour that does not exist (spring forward) adds its value to the next existing hour; a local hour
    that occurs twice (autumn back) maps to its first occurrence; the total is preserved. In zones
    whose offset is not a whole number of hours, a local hour lands in the UTC hour it starts in.
    """
    if isinstance(series, EmptyExplainableObject):
        return series
    first_local = series.first_hour
    utc_first, runs, length = _utc_positions(timezone, int(first_local.astype("datetime64[h]").astype(np.int64)),
                                                  len(series))
    start = np.datetime64(utc_first, "h").astype("datetime64[ns]")
    if runs is None:  # one offset over the whole span: the same values, moved (no copy)
        return shift(series, int((start - first_local) // HOUR))
    values = series.numbers()
    out = np.empty(values.shape[:-1] + (length,))
    end = 0  # runs land in increasing UTC order; a missing local hour lands on the next one's UTC hour
    for first, last, target in runs:  # a slice each, in local order: copied, or added where two land
        if target > end:
            out[..., end:target] = 0.0  # the hour a repeated local hour leaves empty
        overlap = min(max(end - target, 0), last - first)
        if overlap:
            out[..., target:target + overlap] += values[..., first:first + overlap]
        out[..., target + overlap:target + last - first] = values[..., first + overlap:last]
        end = max(end, target + last - first)
    out[..., end:] = 0.0
    return _retimed(series, out, start)


def _utc_minutes(timezone: str, local_hours: np.ndarray) -> np.ndarray:
    """The UTC minute (minutes since 1970) of each local hour (hours since 1970 on the wall clock).

    ``ambiguous=True``: a repeated autumn hour is its first (summer-time) occurrence;
    ``shift_forward``: a missing spring hour lands on the next existing one (model.md §1).
    """
    local = pd.DatetimeIndex(local_hours.astype("datetime64[h]"))
    aware = local.tz_localize(_zone(timezone), ambiguous=np.ones(len(local), dtype=bool),
                              nonexistent="shift_forward")
    return aware.as_unit("s").asi8 // 60  # a zone-aware index holds UTC instants


@functools.lru_cache(maxsize=None)
def _zone(timezone: str) -> ZoneInfo:
    """One ZoneInfo per zone, kept: pandas remembers its transitions per zone object."""
    return ZoneInfo(timezone)


@functools.lru_cache(maxsize=4096)
def _utc_positions(timezone: str, first_local_hour: int, length: int):
    """Where each local hour of a span lands in UTC: ``(first UTC hour, runs or None, UTC length)``.

    ``runs`` are ``(first local index, end local index, first UTC position)`` of the stretches of
    consecutive hours between offset changes; None when one UTC offset holds over the whole span (then
    the series just moves).
    Cached: usage patterns of one country and start share the computation.
    """
    _zone(timezone)  # a clear error for an unknown zone
    local = first_local_hour + np.arange(length, dtype=np.int64)
    # The offset is looked up once a day; only days where it changes are converted hour by hour.
    samples = np.arange(0, length, 24)
    if samples[-1] != length - 1:
        samples = np.append(samples, length - 1)
    offsets = _utc_minutes(timezone, local[samples]) - local[samples] * 60
    if offsets.min() == offsets.max():  # one offset all along (most zones): the series moves as a whole
        return int((first_local_hour * 60 + int(offsets[0])) // 60), None, length
    utc_minutes = local * 60 + np.append(np.repeat(offsets[:-1], np.diff(samples)), offsets[-1])
    changes = np.nonzero(np.diff(offsets))[0]
    if len(changes):  # the days where the offset changes, hour by hour, in one conversion
        hours = np.concatenate([np.arange(samples[c], samples[c + 1] + (c + 2 == len(samples))) for c in changes])
        utc_minutes[hours] = _utc_minutes(timezone, local[hours])
    utc_hours = utc_minutes // 60  # a local hour lands in the UTC hour it starts in
    first = int(utc_hours.min())
    positions = utc_hours - first
    breaks = np.nonzero(np.diff(positions) != 1)[0] + 1
    if len(breaks) == 0:
        return first, None, length
    bounds = [0, *breaks.tolist(), length]
    runs = tuple((a, b, int(positions[a])) for a, b in zip(bounds[:-1], bounds[1:]))
    return first, runs, int(positions.max()) + 1


def ceil(series):
    """Hour-by-hour ceiling that ignores float noise: a value within 1e-9 of an integer counts as it.

    The tolerance is 1e-9 of one unit (one instance), not of the value: ``2.0000000000000004`` needs 2
    instances, but 45,876.0000337 instances of real demand need 45,877 (a tolerance relative to the
    value would drop up to 1e-9 × the count of real demand; the reference figures count it).
    """
    if isinstance(series, EmptyExplainableObject):
        return series
    values = series.magnitude
    rounded = np.round(values)
    near = np.abs(values - rounded) <= CEIL_TOLERANCE
    out = np.where(near, rounded, np.ceil(values))
    return series._with(series.data_array.copy(deep=False, data=out), unit=series.unit)


def ceil_scalar(value: float) -> float:
    """:func:`ceil` for one number."""
    rounded = round(value)
    if abs(value - rounded) <= CEIL_TOLERANCE:
        return float(rounded)
    return float(math.ceil(value))


def cumsum(series):
    """The running total along time."""
    if isinstance(series, EmptyExplainableObject):
        return series
    return series._with(series.data_array.copy(deep=False, data=np.cumsum(series.magnitude, axis=-1)), unit=series.unit)


def _elementwise(fn, left, right):
    if isinstance(right, ExplainableHourlyQuantities):
        right = right.to(left.unit)
        a, b = align(left.data_array, right.data_array)
        return left._with(a.copy(deep=False, data=fn(a.values, b.values)), unit=left.unit)
    scalar = right.value.to(left.unit).magnitude if isinstance(right, ExplainableQuantity) else float(right)
    return left._with(left.data_array.copy(deep=False, data=fn(left.magnitude, scalar)), unit=left.unit)


def maximum(left, right):
    """Hour-by-hour maximum of a series and a series or scalar (in the left operand's unit)."""
    return _elementwise(np.maximum, left, right)


def minimum(left, right):
    """Hour-by-hour minimum of a series and a series or scalar (in the left operand's unit)."""
    return _elementwise(np.minimum, left, right)


def constant_like(series, value: float, unit) -> ExplainableHourlyQuantities:
    """A series with ``series``' span (and rows) holding ``value`` at every hour."""
    return ExplainableHourlyQuantities(xr.full_like(series.data_array, float(value)), unit)


def from_values(values, start, unit, usage_patterns=None) -> ExplainableHourlyQuantities:
    """An hourly series from a numpy array and its first hour."""
    return ExplainableHourlyQuantities(hourly_data_array(values, start, usage_patterns), unit)
