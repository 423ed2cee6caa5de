"""BoaviztaCloudServer: hardware facts from the embedded table and from a real BoaviztAPI 2.5.0.

Live tests use the session fixture ``boaviztapi_url`` (``conftest.py``); failure modes use a closed
local port, never any other address.
"""
from __future__ import annotations

import math
import subprocess
import sys
from datetime import datetime

import numpy as np
import pytest

from efp import (ExternalDataError, ModelingUpdate, SourceHourlyValues, SourceObject, SourceValue,
                 UnknownInstanceError, ValidationError, new_model, u)
from efp.values import EmptyExplainableObject, ExplainableObject
from efp_builders import BoaviztaCloudServer
from efp_builders import boavizta
from efp_builders.boavizta import EmbeddedBoavizta, LiveBoavizta, using_backend
from efp_nodes import (Countries, Device, Job, Network, Server, Storage, System, UsagePattern, UserJourney,
                       UserJourneyStep)

DEV1_S = {"carbon_footprint_fabrication": 19.0 * u.kg, "power": 10.990959713114755 * u.W,
          "ram": 2.0 * u.GB, "compute": 2.0 * u.cpu_core}
SAMPLES = [("aws", "a1.medium"), ("aws", "m5.xlarge"), ("azure", "d2ads_v5"), ("gcp", "c4a-standard-1"),
           ("ovhcloud", "b3-8"), ("scaleway", "dev1-s"), ("scaleway", "coparm1-2c-8g")]


@pytest.fixture
def model():
    with new_model() as fresh:
        yield fresh


@pytest.fixture(autouse=True)
def embedded_default():
    """Every test starts with the embedded table as default backend, and restores what was there."""
    previous = boavizta.set_default_backend(boavizta.EMBEDDED)
    yield
    boavizta.set_default_backend(previous)


def facts(server) -> dict:
    return {name: getattr(server, name).value for name in DEV1_S}


def expected_facts(provider: str, instance_type: str) -> dict:
    instance = EmbeddedBoavizta().instance(provider, instance_type)
    return {"carbon_footprint_fabrication": instance.gwp_embedded_kg * u.kg, "power": instance.avg_power_w * u.W,
            "ram": instance.memory_gb * u.GB, "compute": instance.vcpu * u.cpu_core}


def snapshot(model) -> dict:
    """Every node's state and value identity, and the objects: what a refused change must not touch."""
    nodes = {key: (node.state, id(node.value), tuple(node.value) if isinstance(node.value, list) else None)
             for key, node in model.nodes.items()}
    return {"nodes": nodes, "objects": dict(model.objects), "edges": set(model.graph.edges)}


def usage_pattern(server, ram_needed=900 * u.MB, compute_needed=0.1 * u.cpu_core, starts=(1, 4, 10)):
    """One journey of one step whose one 1-hour job runs on ``server``; starts in three hours."""
    job = Job("job", server=server, data_transferred=SourceValue(1 * u.MB), data_stored=SourceValue(1 * u.MB),
              request_duration=SourceValue(1 * u.hour), compute_needed=SourceValue(compute_needed),
              ram_needed=SourceValue(ram_needed))
    step = UserJourneyStep("step", user_time_spent=SourceValue(5 * u.min), jobs=[job])
    usage = UsagePattern("usage", user_journey=UserJourney("journey", uj_steps=[step]), devices=[Device.laptop()],
                         network=Network.wifi_network(), country=Countries.FRANCE(),
                         hourly_user_journey_starts=SourceHourlyValues(list(starts), datetime(2025, 1, 1)))
    return usage


def assert_nothing_built(model) -> None:
    """A refused server leaves no object behind, not even the default storage made for it."""
    assert not model.objects, f"{list(model.objects.values())} left behind"


def small_system(server, **needs):
    return System("system", usage_patterns=[usage_pattern(server, **needs)])


# ------------------------------------------------------------------------------------ declarations
def test_default_values_are_the_seeds(model):
    defaults = BoaviztaCloudServer.default_values()
    assert list(defaults)[:2] == ["provider", "instance_type"]
    assert {name: str(value) if isinstance(value, ExplainableObject) else value.value
            for name, value in defaults.items()} == {
        "provider": "scaleway", "instance_type": "dev1-s", "server_type": "autoscaling",
        "lifespan": 6 * u.year, "idle_power": 0 * u.W, "power_usage_effectiveness": 1.2 * u.dimensionless,
        "average_carbon_intensity": 0.233 * u.kg / u.kWh, "server_utilization_rate": 0.9 * u.dimensionless,
        "base_ram_consumption": 0 * u.GB, "base_compute_consumption": 0 * u.cpu_core}
    server = BoaviztaCloudServer.from_defaults("default")
    assert isinstance(server.fixed_nb_of_instances, EmptyExplainableObject)
    assert isinstance(server.storage, Storage)


def test_list_values_are_server_type_and_the_backends_providers():
    assert BoaviztaCloudServer.list_values() == {
        "server_type": ["autoscaling", "on-premise", "serverless"],
        "provider": ["aws", "azure", "gcp", "ovhcloud", "scaleway"]}


def test_conditional_list_values_follow_the_table_order():
    conditional = BoaviztaCloudServer.conditional_list_values()
    assert conditional["fixed_nb_of_instances"]["depends_on"] == "server_type"
    instance_types = conditional["instance_type"]
    assert instance_types["depends_on"] == "provider"
    lists = instance_types["conditional_list_values"]
    embedded = EmbeddedBoavizta()
    assert lists == {provider: embedded.instance_types(provider) for provider in embedded.providers()}
    assert lists["aws"][:5] == ["a1.medium", "a1.large", "a1.xlarge", "a1.2xlarge", "a1.4xlarge"]
    assert lists["azure"][:5] == ["d2ads_v5", "d4ads_v5", "d8ads_v5", "d16ads_v5", "d32ads_v5"]
    assert lists["scaleway"][:5] == ["coparm1-16c-64g", "coparm1-2c-8g", "coparm1-32c-128g", "coparm1-4c-16g",
                                     "coparm1-8c-32g"]


def test_importing_reads_no_table_and_no_network():
    code = ("import sys, efp_builders; from efp_builders import boavizta; "
            "print(boavizta._embedded_table.cache_info().currsize, 'requests' in sys.modules, boavizta._default)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "False", "None"]


# ------------------------------------------------------------------------------------ embedded
def test_dev1_s_from_the_embedded_table(model):
    server = BoaviztaCloudServer.from_defaults("Default Boavizta cloud server")
    assert facts(server) == DEV1_S
    answer = server.api_call_response
    assert isinstance(answer, ExplainableObject)
    assert answer.value["impacts"]["gwp"]["embedded"]["value"] == 19.0
    assert answer.value["verbose"]["avg_power"] == {"value": 10.990959713114755, "unit": "W"}
    assert "embedded BoaviztAPI 2.5.0 table" in str(answer.source)
    assert server.available_ram_per_instance.value.to(u.GB).magnitude == pytest.approx(1.8)
    text = str(server)
    for line in ("provider: scaleway", "instance_type: dev1-s", "carbon_footprint_fabrication: 19 kilogram",
                 "power: 10.99 watt", "ram: 2 gigabyte", "compute: 2 cpu_core", "api_call_response: {'impacts'"):
        assert line in text


@pytest.mark.parametrize("provider, instance_type", SAMPLES)
def test_several_providers_from_the_embedded_table(model, provider, instance_type):
    server = BoaviztaCloudServer.from_defaults("cloud", provider=provider, instance_type=instance_type)
    assert facts(server) == expected_facts(provider, instance_type)


def test_unknown_instance_type_names_it_and_builds_nothing(model):
    with pytest.raises(UnknownInstanceError) as info:
        BoaviztaCloudServer.from_defaults("typo", provider="scaleway", instance_type="dev1-ss")
    message = str(info.value)
    assert "'dev1-ss'" in message and "scaleway" in message and "'dev1-s'" in message  # closest match offered
    assert "BoaviztaCloudServer 'typo'.instance_type" in message
    assert_nothing_built(model)


def test_unknown_provider_is_refused(model):
    with pytest.raises(ValidationError, match="'scaleway'"):
        BoaviztaCloudServer.from_defaults("typo", provider="scalewey")
    assert_nothing_built(model)


def test_change_to_an_unknown_instance_type_leaves_the_object_as_before(model):
    server = BoaviztaCloudServer.from_defaults("cloud")
    system = small_system(server)
    before, footprint = snapshot(model), system.total_footprint
    with pytest.raises(UnknownInstanceError, match="'no-such-instance'"):
        server.instance_type = SourceObject("no-such-instance")
    assert snapshot(model) == before
    assert server.instance_type.value == "dev1-s" and facts(server) == DEV1_S
    assert system.total_footprint is footprint


def test_provider_alone_cannot_change_but_a_batch_with_the_instance_can(model):
    server = BoaviztaCloudServer.from_defaults("cloud")
    before = snapshot(model)
    with pytest.raises(UnknownInstanceError, match="'dev1-s'.*'aws'"):
        server.provider = SourceObject("aws")
    assert snapshot(model) == before
    ModelingUpdate([[server.provider, SourceObject("aws")], [server.instance_type, SourceObject("m5.xlarge")]])
    assert facts(server) == expected_facts("aws", "m5.xlarge")


def test_fixed_nb_of_instances_stays_on_premise_only(model):
    with pytest.raises(ValidationError, match="fixed_nb_of_instances"):
        BoaviztaCloudServer.from_defaults("cloud", fixed_nb_of_instances=SourceValue(3 * u.dimensionless))


def test_instance_change_recomputes_the_facts_and_what_depends_on_them(model):
    server = BoaviztaCloudServer.from_defaults("cloud")
    system = small_system(server)
    server.instance_type = SourceObject("dev1-m")
    assert facts(server) == expected_facts("scaleway", "dev1-m")
    recomputed = {key.split(".", 1)[1] for key in model.last_plan if key.startswith(server.id)}
    assert {"api_call_response", "carbon_footprint_fabrication", "power", "ram", "compute",
            "nb_of_instances", "energy_footprint"} <= recomputed
    assert not any(key.startswith(server.storage.id) for key in model.last_plan)  # storage needs are unchanged
    with new_model():
        rebuilt = small_system(BoaviztaCloudServer.from_defaults("cloud", instance_type="dev1-m"))
        assert np.array_equal(rebuilt.total_footprint.magnitude, system.total_footprint.magnitude)


# ------------------------------------------------------------------------------------ in a system
def test_cloud_server_in_a_small_system(model):
    server = BoaviztaCloudServer.from_defaults("cloud")
    system = small_system(server)
    # 900 MB per request on 2 GB x 0.9 = 1.8 GB per instance: 1, 4 and 10 requests need 0.5, 2, 5 instances
    assert list(server.raw_nb_of_instances.magnitude) == pytest.approx([0.5, 2, 5])
    assert list(server.nb_of_instances.magnitude) == [1, 2, 5]
    hours_per_lifespan = 6 * 8766
    assert server.instances_fabrication_footprint.sum().to(u.kg).magnitude == pytest.approx(19 * 8 / hours_per_lifespan)
    energy_kwh = 10.990959713114755 * 7.5 * 1.2 / 1000
    assert server.instances_energy.sum().to(u.kWh).magnitude == pytest.approx(energy_kwh)
    assert server.energy_footprint.sum().to(u.kg).magnitude == pytest.approx(energy_kwh * 0.233)
    assert server in system.servers
    by_object = system.energy_footprint_sum_over_period["Servers"]
    assert by_object[server].to(u.kg).magnitude == pytest.approx(energy_kwh * 0.233)


def test_same_footprints_as_a_server_given_the_same_facts(model):
    cloud_system = small_system(BoaviztaCloudServer.from_defaults("cloud"))
    with new_model():
        plain = Server.from_defaults("cloud", carbon_footprint_fabrication=SourceValue(19 * u.kg),
                                     power=SourceValue(10.990959713114755 * u.W), idle_power=SourceValue(0 * u.W),
                                     ram=SourceValue(2 * u.GB), compute=SourceValue(2 * u.cpu_core),
                                     average_carbon_intensity=SourceValue(0.233 * u.kg / u.kWh))
        plain_system = small_system(plain)
        assert np.allclose(plain_system.total_footprint.magnitude, cloud_system.total_footprint.magnitude,
                           rtol=1e-12, atol=0)


# ------------------------------------------------------------------------------------ live BoaviztAPI
@pytest.mark.parametrize("provider, instance_type", SAMPLES[::2] + [("scaleway", "dev1-s")])
def test_live_gives_the_embedded_figures(model, boaviztapi_url, provider, instance_type):
    with using_backend(LiveBoavizta(boaviztapi_url)):
        server = BoaviztaCloudServer.from_defaults("cloud", provider=provider, instance_type=instance_type)
        assert facts(server) == expected_facts(provider, instance_type)
        assert boaviztapi_url + "/v1/cloud/instance?provider=" + provider in str(server.api_call_response.source)


def test_live_unknown_instance_type(model, boaviztapi_url):
    with using_backend(LiveBoavizta(boaviztapi_url)):
        with pytest.raises(UnknownInstanceError, match="no-such-instance"):
            BoaviztaCloudServer.from_defaults("typo", instance_type="no-such-instance")
        assert_nothing_built(model)
        server = BoaviztaCloudServer.from_defaults("cloud")
        before = snapshot(model)
        with pytest.raises(UnknownInstanceError, match="dev1-ss"):  # BoaviztAPI's fuzzy substitute is refused
            server.instance_type = SourceObject("dev1-ss")
        assert snapshot(model) == before
        assert facts(server) == DEV1_S


def test_live_lists(boaviztapi_url):
    with using_backend(LiveBoavizta(boaviztapi_url)):
        assert BoaviztaCloudServer.list_values()["provider"] == EmbeddedBoavizta().providers()
        lists = BoaviztaCloudServer.conditional_list_values()["instance_type"]["conditional_list_values"]
        assert lists["scaleway"] == EmbeddedBoavizta().instance_types("scaleway")


def test_closed_port_is_an_external_data_error_and_nothing_is_half_built(model, closed_port_url):
    dead = LiveBoavizta(closed_port_url, timeout=0.5, retries=0)
    with using_backend(dead):
        with pytest.raises(ExternalDataError, match=closed_port_url):
            BoaviztaCloudServer.from_defaults("cloud")
    assert_nothing_built(model)

    server = BoaviztaCloudServer.from_defaults("cloud")  # validated by the embedded table, nothing computed yet
    usage = usage_pattern(server)
    before = snapshot(model)
    with using_backend(dead):
        with pytest.raises(ExternalDataError):
            server.instance_type = SourceObject("dev1-m")
        assert snapshot(model) == before
        with pytest.raises(ExternalDataError, match=closed_port_url):
            System("system", usage_patterns=[usage])  # the System computes the server's facts: the API is down
        assert snapshot(model) == before
    system = System("system", usage_patterns=[usage])  # back on the embedded table, the same objects compute
    assert list(server.nb_of_instances.magnitude) == [1, 2, 5]
    assert system.total_footprint.sum().magnitude > 0


# ------------------------------------------------------------------------------------ dask workers
def test_formulas_on_distributed_workers(model, boaviztapi_url):
    """The backend call runs on the worker: the embedded table loads there; a live backend there needs
    the workers' own EFP_BOAVIZTA_BACKEND / EFP_BOAVIZTAPI_URL."""
    distributed = pytest.importorskip("distributed")
    from efp import config

    def worker_backend(url):
        import os
        from efp_builders import boavizta as worker_boavizta
        if url is None:
            os.environ.pop("EFP_BOAVIZTA_BACKEND", None)
            os.environ.pop("EFP_BOAVIZTAPI_URL", None)
        else:
            os.environ.update(EFP_BOAVIZTA_BACKEND="live", EFP_BOAVIZTAPI_URL=url)
        worker_boavizta.set_default_backend(None)
        return repr(worker_boavizta.default_backend())

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        with config.use_client(client):
            assert list(client.run(worker_backend, None).values()) == ["EmbeddedBoavizta()"]
            embedded_server = BoaviztaCloudServer.from_defaults("cloud on embedded worker")
            small_system(embedded_server)
            assert facts(embedded_server) == DEV1_S
            assert "embedded" in str(embedded_server.api_call_response.source)
            assert list(embedded_server.nb_of_instances.magnitude) == [1, 2, 5]

            client.run(worker_backend, boaviztapi_url)
            live_server = BoaviztaCloudServer.from_defaults("cloud on live worker", instance_type="dev1-m")
            assert facts(live_server) == expected_facts("scaleway", "dev1-m")
            assert boaviztapi_url in str(live_server.api_call_response.source)  # fetched by the worker
            client.run(worker_backend, None)
    assert math.isfinite(float(embedded_server.energy_footprint.sum().magnitude))
