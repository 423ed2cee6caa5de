"""Tests of efp_builders.time_builders, against values computed by hand (or by formula, value by value)."""
from __future__ import annotations

import math
from datetime import date, datetime, timezone

import numpy as np
import pytest

from efp.errors import ValidationError
from efp.units import u
from efp.values.hourly import ExplainableHourlyQuantities, SourceHourlyValues
from efp.values.quantity import SourceValue
from efp.values.sources import Sources
from efp_builders.time_builders import (create_source_hourly_values_from_list, daily_fluct_hourly_values,
                                        daily_volume_hourly_values, hourly_values_from_list,
                                        linear_growth_hourly_values, sinusoidal_fluct_hourly_values)

START = datetime(2025, 1, 1)
THREE_YEARS_IN_HOURS = 3 * 8766  # a year is 365.25 days


# --- lengths ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("timespan, expected", [
    (3 * u.year, 26298), (1 * u.year, 8766), (1 * u.day, 24), (1 * u.hour, 1), (90 * u.minute, 1),
    (25.5 * u.hour, 25), (SourceValue(2 * u.day), 48),
])
def test_number_of_values_is_the_timespan_in_whole_hours(timespan, expected):
    assert len(linear_growth_hourly_values(timespan, 0, 1, START)) == expected
    assert len(sinusoidal_fluct_hourly_values(timespan, 1, 24, START)) == expected
    assert len(daily_fluct_hourly_values(timespan, 0.5, 4, START)) == expected
    assert len(daily_volume_hourly_values(timespan, 10, [3], START)) == expected


def test_three_years_are_26298_hours_ending_on_new_year_2028():
    series = linear_growth_hourly_values(3 * u.year, 5000, 100000, START)
    assert len(series) == THREE_YEARS_IN_HOURS == 26298
    assert series.start_date == START
    assert series.end_date == datetime(2028, 1, 1, 17)  # 26297 h = 1095 days + 17 h after the start


# --- linear growth ---------------------------------------------------------------------------------
def test_linear_ramp_on_five_hours():
    series = linear_growth_hourly_values(5 * u.hour, 0, 100, START)
    assert series.magnitude.tolist() == [0, 25, 50, 75, 100]
    assert series.unit == u.dimensionless
    assert series.source is Sources.HYPOTHESIS
    assert series.label


def test_linear_ramp_over_three_years_first_last_middle():
    values = linear_growth_hourly_values(3 * u.year, 5000, 100000, START).magnitude
    assert values[0] == 5000 and values[-1] == pytest.approx(100000, rel=1e-12)
    step = 95000 / 26297  # 26298 points, 26297 steps
    assert values[1] - values[0] == pytest.approx(step, rel=1e-9)
    # 26298 is even: the two middle values straddle the midpoint 52,500 by half a step each
    assert values[13148] == pytest.approx(52500 - step / 2, rel=1e-12)
    assert values[13149] == pytest.approx(52500 + step / 2, rel=1e-12)
    assert values.sum() == pytest.approx(26298 * (5000 + 100000) / 2, rel=1e-12)


def test_decreasing_ramp_and_unit():
    series = linear_growth_hourly_values(3 * u.hour, 2 * u.GB, 0, START)
    assert series.unit == u.GB and series.magnitude.tolist() == [2, 1, 0]
    in_mb = linear_growth_hourly_values(3 * u.hour, 1 * u.GB, 3000 * u.MB, START, unit="MB")
    assert in_mb.unit == u.MB and in_mb.magnitude.tolist() == pytest.approx([1000, 2000, 3000])


# --- sinusoid --------------------------------------------------------------------------------------
def test_sinusoid_at_zero_quarter_and_half_period():
    values = sinusoidal_fluct_hourly_values(1 * u.year, 3000, 2160, START).magnitude
    assert values[0] == 0
    assert values[540] == pytest.approx(3000, rel=1e-12)       # period / 4
    assert values[1080] == pytest.approx(0, abs=1e-9)          # period / 2
    assert values[1620] == pytest.approx(-3000, rel=1e-12)     # 3 period / 4
    assert values[2160] == pytest.approx(0, abs=1e-9)          # one period
    assert values[100] == pytest.approx(3000 * math.sin(2 * math.pi * 100 / 2160), rel=1e-12)


def test_sinusoid_with_fractional_period():
    values = sinusoidal_fluct_hourly_values(4 * u.hour, 2, 2.5, START).magnitude
    expected = [2 * math.sin(2 * math.pi * t / 2.5) for t in range(4)]
    assert values.tolist() == pytest.approx(expected, abs=1e-12)


# --- daily fluctuation -----------------------------------------------------------------------------
def test_daily_fluct_minimum_at_h_min_and_maximum_twelve_hours_later():
    values = daily_fluct_hourly_values(7 * u.day, 0.8, 4, START).magnitude
    assert values[4] == pytest.approx(0.2, rel=1e-12)   # 1 - s
    assert values[16] == pytest.approx(1.8, rel=1e-12)  # 1 + s
    assert values[0] == pytest.approx(0.6, rel=1e-12)   # 1 + 0.8 sin(3π/2 - π/3) = 1 - 0.4
    assert values[10] == pytest.approx(1.0, abs=1e-12)  # quarter of a day after the minimum
    assert values.min() == pytest.approx(0.2) and values.max() == pytest.approx(1.8)
    assert np.allclose(values[4::24], 0.2) and np.allclose(values[16::24], 1.8)
    assert values[:24].mean() == pytest.approx(1.0, rel=1e-12)  # a day's total is unchanged


def test_daily_fluct_counts_the_hour_of_the_start_date():
    values = daily_fluct_hourly_values(2 * u.day, 0.5, 20, datetime(2025, 3, 1, 5)).magnitude
    first_hour = 5
    assert values[0] == pytest.approx(1 + 0.5 * math.sin(3 * math.pi / 2 + 2 * math.pi * (first_hour - 20) / 24))
    assert values[20 - 5] == pytest.approx(0.5)   # 20:00, the minimum
    assert values[32 - 5] == pytest.approx(1.5)   # 08:00 next day, the maximum


def test_daily_fluct_extreme_scales():
    assert daily_fluct_hourly_values(1 * u.day, 0, 4, START).magnitude.tolist() == [1.0] * 24
    full = daily_fluct_hourly_values(1 * u.day, 1, 0, START).magnitude
    assert full[0] == pytest.approx(0, abs=1e-15) and full.min() >= -1e-15 and full[12] == pytest.approx(2)


# --- the seed quickstart's starts --------------------------------------------------------------------
def _quickstart_start_by_hand(t: int) -> float:
    linear = 5000 + (100000 - 5000) * t / (26298 - 1)
    sinusoid = 3000 * math.sin(2 * math.pi * t / 2160)
    daily = 1 + 0.8 * math.sin(3 * math.pi / 2 + 2 * math.pi * ((t % 24) - 4) / 24)
    return (linear + sinusoid) * daily


def test_quickstart_starts():
    timespan = 3 * u.year
    linear_growth = linear_growth_hourly_values(timespan, start_value=5000, end_value=100000, start_date=START)
    linear_growth.set_label("Hourly user journeys linear growth component")
    sinusoidal_fluct = sinusoidal_fluct_hourly_values(
        timespan, sin_fluct_amplitude=3000, sin_fluct_period_in_hours=3 * 30 * 24, start_date=START)
    lin_growth_plus_sin_fluct = (linear_growth + sinusoidal_fluct).set_label("growth with fluctuations")
    daily_fluct = daily_fluct_hourly_values(timespan, fluct_scale=0.8, hour_of_day_for_min_value=4, start_date=START)
    daily_fluct.set_label("Daily volume fluctuation")
    starts = (lin_growth_plus_sin_fluct * daily_fluct).set_label("Hourly number of user journey started")

    assert isinstance(starts, ExplainableHourlyQuantities)
    assert len(starts) == 26298 and starts.start_date == START and starts.unit == u.dimensionless
    assert starts.label == "Hourly number of user journey started"
    values = starts.magnitude
    assert values[0] == pytest.approx(3000, rel=1e-12)                           # 5000 × 0.6
    assert values[4] == pytest.approx((5000 + 95000 * 4 / 26297 + 3000 * math.sin(2 * math.pi * 4 / 2160)) * 0.2)
    assert values[540] == pytest.approx((5000 + 95000 * 540 / 26297 + 3000) * 1.4, rel=1e-12)  # 12:00
    assert values[-1] == pytest.approx((100000 + 3000 * math.sin(2 * math.pi * 26297 / 2160))
                                       * (1 + 0.8 * math.sin(3 * math.pi / 2 + 2 * math.pi * 13 / 24)), rel=1e-12)
    for t in (1, 16, 1000, 13148, 20000, 26290):
        assert values[t] == pytest.approx(_quickstart_start_by_hand(t), rel=1e-12)
    assert values.min() > 0


def test_results_combine_with_scalars_and_keep_their_start():
    start = datetime(2026, 6, 1, 8)
    ramp = linear_growth_hourly_values(3 * u.hour, 1, 3, start)
    doubled_plus_one = ramp * 2 + 1
    assert doubled_plus_one.magnitude.tolist() == [3, 5, 7] and doubled_plus_one.start_date == start
    assert ramp.set_label("ramp") is ramp and ramp.label == "ramp"
    assert (ramp * (2 * u.GB)).unit == u.GB


# --- daily volume ----------------------------------------------------------------------------------
def test_daily_volume_even_spread():
    series = daily_volume_hourly_values(2 * u.day, 100, [0, 6, 12, 18], START)
    values = series.magnitude
    assert values[[0, 6, 12, 18, 24, 30, 36, 42]].tolist() == [25] * 8
    assert values.sum() == 200 and np.count_nonzero(values) == 8
    assert series.source is Sources.HYPOTHESIS and series.unit == u.dimensionless


def test_daily_volume_weighted_from_mid_day_start():
    series = daily_volume_hourly_values(2 * u.day, 100 * u.GB, [8, 12], datetime(2025, 1, 1, 10), weights=[1, 3])
    values = series.magnitude
    assert series.unit == u.GB
    assert values[2] == 75 and values[22] == 25 and values[26] == 75 and values[46] == 25  # 12:00, 08:00
    assert values.sum() == 200 and np.count_nonzero(values) == 4


# --- from lists ------------------------------------------------------------------------------------
def test_from_list_spellings():
    series = create_source_hourly_values_from_list([1, 2, 3], START, u.GB)
    assert isinstance(series, SourceHourlyValues)
    assert series.magnitude.tolist() == [1, 2, 3] and series.unit == u.GB and series.start_date == START
    assert series.source is Sources.USER_DATA
    assert create_source_hourly_values_from_list([4.5]).unit == u.dimensionless
    plain = hourly_values_from_list(np.array([0.5, 1.5]), datetime(2025, 7, 1, 23))
    assert plain.unit == u.dimensionless and plain.start_date == datetime(2025, 7, 1, 23)
    converted = hourly_values_from_list([1000, 2500] * u.MB, START, unit="GB")
    assert converted.unit == u.GB and converted.magnitude.tolist() == pytest.approx([1, 2.5])
    assert hourly_values_from_list([1, 2] * u.kWh, START).unit == u.kWh


# --- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, words", [
    (lambda: linear_growth_hourly_values(30 * u.minute, 0, 1, START), ["linear_growth_hourly_values", "timespan"]),
    (lambda: linear_growth_hourly_values(3, 0, 1, START), ["timespan", "3", "pint time quantity"]),
    (lambda: linear_growth_hourly_values(3 * u.GB, 0, 1, START), ["timespan", "gigabyte"]),
    (lambda: linear_growth_hourly_values(-1 * u.day, 0, 1, START), ["timespan"]),
    (lambda: linear_growth_hourly_values(1 * u.day, float("nan"), 1, START), ["start_value", "nan", "finite"]),
    (lambda: linear_growth_hourly_values(1 * u.day, 0, "10", START), ["end_value", "'10'"]),
    (lambda: linear_growth_hourly_values(1 * u.day, 1 * u.GB, 1 * u.W, START), ["end_value", "gigabyte"]),
    (lambda: linear_growth_hourly_values(1 * u.day, 0, 1, "2025-01-01"), ["start_date", "naive datetime"]),
    (lambda: linear_growth_hourly_values(1 * u.day, 0, 1, date(2025, 1, 1)), ["start_date"]),
    (lambda: linear_growth_hourly_values(1 * u.day, 0, 1, datetime(2025, 1, 1, 10, 30)), ["start_date", "whole hour"]),
    (lambda: linear_growth_hourly_values(1 * u.day, 0, 1, datetime(2025, 1, 1, tzinfo=timezone.utc)),
     ["start_date", "naive"]),
    (lambda: sinusoidal_fluct_hourly_values(1 * u.day, 3, 0, START), ["sin_fluct_period_in_hours", "0", "> 0"]),
    (lambda: sinusoidal_fluct_hourly_values(1 * u.day, 3, -24, START), ["sin_fluct_period_in_hours", "-24"]),
    (lambda: sinusoidal_fluct_hourly_values(1 * u.day, float("inf"), 24, START), ["sin_fluct_amplitude", "inf"]),
    (lambda: daily_fluct_hourly_values(1 * u.day, 1.2, 4, START), ["daily_fluct_hourly_values", "fluct_scale",
                                                                  "1.2", "[0, 1]"]),
    (lambda: daily_fluct_hourly_values(1 * u.day, -0.1, 4, START), ["fluct_scale", "-0.1"]),
    (lambda: daily_fluct_hourly_values(1 * u.day, 0.5, 24, START), ["hour_of_day_for_min_value", "24", "0..23"]),
    (lambda: daily_fluct_hourly_values(1 * u.day, 0.5, 4.5, START), ["hour_of_day_for_min_value", "4.5"]),
    (lambda: daily_fluct_hourly_values(1 * u.day, 0.5, -1, START), ["hour_of_day_for_min_value", "-1"]),
    (lambda: daily_volume_hourly_values(1 * u.day, 10, [], START), ["daily_volume_hourly_values", "hours"]),
    (lambda: daily_volume_hourly_values(1 * u.day, 10, [3, 25], START), ["hours", "25", "0..23"]),
    (lambda: daily_volume_hourly_values(1 * u.day, 10, [3, 3], START), ["hours", "distinct"]),
    (lambda: daily_volume_hourly_values(1 * u.day, -10, [3], START), ["daily_volume", "-10"]),
    (lambda: daily_volume_hourly_values(1 * u.day, 10, [3, 4], START, weights=[1]), ["weights", "2 finite"]),
    (lambda: daily_volume_hourly_values(1 * u.day, 10, [3, 4], START, weights=[1, -1]), ["weights", "-1"]),
    (lambda: daily_volume_hourly_values(1 * u.day, 10, [3, 4], START, weights=[0, 0]), ["weights", "positive"]),
    (lambda: hourly_values_from_list([1, float("nan")], START), ["hourly_values_from_list", "values", "nan"]),
    (lambda: hourly_values_from_list([1, float("inf")], START), ["values", "finite"]),
    (lambda: hourly_values_from_list([], START), ["values", "non-empty"]),
    (lambda: hourly_values_from_list([[1, 2], [3, 4]], START), ["values", "1-D"]),
    (lambda: hourly_values_from_list(["a", "b"], START), ["values"]),
    (lambda: hourly_values_from_list("123", START), ["values"]),
    (lambda: hourly_values_from_list([1, 2] * u.GB, START, unit="W"), ["values", "watt"]),
    (lambda: create_source_hourly_values_from_list([1], datetime(2025, 1, 1, 0, 0, 1)),
     ["create_source_hourly_values_from_list", "start_date"]),
])
def test_invalid_inputs_are_refused_with_clear_messages(call, words):
    with pytest.raises(ValidationError) as raised:
        call()
    message = str(raised.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_validation_errors_are_value_errors():
    with pytest.raises(ValueError):
        daily_fluct_hourly_values(1 * u.day, 2, 4, START)
