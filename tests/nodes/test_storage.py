"""Storage (model.md §3): data written and deleted, dumps after retention, instances and footprints.

The small system: storage "st" (0.5 TB per instance, 160 kg/TB, 1.3 W/TB, idle 0.1 W, 6 years,
replication 3, retention 2 h, base need 0.5 TB) on server "srv" (PUE 1.5, 200 g/kWh). One usage
pattern (UTC starts [2, 4, 6, 0] from 2025-01-01 00:00) runs a journey of two steps:
- step 1 (120 min): job "store" writes 0.1 TB per 1-hour request, from hour 0;
- step 2 (1 min): job "delete" deletes 0.05 TB per 1-hour request, from hour 2 (its span differs:
  the series combine by time, never by position, model.md [efp]).
"""
import numpy as np
import pytest

from efp import CapacityError, SourceValue, u
from efp_nodes import Server, Storage, System

from nodes_helpers import (HOURS_PER_YEAR, T0, assert_empty, assert_hourly, assert_quantity, q, simple_job,
                           usage_pattern_of)

NEEDED = [0.6, 1.2, 1.8, 0]                   # 3 x 0.1 TB x starts, hours 0-3
FREED = [-0.3, -0.6, -0.9, 0]                 # 3 x -0.05 TB x starts, hours 2-5
DUMPS = [0, 0, -0.6, -1.2]                    # -NEEDED two hours earlier, within NEEDED's span
DELTA = np.array([0.6, 1.2, 0.9, -1.8, -0.9, 0])  # hours 0-5
FULL_NEED = np.cumsum(DELTA) + 0.5            # [1.1, 2.3, 3.2, 1.4, 0.5, 0.5] TB
RAW = FULL_NEED / 0.5                         # [2.2, 4.6, 6.4, 2.8, 1.0, 1.0]
NB = np.array([3, 5, 7, 3, 1, 1.0])
ACTIVE = np.minimum(np.array([0.6, 1.2, 2.4, 1.8, 0.9, 0]) / 0.5, NB)  # [1.2, 2.4, 4.8, 3, 1, 0]
PER_INSTANCE_FABRICATION = 160 * 0.5          # kg
PER_INSTANCE_POWER = 1.3 * 0.5                # W


def build(fixed=None, retention=q(2, "hour"), delete_first=False, base_tb=0.5):
    storage = Storage("st", carbon_footprint_fabrication_per_storage_capacity=q(160, "kg/TB"),
                      power_per_storage_capacity=q(1.3, "W/TB"), lifespan=q(6, "year"), idle_power=q(0.1, "W"),
                      storage_capacity=q(0.5, "TB"), data_replication_factor=q(3, "dimensionless"),
                      data_storage_duration=retention, base_storage_need=q(base_tb, "TB"),
                      **({} if fixed is None else {"fixed_nb_of_instances": q(fixed, "dimensionless")}))
    server = Server.from_defaults("srv", power_usage_effectiveness=q(1.5, "dimensionless"),
                                  average_carbon_intensity=SourceValue(200 * u.g / u.kWh), storage=storage)
    store = simple_job("store", server, stored_mb=0.1e6)
    delete = simple_job("delete", server, stored_mb=-0.05e6)
    steps = [(120, [delete]), (1, [store])] if delete_first else [(120, [store]), (1, [delete])]
    up = usage_pattern_of("up", steps, [2, 4, 6, 0])
    System("system", usage_patterns=[up])
    return storage, server


def test_per_instance_fabrication_and_power(model):
    storage, _ = build()
    assert_quantity(storage.carbon_footprint_fabrication, PER_INSTANCE_FABRICATION, "kg")
    assert_quantity(storage.power, PER_INSTANCE_POWER, "W")


def test_storage_needed_and_freed(model):
    storage, server = build()
    assert storage.server == [server]
    assert_hourly(storage.storage_needed, NEEDED, T0, "TB")
    assert_hourly(storage.storage_freed, FREED, T0.replace(hour=2), "TB")


def test_automatic_dumps_after_retention(model):
    storage, _ = build()
    assert_hourly(storage.automatic_storage_dumps_after_storage_duration, DUMPS, T0, "TB")


def test_retention_is_rounded_up_to_whole_hours(model):
    storage, _ = build(retention=q(90, "min"))
    assert_hourly(storage.automatic_storage_dumps_after_storage_duration, DUMPS, T0, "TB")


def test_retention_longer_than_the_span_dumps_nothing(model):
    storage, _ = build(retention=q(5, "year"))
    assert_hourly(storage.automatic_storage_dumps_after_storage_duration, [0, 0, 0, 0], T0, "TB")
    assert_hourly(storage.full_cumulative_storage_need, np.cumsum([0.6, 1.2, 1.5, -0.6, -0.9, 0]) + 0.5, T0, "TB")


def test_storage_delta_and_full_cumulative_need(model):
    storage, _ = build()
    assert_hourly(storage.storage_delta, DELTA, T0, "TB")
    assert_hourly(storage.full_cumulative_storage_need, FULL_NEED, T0, "TB")
    assert storage.full_cumulative_storage_need.unit == u.TB


def test_instances(model):
    storage, _ = build()
    assert_hourly(storage.raw_nb_of_instances, RAW, T0, "dimensionless")
    assert_hourly(storage.nb_of_instances, NB, T0, "dimensionless", rtol=0)
    assert_hourly(storage.nb_of_active_instances, ACTIVE, T0, "dimensionless")


def test_footprints_use_the_server_pue_and_intensity(model):
    storage, _ = build()
    energy_kwh = (ACTIVE * PER_INSTANCE_POWER + (NB - ACTIVE) * 0.1) * 1.5 / 1000
    assert_hourly(storage.instances_fabrication_footprint, PER_INSTANCE_FABRICATION * NB / (6 * HOURS_PER_YEAR),
                  T0, "kg")
    assert_hourly(storage.instances_energy, energy_kwh, T0, "kWh")
    assert_hourly(storage.energy_footprint, energy_kwh * 0.2, T0, "kg")


def test_regression_series_of_different_spans_combine_by_time_not_by_position(model):
    """The deleting job runs two hours before the storing one (e-footprint 9 compared storage_needed and
    storage_freed by position and crashed, or mixed hours, when their spans differed)."""
    storage, _ = build(delete_first=True, base_tb=2)
    assert_hourly(storage.storage_freed, FREED, T0, "TB")
    assert_hourly(storage.storage_needed, NEEDED, T0.replace(hour=2), "TB")
    assert_hourly(storage.automatic_storage_dumps_after_storage_duration, DUMPS, T0.replace(hour=2), "TB")
    delta = np.array([-0.3, -0.6, -0.9 + 0.6, 1.2, 1.8 - 0.6, -1.2])
    assert_hourly(storage.storage_delta, delta, T0, "TB")
    assert_hourly(storage.full_cumulative_storage_need, np.cumsum(delta) + 2, T0, "TB")  # [1.7, 1.1, 0.8, 2, 3.2, 2]
    assert_hourly(storage.nb_of_instances, [4, 3, 2, 4, 7, 4], T0, "dimensionless", rtol=0)
    # busy: max(|written|, |deleted|) + |dumped|, over the union of the hours
    active = np.array([0.3, 0.6, 0.9, 1.2, 1.8 + 0.6, 1.2]) / 0.5
    assert_hourly(storage.nb_of_active_instances, np.minimum(active, [4, 3, 2, 4, 7, 4]), T0, "dimensionless")


def test_fixed_nb_of_instances(model):
    storage, _ = build(fixed=10)
    active = np.array([0.6, 1.2, 2.4, 1.8, 0.9, 0]) / 0.5
    assert_hourly(storage.nb_of_instances, [10] * 6, T0, "dimensionless", rtol=0)
    assert_hourly(storage.nb_of_active_instances, active, T0, "dimensionless")
    assert_hourly(storage.instances_energy, (active * PER_INSTANCE_POWER + (10 - active) * 0.1) * 1.5 / 1000,
                  T0, "kWh")


def test_fixed_nb_of_instances_exceeded_is_a_capacity_error(model):
    with pytest.raises(CapacityError) as error:
        build(fixed=5)
    message = str(error.value)
    assert "Storage 'st'" in message and "7" in message and "fixed_nb_of_instances is 5" in message


def test_storage_of_a_server_without_job_has_no_value(model):
    storage = Storage.ssd("lonely disk", base_storage_need=q(5, "TB"))
    Server.from_defaults("lonely server", storage=storage)
    for attr in ("storage_needed", "storage_freed", "automatic_storage_dumps_after_storage_duration",
                 "storage_delta", "full_cumulative_storage_need", "raw_nb_of_instances", "nb_of_instances",
                 "nb_of_active_instances", "instances_fabrication_footprint", "instances_energy",
                 "energy_footprint"):
        assert_empty(getattr(storage, attr))
    assert_quantity(storage.carbon_footprint_fabrication, 160, "kg")


def test_storage_without_server_has_no_footprint(model):
    storage = Storage.ssd()
    assert storage.server == []
    assert_empty(storage.instances_energy)
    assert_empty(storage.energy_footprint)


def test_regression_storage_with_only_deleting_jobs(model):
    """A server whose only job deletes data: storage_needed is ∅ but storage_freed is not (the active
    instances formula took the maximum of ∅ and a series and crashed)."""
    storage = Storage.ssd("st", base_storage_need=q(1, "TB"), data_replication_factor=q(3, "dimensionless"))
    server = Server.from_defaults("srv", storage=storage)
    delete = simple_job("delete", server, stored_mb=-0.01e6)
    System("system", usage_patterns=[usage_pattern_of("up", [(1, [delete])], [1, 2, 3])])
    assert_empty(storage.storage_needed)
    assert_hourly(storage.storage_freed, [-0.03, -0.06, -0.09], T0, "TB")
    assert_hourly(storage.full_cumulative_storage_need, [0.97, 0.91, 0.82], T0, "TB")
    assert_hourly(storage.nb_of_instances, [1, 1, 1], T0, "dimensionless", rtol=0)
    assert_hourly(storage.nb_of_active_instances, [0.03, 0.06, 0.09], T0, "dimensionless")


def test_default_values_are_the_seed_ones():
    defaults = Storage.default_values()
    expected = {"carbon_footprint_fabrication_per_storage_capacity": (160, "kg/TB"),
                "power_per_storage_capacity": (1.3, "W/TB"), "lifespan": (6, "year"), "idle_power": (0, "W"),
                "storage_capacity": (1, "TB"), "data_replication_factor": (3, "dimensionless"),
                "base_storage_need": (0, "TB"), "data_storage_duration": (5, "year")}
    assert set(defaults) == set(expected)
    for name, (magnitude, unit) in expected.items():
        assert_quantity(defaults[name], magnitude, unit)


def test_archetypes(model):
    assert Storage.archetypes() == [Storage.ssd, Storage.hdd]
    ssd, hdd = Storage.ssd(), Storage.hdd()
    assert ssd.name == "Default SSD storage" and hdd.name == "Default HDD storage"
    assert_quantity(ssd.carbon_footprint_fabrication_per_storage_capacity, 160, "kg/TB")
    assert_quantity(ssd.lifespan, 6, "year")
    assert_quantity(hdd.lifespan, 4, "year")
    assert_quantity(hdd.carbon_footprint_fabrication_per_storage_capacity, 20, "kg/TB")
    assert_quantity(hdd.power_per_storage_capacity, 4.2, "W/TB")
    assert_quantity(Storage.ssd("named", storage_capacity=q(2, "TB")).storage_capacity, 2, "TB")


def test_from_defaults_and_print_like_the_seed(model):
    storage = Storage.from_defaults("2 TB SSD storage", storage_capacity=SourceValue(2 * u.TB))
    lines = str(storage).splitlines()
    assert lines[0] == f"Storage {storage.id}"
    for line in ("name: 2 TB SSD storage", "lifespan: 6 year", "idle_power: 0 watt", "storage_capacity: 2 terabyte",
                 "data_replication_factor: 3 dimensionless", "data_storage_duration: 5 year",
                 "base_storage_need: 0 terabyte", "fixed_nb_of_instances: no value",
                 "carbon_footprint_fabrication_per_storage_capacity: 160 kilogram / terabyte",
                 "power_per_storage_capacity: 1.3 watt / terabyte"):
        assert line in lines
    calculated_at = lines.index("calculated_attributes:")
    assert lines.index("storage_capacity: 2 terabyte") < calculated_at
    calculated = lines[calculated_at + 1:]
    assert "  carbon_footprint_fabrication: 320 kilogram" in calculated
    assert "  power: 2.6 watt" in calculated
    for attr in ("storage_delta", "full_cumulative_storage_need", "raw_nb_of_instances", "nb_of_instances",
                 "nb_of_active_instances", "instances_fabrication_footprint", "instances_energy",
                 "energy_footprint"):
        assert f"  {attr}: no value" in calculated
