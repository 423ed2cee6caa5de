"""Server (model.md §3): needs, capacity per instance, instance counts per server type, footprints.

The small system: one server (64 GB, 64 cpu_core, utilization 0.8, base 1.2 GB and 1.2 cpu_core, so
50 GB and 50 cpu_core are left for jobs on each instance), two jobs in one 5-minute step, UTC starts
[10, 20, 30, 5] from 2025-01-01 00:00:
- job 1: 10 GB, 1 cpu_core, 1 h  -> requests in progress [10, 20, 30, 5]
- job 2:  1 GB, 2 cpu_core, 2 h  -> requests in progress [10, 30, 50, 35, 5]
so the RAM need is [110, 230, 350, 85, 5] GB and the compute need [30, 80, 130, 75, 10] cpu_core.
"""
import numpy as np
import pytest

from efp import CapacityError, EmptyExplainableObject, SourceValue, u
from efp_nodes import Server, ServerTypes, Storage, System

from nodes_helpers import (HOURS_PER_YEAR, T0, assert_empty, assert_hourly, assert_quantity, q, simple_job,
                      usage_pattern_of)

RAM_NEED = np.array([110, 230, 350, 85, 5.0])
COMPUTE_NEED = np.array([30, 80, 130, 75, 10.0])
RAW = np.maximum(RAM_NEED / 50, COMPUTE_NEED / 50)  # [2.2, 4.6, 7.0, 1.7, 0.2]: RAM decides but the last hour


def build(server_type=ServerTypes.autoscaling(), fixed=None):
    storage = Storage.ssd("disk")
    server = Server("srv", server_type=server_type, carbon_footprint_fabrication=q(600, "kg"), power=q(300, "W"),
                    lifespan=q(6, "year"), idle_power=q(50, "W"), ram=q(64, "GB"), compute=q(64, "cpu_core"),
                    power_usage_effectiveness=q(1.2, "dimensionless"),
                    average_carbon_intensity=SourceValue(100 * u.g / u.kWh),
                    server_utilization_rate=q(0.8, "dimensionless"), base_ram_consumption=q(1.2, "GB"),
                    base_compute_consumption=q(1.2, "cpu_core"), storage=storage,
                    fixed_nb_of_instances=EmptyExplainableObject() if fixed is None else q(fixed, "dimensionless"))
    job1 = simple_job("job 1", server, ram_gb=10, compute_cores=1, duration_h=1)
    job2 = simple_job("job 2", server, ram_gb=1, compute_cores=2, duration_h=2)
    up = usage_pattern_of("up", [(5, [job1, job2])], [10, 20, 30, 5])
    system = System("system", usage_patterns=[up])
    return server, system, (job1, job2)


def test_hour_by_hour_needs(model):
    server, _, jobs = build()
    assert server.jobs == list(jobs)
    assert_hourly(server.hour_by_hour_ram_need, RAM_NEED, T0, "GB")
    assert_hourly(server.hour_by_hour_compute_need, COMPUTE_NEED, T0, "cpu_core")
    assert server.hour_by_hour_ram_need.unit == u.GB
    assert server.hour_by_hour_compute_need.unit == u.cpu_core


def test_occupied_and_available_per_instance_without_services(model):
    server, _, _ = build()
    assert server.installed_services == []
    assert_quantity(server.occupied_ram_per_instance, 1.2, "GB")
    assert_quantity(server.occupied_compute_per_instance, 1.2, "cpu_core")
    assert_quantity(server.available_ram_per_instance, 64 * 0.8 - 1.2, "GB")
    assert_quantity(server.available_compute_per_instance, 64 * 0.8 - 1.2, "cpu_core")


def test_raw_nb_of_instances_is_the_larger_ratio(model):
    server, _, _ = build()
    assert_hourly(server.raw_nb_of_instances, [2.2, 4.6, 7.0, 1.7, 0.2], T0, "dimensionless")


def test_autoscaling_rounds_up_each_hour(model):
    server, _, _ = build(ServerTypes.autoscaling())
    assert_hourly(server.nb_of_instances, [3, 5, 7, 2, 1], T0, "dimensionless", rtol=0)


def test_serverless_keeps_the_fraction(model):
    server, _, _ = build(ServerTypes.serverless())
    assert_hourly(server.nb_of_instances, RAW, T0, "dimensionless")


def test_on_premise_is_a_constant_fleet_sized_for_the_peak_over_raw_span(model):
    server, _, _ = build(ServerTypes.on_premise())
    assert_hourly(server.nb_of_instances, [7] * 5, T0, "dimensionless", rtol=0)


def test_on_premise_with_fixed_nb_of_instances(model):
    server, _, _ = build(ServerTypes.on_premise(), fixed=10)
    assert_hourly(server.nb_of_instances, [10] * 5, T0, "dimensionless", rtol=0)
    assert_hourly(server.instances_fabrication_footprint, 600 * np.full(5, 10) / (6 * HOURS_PER_YEAR), T0, "kg")


def test_on_premise_fixed_nb_of_instances_exceeded_is_a_capacity_error(model):
    with pytest.raises(CapacityError) as error:
        build(ServerTypes.on_premise(), fixed=6)
    message = str(error.value)
    assert "Server 'srv'" in message and "7" in message and "fixed_nb_of_instances is 6" in message


def test_ceil_ignores_float_noise(model):
    server = Server("tiny", compute=q(0.1, "cpu_core"), ram=q(1, "GB"), server_utilization_rate=q(1, "dimensionless"),
                    base_ram_consumption=q(0, "GB"), base_compute_consumption=q(0, "cpu_core"))
    job = simple_job("job", server, compute_cores=0.1, duration_h=1)
    System("system", usage_patterns=[usage_pattern_of("up", [(1, [job])], [3])])
    assert 3 * 0.1 / 0.1 == 3.0000000000000004
    assert_hourly(server.nb_of_instances, [3], T0, "dimensionless", rtol=0)


@pytest.mark.parametrize("server_type", [ServerTypes.autoscaling(), ServerTypes.serverless(),
                                         ServerTypes.on_premise()])
def test_footprints(model, server_type):
    server, _, _ = build(server_type)
    nb = {"autoscaling": np.array([3, 5, 7, 2, 1.0]), "serverless": RAW,
          "on-premise": np.full(5, 7.0)}[server_type.value]
    fabrication = 600 * nb / (6 * HOURS_PER_YEAR)  # kg, spread over the lifespan's hours
    energy_kwh = (50 * 1.2 * nb + (300 - 50) * 1.2 * RAW) / 1000
    assert_hourly(server.instances_fabrication_footprint, fabrication, T0, "kg")
    assert_hourly(server.instances_energy, energy_kwh, T0, "kWh")
    assert_hourly(server.energy_footprint, energy_kwh * 0.1, T0, "kg")  # the server's own 100 g/kWh


def test_jobs_with_different_spans_combine_over_the_union(model):
    server = Server("srv", ram=q(100, "GB"), compute=q(100, "cpu_core"), server_utilization_rate=q(1, "dimensionless"),
                    base_ram_consumption=q(0, "GB"), base_compute_consumption=q(0, "cpu_core"))
    early = simple_job("early", server, ram_gb=1, duration_h=1)
    late = simple_job("late", server, ram_gb=2, duration_h=1)
    up1 = usage_pattern_of("up1", [(1, [early])], [1, 2])
    up2 = usage_pattern_of("up2", [(1, [late])], [3, 4], start=T0.replace(hour=3))
    System("system", usage_patterns=[up1, up2])
    assert_hourly(server.hour_by_hour_ram_need, [1, 2, 0, 6, 8], T0, "GB")
    assert_hourly(server.raw_nb_of_instances, [0.01, 0.02, 0, 0.06, 0.08], T0, "dimensionless")
    assert_hourly(server.nb_of_instances, [1, 1, 0, 1, 1], T0, "dimensionless", rtol=0)


def test_server_without_job_has_no_value(model):
    server = Server.from_defaults("idle")
    assert server.jobs == []
    for attr in ("hour_by_hour_ram_need", "hour_by_hour_compute_need", "raw_nb_of_instances", "nb_of_instances",
                 "instances_fabrication_footprint", "instances_energy", "energy_footprint"):
        assert_empty(getattr(server, attr))
    assert_quantity(server.available_ram_per_instance, 128 * 0.9, "GB")


def test_default_values_are_the_seed_ones():
    defaults = Server.default_values()
    expected = {"carbon_footprint_fabrication": (600, "kg"), "power": (300, "W"), "lifespan": (6, "year"),
                "idle_power": (50, "W"), "ram": (128, "GB"), "compute": (24, "cpu_core"),
                "power_usage_effectiveness": (1.2, "dimensionless"),
                "average_carbon_intensity": (100, "g/kWh"), "server_utilization_rate": (0.9, "dimensionless"),
                "base_ram_consumption": (0, "GB"), "base_compute_consumption": (0, "cpu_core")}
    for name, (magnitude, unit) in expected.items():
        assert_quantity(defaults[name], magnitude, unit)
    assert defaults["server_type"].value == "autoscaling"
    assert "fixed_nb_of_instances" not in defaults


def test_list_values_and_conditional_list_values():
    assert [str(v) for v in Server.list_values()["server_type"]] == ["autoscaling", "on-premise", "serverless"]
    rule = Server.conditional_list_values()["fixed_nb_of_instances"]
    assert rule["depends_on"] == "server_type"
    assert set(rule["conditional_list_values"]) == {"autoscaling", "serverless"}
    for allowed in rule["conditional_list_values"].values():
        assert all(isinstance(value, EmptyExplainableObject) for value in allowed)


def test_print_shows_inputs_then_calculated_attributes_with_no_value_before_computation(model):
    server = Server.from_defaults("server", base_ram_consumption=q(300, "MB"))
    text = str(server)
    lines = text.splitlines()
    assert lines[0] == f"Server {server.id}"
    assert "name: server" in lines
    assert "power: 300 watt" in lines
    assert "base_ram_consumption: 300 megabyte" in lines
    assert "fixed_nb_of_instances: no value" in lines
    assert f"storage: {server.storage.id}" in lines
    calculated_at = lines.index("calculated_attributes:")
    assert lines.index("name: server") < calculated_at
    for attr in ("hour_by_hour_ram_need", "hour_by_hour_compute_need", "raw_nb_of_instances", "nb_of_instances",
                 "instances_fabrication_footprint", "instances_energy", "energy_footprint"):
        assert f"  {attr}: no value" in lines[calculated_at:]
    assert "  occupied_ram_per_instance: 0.3 gigabyte" in lines[calculated_at:]
