"""Per-usage-pattern series kept as rows that share other series' arrays.

A job's requests per usage pattern are, row by row, its usage patterns' journey starts shifted by a
few hours: :class:`RowStack` keeps each row as a reference to the usage pattern's own array (with its
first hour and a scalar factor) instead of copying every row into a new ``(usage_pattern, time)``
matrix. Sums over usage patterns, weighted sums (network energy per country), scaling and shifting
then work row by row without the matrix; the matrix is formed only when someone reads
:attr:`~efp.values.hourly.ExplainableHourlyQuantities.data_array`.
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from efp.values.hourly import HOUR, TIME, USAGE_PATTERN, hourly_index


class Row:
    """One row: a 1-D array, its first hour and a factor (the row's values are ``values × scale``)."""

    __slots__ = ("values", "start", "scale")

    def __init__(self, values: np.ndarray, start: np.datetime64, scale: float = 1.0):
        self.values, self.start, self.scale = values, start, scale

    @property
    def end(self) -> np.datetime64:
        return self.start + len(self.values) * HOUR


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
        return RowStack(self.ids, [Row(r.values, r.start + hours * HOUR, r.scale) for r in self.rows])

    def with_rows(self, rows) -> "RowStack":
        return RowStack(self.ids, rows)

    def weighted_sum(self, weights=None) -> tuple[np.ndarray, np.datetime64]:
        """``Σ weight × row`` in one buffer over the union span (all weights 1 when ``weights`` is None)."""
        start, length = self.span()
        buffer = np.zeros(length)
        for index, row in enumerate(self.rows):
            factor = row.scale * (1.0 if weights is None else weights[index])
            if factor == 0.0:
                continue
            offset = int((row.start - start) // HOUR)
            target = buffer[offset:offset + len(row.values)]
            if factor == 1.0:
                target += row.values
            else:
                target += factor * row.values
        return buffer, start

    def total(self) -> float:
        return float(sum(row.scale * row.values.sum() for row in self.rows))

    def is_finite(self) -> bool:
        return all(np.isfinite(row.scale) and np.isfinite(row.values.sum()) for row in self.rows)

    def row(self, index: int) -> xr.DataArray:
        """One row on the span of the whole stack, as in the matrix."""
        row = self.rows[index]
        start, length = self.span()
        values = np.zeros(length)
        offset = int((row.start - start) // HOUR)
        values[offset:offset + len(row.values)] = row.values * row.scale
        return xr.DataArray(values, coords={TIME: hourly_index(start, length)}, dims=(TIME,))

    def dense(self) -> xr.DataArray:
        """The ``(usage_pattern, time)`` matrix."""
        start, length = self.span()
        matrix = np.zeros((len(self.rows), length))
        for index, row in enumerate(self.rows):
            offset = int((row.start - start) // HOUR)
            target = matrix[index, offset:offset + len(row.values)]
            if row.scale == 1.0:
                target[:] = row.values
            else:
                np.multiply(row.values, row.scale, out=target)
        return xr.DataArray(matrix, coords={USAGE_PATTERN: self.ids, TIME: hourly_index(start, length)},
                            dims=(USAGE_PATTERN, TIME))
