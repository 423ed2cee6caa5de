"""Per-usage-pattern series kept as rows that share other series' arrays.

A job's requests per usage pattern are, row by row, its usage patterns' journey starts shifted by a
few hours: :class:`RowStack` keeps each row as a reference to the usage pattern's own array (with its
first hour and its pending scalar operations, :mod:`efp.values.factors`) instead of copying every row
into a new ``(usage_pattern, time)`` matrix. Sums and weighted sums over usage patterns then
accumulate rows into one buffer; the matrix is formed only when someone reads
:attr:`~efp.values.hourly.ExplainableHourlyQuantities.data_array`. Both ways give the same numbers to
the bit (:func:`add_rows` is the one summation order).
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from efp.values import factors, reuse
from efp.values.hourly import HOUR, TIME, USAGE_PATTERN, hourly_index


class Row:
    """One row: a 1-D array placed at one or more whole-hour shifts and summed, then the operations
    still to apply to it. ``start`` is the row's first hour (the earliest shift).

    A job listed in several steps of a journey has one shift per step: the row is the sum of the
    usage pattern's starts moved by each shift, in the order given (the order of an eager sum).
    """

    __slots__ = ("values", "start", "ops", "shifts", "length", "end", "__weakref__")

    def __init__(self, values: np.ndarray, start: np.datetime64, ops: factors.Ops = (), shifts: tuple = (0,)):
        self.values, self.start, self.ops, self.shifts = values, start, ops, shifts
        self.length = len(values) + (max(shifts) - min(shifts) if len(shifts) > 1 else 0)
        self.end = start + self.length * HOUR

    def moved(self, hours: int) -> "Row":
        return Row(self.values, self.start + hours * HOUR, self.ops, self.shifts)

    def summed(self, out: np.ndarray | None = None) -> np.ndarray:
        """The shifted copies added up (the values themselves when there is one shift), into ``out``
        if given."""
        if len(self.shifts) == 1:
            return self.values
        low = min(self.shifts)
        buffer = np.zeros(self.length) if out is None else out
        if out is not None:
            buffer.fill(0.0)
        for shift in self.shifts:
            target = buffer[shift - low:shift - low + len(self.values)]
            target += self.values
        return buffer

    def numbers(self, outer_ops: factors.Ops = (), out: np.ndarray | None = None) -> np.ndarray:
        """The row's final numbers; with ``out`` (a buffer of the row's length), computed in it when
        they are not the row's own array."""
        return factors.apply(self.summed(out), self.ops + outer_ops, out=out)

    def is_finite(self) -> bool:
        # a sum is finite exactly when every term is; remembered per array, as rows are rebuilt often
        return reuse.fact(self.values, "finite", lambda values: bool(np.isfinite(values.sum()))) \
            and factors.finite(self.ops)


#: Rows per partial sum: a change to one row redoes its block's sum and the sums of blocks above it.
BLOCK = 32


def add_rows(rows, start, length, weights=None, outer_ops: factors.Ops = ()) -> np.ndarray:
    """``Σ weight × row`` over ``[start, start + length)``, ``row`` being a :class:`Row`'s final numbers
    (its operations, then ``outer_ops``); rows weighing 0 are skipped (adding 0 changes nothing).

    Up to :data:`BLOCK` rows are added one by one into the result. More rows are summed by blocks of
    :data:`BLOCK`, then the blocks' sums by blocks, and so on: each partial sum is found again
    (:mod:`efp.values.reuse`) while its rows are the same :class:`Row` objects (a row never changes),
    so when one row of thousands changes, a new sum redoes one block per level. The order of additions
    depends only on the rows, so a sum recomputed this way equals a sum computed from scratch, to the bit.
    """
    if weights is None:
        items = [(row, 1.0) for row in rows]
    else:
        items = [(row, float(weight)) for row, weight in zip(rows, weights) if weight != 0.0]
    while len(items) > BLOCK:
        level = []
        for first in range(0, len(items), BLOCK):
            block = items[first:first + BLOCK]
            # rows never change: the same Row objects (and weights) make the same partial sum
            recipe = ("sum", outer_ops, None if weights is None else tuple(weight for _, weight in block))
            partial = reuse.derived(tuple(row for row, _ in block), recipe,
                                    lambda block=block, ops=outer_ops: _partial_sum(block, ops))
            level.append((partial, 1.0))
        items, outer_ops, weights = level, (), None
    return _add_up(items, start, length, outer_ops)


def _partial_sum(items, outer_ops) -> Row:
    start = min(row.start for row, _ in items)
    length = int((max(row.end for row, _ in items) - start) // HOUR)
    return Row(_add_up(items, start, length, outer_ops), start)


def _add_up(items, start, length, outer_ops) -> np.ndarray:
    buffer = np.zeros(length)
    scratch = np.empty(max((row.length for row, _ in items), default=0))
    for row, weight in items:
        # the weight is one more multiplication (weight × x is x × weight, to the bit), done in place
        ops = outer_ops if weight == 1.0 else outer_ops + (("mul", weight),)
        numbers = row.numbers(ops, out=scratch[:row.length])
        offset = int((row.start - start) // HOUR)
        buffer[offset:offset + len(numbers)] += numbers
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
