"""Network (model.md §3): energy of the data each usage pattern's jobs move, at its country's intensity."""
from datetime import datetime

import numpy as np

from efp_nodes import Countries, Network, Server, System

from nodes_helpers import assert_empty, assert_hourly, assert_quantity, q, simple_job, usage_pattern_of

LOCAL_START = datetime(2025, 1, 1)
PARIS_UTC_START = datetime(2024, 12, 31, 23)   # UTC+1 in winter
LONDON_UTC_START = datetime(2025, 1, 1)         # UTC in winter


def shared_job_system(france_network, uk_network):
    """Job "shared" (100 MB + 400 MB download, 1 h) runs in a French and a British usage pattern, both
    with local starts [10, 20]; job "french only" (10 MB, 30 min) runs in the French one only."""
    server = Server.from_defaults("srv")
    shared = simple_job("shared", server, transferred_mb=100, download_mb=400, duration_h=1)
    french_only = simple_job("french only", server, transferred_mb=10, duration_h=0.5)
    france = usage_pattern_of("France", [(1, [shared, french_only])], [10, 20], country=Countries.FRANCE(),
                              network=france_network)
    uk = usage_pattern_of("UK", [(1, [shared])], [10, 20], country=Countries.UNITED_KINGDOM(), network=uk_network)
    system = System("system", usage_patterns=[france, uk])
    return france, uk, system


def test_energy_with_two_usage_patterns_in_two_countries_sharing_a_job(model):
    network = Network("net", bandwidth_energy_intensity=q(0.1, "kWh/GB"))
    france, uk, _ = shared_job_system(network, network)
    assert network.usage_patterns == [france, uk]
    # GB per hour on the UTC axis 2024-12-31 23:00, 00:00, 01:00
    france_gb = np.array([0.5 * 10 + 0.01 * 10 / 0.5 * 0.5, 0.5 * 20 + 0.01 * 20 / 0.5 * 0.5, 0])  # [5.1, 10.2, 0]
    uk_gb = np.array([0, 0.5 * 10, 0.5 * 20])
    expected_kg = 0.1 * (france_gb * 0.085 + uk_gb * 0.268)
    assert_hourly(network.energy_footprint, expected_kg, PARIS_UTC_START, "kg")


def test_each_network_counts_only_its_usage_patterns(model):
    wifi, mobile = Network.wifi_network(), Network.mobile_network()
    shared_job_system(wifi, mobile)
    # each network spans its own usage patterns' hours
    assert_hourly(wifi.energy_footprint, 0.05 * np.array([5.1, 10.2]) * 0.085, PARIS_UTC_START, "kg")
    assert_hourly(mobile.energy_footprint, 0.12 * np.array([5, 10]) * 0.268, LONDON_UTC_START, "kg")


def test_network_has_no_fabrication_footprint(model):
    network = Network("net", bandwidth_energy_intensity=q(0.1, "kWh/GB"))
    _, _, system = shared_job_system(network, network)
    assert_empty(system.fabrication_footprints["Network"][network])
    assert_quantity(system.fabrication_footprint_sum_over_period["Network"][network], 0, "kg")
    assert_quantity(system.total_fabrication_footprint_sum_over_period["Network"], 0, "kg")


def test_network_without_usage_pattern_has_no_value(model):
    network = Network("unused")
    assert network.usage_patterns == []
    assert_empty(network.energy_footprint)


def test_archetypes_and_defaults(model):
    assert Network.archetypes() == [Network.wifi_network, Network.mobile_network]
    assert_quantity(Network.wifi_network().bandwidth_energy_intensity, 0.05, "kWh/GB")
    assert_quantity(Network.mobile_network().bandwidth_energy_intensity, 0.12, "kWh/GB")
    assert_quantity(Network.default_values()["bandwidth_energy_intensity"], 0.1, "kWh/GB")
    assert Network.wifi_network("My wifi").name == "My wifi"
