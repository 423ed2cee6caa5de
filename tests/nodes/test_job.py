"""Job (model.md §2): occurrences per usage pattern with step offsets, concurrency, data, sums."""
import numpy as np
import pytest

from efp import u
from efp_nodes import Job, Server, Storage, System

from nodes_helpers import (HOUR, T0, assert_empty, assert_hourly, assert_quantity, q, simple_job,
                           usage_pattern_of)


@pytest.fixture
def offsets(model):
    """Starts [3, 5]; steps of 59 min [first, twice, twice, multi], 2 min [at 59 min], 10 min [at 61 min, multi]."""
    server = Server.from_defaults("srv")
    jobs = {name: simple_job(name, server) for name in ("first", "twice", "multi", "at 59 min", "at 61 min")}
    up = usage_pattern_of("up", [(59, [jobs["first"], jobs["twice"], jobs["twice"], jobs["multi"]]),
                                 (2, [jobs["at 59 min"]]),
                                 (10, [jobs["at 61 min"], jobs["multi"]])], [3, 5])
    System("system", usage_patterns=[up])
    return jobs, up


def test_a_job_in_the_first_step_starts_with_the_journey(offsets):
    jobs, up = offsets
    assert_hourly(jobs["first"].hourly_occurrences_per_usage_pattern[up], [3, 5], T0, "dimensionless")


def test_a_step_starting_59_min_into_the_journey_lands_in_the_start_hour(offsets):
    jobs, up = offsets
    assert_hourly(jobs["at 59 min"].hourly_occurrences_per_usage_pattern[up], [3, 5], T0, "dimensionless")


def test_a_step_starting_61_min_into_the_journey_lands_in_the_next_hour(offsets):
    jobs, up = offsets
    assert_hourly(jobs["at 61 min"].hourly_occurrences_per_usage_pattern[up], [3, 5], T0 + HOUR, "dimensionless")


def test_a_job_listed_twice_counts_twice(offsets):
    jobs, up = offsets
    assert_hourly(jobs["twice"].hourly_occurrences_per_usage_pattern[up], [6, 10], T0, "dimensionless")


def test_a_job_in_two_steps_counts_at_each_place(offsets):
    jobs, up = offsets
    assert_hourly(jobs["multi"].hourly_occurrences_per_usage_pattern[up], [3, 3 + 5, 5], T0, "dimensionless")
    assert_hourly(jobs["multi"].hourly_occurrences_across_usage_patterns, [3, 8, 5], T0, "dimensionless")


@pytest.fixture
def shared(model):
    """Job "shared" (1 h, 10 MB, 2 MB stored) used by up1 (starts [3, 5] from T0) and up2 ([1, 1, 1] from T0+2h)."""
    job = simple_job("shared", Server.from_defaults("srv"), transferred_mb=10, stored_mb=2, duration_h=1)
    up1 = usage_pattern_of("up1", [(1, [job])], [3, 5])
    up2 = usage_pattern_of("up2", [(1, [job])], [1, 1, 1], start=T0 + 2 * HOUR)
    System("system", usage_patterns=[up1, up2])
    return job, up1, up2


def test_one_row_per_usage_pattern(shared):
    job, up1, up2 = shared
    occurrences = job.hourly_occurrences_per_usage_pattern
    assert job.usage_patterns == [up1, up2]
    assert occurrences.usage_patterns == [up1.id, up2.id]
    assert up1 in occurrences and up2 in occurrences
    assert occurrences.magnitude.shape == (2, 5)
    assert_hourly(occurrences[up1], [3, 5, 0, 0, 0], T0, "dimensionless")
    assert_hourly(occurrences[up2], [0, 0, 1, 1, 1], T0, "dimensionless")
    assert_hourly(job.hourly_avg_occurrences_per_usage_pattern[up2], [0, 0, 1, 1, 1], T0, "dimensionless")


def test_sums_across_usage_patterns(shared):
    job, _, _ = shared
    occurrences = np.array([3, 5, 1, 1, 1])
    assert_hourly(job.hourly_occurrences_across_usage_patterns, occurrences, T0, "dimensionless")
    assert_hourly(job.hourly_avg_occurrences_across_usage_patterns, occurrences, T0, "dimensionless")
    assert_hourly(job.hourly_data_transferred_across_usage_patterns, occurrences * 10, T0, "MB")
    assert_hourly(job.hourly_data_stored_across_usage_patterns, occurrences * 2, T0, "MB")


@pytest.mark.parametrize("minutes, expected", [
    (60, [20, 10, 14, 15]),
    (120, [20, 30, 24, 29, 15]),
    (30, [10, 5, 7, 7.5]),
    (150, [20, 30, 34, 34, 22, 7.5]),
    (50.5 * 60, np.convolve([20, 10, 14, 15], [1] * 50 + [0.5])),  # a long request: 50 whole hours and a half
])
def test_avg_occurrences_is_the_concurrency_kernel(model, minutes, expected):
    job = simple_job("job", Server.from_defaults("srv"), duration_h=minutes / 60)
    up = usage_pattern_of("up", [(1, [job])], [20, 10, 14, 15])
    System("system", usage_patterns=[up])
    assert_hourly(job.hourly_avg_occurrences_per_usage_pattern[up], expected, T0, "dimensionless")
    assert_hourly(job.hourly_avg_occurrences_across_usage_patterns, expected, T0, "dimensionless")


def test_data_transferred_includes_data_download_and_spreads_like_the_load(model):
    server = Server.from_defaults("srv", storage=Storage.ssd(base_storage_need=q(1, "TB")))  # room to delete
    job = simple_job("long", server, transferred_mb=2, download_mb=3, stored_mb=-1,
                     duration_h=2.5)
    up = usage_pattern_of("up", [(1, [job])], [20, 10, 14, 15])
    System("system", usage_patterns=[up])
    in_progress = np.array([20, 30, 34, 34, 22, 7.5])
    transferred = in_progress * (2 + 3) / 2.5   # MB per hour: requests in progress x traffic rate
    stored = in_progress * -1 / 2.5
    assert_hourly(job.hourly_data_transferred_per_usage_pattern[up], transferred, T0, "MB")
    assert_hourly(job.hourly_data_stored_per_usage_pattern[up], stored, T0, "MB")
    assert_hourly(job.hourly_data_transferred_across_usage_patterns, transferred, T0, "MB")
    assert_hourly(job.hourly_data_stored_across_usage_patterns, stored, T0, "MB")
    # totals equal occurrences x amount
    assert transferred.sum() == pytest.approx(59 * 5)
    assert job.hourly_data_transferred_across_usage_patterns.sum().value.to(u.MB).magnitude == pytest.approx(295)
    assert job.hourly_data_stored_across_usage_patterns.sum().value.to(u.MB).magnitude == pytest.approx(-59)


# what a job does hour by hour: nothing without usage patterns (its traffic per hour in progress is a number)
HOURLY_ATTRIBUTES = [a for a in Job.calculated_attributes() if a != "data_transferred_per_hour_in_progress"]


def test_job_without_usage_pattern_has_no_value(model):
    job = simple_job("unused", Server.from_defaults("srv"))
    assert job.usage_patterns == []
    for attr in HOURLY_ATTRIBUTES:
        assert_empty(getattr(job, attr))


def test_default_values():
    defaults = Job.default_values()
    expected = {"data_transferred": (150, "kB"), "data_download": (0, "MB"), "data_stored": (100, "kB"),
                "request_duration": (1, "s"), "compute_needed": (0.1, "cpu_core"), "ram_needed": (50, "MB")}
    assert set(defaults) == set(expected)
    for name, (magnitude, unit) in expected.items():
        assert_quantity(defaults[name], magnitude, unit)


def test_print_like_the_seed(model):
    job = simple_job("streaming job", Server.from_defaults("srv"), transferred_mb=0.05, download_mb=800)
    lines = str(job).splitlines()
    assert lines[0] == f"Job {job.id}"
    assert "data_download: 800 megabyte" in lines
    calculated = lines[lines.index("calculated_attributes:") + 1:]
    for attr in HOURLY_ATTRIBUTES:
        assert f"  {attr}: no value" in calculated
    assert "  data_transferred_per_hour_in_progress: 0.8 gigabyte" in calculated  # 800.05 MB an hour
