"""System (model.md §4): categories, per-object footprints keyed by identity, totals and sums.

The small system, every figure by hand: UTC starts [2, 4]; one 60-minute step with one job (1 h, 1 GB
transferred, 10 GB stored, 1 cpu_core, 1 GB RAM) on a default server (24 cpu_core x 0.9 = 21.6 per
instance, so one instance each hour) with a default SSD (1 TB, replication 3, 5 years of retention);
a laptop; a 0.05 kWh/GB network; 100 g/kWh everywhere.
"""
import numpy as np
import pytest

from efp_nodes import Device, Network, Server, Storage, System

from nodes_helpers import (HOURS_PER_YEAR, T0, assert_hourly, assert_quantity, q, simple_job, usage_pattern_of,
                           utc_country)

STARTS = np.array([2, 4.0])
LIFE_HOURS = 6 * HOURS_PER_YEAR
SERVER_RAW = STARTS * 1 / (24 * 0.9)
EXPECTED = {  # (category, kind): hourly kg
    ("Servers", "fabrication"): 600 * np.ones(2) / LIFE_HOURS,
    ("Servers", "energy"): (50 * 1.2 * np.ones(2) + 250 * 1.2 * SERVER_RAW) / 1000 * 0.1,
    ("Storage", "fabrication"): 160 * np.ones(2) / LIFE_HOURS,
    ("Storage", "energy"): (STARTS * 3 * 10 / 1000) * 1.3 * 1.2 / 1000 * 0.1,   # active instances x 1.3 W x PUE
    ("Network", "fabrication"): np.zeros(2),
    ("Network", "energy"): 0.05 * STARTS * 1 * 0.1,
    ("Devices", "fabrication"): STARTS * 156 / (6 * 365.25 * 7),
    ("Devices", "energy"): STARTS * 50 / 1000 * 0.1,
}


def build(nb_servers=1, server_name="srv"):
    jobs, servers = [], []
    for i in range(nb_servers):
        server = Server.from_defaults(server_name, storage=Storage.ssd())
        servers.append(server)
        jobs.append(simple_job(f"job {i}", server, transferred_mb=1000, stored_mb=10_000, compute_cores=1, ram_gb=1))
    network = Network("net", bandwidth_energy_intensity=q(0.05, "kWh/GB"))
    up = usage_pattern_of("up", [(60, jobs)], STARTS, devices=[Device.laptop()], network=network,
                          country=utc_country(intensity_g_per_kwh=100))
    return System("system", usage_patterns=[up]), servers, network, up


def test_categories_and_their_objects(model):
    system, (server,), network, up = build()
    assert system.servers == [server]
    assert system.storages == [server.storage]
    assert system.networks == [network]
    assert list(system.usage_patterns) == [up]
    expected = {"Servers": [server], "Storage": [server.storage], "Network": [network], "Devices": [up]}
    for footprints in (system.fabrication_footprints, system.energy_footprints):
        assert list(footprints) == ["Servers", "Storage", "Network", "Devices"]
        assert {category: list(by_object) for category, by_object in footprints.items()} == expected


def test_per_object_footprints(model):
    system, _, _, _ = build()
    for (category, kind), expected in EXPECTED.items():
        (value,) = getattr(system, f"{kind}_footprints")[category].values()
        if category == "Network" and kind == "fabrication":
            assert not value  # ∅
            continue
        assert_hourly(value, expected, T0, "kg")


def test_total_footprint_is_the_sum_of_the_parts(model):
    system, _, _, _ = build()
    assert_hourly(system.total_footprint, sum(EXPECTED.values()), T0, "kg")


def test_sums_over_the_period(model):
    system, (server,), network, up = build()
    for category in ("Servers", "Storage", "Network", "Devices"):
        assert_quantity(system.total_fabrication_footprint_sum_over_period[category],
                        EXPECTED[(category, "fabrication")].sum(), "kg")
        assert_quantity(system.total_energy_footprint_sum_over_period[category],
                        EXPECTED[(category, "energy")].sum(), "kg")
    assert_quantity(system.fabrication_footprint_sum_over_period["Servers"][server],
                    EXPECTED[("Servers", "fabrication")].sum(), "kg")
    assert_quantity(system.energy_footprint_sum_over_period["Devices"][up], EXPECTED[("Devices", "energy")].sum(), "kg")
    assert_quantity(system.energy_footprint_sum_over_period["Network"][network],
                    EXPECTED[("Network", "energy")].sum(), "kg")
    grand_total = sum(q.value.to("kg").magnitude for q in system.total_fabrication_footprint_sum_over_period.values()) \
        + sum(q.value.to("kg").magnitude for q in system.total_energy_footprint_sum_over_period.values())
    assert grand_total == pytest.approx(system.total_footprint.sum().value.to("kg").magnitude, rel=1e-12)


def test_regression_two_servers_with_the_same_name_both_count(model):
    system, servers, _, _ = build(nb_servers=2, server_name="server")
    assert len(system.servers) == 2 and len(system.storages) == 2
    assert len(system.fabrication_footprints["Servers"]) == 2
    assert len(system.energy_footprint_sum_over_period["Storage"]) == 2
    assert set(system.fabrication_footprints["Servers"]) == set(servers)
    # each server holds one instance each hour: twice the fabrication of one
    assert_quantity(system.total_fabrication_footprint_sum_over_period["Servers"],
                    2 * EXPECTED[("Servers", "fabrication")].sum(), "kg")
    assert_quantity(system.total_fabrication_footprint_sum_over_period["Storage"],
                    2 * EXPECTED[("Storage", "fabrication")].sum(), "kg")
    # the second job adds a server, its storage and its traffic; the devices are the same
    second = [EXPECTED[(category, kind)] for category in ("Servers", "Storage") for kind in ("fabrication", "energy")]
    expected_total = sum(EXPECTED.values()) + sum(second) + EXPECTED[("Network", "energy")]
    assert_hourly(system.total_footprint, expected_total, T0, "kg")


def test_a_system_of_usage_patterns_without_jobs(model):
    up = usage_pattern_of("up", [(60, [])], STARTS, devices=[Device.laptop()],
                          country=utc_country(intensity_g_per_kwh=100))
    system = System("system", usage_patterns=[up])
    assert system.servers == [] and system.storages == []
    assert_hourly(system.total_footprint, EXPECTED[("Devices", "fabrication")] + EXPECTED[("Devices", "energy")],
                  T0, "kg")
    assert_quantity(system.total_energy_footprint_sum_over_period["Servers"], 0, "kg")


def test_print_shows_the_total(model):
    system, _, _, up = build()
    lines = str(system).splitlines()
    assert lines[0] == f"System {system.id}"
    assert f"usage_patterns: [{up.id}]" in lines
    calculated = lines[lines.index("calculated_attributes:") + 1:]
    assert any(line.startswith("  total_footprint: 2 hourly values from 2025-01-01 00:00:00") for line in calculated)
