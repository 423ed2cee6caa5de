"""e-footprint 9 JSON files (shared/data/efootprint9-json/, written by e-footprint 9 itself) load and compute.

The expected figures are worked out by hand from the files' inputs and model.md, not taken from efp:
- base_system: one autoscaling server (24 cores, 0.9 utilization, 2 cores taken: 19.6 left), jobs of
  1 core for 4 min ("streaming") and 40 s ("upload"), both in the start hour of a 21-minute journey;
  a storage that no server uses ("Default SSD storage bis"), outside the system;
- simple_system: the same on an on-premise server, and a storage with a fixed fleet of 10,000 disks;
- complex_system: two usage patterns, three servers (autoscaling, on-premise, serverless).
"""
from __future__ import annotations

import copy
import json
import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from efp import SourceHourlyValues, SourceObject, SourceValue, State, new_model, u
from efp.errors import SerializationError
from efp_nodes import (Countries, Device, GPUServer, Network, Server, Storage, System, UsagePattern, UserJourney,
                       UserJourneyStep, json_to_system, system_to_json)
from efp_nodes import json_io
import efp_builders as builders

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "efootprint9-json"
FILES = ("simple_system", "base_system", "complex_system")
EFOOTPRINT_CORE_CLASSES = {"System", "UsagePattern", "UsageJourney", "UsageJourneyStep", "Job", "Server", "Storage",
                           "Hardware", "Network", "Country"}
YEAR_H = 365.25 * 24
LAPTOP_KG_PER_HOUR_OF_USE = 156 / (6 * 365.25 * 7)  # 156 kg over 6 years of 7 hours a day
PATTERN_STARTS = {"morning": [1000, 2000, 4000, 5000, 8000, 12000, 2000, 2000, 3000],
                  "evening": [4000, 2000, 1000, 5000, 2000, 1000, 7000, 8000, 3000]}


def document(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def kg(value) -> float:
    return float(value.to(u.kg).magnitude)


@pytest.fixture
def loaded(request):
    """A file loaded into a fresh model: (model, system, objects by name)."""
    with new_model() as model:
        system = json_to_system(DATA / f"{request.param}.json")
        yield model, system, {obj.name: obj for obj in model.objects.values()}


def test_the_files_use_only_core_classes():
    for name in FILES:
        classes = {key for key, value in document(name).items() if isinstance(value, dict)}
        assert classes <= EFOOTPRINT_CORE_CLASSES, name  # no builder class (BoaviztaCloudServer, services)


@pytest.mark.parametrize("name", FILES)
def test_every_object_of_the_file_exists_with_its_class_and_name(name):
    data = document(name)
    efp_class = {"UsageJourney": "UserJourney", "UsageJourneyStep": "UserJourneyStep", "Hardware": "Device"}
    with new_model() as model:
        system = json_to_system(DATA / f"{name}.json")
        expected = {(object_id, efp_class.get(class_name, class_name), obj["name"])
                    for class_name, group in data.items() if isinstance(group, dict)
                    for object_id, obj in group.items()}
        assert {(o.id, type(o).__name__, o.name) for o in model.objects.values()} == expected
        assert system.id == "uuid-system-1" and system.name == "system 1"
        total = kg(system.total_footprint.sum())
        by_category = sum(kg(q) for q in system.total_fabrication_footprint_sum_over_period.values()) + \
            sum(kg(q) for q in system.total_energy_footprint_sum_over_period.values())
        assert total > 0 and total == pytest.approx(by_category, rel=1e-12)


@pytest.mark.parametrize("loaded", ["base_system"], indirect=True)
def test_base_system(loaded):
    model, system, objects = loaded
    starts = np.array(PATTERN_STARTS["morning"], dtype=float)  # the base file's starts
    server, storage, network = objects["Default server"], objects["Default SSD storage"], objects["Default network"]
    pattern = objects["Youtube usage in France"]
    # Inputs as e-footprint wrote them (numbers, units, labels, sources), in efp's names.
    assert np.array_equal(pattern.hourly_user_journey_starts.magnitude, starts)
    assert pattern.hourly_user_journey_starts.start_date == datetime(2025, 1, 1)
    assert pattern.user_journey is objects["Daily Youtube usage"]
    assert objects["streaming"].request_duration.value == 0.06666666666666667 * u.hour
    assert objects["streaming"].data_transferred.value == 50 * u.kB
    assert objects["streaming"].data_download.value == 0 * u.MB  # efp's default
    assert objects["upload"].data_transferred.source.name == "hypothesis"
    assert server.server_type.value == "autoscaling"
    assert not server.fixed_nb_of_instances  # absent from this older file: efp's default, no value
    assert storage.idle_power.value == 0.1 * u.W
    assert objects["France"].timezone.value == "Europe/Paris" and objects["France"].short_name.value == "FRA"
    assert objects["France"].average_carbon_intensity.value == 85 * u.g / u.kWh
    # The unused storage exists but is outside the system, and nothing computed it.
    unused = objects["Default SSD storage bis"]
    assert system.storages == [storage] and system.servers == [server] and system.networks == [network]
    assert all(node.state is not State.FRESH for key, node in model.nodes.items()
               if key.startswith(unused.id) and node.calculated)
    # Servers: ceil(starts × (4/60 + 40/3600) cores / 19.6 cores), hour by hour.
    instances = np.ceil(starts * (4 / 60 + 40 / 3600) / (24 * 0.9 - 2))
    assert np.array_equal(server.nb_of_instances.magnitude, instances)
    assert instances.tolist() == [4, 8, 16, 20, 32, 48, 8, 8, 12]
    fabrication = system.total_fabrication_footprint_sum_over_period
    energy = system.total_energy_footprint_sum_over_period
    assert kg(fabrication["Servers"]) == pytest.approx(600 * instances.sum() / (6 * YEAR_H), rel=1e-12)
    # Devices: 21-minute journeys; a laptop in use costs its fabrication spread over its hours of use.
    in_use_hours = starts.sum() * 21 / 60
    assert kg(fabrication["Devices"]) == pytest.approx(in_use_hours * LAPTOP_KG_PER_HOUR_OF_USE, rel=1e-12)
    assert kg(energy["Devices"]) == pytest.approx(in_use_hours * 0.050 * 0.085, rel=1e-12)
    # Network: every journey moves 50 kB + 300 MB at 0.05 kWh/GB, 85 g/kWh.
    assert kg(energy["Network"]) == pytest.approx(starts.sum() * (50e-6 + 0.3) * 0.05 * 0.085, rel=1e-12)
    assert kg(fabrication["Network"]) == 0


@pytest.mark.parametrize("loaded", ["simple_system"], indirect=True)
def test_simple_system_on_premise_server_and_fixed_storage_fleet(loaded):
    model, system, objects = loaded
    server, storage = objects["Default server"], objects["Default SSD storage"]
    assert server.server_type.value == "on-premise"
    starts = np.array(PATTERN_STARTS["morning"], dtype=float)
    peak = math.ceil(starts.max() * (4 / 60 + 40 / 3600) / 19.6)
    assert peak == 48 and np.array_equal(server.nb_of_instances.magnitude, np.full(9, 48.0))
    assert storage.fixed_nb_of_instances.value == 10000 * u.dimensionless
    assert np.array_equal(storage.nb_of_instances.magnitude, np.full(len(storage.nb_of_instances), 10000.0))
    fabrication = system.total_fabrication_footprint_sum_over_period
    hours = len(storage.nb_of_instances)
    assert kg(fabrication["Storage"]) == pytest.approx(10000 * 160 * hours / (6 * YEAR_H), rel=1e-12)
    assert kg(fabrication["Servers"]) == pytest.approx(600 * 48 * 9 / (6 * YEAR_H), rel=1e-12)
    assert objects["streaming"].data_transferred.value == 0.8333333333333334 * u.GB


@pytest.mark.parametrize("loaded", ["complex_system"], indirect=True)
def test_complex_system_three_server_types_and_two_usage_patterns(loaded):
    model, system, objects = loaded
    morning, evening = (objects[f"Video watching in France in the {when}"] for when in ("morning", "evening"))
    assert list(system.usage_patterns) == [morning, evening]
    assert morning.user_journey is evening.user_journey
    servers = {s.name: s for s in system.servers}
    assert {name: s.server_type.value for name, s in servers.items()} == {
        "Server 1": "autoscaling", "Server 2": "on-premise", "TikTok Analytics server": "serverless"}
    assert [s.name for s in system.storages] == ["Default SSD storage 1", "Default SSD storage 2",
                                                 "TikTok Analytics storage"]
    starts = np.array(PATTERN_STARTS["morning"], float) + np.array(PATTERN_STARTS["evening"], float)
    # Every job starts in the journey's start hour (the last step starts 21 min 1 s in); 3.4 cores are
    # left on servers 1 and 2 (6 × 0.9 - 2), 19.6 on the analytics server.
    server_1_cores = starts * (4 / 60 + 0.4 / 3600 + 1 / 3600)
    assert np.array_equal(servers["Server 1"].nb_of_instances.magnitude, np.ceil(server_1_cores / 3.4))
    assert servers["Server 2"].nb_of_instances.magnitude.tolist() == [255.0] * 9  # ceil(13,000 / 15 / 3.4)
    assert np.allclose(servers["TikTok Analytics server"].nb_of_instances.magnitude, starts / 15 / 19.6,
                       rtol=1e-12, atol=0)
    journey_hours = (20 * 60 + 1 + 60 + 20 * 60) / 3600
    fabrication = system.total_fabrication_footprint_sum_over_period
    assert kg(fabrication["Devices"]) == pytest.approx(starts.sum() * journey_hours * LAPTOP_KG_PER_HOUR_OF_USE,
                                                       rel=1e-12)
    assert objects["upload"].request_duration.value == 0.4 * u.s
    assert objects["Server 2"].compute.source is None  # e-footprint wrote it without a source
    assert morning.utc_hourly_user_journey_starts.start_date == datetime(2024, 12, 31, 23)


@pytest.mark.parametrize("name", FILES)
def test_a_loaded_file_round_trips_through_efp_json_bit_for_bit(name):
    with new_model() as model:
        system = json_to_system(DATA / f"{name}.json")
        total = system.total_footprint
        for with_results in (False, True):
            saved = system_to_json(system, save_calculated_attributes=with_results)
            with new_model() as again:
                copy_of_system = json_to_system(saved)
                assert (again.formula_calls == 0) is with_results
                # every object but the storage no server uses (not part of the system, so not saved)
                assert {o.name for o in model.objects.values() if o.id not in again.objects} == \
                    ({"Default SSD storage bis"} if name == "base_system" else set())
                for key, node in model.nodes.items():
                    if node.decl.kind == "input" and key in again.nodes:
                        assert np.array_equal(np.asarray(getattr(node.value, "magnitude", 0.0)),
                                              np.asarray(getattr(again.nodes[key].value, "magnitude", 0.0))), key
                assert np.array_equal(copy_of_system.total_footprint.magnitude, total.magnitude)


def test_attributes_e_footprint_ignores_are_ignored_and_others_refused():
    data = document("base_system")  # its Country has "year", its jobs "job_type", its storages PUE...
    data["Job"]["uuid-streaming"]["colour"] = "blue"
    with new_model() as model:
        with pytest.raises(SerializationError, match=r"'uuid-streaming' \(Job 'streaming'\), attribute 'colour'"):
            json_to_system(data)
        assert not model.objects and not model.nodes


def test_calculated_attributes_saved_by_e_footprint_are_skipped():
    data = document("complex_system")
    graph_keys = {"id": "x", "direct_ancestors_with_id": [], "direct_children_with_id": []}
    data["UsageJourney"]["uuid-Daily-video-usage"]["duration"] = dict(
        {"label": "Duration", "value": 41.0, "unit": "minute"}, **graph_keys)
    data["Job"]["uuid-streaming"]["hourly_occurrences_per_usage_pattern"] = {
        "uuid-Video-watching-in-France-in-the-morning": dict({"label": "x", "values": [1.0], "unit": "dimensionless",
                                                              "start_date": "2025-01-01 00:00:00"}, **graph_keys)}
    data["Server"]["uuid-Server-1"]["power"].update(graph_keys)  # inputs carry the graph keys too
    with new_model():
        system = json_to_system(data)
        assert system.usage_patterns[0].user_journey.duration.value.to(u.s).magnitude == pytest.approx(2461)


@pytest.mark.parametrize("version, accepted", [("9.0.0", True), ("8.2.1", True), ("9.1.0rc1", True),
                                               ("10.0.0", False), ("nine", False), (9, False)])
def test_e_footprint_versions(version, accepted):
    data = document("simple_system")
    data["efootprint_version"] = version
    with new_model() as model:
        if accepted:
            assert json_to_system(data).name == "system 1"
        else:
            with pytest.raises(SerializationError, match="efootprint_version|version"):
                json_to_system(data)
            assert not model.objects


@pytest.mark.parametrize("mutation, fragment", [
    (lambda d: d.update(BoaviztaServerFromConfig={}), "BoaviztaServerFromConfig"),
    (lambda d: d.update(Autoscaling={"a": {"name": "a", "id": "a"}}), "unknown class 'Autoscaling'"),
    (lambda d: d["Server"]["uuid-Server-1"]["server_type"].update(value="quantum"), "server_type"),
    (lambda d: d["Country"]["uuid-France"]["timezone"].update(zone="Europe/Atlantis"), "Europe/Atlantis"),
    (lambda d: d["UsagePattern"]["uuid-Video-watching-in-France-in-the-morning"]["hourly_usage_journey_starts"]
     .update(values=[1.0, "two"]), "hourly_user_journey_starts"),
    (lambda d: d["UsagePattern"]["uuid-Video-watching-in-France-in-the-morning"].update(usage_journey="nowhere"),
     "'nowhere'"),
])
def test_malformed_e_footprint_files_are_refused_without_a_trace(mutation, fragment):
    data = document("complex_system")
    mutation(data)
    with new_model() as model:
        with pytest.raises(SerializationError, match=fragment):
            json_to_system(data)
        assert not model.objects and not model.nodes


def test_an_unregistered_builder_class_is_refused_naming_its_module(monkeypatch):
    data = document("simple_system")
    data["VideoStreaming"] = {"uuid-vs": {"name": "streaming service", "id": "uuid-vs", "server": "uuid-Default-server"}}
    registered = {k: v for k, v in json_io.registered_classes().items() if k != "VideoStreaming"}
    monkeypatch.setattr(json_io, "registered_classes", lambda: registered)
    with new_model() as model:
        with pytest.raises(SerializationError, match="'VideoStreaming' is not registered.*efp_builders.services"):
            json_to_system(data)
        assert not model.objects


# ---------------------------------------------------------------------------------------------- builder classes
def as_efootprint(document: dict, starts_by_id: dict) -> dict:
    """An efp document (inputs only) written the way e-footprint 9 writes its files (``starts``: the
    usage patterns' hourly starts as lists, by id)."""
    names = {"UserJourney": "UsageJourney", "UserJourneyStep": "UsageJourneyStep", "Device": "Hardware"}
    result = {"efootprint_version": "9.0.0"}
    for class_name, group in document.items():
        if not isinstance(group, dict):
            continue
        result[names.get(class_name, class_name)] = converted = {}
        for object_id, obj in group.items():
            obj = copy.deepcopy(obj)
            if class_name == "UsagePattern":
                obj["usage_journey"] = obj.pop("user_journey")
                starts = obj.pop("hourly_user_journey_starts")
                obj["hourly_usage_journey_starts"] = {
                    "label": starts["label"], "values": starts_by_id[object_id], "unit": "dimensionless",
                    "start_date": starts["start_date"], "source": starts["source"]}
            if class_name == "Country":
                obj["short_name"] = obj["short_name"]["value"]
            obj.pop("data_download", None)  # no such input in e-footprint
            converted[object_id] = obj
    return result


def test_builder_classes_load_from_both_formats():
    with new_model() as model:
        cloud = builders.BoaviztaCloudServer("cloud", provider="scaleway", instance_type="dev1-s",
                                             storage=Storage.ssd("cloud SSD"))
        big = Server.from_defaults("big", storage=Storage.ssd("big SSD"))
        gpu = GPUServer("gpu", compute=SourceValue(16 * u.gpu), storage=Storage.ssd("gpu SSD"))
        streaming = builders.VideoStreaming.from_defaults("streaming service", server=big)
        web = builders.WebApplication("web app", server=cloud, technology=SourceObject("php-symfony"))
        llm = builders.GenAIModel("gpt-4o", provider="openai", model_name="gpt-4o", server=gpu)
        jobs = [builders.VideoStreamingJob.from_defaults("video", service=streaming, video_duration=SourceValue(20 * u.min)),
                builders.WebApplicationJob.from_defaults("page", service=web), builders.GenAIJob("chat", service=llm)]
        steps = [UserJourneyStep(f"step {i}", SourceValue(2 * u.min), [job]) for i, job in enumerate(jobs)]
        starts = [100.0, 200.0, 50.0]
        pattern = UsagePattern("usage", UserJourney("journey", steps), [Device.laptop()], Network.wifi_network(),
                               Countries.FRANCE(), SourceHourlyValues(starts, datetime(2025, 1, 1)))
        system = System("system", [pattern])
        total = system.total_footprint
        saved = system_to_json(system, save_calculated_attributes=True)
        assert {"BoaviztaCloudServer", "VideoStreaming", "VideoStreamingJob", "WebApplication", "WebApplicationJob",
                "GenAIModel", "GenAIJob", "GPUServer"} <= set(saved)
        with new_model() as again:
            loaded = json_to_system(saved)
            assert again.formula_calls == 0
            answer = again.objects[cloud.id].api_call_response
            assert type(answer) is type(cloud.api_call_response) and answer.value == cloud.api_call_response.value
            assert np.array_equal(loaded.total_footprint.magnitude, total.magnitude)
        efootprint = as_efootprint(system_to_json(system), {pattern.id: starts})
        with new_model():
            loaded = json_to_system(efootprint)
            assert np.array_equal(loaded.total_footprint.magnitude, total.magnitude)
