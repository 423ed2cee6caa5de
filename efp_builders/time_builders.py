"""Builders of hourly series (:class:`~efp.values.hourly.SourceHourlyValues`), e.g. usage pattern starts.

Series hold one value per hour from ``start_date``, a *naive* datetime on a whole hour: for a usage
pattern, local time in its country (converted to UTC by the usage pattern, model.md §1). There are
``timespan`` in hours values, truncated to a whole number (float noise within 1e-9 is ignored), so
``3 * u.year`` gives 3 × 8766 = 26298 values.

Synthetic shapes cite :data:`Sources.HYPOTHESIS`, series given value by value :data:`Sources.USER_DATA`.
Results are dimensionless unless a unit is given (or the values are pint quantities). Invalid inputs
raise :class:`efp.errors.ValidationError` naming the builder, the parameter, the value and what is allowed.
"""
from __future__ import annotations

import math
import numbers
from datetime import datetime

import numpy as np
import pint

from efp.errors import ValidationError
from efp.units import as_unit, u
from efp.values.hourly import SourceHourlyValues
from efp.values.quantity import ExplainableQuantity, format_magnitude
from efp.values.sources import Source, Sources

__all__ = ["DEFAULT_START_DATE", "linear_growth_hourly_values", "sinusoidal_fluct_hourly_values",
           "daily_fluct_hourly_values", "daily_volume_hourly_values", "hourly_values_from_list",
           "create_source_hourly_values_from_list"]

#: The start date e-footprint 9 uses when none is given (midnight, local time).
DEFAULT_START_DATE = datetime(2025, 1, 1)
_TOLERANCE = 1e-9


def _refuse(builder: str, parameter: str, value, allowed: str):
    shown = (str if isinstance(value, (pint.Quantity, pint.Unit)) else repr)(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    raise ValidationError(f"{builder}: {parameter}={shown} is not allowed; {allowed}")


def _nb_of_hours(builder: str, timespan) -> int:
    """The whole number of hours in ``timespan`` (a pint time quantity of at least 1 h)."""
    quantity = timespan.value if isinstance(timespan, ExplainableQuantity) else timespan
    allowed = "expected a pint time quantity of at least 1 hour, such as 3 * u.year"
    try:
        hours = float(quantity.to("hour").magnitude)
    except (AttributeError, TypeError, pint.DimensionalityError):
        _refuse(builder, "timespan", timespan, allowed)
    if not isinstance(quantity, pint.Quantity) or not math.isfinite(hours) or hours < 1 - _TOLERANCE:
        _refuse(builder, "timespan", timespan, allowed)
    nearest = round(hours)
    return int(nearest) if abs(hours - nearest) <= _TOLERANCE * max(1.0, hours) else math.floor(hours)


def _start(builder: str, start_date) -> datetime:
    """Check that ``start_date`` is a naive datetime on a whole hour."""
    allowed = ("expected a naive datetime on a whole hour, such as datetime(2025, 1, 1) "
               "(naive start dates are local time of the usage pattern's country)")
    if not isinstance(start_date, datetime) or start_date.tzinfo is not None or (
            start_date.minute, start_date.second, start_date.microsecond,
            getattr(start_date, "nanosecond", 0)) != (0, 0, 0, 0):
        _refuse(builder, "start_date", start_date, allowed)
    return start_date


def _real(builder: str, parameter: str, value) -> float:
    """A finite real number (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        _refuse(builder, parameter, value, "expected a finite real number")
    return float(value)


def _in_unit(builder: str, parameter: str, value, target: pint.Unit):
    """The magnitude of ``value`` in ``target`` (a plain number is taken as already in it)."""
    if not isinstance(value, pint.Quantity):
        return value
    try:
        return u.Quantity(value.magnitude, str(value.units)).to(target).magnitude
    except pint.DimensionalityError:
        _refuse(builder, parameter, value, f"expected a quantity convertible to {target} (or numbers)")


def _magnitudes(builder: str, named_values: dict, unit) -> tuple[list[float], pint.Unit]:
    """Finite magnitudes in one unit: ``unit``, else that of the first quantity, else dimensionless."""
    quantities = [value for value in named_values.values() if isinstance(value, pint.Quantity)]
    target = as_unit(unit if unit is not None else (str(quantities[0].units) if quantities else None))
    return [_real(builder, name, _in_unit(builder, name, value, target))
            for name, value in named_values.items()], target


def _hour_of_day(builder: str, parameter: str, value) -> int:
    """An integer hour of the day in 0..23."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= int(value) <= 23:
        _refuse(builder, parameter, value, "expected an integer hour of the day in 0..23")
    return int(value)


def _is_sequence(value) -> bool:
    """A sized collection that is neither text nor a pint quantity."""
    return hasattr(value, "__len__") and not isinstance(value, (str, bytes, pint.Quantity))


def _hours_of_start(start_date: datetime, nb_of_hours: int) -> np.ndarray:
    """The hour of the day (0..23) of each value of a series starting at ``start_date``."""
    return (start_date.hour + np.arange(nb_of_hours)) % 24


def linear_growth_hourly_values(timespan, start_value, end_value, start_date: datetime = DEFAULT_START_DATE,
                                *, unit=None, source: Source = Sources.HYPOTHESIS,
                                label: str | None = None) -> SourceHourlyValues:
    """An even hourly ramp from ``start_value`` to ``end_value``.

    Parameters
    ----------
    timespan : pint.Quantity
        Length of the series (a time quantity of at least 1 h); one value per whole hour.
    start_value, end_value : float or pint.Quantity
        The first and the last value (``numpy.linspace`` over the ``n`` hours).
    start_date : datetime
        Naive datetime on a whole hour (local time of the usage pattern's country).
    unit : pint.Unit or str, optional
        Unit of the values; by default that of a quantity given, else dimensionless.
    source : Source, optional
        Defaults to ``Sources.HYPOTHESIS``.
    label : str, optional
        Defaults to a description of the ramp.

    Returns
    -------
    SourceHourlyValues
    """
    builder = "linear_growth_hourly_values"
    nb_of_hours = _nb_of_hours(builder, timespan)
    start_date = _start(builder, start_date)
    (first, last), unit = _magnitudes(builder, {"start_value": start_value, "end_value": end_value}, unit)
    label = label or f"Hourly values with linear growth from {format_magnitude(first)} to {format_magnitude(last)}"
    return SourceHourlyValues(np.linspace(first, last, nb_of_hours), start_date, unit, source, label)


def sinusoidal_fluct_hourly_values(timespan, sin_fluct_amplitude, sin_fluct_period_in_hours,
                                   start_date: datetime = DEFAULT_START_DATE, *, unit=None,
                                   source: Source = Sources.HYPOTHESIS,
                                   label: str | None = None) -> SourceHourlyValues:
    """A sinusoid ``A·sin(2πt / period)`` for ``t = 0, 1, …`` hours (so the first value is 0).

    Parameters
    ----------
    sin_fluct_amplitude : float or pint.Quantity
        The amplitude ``A``; values range over ``[-A, A]``, so add the result to a positive series.
    sin_fluct_period_in_hours : float
        The period in hours (> 0), e.g. ``3 * 30 * 24`` for a quarterly cycle.
    timespan, start_date, unit, source, label
        As in :func:`linear_growth_hourly_values`.

    Returns
    -------
    SourceHourlyValues
    """
    builder = "sinusoidal_fluct_hourly_values"
    nb_of_hours = _nb_of_hours(builder, timespan)
    start_date = _start(builder, start_date)
    (amplitude,), unit = _magnitudes(builder, {"sin_fluct_amplitude": sin_fluct_amplitude}, unit)
    period = _real(builder, "sin_fluct_period_in_hours", sin_fluct_period_in_hours)
    if period <= 0:
        _refuse(builder, "sin_fluct_period_in_hours", sin_fluct_period_in_hours, "expected a period > 0 hours")
    values = amplitude * np.sin(2 * np.pi * np.arange(nb_of_hours) / period)
    label = label or f"Sinusoidal fluctuation of amplitude {format_magnitude(amplitude)}, period {period:g} h"
    return SourceHourlyValues(values, start_date, unit, source, label)


def daily_fluct_hourly_values(timespan, fluct_scale, hour_of_day_for_min_value: int = 4,
                              start_date: datetime = DEFAULT_START_DATE, *, source: Source = Sources.HYPOTHESIS,
                              label: str | None = None) -> SourceHourlyValues:
    """A dimensionless daily cycle around 1: ``1 + s·sin(3π/2 + 2π(hour − h_min)/24)``.

    ``hour`` is the hour of the day of each value, counted from ``start_date``'s own hour. The minimum
    ``1 − s`` falls at ``h_min`` and the maximum ``1 + s`` twelve hours later; the mean over a day
    is 1, so multiplying a series by it reshapes each day without changing its daily total.

    Parameters
    ----------
    fluct_scale : float
        ``s`` in [0, 1], so that every value stays ≥ 0.
    hour_of_day_for_min_value : int
        ``h_min``, the hour of the day (0..23) of the minimum.
    timespan, start_date, source, label
        As in :func:`linear_growth_hourly_values`.

    Returns
    -------
    SourceHourlyValues
    """
    builder = "daily_fluct_hourly_values"
    nb_of_hours = _nb_of_hours(builder, timespan)
    start_date = _start(builder, start_date)
    scale = _real(builder, "fluct_scale", fluct_scale)
    if not 0 <= scale <= 1:
        _refuse(builder, "fluct_scale", fluct_scale, "expected a scale in [0, 1] so that values stay >= 0")
    min_hour = _hour_of_day(builder, "hour_of_day_for_min_value", hour_of_day_for_min_value)
    phase = 2 * np.pi * (_hours_of_start(start_date, nb_of_hours) - min_hour) / 24
    values = 1 + scale * np.sin(3 * np.pi / 2 + phase)
    label = label or f"Daily fluctuation of scale {format_magnitude(scale)} with its minimum at {min_hour} h"
    return SourceHourlyValues(values, start_date, u.dimensionless, source, label)


def daily_volume_hourly_values(timespan, daily_volume, hours, start_date: datetime = DEFAULT_START_DATE,
                               weights=None, *, unit=None, source: Source = Sources.HYPOTHESIS,
                               label: str | None = None) -> SourceHourlyValues:
    """A daily volume spread over chosen hours of the day, the same way every day; 0 at other hours.

    Each hour ``h`` of ``hours`` gets ``daily_volume × w_h / Σw`` (equal shares without ``weights``).
    A partial first or last day holds only its hours that fall inside the timespan.

    Parameters
    ----------
    daily_volume : float or pint.Quantity
        What one day totals (≥ 0), e.g. 1,000 user journeys.
    hours : sequence of int
        Distinct hours of the day (0..23) that get a share.
    timespan, start_date, unit, source, label
        As in :func:`linear_growth_hourly_values`.
    weights : sequence of float, optional
        One finite weight ≥ 0 per hour of ``hours``, with a positive sum.

    Returns
    -------
    SourceHourlyValues
    """
    builder = "daily_volume_hourly_values"
    nb_of_hours = _nb_of_hours(builder, timespan)
    start_date = _start(builder, start_date)
    (volume,), unit = _magnitudes(builder, {"daily_volume": daily_volume}, unit)
    if volume < 0:
        _refuse(builder, "daily_volume", daily_volume, "expected a volume >= 0")
    if not _is_sequence(hours) or len(hours) == 0:
        _refuse(builder, "hours", hours, "expected a non-empty list of hours of the day in 0..23")
    hour_list = [_hour_of_day(builder, "hours", hour) for hour in hours]
    if len(set(hour_list)) != len(hour_list):
        _refuse(builder, "hours", hours, "expected distinct hours (give a weight instead of repeating one)")
    shares = np.ones(len(hour_list))
    if weights is not None:
        allowed = f"expected {len(hour_list)} finite weights >= 0 (one per hour) with a positive sum"
        if not _is_sequence(weights) or len(weights) != len(hour_list):
            _refuse(builder, "weights", weights, allowed)
        shares = np.array([_real(builder, "weights", weight) for weight in weights])
        if (shares < 0).any() or shares.sum() <= 0:
            _refuse(builder, "weights", weights, allowed)
    per_hour_of_day = np.zeros(24)
    per_hour_of_day[hour_list] = volume * shares / shares.sum()
    values = per_hour_of_day[_hours_of_start(start_date, nb_of_hours)]
    label = label or f"Daily volume of {format_magnitude(volume)} spread over hours {hour_list}"
    return SourceHourlyValues(values, start_date, unit, source, label)


def hourly_values_from_list(values, start_date: datetime = DEFAULT_START_DATE, unit=None, *,
                            source: Source = Sources.USER_DATA, label: str | None = None) -> SourceHourlyValues:
    """A series from explicit hourly values, the first at ``start_date``.

    Parameters
    ----------
    values : sequence of float, 1-D array or pint array quantity
        At least one finite value per hour.
    start_date, unit, label
        As in :func:`linear_growth_hourly_values`.
    source : Source, optional
        Defaults to ``Sources.USER_DATA``.

    Returns
    -------
    SourceHourlyValues
    """
    return _from_list("hourly_values_from_list", values, start_date, unit, source, label)


def _from_list(builder, values, start_date, unit, source, label) -> SourceHourlyValues:
    start_date = _start(builder, start_date)
    if isinstance(values, pint.Quantity) and unit is None:
        unit = str(values.units)
    unit = as_unit(unit)
    allowed = "expected a non-empty 1-D list of finite numbers"
    magnitudes = _in_unit(builder, "values", values, unit)
    try:
        array = np.asarray(magnitudes, dtype=np.float64)
    except (TypeError, ValueError):
        _refuse(builder, "values", values, allowed)
    if isinstance(values, (str, bytes)) or array.ndim != 1 or array.size == 0:
        _refuse(builder, "values", values, allowed)
    if not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        _refuse(builder, "values", values, f"{allowed}; the value at index {bad} is {array[bad]}")
    return SourceHourlyValues(array, start_date, unit, source, label or "Hourly values from a list")


def create_source_hourly_values_from_list(values, start_date: datetime = DEFAULT_START_DATE,
                                          pint_unit=u.dimensionless) -> SourceHourlyValues:
    """The e-footprint 9 spelling of :func:`hourly_values_from_list` (unit given as ``pint_unit``)."""
    return _from_list("create_source_hourly_values_from_list", values, start_date, pint_unit,
                      Sources.USER_DATA, None)
