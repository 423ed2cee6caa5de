"""UsagePattern (model.md §2): local starts to UTC, journeys in parallel, devices' energy and fabrication."""
from datetime import datetime

import numpy as np
import pytest

from efp_nodes import Countries, Device, Server, System, UsagePattern

from nodes_helpers import (T0, assert_empty, assert_hourly, hourly, simple_job, usage_pattern_of,
                           utc_country)

LAPTOP_KG_PER_HOUR = 156 / (6 * 365.25 * 7)       # 156 kg over 6 years of 7 h a day
SMARTPHONE_KG_PER_HOUR = 30 / (3 * 365.25 * 3.6)  # 30 kg over 3 years of 3.6 h a day


def paris_pattern(values, start):
    return usage_pattern_of("up", [(60, [])], values, start=start, country=Countries.FRANCE())


@pytest.mark.parametrize("local_start, values, utc_start, utc_values", [
    # winter: UTC+1
    (datetime(2025, 1, 1), [1, 2, 3], datetime(2024, 12, 31, 23), [1, 2, 3]),
    # summer: UTC+2
    (datetime(2025, 7, 1), [1, 2, 3], datetime(2025, 6, 30, 22), [1, 2, 3]),
    # spring forward on 2025-03-30: local 02:00 does not exist, its value goes to the next hour (01:00 UTC)
    (datetime(2025, 3, 30), [1, 2, 4, 8, 16], datetime(2025, 3, 29, 23), [1, 2, 4 + 8, 16]),
    # a series starting at the missing hour: its first value goes to local 03:00 (01:00 UTC) too
    (datetime(2025, 3, 30, 2), [5, 7, 1], datetime(2025, 3, 30, 1), [5 + 7, 1]),
    # fall back on 2025-10-26: local 02:00 occurs twice, it maps to its first occurrence (00:00 UTC)
    (datetime(2025, 10, 26), [1, 2, 4, 8, 16], datetime(2025, 10, 25, 22), [1, 2, 4, 0, 8, 16]),
])
def test_local_starts_to_utc_hour_by_hour(model, local_start, values, utc_start, utc_values):
    up = paris_pattern(values, local_start)
    assert_hourly(up.utc_hourly_user_journey_starts, utc_values, utc_start, "dimensionless", rtol=0)
    assert up.utc_hourly_user_journey_starts.magnitude.sum() == sum(values)  # starts are preserved


def test_switching_country_reconverts_the_starts(model):
    up = paris_pattern([1, 2, 3], datetime(2025, 1, 1))
    up.country = Countries.UNITED_KINGDOM()
    assert_hourly(up.utc_hourly_user_journey_starts, [1, 2, 3], datetime(2025, 1, 1), "dimensionless")


def test_nb_user_journeys_in_parallel_uses_the_journey_duration(model):
    up = usage_pattern_of("up", [(60, []), (30, [])], [10, 20, 30])  # 90 min: s[t] + 0.5 s[t-1]
    assert_hourly(up.nb_user_journeys_in_parallel, [10, 25, 40, 15], T0, "dimensionless")


@pytest.fixture
def devices_pattern(model):
    """A laptop and a smartphone, a 90-minute journey, 100 g/kWh, UTC starts [10, 20, 30]."""
    up = usage_pattern_of("up", [(90, [])], [10, 20, 30], devices=[Device.laptop(), Device.smartphone()],
                          country=utc_country(intensity_g_per_kwh=100))
    System("system", usage_patterns=[up])
    return up, np.array([10, 25, 40, 15])


def test_devices_energy_and_its_footprint(devices_pattern):
    up, in_parallel = devices_pattern
    energy_kwh = in_parallel * (50 + 1) / 1000
    assert_hourly(up.devices_energy, energy_kwh, T0, "kWh")
    assert_hourly(up.devices_energy_footprint, energy_kwh * 0.1, T0, "kg")


def test_devices_fabrication_footprint_is_spread_over_hours_of_use(devices_pattern):
    up, in_parallel = devices_pattern
    assert_hourly(up.devices_fabrication_footprint, in_parallel * (LAPTOP_KG_PER_HOUR + SMARTPHONE_KG_PER_HOUR),
                  T0, "kg")


def test_laptop_costs_about_10_grams_per_hour_of_use(model):
    up = usage_pattern_of("up", [(60, [])], [1], devices=[Device.laptop()])
    assert LAPTOP_KG_PER_HOUR == pytest.approx(0.0102, rel=5e-3)
    assert_hourly(up.devices_fabrication_footprint, [LAPTOP_KG_PER_HOUR], T0, "kg")


def test_energy_footprint_is_the_devices_footprint(devices_pattern):
    up, _ = devices_pattern
    assert np.array_equal(up.energy_footprint.magnitude, up.devices_energy_footprint.to("kg").magnitude)
    assert up.energy_footprint.start_date == up.devices_energy_footprint.start_date
    assert np.array_equal(up.instances_fabrication_footprint.magnitude,
                          up.devices_fabrication_footprint.to("kg").magnitude)


def test_appending_a_device(devices_pattern):
    up, in_parallel = devices_pattern
    up.devices.append(Device.screen())
    assert_hourly(up.devices_energy, in_parallel * (50 + 1 + 30) / 1000, T0, "kWh")


def test_journey_of_zero_duration_has_no_device_footprint(model):
    up = usage_pattern_of("up", [], [1, 2])
    assert_empty(up.nb_user_journeys_in_parallel)
    assert_empty(up.devices_energy_footprint)
    assert_empty(up.devices_fabrication_footprint)


def test_jobs_systems_and_efootprint_names(model):
    server = Server.from_defaults("srv")
    a, b = simple_job("a", server), simple_job("b", server)
    up = usage_pattern_of("up", [(1, [a, b]), (1, [a])], [1, 2])
    system = System("system", usage_patterns=[up])
    assert up.jobs == [a, b]
    assert up.systems == [system]
    assert up.usage_journey is up.user_journey
    assert up.utc_hourly_usage_journey_starts is up.utc_hourly_user_journey_starts
    assert up.nb_usage_journeys_in_parallel is up.nb_user_journeys_in_parallel


def test_keyword_aliases(model):
    other = usage_pattern_of("other", [(5, [])], [1])
    up = UsagePattern("up", usage_journey=other.user_journey, devices=[Device.laptop()], network=other.network,
                      country=utc_country(), hourly_usage_journey_starts=hourly([4, 5]))
    assert up.user_journey is other.user_journey
    assert_hourly(up.hourly_user_journey_starts, [4, 5], T0, "dimensionless")
    assert UsagePattern.settable()[:5] == ["user_journey", "devices", "network", "country",
                                           "hourly_user_journey_starts"]
