"""Splicing a baseline and a changed value at a date, for simulations (model.md §6).

``splice(baseline, changed, date)`` is the baseline's values before ``date`` and the changed values
from ``date`` on, over the union of both spans. A scalar or ``∅`` result of a changed formula is
taken as is: only hourly values carry time.
"""
from __future__ import annotations

import numpy as np

from efp.values.base import EmptyExplainableObject
from efp.values.hourly import TIME, ExplainableHourlyQuantities, align


def splice(baseline, changed, date: np.datetime64):
    if not isinstance(changed, ExplainableHourlyQuantities):
        if isinstance(changed, EmptyExplainableObject) and isinstance(baseline, ExplainableHourlyQuantities):
            before = baseline.data_array.where(baseline.data_array[TIME] < date, 0.0)
            return ExplainableHourlyQuantities(before, baseline.unit)
        return changed
    if not isinstance(baseline, ExplainableHourlyQuantities):
        after = changed.data_array.where(changed.data_array[TIME] >= date, 0.0)
        return ExplainableHourlyQuantities(after, changed.unit)
    baseline = baseline.to(changed.unit)
    old, new = align(baseline.data_array, changed.data_array)
    return ExplainableHourlyQuantities(new.where(new[TIME] >= date, old), changed.unit)
