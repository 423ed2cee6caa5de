"""Per-usage-pattern series kept as rows that share other series' arrays.

A job's requests per usage pattern are, row by row, its usage patterns' journey starts shifted by a
few hours: :class:`RowStack` keeps each row as a reference to the usage pattern's own array (with its
first hour and its pending scalar operations, :mod:`efp.values.factors`) instead of copying every row
into a new ``(usage_pattern, time)`` matrix. Sums and weighted sums over usage patterns then
accumulate rows into one buffer; the matrix is formed only when someone reads
:attr:`~efp.values.hourly.ExplainableHourlyQuantities.data_array`. Both ways give the same numbers to
the bit (:func:`accumulate_rows` is the one summation order).
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from efp.values import factors
from efp.values.hourly import HOUR, TIME, USAGE_PATTERN, hourly_index


class Row:
    """One row: a 1-D array placed at one or more whole-hour shifts and summed, then the operations
    still to apply to it. ``start`` is the row's first hour (the earliest shift).

    A job listed in several steps of a journey has one shift per step: the row is the sum of the
    usage pattern's starts moved by each shift, in the order given (the order of an eager sum).
    """

    __slots__ = ("values", "start", "ops", "shifts", "_finite")

    def __init__(self, values: np.ndarray, start: np.datetime64, ops: factors.Ops = (), shifts: tuple = (0,)):
        self.values, self.start, self.ops, self.shifts = values, start, ops, shifts
        self._finite = None

    @property
    def length(self) -> int:
        return len(self.values) + max(self.shifts) - min(self.shifts)

    @property
    def end(self) -> np.datetime64:
        return self.start + self.length * HOUR

    def moved(self, hours: int) -> "Row":
        row = Row(self.values, self.start + hours * HOUR, self.ops, self.shifts)
        row._finite = self._finite
        return row

    def summed(self) -> np.ndarray:
        """The shifted copies added up (the values themselves when there is one shift)."""
        if len(self.shifts) == 1:
            return self.values
        low = min(self.shifts)
        buffer = np.zeros(self.length)
        for shift in self.shifts:
            target = buffer[shift - low:shift - low + len(self.values)]
            target += self.values
        return buffer

    def numbers(self, outer_ops: factors.Ops = ()) -> np.ndarray:
        return factors.apply(self.summed(), self.ops + outer_ops)

    def is_finite(self) -> bool:
        if self._finite is None:
            self._finite = bool(np.isfinite(self.values.sum()))
        return self._finite and factors.finite(self.ops)


def accumulate_rows(rows, starts, start, length, weights=None) -> np.ndarray:
    """``Σ weight × row``, row after row, into one buffer on ``[start, start + length)``.

    ``rows`` are 1-D arrays of final numbers; rows weighing 0 are skipped (adding 0 changes nothing).
    """
    buffer = np.zeros(length)
    for index, (row, first) in enumerate(zip(rows, starts)):
        weight = 1.0 if weights is None else weights[index]
        if weight == 0.0:
            continue
        offset = int((first - start) // HOUR)
        target = buffer[offset:offset + len(row)]
        target += row if weight == 1.0 else weight * row
    return buffer


class RowStack:
    """The rows of a per-usage-pattern series, labelled by usage pattern id (see the module docstring)."""

    __slots__ = ("ids", "rows")

    def __init__(self, ids, rows):
        self.ids = list(ids)
        self.rows = list(rows)

    def span(self) -> tuple[np.datetime64, int]:
        start = min(row.start for row in self.rows)
        end = max(row.end for row in self.rows)
        return start, int((end - start) // HOUR)

    def shifted(self, hours: int) -> "RowStack":
        return RowStack(self.ids, [row.moved(hours) for row in self.rows])

    def weighted_sum(self, outer_ops: factors.Ops = (), weights=None) -> tuple[np.ndarray, np.datetime64]:
        """``Σ weight × row`` over the union span, rows taken one by one (no matrix)."""
        start, length = self.span()
        numbers = (row.numbers(outer_ops) if weights is None or weights[i] != 0.0 else row.values
                   for i, row in enumerate(self.rows))
        return accumulate_rows(numbers, [row.start for row in self.rows], start, length, weights), start

    def is_finite(self) -> bool:
        return all(row.is_finite() for row in self.rows)

    def dense(self, outer_ops: factors.Ops = ()) -> xr.DataArray:
        """The ``(usage_pattern, time)`` matrix of final numbers."""
        start, length = self.span()
        matrix = np.zeros((len(self.rows), length))
        for index, row in enumerate(self.rows):
            offset = int((row.start - start) // HOUR)
            matrix[index, offset:offset + row.length] = row.numbers(outer_ops)
        return xr.DataArray(matrix, coords={USAGE_PATTERN: self.ids, TIME: hourly_index(start, length)},
                            dims=(USAGE_PATTERN, TIME))
