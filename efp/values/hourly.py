"""Hourly series: :class:`ExplainableHourlyQuantities` on an hourly ``time`` axis.

A series holds a float64 xarray DataArray whose last dimension is ``time`` (one value per hour,
contiguous, no gaps), optionally preceded by a ``usage_pattern`` dimension (one row per usage
pattern, labelled by the usage pattern's id). The unit is kept beside the array as a pint Unit and
checked once per operation, never per element. Series with different spans combine over the union
of their spans, missing hours counting as 0 (model.md §1): see :func:`align`.
"""
from __future__ import annotations

import functools
from datetime import datetime

import numpy as np
import pandas as pd
import pint
import xarray as xr

from efp.units import as_unit, conversion_factor
from efp.values import factors, reuse
from efp.values.base import ExplainableValue
from efp.values.quantity import ExplainableQuantity, format_magnitude
from efp.values.sources import Source, Sources

HOUR = np.timedelta64(1, "h")
TIME = "time"
USAGE_PATTERN = "usage_pattern"


def to_datetime64(moment) -> np.datetime64:
    """An hour-resolution timestamp in nanoseconds from a datetime, string or datetime64."""
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        raise ValueError(f"start dates are naive (local or UTC by context), got the aware {moment}")
    stamp = np.datetime64(moment, "ns")
    if stamp != stamp.astype("datetime64[h]"):
        raise ValueError(f"hourly series start on a whole hour, got {moment}")
    return stamp


def hourly_index(start, length: int) -> pd.DatetimeIndex:
    """``length`` consecutive hours from ``start``, as a (shared, immutable) pandas index.

    Series on the same span share one index object: a time coordinate is as large as the values,
    and xarray keeps a pandas index as given rather than copying it.
    """
    return _hourly_index(int(to_datetime64(start).astype(np.int64)), int(length))


@functools.lru_cache(maxsize=1024)
def _hourly_index(start_ns: int, length: int) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.datetime64(start_ns, "ns") + np.arange(length) * HOUR, name=TIME)


def time_array(values: np.ndarray, start) -> xr.DataArray:
    """A 1-D float array as an hourly DataArray from ``start`` (no copy).

    Made from a cached empty series of the same span (``copy(deep=False, data=...)``): five times
    faster than the DataArray constructor, which matters for models of thousands of series.
    """
    return _time_template(int(to_datetime64(start).astype(np.int64)), values.shape[-1]).copy(deep=False, data=values)


@functools.lru_cache(maxsize=256)
def _time_template(start_ns: int, length: int) -> xr.DataArray:
    # real zeros: xarray is ten times slower to wrap a broadcast (strided, read-only) array
    return xr.DataArray(np.zeros(length), coords={TIME: _hourly_index(start_ns, length)}, dims=(TIME,))


def hourly_data_array(values, start, usage_patterns=None) -> xr.DataArray:
    """Wrap a numpy array (``(time,)`` or ``(usage_pattern, time)``) as an hourly DataArray."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        return time_array(values, start)
    coords = {TIME: hourly_index(start, values.shape[-1])}
    if values.ndim != 2 or usage_patterns is None:
        raise ValueError("a 2-D hourly array needs its usage_pattern labels")
    coords[USAGE_PATTERN] = list(usage_patterns)
    return xr.DataArray(values, coords=coords, dims=(USAGE_PATTERN, TIME))


def _first_hour(data: xr.DataArray) -> np.datetime64:
    return data.get_index(TIME).values[0]  # the index, not data[TIME]: ten times faster, and this is hot


def _pad_time(data: xr.DataArray, start: np.datetime64, length: int) -> xr.DataArray:
    """The same series on the span ``[start, start + length)``, zero outside its own span."""
    offset = int((_first_hour(data) - start) // HOUR)
    if offset == 0 and data.sizes[TIME] == length:
        return data
    values = np.zeros(data.shape[:-1] + (length,))
    values[..., offset:offset + data.sizes[TIME]] = data.values
    coords = {name: coord for name, coord in data.coords.items() if name != TIME}
    coords[TIME] = hourly_index(start, length)
    return xr.DataArray(values, coords=coords, dims=data.dims)


def align(left: xr.DataArray, right: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """Put two hourly arrays on the union of their spans (and of their usage patterns), zero-filled."""
    if left.sizes[TIME] == right.sizes[TIME] and _first_hour(left) == _first_hour(right):
        pass
    else:
        start = min(_first_hour(left), _first_hour(right))
        end = max(_first_hour(left) + left.sizes[TIME] * HOUR, _first_hour(right) + right.sizes[TIME] * HOUR)
        length = int((end - start) // HOUR)
        left, right = _pad_time(left, start, length), _pad_time(right, start, length)
    if USAGE_PATTERN in left.dims and USAGE_PATTERN in right.dims and not np.array_equal(
            left[USAGE_PATTERN].values, right[USAGE_PATTERN].values):
        left, right = xr.align(left, right, join="outer", fill_value=0.0, copy=False)
    return left, right


class ExplainableHourlyQuantities(ExplainableValue):
    """An hourly series with a unit (see the module docstring for its layout).

    A series may hold its numbers as a base array and scalar operations still to apply
    (:mod:`efp.values.factors`), like it holds its unit beside the array: multiplying or dividing by
    a scalar, converting the unit, shifting, or averaging concurrency shorter than an hour touch no
    element, and several values share one array. A per-usage-pattern series may hold its rows as
    references to other series' arrays (:mod:`efp.values.rows`). The numbers are formed when
    :attr:`data_array` is first read, and are the same, to the bit, as eager arithmetic would give.
    (Allocating memory is the dominant cost of large hourly arrays: this keeps a per-usage-pattern
    quantity and its scalar multiples in one array.)
    """

    _kind = "hourly"

    def __init__(self, data: xr.DataArray, unit, label: str | None = None, source: Source | None = None,
                 ops=(), rows=None):
        super().__init__(label, source)
        if rows is None:
            if not isinstance(data, xr.DataArray) or data.dims[-1] != TIME:
                raise TypeError("an hourly series holds a DataArray whose last dimension is 'time'")
            if data.dtype != np.float64:
                data = data.astype(np.float64)
        self._dense: xr.DataArray | None = data  # the base array (for rows: their matrix, once formed)
        self._rows = rows  # a RowStack (efp.values.rows) instead of a dense per-pattern matrix
        self._ops = tuple(ops)  # scalar operations still to apply (efp.values.factors)
        self._product: xr.DataArray | None = None  # the final numbers, formed when first read
        self.unit: pint.Unit = as_unit(unit)

    @classmethod
    def from_rows(cls, rows, unit, label: str | None = None) -> "ExplainableHourlyQuantities":
        """A per-usage-pattern series whose rows share other arrays (see :mod:`efp.values.rows`)."""
        return cls(None, unit, label=label, rows=rows)

    units = property(lambda self: self.unit)

    @property
    def data_array(self) -> xr.DataArray:
        """The data as an xarray DataArray (``time`` coordinate; ``usage_pattern`` where per pattern)."""
        if self._product is None:
            if self._rows is not None:
                self._product = self._rows.dense(self._ops)
            elif not self._ops:
                return self._dense
            else:
                self._product = self._dense.copy(deep=False, data=factors.apply(self._dense.values, self._ops))
        return self._product

    def to_xarray(self) -> xr.DataArray:
        """Same as :attr:`data_array`."""
        return self.data_array

    @property
    def magnitude(self) -> np.ndarray:
        """The numbers, read-only (they may be shared with other values)."""
        values = self.data_array.values.view()
        values.flags.writeable = False
        return values

    def numbers(self) -> np.ndarray:
        """The final numbers without keeping them (a temporary when operations are pending)."""
        if self._product is not None:
            return self._product.values
        if self._rows is not None:
            return self._rows.dense(self._ops).values
        return factors.apply(self._dense.values, self._ops)

    @property
    def value(self) -> pint.Quantity:
        """The values as a pint array quantity."""
        return self.magnitude * self.unit

    def _then(self, op: str, value: float, unit=None) -> "ExplainableHourlyQuantities":
        return ExplainableHourlyQuantities(self._dense if self._rows is None else None,
                                           self.unit if unit is None else unit,
                                           ops=factors.then(self._ops, op, value), rows=self._rows)

    def scaled(self, factor: float, unit=None) -> "ExplainableHourlyQuantities":
        """This series times ``factor`` (in ``unit``), sharing its array."""
        return self._then("mul", factor, unit)

    def divided(self, divisor: float, unit=None) -> "ExplainableHourlyQuantities":
        """This series divided by ``divisor`` (in ``unit``), sharing its array."""
        return self._then("div", divisor, unit)

    def row_terms(self):
        """``(rows, operations still to apply to each)`` of a per-usage-pattern series: its
        :class:`~efp.values.rows.Row` objects, sharing the arrays they refer to."""
        from efp.values.rows import Row
        if self._rows is not None:
            return self._rows.rows, self._ops
        matrix, first = self._dense.values, _first_hour(self._dense)
        return [Row(matrix[i], first) for i in range(matrix.shape[0])], self._ops

    def is_finite(self) -> bool:
        """Whether every value is a finite number (a sum is finite exactly when every term is)."""
        if not factors.finite(self._ops):
            return False
        if self._rows is not None:
            return self._rows.is_finite()
        # remembered per array: the scalar multiples of one series share it
        return reuse.fact(self._dense.values, "finite", lambda values: bool(np.isfinite(np.sum(values))))

    def _span(self) -> tuple[np.datetime64, int]:
        """``(first hour, number of hours)``, remembered: sums over thousands of series ask it often."""
        span = self.__dict__.get("_span_memo")
        if span is None:
            if self._rows is not None:
                span = self._rows.span()
            else:
                span = (_first_hour(self._dense), self._dense.shape[-1])  # time is the last dimension
            self._span_memo = span
        return span

    @property
    def first_hour(self) -> np.datetime64:
        return self._span()[0]

    @property
    def start_date(self) -> datetime:
        return self._span()[0].astype("datetime64[s]").astype(datetime)

    @property
    def end_date(self) -> datetime:
        start, length = self._span()
        return (start + (length - 1) * HOUR).astype("datetime64[s]").astype(datetime)

    @property
    def is_per_usage_pattern(self) -> bool:
        flag = self.__dict__.get("_per_pattern")
        if flag is None:  # remembered: sums over thousands of series ask it
            flag = self._per_pattern = self._rows is not None or USAGE_PATTERN in self._dense.dims
        return flag

    @property
    def usage_patterns(self) -> list[str]:
        """The usage pattern ids of a per-pattern series (empty for a plain series)."""
        if self._rows is not None:
            return list(self._rows.ids)
        if USAGE_PATTERN not in self._dense.dims:
            return []
        return list(self._dense[USAGE_PATTERN].values)

    def __len__(self) -> int:
        return self._span()[1]

    def _with(self, data: xr.DataArray, unit=None, label=None) -> "ExplainableHourlyQuantities":
        return ExplainableHourlyQuantities(data, self.unit if unit is None else unit, label=label)

    def to(self, unit) -> "ExplainableHourlyQuantities":
        """The same series in another unit of the same dimension."""
        unit = as_unit(unit)
        converted = self.scaled(conversion_factor(self.unit, unit), unit)
        converted.label, converted.source = self.label, self.source
        return converted

    def sum(self) -> ExplainableQuantity:
        """The sum over every hour (and usage pattern), as a scalar quantity."""
        return ExplainableQuantity(float(self.numbers().sum()) * self.unit, label=f"sum of {self.label}")

    def mean(self) -> ExplainableQuantity:
        return ExplainableQuantity(float(self.numbers().mean()) * self.unit, label=f"mean of {self.label}")

    def max(self) -> ExplainableQuantity:
        return ExplainableQuantity(float(self.magnitude.max()) * self.unit, label=f"max of {self.label}")

    def min(self) -> ExplainableQuantity:
        return ExplainableQuantity(float(self.magnitude.min()) * self.unit, label=f"min of {self.label}")

    def sum_over_usage_patterns(self) -> "ExplainableHourlyQuantities":
        """The series summed over its ``usage_pattern`` dimension (itself when it has none), row after row."""
        if not self.is_per_usage_pattern:
            return self
        from efp.values.rows import add_rows
        start, length = self._span()
        rows, ops = self.row_terms()
        summed = add_rows(rows, start, length, outer_ops=ops)
        data = time_array(summed, start)
        return ExplainableHourlyQuantities(data, self.unit, label=self.label)

    def __getitem__(self, usage_pattern) -> "ExplainableHourlyQuantities":
        """The row of one usage pattern (given as the object, its ref or its id), on the series' span."""
        key = getattr(usage_pattern, "id", usage_pattern)
        if not self.is_per_usage_pattern:
            raise KeyError(f"{self.label!r} is not a per-usage-pattern series")
        if key not in self.usage_patterns:
            raise KeyError(f"{self.label!r} has no row for usage pattern {key!r}")
        if self._rows is not None:
            start, length = self._span()
            row = self._rows.rows[self._rows.ids.index(key)]
            values = np.zeros(length)
            offset = int((row.start - start) // HOUR)
            values[offset:offset + row.length] = row.numbers(self._ops)
            data = time_array(values, start)
            return ExplainableHourlyQuantities(data, self.unit, label=f"{self.label} for {key}")
        return ExplainableHourlyQuantities(self._dense.sel({USAGE_PATTERN: key}), self.unit,
                                           label=f"{self.label} for {key}", ops=self._ops)

    def __contains__(self, usage_pattern) -> bool:
        return getattr(usage_pattern, "id", usage_pattern) in self.usage_patterns

    def copy(self) -> "ExplainableHourlyQuantities":
        return ExplainableHourlyQuantities(self.data_array.copy(), self.unit, self.label, self.source)

    def __getstate__(self):
        state = super().__getstate__()
        state["_product"] = None
        state.pop("_rows_made", None)  # made again where needed: not worth sending
        state.pop("_span_memo", None)
        if state.get("_rows") is not None:  # rows share other series' arrays: send the rows' own data
            state["_dense"] = None
        return state

    def __neg__(self):
        return self._with(-self.data_array)

    def __abs__(self):
        return self._with(abs(self.data_array))

    def __str__(self):
        values = self.magnitude.reshape(-1, len(self)).sum(axis=0)
        shown = ", ".join(format_magnitude(float(v)) for v in values[:5])
        rows = f" x {len(self.usage_patterns)} usage patterns" if self.usage_patterns else ""
        return (f"{len(self)} hourly values{rows} from {self.start_date} to {self.end_date} in {self.unit}:"
                f" [{shown}{', ...' if len(self) > 5 else ''}]")

    def __repr__(self):
        return f"ExplainableHourlyQuantities(<{self}>, label={self.label!r})"


class SourceHourlyValues(ExplainableHourlyQuantities):
    """A user-given hourly series: ``SourceHourlyValues(values, start_date, unit, source, label)``.

    ``start_date`` is a naive datetime; for a usage pattern's starts it is local time in the usage
    pattern's country (converted to UTC by the usage pattern).
    """

    def __init__(self, values, start_date, unit=None, source: Source = Sources.USER_DATA,
                 label: str | None = None):
        if isinstance(values, xr.DataArray):
            data = values
        else:
            data = hourly_data_array(np.asarray(values, dtype=np.float64).ravel(), start_date)
        super().__init__(data, unit if unit is not None else "dimensionless", label=label, source=source)
