"""The value algebra of model.md §1: series arithmetic, ∅, shift, the concurrency kernel, local time
to UTC, ceil, units."""
from __future__ import annotations

import math

import numpy as np
import pint
import pytest

from efp import (EmptyExplainableObject, ExplainableHourlyQuantities, ExplainableQuantity, SourceHourlyValues,
                 SourceValue, UnitDimensionError, u)
from efp.values import timeops
from efp.values.hourly import hourly_data_array

EMPTY = EmptyExplainableObject


def series(values, start="2025-01-01 00:00", unit="dimensionless"):
    return SourceHourlyValues(np.asarray(values, dtype=float), start, unit)


def per_pattern(rows, start="2025-01-01 00:00", patterns=("up-a", "up-b"), unit="dimensionless"):
    return ExplainableHourlyQuantities(hourly_data_array(np.asarray(rows, dtype=float), start, list(patterns)), unit)


def hours_of(value) -> list[str]:
    return [str(t)[:16] for t in value.data_array["time"].values.astype("datetime64[m]")]


# ---------------------------------------------------------------- series arithmetic over the union of spans
class TestUnionSpan:
    a = series([1, 2, 3], "2025-01-01 00:00", "kg")        # hours 0..2
    b = series([10, 20, 30], "2025-01-01 02:00", "kg")     # hours 2..4

    def test_add_covers_the_union_with_missing_hours_as_zero(self):
        total = self.a + self.b
        assert hours_of(total) == [f"2025-01-01T0{h}:00" for h in range(5)]
        np.testing.assert_array_equal(total.magnitude, [1, 2, 13, 20, 30])
        assert total.unit == u.kg

    def test_add_is_commutative_in_span_and_values(self):
        np.testing.assert_array_equal((self.b + self.a).magnitude, (self.a + self.b).magnitude)
        assert hours_of(self.b + self.a) == hours_of(self.a + self.b)

    def test_sub_and_mul_over_the_union(self):
        np.testing.assert_array_equal((self.a - self.b).magnitude, [1, 2, -7, -20, -30])
        product = self.a * self.b
        np.testing.assert_array_equal(product.magnitude, [0, 0, 30, 0, 0])
        assert product.unit == u.kg ** 2

    def test_disjoint_spans_leave_a_zero_gap(self):
        late = series([5], "2025-01-01 06:00", "kg")
        total = self.a + late
        np.testing.assert_array_equal(total.magnitude, [1, 2, 3, 0, 0, 0, 5])
        assert hours_of(total)[0] == "2025-01-01T00:00" and hours_of(total)[-1] == "2025-01-01T06:00"

    def test_right_operand_is_converted_to_the_left_unit(self):
        grams = series([500, 500], "2025-01-01 01:00", "g")
        total = self.a + grams
        assert total.unit == u.kg
        np.testing.assert_allclose(total.magnitude, [1, 2.5, 3.5])
        assert (grams + self.a).unit == u.g
        np.testing.assert_allclose((grams + self.a).magnitude, [1000, 2500, 3500])

    def test_inputs_are_not_modified(self):
        before_a, before_b = self.a.magnitude.copy(), self.b.magnitude.copy()
        _ = self.a + self.b, self.a - self.b, self.a * self.b
        np.testing.assert_array_equal(self.a.magnitude, before_a)
        np.testing.assert_array_equal(self.b.magnitude, before_b)

    def test_per_usage_pattern_rows_align_by_pattern_and_time(self):
        left = per_pattern([[1, 2], [3, 4]], "2025-01-01 00:00", ("up-a", "up-b"))
        right = per_pattern([[10, 10], [20, 20]], "2025-01-01 01:00", ("up-b", "up-c"))
        total = left + right
        assert total.usage_patterns == ["up-a", "up-b", "up-c"]
        np.testing.assert_array_equal(total.magnitude, [[1, 2, 0], [3, 14, 10], [0, 20, 20]])
        np.testing.assert_array_equal(total.sum_over_usage_patterns().magnitude, [4, 36, 30])


class TestScalarAndSeries:
    s = series([1, 2, 3], unit="kg")

    def test_scalar_applies_to_every_hour_both_sides(self):
        one = SourceValue(1 * u.kg)
        np.testing.assert_array_equal((self.s + one).magnitude, [2, 3, 4])
        np.testing.assert_array_equal((one + self.s).magnitude, [2, 3, 4])
        np.testing.assert_array_equal((self.s - one).magnitude, [0, 1, 2])
        np.testing.assert_array_equal((one - self.s).magnitude, [0, -1, -2])

    def test_scalar_product_and_quotient_multiply_units(self):
        per_hour = self.s / SourceValue(2 * u.hour)
        assert per_hour.unit == u.kg / u.hour
        np.testing.assert_array_equal(per_hour.magnitude, [0.5, 1, 1.5])
        np.testing.assert_array_equal((3 * self.s).magnitude, [3, 6, 9])
        np.testing.assert_array_equal((self.s * (2 * u.W)).magnitude, [2, 4, 6])
        assert (self.s * (2 * u.W)).unit == u.kg * u.W

    def test_scalar_in_another_unit_is_converted(self):
        np.testing.assert_allclose((self.s + SourceValue(500 * u.g)).magnitude, [1.5, 2.5, 3.5])

    def test_scalar_with_scalar(self):
        total = SourceValue(1 * u.kg) + SourceValue(250 * u.g)
        assert total.unit == u.kg and total.magnitude == pytest.approx(1.25)
        assert (SourceValue(3 * u.W) * SourceValue(2 * u.hour)).value == 6 * u.W * u.hour


# ---------------------------------------------------------------- ∅
class TestEmpty:
    s = series([1, 2, 3], unit="kg")
    q = SourceValue(4 * u.kg)

    @pytest.mark.parametrize("x", ["series", "scalar"])
    def test_add_and_sub(self, x):
        value = self.s if x == "series" else self.q
        assert (EMPTY() + value) is value
        assert (value + EMPTY()) is value
        assert (value - EMPTY()) is value
        negated = EMPTY() - value
        np.testing.assert_array_equal(np.asarray(negated.magnitude), -np.asarray(value.magnitude))
        assert negated.unit == value.unit

    @pytest.mark.parametrize("x", ["series", "scalar"])
    def test_mul_and_div_give_empty(self, x):
        value = self.s if x == "series" else self.q
        for result in (EMPTY() * value, value * EMPTY(), EMPTY() / value, value / EMPTY()):
            assert isinstance(result, EmptyExplainableObject)
            assert not result

    def test_empty_with_empty_and_plain_numbers(self):
        assert isinstance(EMPTY() + EMPTY(), EmptyExplainableObject)
        assert isinstance(EMPTY() - EMPTY(), EmptyExplainableObject)
        assert isinstance(EMPTY() * 3, EmptyExplainableObject)
        assert isinstance(2 * EMPTY(), EmptyExplainableObject)

    def test_sum_of_empty_is_zero(self):
        total = EMPTY().sum()
        assert isinstance(total, ExplainableQuantity)
        assert total.magnitude == 0

    def test_sums_of_value_lists(self):
        # Python's sum starts at the plain number 0, which efp treats as neutral for +: a sum of values
        # is the values' sum, and of nothing is 0. Formulas that need sum([]) = ∅ start from ∅.
        assert sum([]) == 0
        assert sum([self.s]) is self.s
        assert sum([self.q, self.q]).value == 8 * u.kg
        assert isinstance(sum([EMPTY(), EMPTY()]), EmptyExplainableObject)
        assert isinstance(sum([], EMPTY()), EmptyExplainableObject)
        np.testing.assert_array_equal(sum([self.s, EMPTY(), self.s], EMPTY()).magnitude, [2, 4, 6])

    def test_empty_is_falsy_and_equal_to_empty(self):
        assert not EMPTY() and bool(self.s) and bool(self.q)
        assert EMPTY() == EMPTY() and EMPTY() != self.q

    def test_time_operations_keep_empty(self):
        for op in (lambda e: timeops.shift(e, 3), lambda e: timeops.concurrency(e, 2 * u.hour),
                   lambda e: timeops.local_to_utc(e, "Europe/Paris"), timeops.ceil, timeops.cumsum):
            assert isinstance(op(EMPTY()), EmptyExplainableObject)


# ---------------------------------------------------------------- shift
class TestShift:
    s = series([20, 10, 14, 15], "2025-01-01 05:00")

    @pytest.mark.parametrize("duration, hours", [
        (0 * u.minute, 0), (59 * u.minute, 0), (60 * u.minute, 1), (61 * u.minute, 1),
        (150 * u.minute, 2), (3 * u.hour, 3), (1 * u.day, 24), (0.99999 * u.hour, 0)])
    def test_shift_by_whole_hours_floor(self, duration, hours):
        shifted = timeops.shift_by_duration(self.s, duration)
        np.testing.assert_array_equal(shifted.magnitude, self.s.magnitude)
        start = np.datetime64("2025-01-01T05:00") + np.timedelta64(hours, "h")
        assert shifted.data_array["time"].values[0] == start
        assert len(shifted) == len(self.s)

    def test_shift_does_not_touch_the_original(self):
        timeops.shift(self.s, 2)
        assert self.s.data_array["time"].values[0] == np.datetime64("2025-01-01T05:00")


# ---------------------------------------------------------------- the concurrency kernel
S = [20, 10, 14, 15]


@pytest.mark.parametrize("duration, expected", [
    (1 * u.hour, [20, 10, 14, 15]),
    (2 * u.hour, [20, 30, 24, 29, 15]),
    (30 * u.minute, [10, 5, 7, 7.5]),
    (150 * u.minute, [20, 30, 34, 34, 22, 7.5]),
])
def test_concurrency_worked_examples(duration, expected):
    result = timeops.concurrency(series(S, "2025-01-01 00:00"), duration)
    np.testing.assert_allclose(result.magnitude, expected, rtol=0, atol=1e-12)
    assert result.data_array["time"].values[0] == np.datetime64("2025-01-01T00:00")
    assert len(result) == len(expected)


def direct_convolution(values: np.ndarray, hours: float) -> np.ndarray:
    """avg(s, d) straight from its definition, as numpy's convolution with [1]*n + [r]."""
    n = math.floor(hours)
    r = hours - n
    kernel = np.array([1.0] * n + ([r] if r else []))
    return np.convolve(values, kernel)


@pytest.mark.parametrize("hours", [47.5, 48, 49, 60, 72.25, 200.75, 1000])
@pytest.mark.parametrize("length", [5, 300])
def test_concurrency_long_durations_match_numpy_convolution(hours, length):
    rng = np.random.default_rng(int(hours * 100) + length)
    values = rng.uniform(0, 1000, size=length)
    result = timeops.concurrency(series(values), hours * u.hour)
    expected = direct_convolution(values, hours)
    assert result.magnitude.shape == expected.shape
    np.testing.assert_allclose(result.magnitude, expected, rtol=1e-10, atol=1e-8)
    # the total number of event-hours is preserved: sum(s) × d
    assert result.magnitude.sum() == pytest.approx(values.sum() * hours, rel=1e-12)


@pytest.mark.parametrize("hours", [2.5, 60.5, 120])
def test_concurrency_on_a_per_usage_pattern_series(hours):
    rng = np.random.default_rng(7)
    rows = rng.uniform(0, 50, size=(3, 100))
    value = per_pattern(rows, "2025-03-01 00:00", ("up-a", "up-b", "up-c"))
    result = timeops.concurrency(value, hours * u.hour)
    assert result.usage_patterns == ["up-a", "up-b", "up-c"]
    assert result.data_array.dims == ("usage_pattern", "time")
    for row, expected_row in zip(result.magnitude, rows):
        np.testing.assert_allclose(row, direct_convolution(expected_row, hours), rtol=1e-10, atol=1e-8)


def test_concurrency_kernel_and_duration_errors():
    np.testing.assert_array_equal(timeops.concurrency_kernel(2.5), [1, 1, 0.5])
    np.testing.assert_array_equal(timeops.concurrency_kernel(3), [1, 1, 1])
    np.testing.assert_array_equal(timeops.concurrency_kernel(0.25), [0.25])
    # float noise on a whole number of hours: no spurious extra hour
    assert 0.1 * 3 * 10 != 3
    np.testing.assert_array_equal(timeops.concurrency_kernel(0.1 * 3 * 10), [1, 1, 1])
    with pytest.raises(ValueError):
        timeops.concurrency(series(S), 0 * u.hour)


# ---------------------------------------------------------------- local time to UTC
def utc_hours(value) -> list[str]:
    return hours_of(value)


def test_paris_spring_forward_adds_the_missing_hour_to_the_next():
    # 2025-03-30: at 02:00 local the clocks jump to 03:00 (UTC+1 -> UTC+2)
    local = series([1, 2, 4, 8, 16, 32], "2025-03-30 00:00")          # 00:00 .. 05:00 local
    utc = timeops.local_to_utc(local, "Europe/Paris")
    assert utc_hours(utc) == ["2025-03-29T23:00", "2025-03-30T00:00", "2025-03-30T01:00",
                              "2025-03-30T02:00", "2025-03-30T03:00"]
    # 02:00 local does not exist: its 4 joins 03:00 local (= 01:00 UTC)
    np.testing.assert_array_equal(utc.magnitude, [1, 2, 4 + 8, 16, 32])
    assert utc.magnitude.sum() == local.magnitude.sum()


def test_paris_autumn_back_maps_the_repeated_hour_to_its_first_occurrence():
    # 2025-10-26: at 03:00 local the clocks go back to 02:00 (UTC+2 -> UTC+1)
    local = series([1, 2, 4, 8, 16, 32], "2025-10-26 00:00")
    utc = timeops.local_to_utc(local, "Europe/Paris")
    assert utc_hours(utc) == ["2025-10-25T22:00", "2025-10-25T23:00", "2025-10-26T00:00", "2025-10-26T01:00",
                              "2025-10-26T02:00", "2025-10-26T03:00", "2025-10-26T04:00"]
    # 02:00 local = its first occurrence (00:00 UTC); the second occurrence (01:00 UTC) gets nothing
    np.testing.assert_array_equal(utc.magnitude, [1, 2, 4, 0, 8, 16, 32])
    assert utc.magnitude.sum() == local.magnitude.sum()


def test_paris_summer_and_winter_hours_get_their_own_offsets():
    year = series(np.ones(24 * 365), "2025-01-01 00:00")
    utc = timeops.local_to_utc(year, "Europe/Paris")
    assert utc.magnitude.sum() == 24 * 365
    assert utc_hours(utc)[0] == "2024-12-31T23:00"               # winter: UTC+1
    assert utc_hours(utc)[-1] == "2025-12-31T22:00"              # winter again
    # one double hour in spring (next hour of the gap), one empty hour in autumn
    assert sorted(np.unique(utc.magnitude)) == [0, 1, 2]
    assert (utc.magnitude == 2).sum() == 1 and (utc.magnitude == 0).sum() == 1


@pytest.mark.parametrize("zone, offset_hours", [("Asia/Tokyo", 9), ("Africa/Dakar", 0), ("America/Bogota", -5)])
def test_zone_without_dst_is_a_pure_shift(zone, offset_hours):
    values = np.arange(1, 24 * 400 + 1, dtype=float)              # more than a year, across both DST dates
    local = series(values, "2025-01-01 00:00")
    utc = timeops.local_to_utc(local, zone)
    np.testing.assert_array_equal(utc.magnitude, values)
    assert utc.data_array["time"].values[0] == np.datetime64("2025-01-01T00:00") - np.timedelta64(offset_hours, "h")


def test_local_to_utc_per_usage_pattern_rows():
    value = per_pattern([[1, 2, 4, 8], [10, 20, 40, 80]], "2025-03-30 01:00")
    utc = timeops.local_to_utc(value, "Europe/Paris")
    np.testing.assert_array_equal(utc.magnitude, [[1, 2 + 4, 8], [10, 20 + 40, 80]])
    assert utc.usage_patterns == ["up-a", "up-b"]


# ---------------------------------------------------------------- ceil
def test_ceil_ignores_float_noise():
    assert 2.0000000000000004 > 2
    assert timeops.ceil_scalar(2.0000000000000004) == 2
    assert timeops.ceil_scalar(2.000001) == 3
    # the tolerance is 1e-9 of one unit, not of the value: large real demand is never rounded away
    assert timeops.ceil_scalar(45876.0000337) == 45877
    assert timeops.ceil_scalar(45876 + 1e-10) == 45876
    assert timeops.ceil_scalar(-0.5) == 0
    result = timeops.ceil(series([2.0000000000000004, 2.1, 1.9999999999, 0.0, 3, 0.2]))
    np.testing.assert_array_equal(result.magnitude, [2, 3, 2, 0, 3, 1])


# ---------------------------------------------------------------- units
class TestUnits:
    def test_conversion(self):
        assert SourceValue(1500 * u.g).to(u.kg).magnitude == pytest.approx(1.5)
        hourly = series([1, 2], unit="kWh").to(u.Wh)
        assert hourly.unit == u.Wh
        np.testing.assert_allclose(hourly.magnitude, [1000, 2000])

    def test_dimension_errors(self):
        with pytest.raises(UnitDimensionError):
            series([1], unit="kg") + SourceValue(1 * u.m)
        with pytest.raises(UnitDimensionError):
            series([1], unit="kg") - series([1], unit="W")
        with pytest.raises(UnitDimensionError):
            SourceValue(1 * u.kg) + SourceValue(1 * u.s)
        with pytest.raises(pint.DimensionalityError):
            series([1], unit="kg").to(u.W)

    def test_computing_units(self):
        assert u.core == u.cpu_core
        assert (4 * u.core).to(u.cpu_core).magnitude == 4
        assert (1 * u.gpu).dimensionality != (1 * u.cpu_core).dimensionality
        with pytest.raises(pint.DimensionalityError):
            (1 * u.gpu).to(u.cpu_core)

    def test_year_and_month(self):
        assert (1 * u.year).to(u.hour).magnitude == pytest.approx(8766)
        assert (1 * u.month).to(u.hour).magnitude == pytest.approx(8766 / 12)
        assert (12 * u.month).to(u.year).magnitude == pytest.approx(1)


# ---------------------------------------------------------------- efp's sum of values
class TestTotal:
    """``efp.values.algebra.total``: the model's sum, ``∅`` for nothing, one buffer for many series."""

    def test_empty_and_scalars(self):
        from efp.values.algebra import total
        assert isinstance(total([]), EmptyExplainableObject)
        assert isinstance(total([EMPTY(), EMPTY()]), EmptyExplainableObject)
        assert total([SourceValue(1 * u.kg), SourceValue(500 * u.g), EMPTY()]).value == 1.5 * u.kg

    @pytest.mark.parametrize("n", [1, 2, 3, 7])
    def test_series_of_different_spans_and_units_equal_pairwise_sums(self, n):
        from functools import reduce

        from efp.values.algebra import total
        rng = np.random.default_rng(n)
        terms = [series(rng.uniform(0, 10, int(rng.integers(1, 30))), f"2025-01-0{1 + i % 3} {i:02d}:00",
                        "kg" if i % 2 == 0 else "g") for i in range(n)]
        terms.insert(1, EMPTY())
        result = total(terms)
        expected = reduce(lambda a, b: a + b, terms)
        assert result.unit == u.kg
        assert hours_of(result) == hours_of(expected)
        np.testing.assert_allclose(result.magnitude, expected.magnitude, rtol=1e-15, atol=0)
        assert result.magnitude.sum() == pytest.approx(
            sum(t.magnitude.sum() * (1 if t.unit == u.kg else 1e-3) for t in terms if t), rel=1e-12)

    def test_per_usage_pattern_series(self):
        from efp.values.algebra import total
        a = per_pattern([[1, 2], [3, 4]], "2025-01-01 00:00", ("up-a", "up-b"))
        b = per_pattern([[10, 10], [20, 20]], "2025-01-01 01:00", ("up-b", "up-c"))
        c = per_pattern([[5, 5]], "2025-01-01 00:00", ("up-a",))
        result = total([a, b, c])
        np.testing.assert_array_equal((a + b + c).magnitude, result.magnitude)
        assert result.usage_patterns == ["up-a", "up-b", "up-c"]

    def test_dimension_mismatch(self):
        from efp.values.algebra import total
        with pytest.raises(UnitDimensionError):
            total([series([1], unit="kg"), series([1], unit="kg"), series([1], unit="W")])


def test_utc_conversion_equals_an_hour_by_hour_conversion_in_every_zone():
    """The conversion looks offsets up once a day and hour by hour only on days where they change: it
    must land every hour where a full hour-by-hour conversion does, in every IANA zone (half-hour DST
    of Lord Howe included), over three years and around transitions."""
    import zoneinfo

    import pandas as pd

    from efp.values.timeops import _utc_positions

    def hour_by_hour(zone, first, length):
        local = pd.DatetimeIndex(np.datetime64(first, "h") + np.arange(length) * np.timedelta64(1, "h"))
        aware = local.tz_localize(zone, ambiguous=np.ones(length, dtype=bool), nonexistent="shift_forward")
        return aware.tz_convert("UTC").tz_localize(None).values.astype("datetime64[h]").astype(np.int64)

    for zone in sorted(zoneinfo.available_timezones()):
        for start, length in (("2025-01-01T00", 26298), ("2025-04-06T01", 49), ("2025-10-26T02", 30)):
            first = int(np.datetime64(start, "h").astype(np.int64))
            utc_first, runs, _ = _utc_positions.__wrapped__(zone, first, length)
            positions = np.arange(length)
            for a, b, target in runs or ():
                positions[a:b] = target + np.arange(b - a)
            landed = utc_first + positions
            assert np.array_equal(landed, hour_by_hour(zone, first, length)), (zone, start)


@pytest.mark.parametrize("zone", ["Europe/Paris", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata", "UTC"])
def test_utc_conversion_adds_each_local_hour_into_the_utc_hour_it_lands_in(zone):
    """Values: every local hour's value lands in its UTC hour (two that land together are added in local
    order, an hour nothing lands in is 0), as adding them one by one would give."""
    import pandas as pd

    rng = np.random.default_rng(1)
    values = rng.uniform(0, 100, 3 * 8766)
    local = pd.DatetimeIndex(np.datetime64("2025-01-01T00", "h") + np.arange(len(values)) * np.timedelta64(1, "h"))
    aware = local.tz_localize(zone, ambiguous=np.ones(len(values), dtype=bool), nonexistent="shift_forward")
    hours = aware.tz_convert("UTC").tz_localize(None).values.astype("datetime64[h]").astype(np.int64)
    expected = np.zeros(hours.max() - hours.min() + 1)
    for hour, value in zip(hours - hours.min(), values):
        expected[hour] += value
    converted = timeops.local_to_utc(SourceHourlyValues(values, "2025-01-01"), zone)
    assert converted.first_hour == np.datetime64(int(hours.min()), "h")
    assert np.array_equal(converted.magnitude, expected)
