"""Change propagation through the footprint model (model.md §6), on the quickstart and a smaller variant.

For each kind of change (an input of every class, a job's server, a step's job list, a step appended to
the journey, a usage pattern's devices and country, a usage pattern added to the system):

1. the values after the change equal those of a from-scratch build of the changed inputs: every
   calculated attribute of every object (same object ids in both models), the derived lists and the
   system's sums over the period;
2. the change recomputes exactly the calculated nodes that were fresh and descend, in the graph as it
   was before the change, from the changed nodes (the changed inputs and links, and the backlinks and
   via lists the change altered): ``model.last_plan`` is that set and ``model.formula_calls`` grows by
   its size.

Before each change every calculated node is computed, so that "fresh" means every node.
"""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pytest

from efp import (EmptyExplainableObject, ExplainableHourlyQuantities, ExplainableQuantity, ModelingUpdate,
                 SourceHourlyValues, SourceValue, Sources, State, new_model, u)
from efp.values import ExplainableObject
from efp_builders import quickstart
from efp_nodes import (Countries, Device, GPUJob, GPUServer, Job, Network, Server, ServerTypes, Storage, System,
                       UsagePattern, UserJourney, UserJourneyStep)

STRUCTURAL = ("link", "list_link", "backlink", "via")


# ---------------------------------------------------------------------------------------------- scenarios
def build_small() -> SimpleNamespace:
    """The quickstart's objects with three days of starts (across Paris' spring-forward night) and a
    24-hour retention, so that the storage dumps data within the period."""
    starts = 1000 + 500 * np.sin(np.arange(72) * 2 * np.pi / 24) + np.arange(72)
    storage = Storage("SSD storage", data_storage_duration=SourceValue(24 * u.hour),
                      base_storage_need=SourceValue(100 * u.TB))
    server = Server.from_defaults("server", server_type=ServerTypes.autoscaling(),
                                  base_ram_consumption=SourceValue(300 * u.MB),
                                  base_compute_consumption=SourceValue(2 * u.cpu_core), storage=storage)
    streaming = Job("streaming", server=server, data_transferred=SourceValue(0.05 * u.MB),
                    data_download=SourceValue(800 * u.MB), data_stored=SourceValue(0.05 * u.MB),
                    request_duration=SourceValue(4 * u.min), cpu_needed=SourceValue(1 * u.core),
                    ram_needed=SourceValue(50 * u.MB))
    upload = Job("video upload", server=server, data_transferred=SourceValue(20 * u.MB),
                 data_stored=SourceValue(20 * u.MB), request_duration=SourceValue(2 * u.s),
                 cpu_needed=SourceValue(1 * u.core), ram_needed=SourceValue(50 * u.MB))
    streaming_step = UserJourneyStep("20 min streaming", user_time_spent=SourceValue(20 * u.min), jobs=[streaming])
    upload_step = UserJourneyStep("1 min video capture then upload", user_time_spent=SourceValue(70 * u.s),
                                  jobs=[upload])
    user_journey = UserJourney("journey", uj_steps=[streaming_step, upload_step])
    network = Network("WIFI network", bandwidth_energy_intensity=SourceValue(0.05 * u.kWh / u.GB))
    usage_pattern = UsagePattern("usage", user_journey=user_journey, devices=[Device.laptop()], network=network,
                                 country=Countries.FRANCE(),
                                 hourly_user_journey_starts=SourceHourlyValues(starts, datetime(2025, 3, 29)))
    system = System("System", usage_patterns=[usage_pattern])
    return SimpleNamespace(storage=storage, server=server, streaming=streaming, upload=upload,
                           streaming_step=streaming_step, upload_step=upload_step, user_journey=user_journey,
                           network=network, usage_pattern=usage_pattern, system=system)


def gpu_step(objects):
    """A step with a job on a GPU server (built, not yet in the journey)."""
    objects.gpu_server = GPUServer("GPU server", server_type=ServerTypes.autoscaling(), compute=SourceValue(4 * u.gpu))
    objects.gpu_job = GPUJob("LLM call", server=objects.gpu_server, compute_needed=SourceValue(1 * u.gpu),
                             ram_needed=SourceValue(40 * u.GB), request_duration=SourceValue(5 * u.s),
                             data_transferred=SourceValue(300 * u.kB), data_stored=SourceValue(300 * u.kB))
    return UserJourneyStep("Chat with LLM", user_time_spent=SourceValue(1 * u.min), jobs=[objects.gpu_job])


# ---------------------------------------------------------------------------------------------- checks
def compute_all(model) -> None:
    model.pull([key for key, node in model.nodes.items() if node.calculated])
    assert all(node.state is State.FRESH for node in model.nodes.values() if node.calculated)


def structure(model) -> dict:
    """Every link, list link, backlink and via list, as object ids."""
    result = {}
    for key, node in model.nodes.items():
        if node.decl.kind in STRUCTURAL:
            value = node.value
            items = [] if value is None else list(value) if isinstance(value, list) else [value]
            result[key] = tuple(item.id for item in items)
    return result


def rebuild(live):
    """A fresh model with the live objects' current inputs and links, built from scratch (same ids).

    Objects are created in the live creation order, each once the objects it links to exist.
    """
    pending = sorted(live.objects.values(), key=lambda obj: live.sequence[obj.id])
    made = {}
    with new_model() as fresh:
        while pending:
            for obj in pending:
                values = {}
                for name in type(obj).settable():
                    node = obj.node(name)
                    if node.decl.kind == "input":
                        values[name] = node.value.detached()
                    elif node.decl.kind == "link":
                        values[name] = None if node.value is None else made.get(node.value.id, KeyError)
                    else:
                        values[name] = [made.get(target.id, KeyError) for target in node.value]
                flat = [v for value in values.values() for v in (value if isinstance(value, list) else [value])]
                if KeyError not in flat:
                    made[obj.id] = type(obj)(obj.name, _id=obj.id, **values)
                    pending.remove(obj)
                    break
            else:
                raise AssertionError("the links form a cycle")
        compute_all(fresh)
    return fresh


def same(a, b) -> bool:
    if isinstance(a, EmptyExplainableObject) or isinstance(b, EmptyExplainableObject):
        return isinstance(a, EmptyExplainableObject) and isinstance(b, EmptyExplainableObject)
    if isinstance(a, ExplainableHourlyQuantities):
        if not isinstance(b, ExplainableHourlyQuantities) or a.data_array.dims != b.data_array.dims:
            return False
        if any(not np.array_equal(a.data_array[dim].values, b.data_array[dim].values) for dim in a.data_array.dims):
            return False
        x, y = a.magnitude, b.to(a.unit).magnitude
        return np.allclose(x, y, rtol=1e-12, atol=1e-12 * max(float(np.abs(x).max(initial=0)), 1e-300))
    if isinstance(a, ExplainableQuantity):
        return isinstance(b, ExplainableQuantity) and \
            a.magnitude == pytest.approx(b.value.to(a.unit).magnitude, rel=1e-12, abs=1e-300)
    if isinstance(a, ExplainableObject):
        return isinstance(b, ExplainableObject) and a.value == b.value
    return a == b


def system_sums(system) -> dict:
    sums = {}
    for kind in ("fabrication", "energy"):
        for category, value in getattr(system, f"total_{kind}_footprint_sum_over_period").items():
            sums[(kind, category)] = value.value.to(u.kg).magnitude
        for category, by_object in getattr(system, f"{kind}_footprint_sum_over_period").items():
            for obj, value in by_object.items():
                sums[(kind, category, obj.id)] = value.value.to(u.kg).magnitude
    sums["total"] = system.total_footprint.sum().value.to(u.kg).magnitude
    return sums


def assert_equals_a_fresh_build(live) -> None:
    """Every calculated value, derived list and system sum of ``live`` equals a from-scratch build."""
    compute_all(live)
    fresh = rebuild(live)
    live_keys = {key for key, node in live.nodes.items() if node.calculated}
    assert live_keys == {key for key, node in fresh.nodes.items() if node.calculated}
    different = [key for key in sorted(live_keys) if not same(live.nodes[key].value, fresh.nodes[key].value)]
    assert different == [], f"values differ from a fresh build: {different}"
    assert structure(live) == structure(fresh)
    for system in (obj for obj in live.objects.values() if isinstance(obj, System)):
        live_sums, fresh_sums = system_sums(system), system_sums(fresh.objects[system.id])
        assert live_sums.keys() == fresh_sums.keys()
        for key, value in live_sums.items():
            assert value == pytest.approx(fresh_sums[key], rel=1e-12, abs=1e-12), key


def check_change(model, apply, changed_inputs=(), creates_objects=False) -> set[str]:
    """Apply a change to a fully computed model; check what it recomputed (module docstring, 2.).

    ``changed_inputs``: the input nodes the change sets (links and lists are found by comparing the
    structure before and after). With ``creates_objects``, the change creates objects linked to existing
    ones: the plan may also hold their never-computed nodes that the recomputed nodes need.
    """
    compute_all(model)
    graph = model.graph.copy()
    fresh_before = {key for key, node in model.nodes.items() if node.calculated}
    structure_before = structure(model)
    calls = model.formula_calls
    apply()
    recomputed = set(model.last_plan)
    assert model.formula_calls - calls == len(model.last_plan) == len(recomputed)
    after = structure(model)
    changed = set(changed_inputs) | {key for key, ids in structure_before.items() if after[key] != ids}
    expected = set()
    for key in changed:
        expected |= nx.descendants(graph, key)
    expected &= fresh_before
    if creates_objects:
        created = {key for key, node in model.nodes.items() if node.calculated and key not in fresh_before}
        needed = set().union(*(nx.ancestors(model.graph, key) for key in expected)) if expected else set()
        expected |= created & needed
    assert recomputed == expected, (f"recomputed but not expected: {sorted(recomputed - expected)}; "
                                    f"expected but not recomputed: {sorted(expected - recomputed)}")
    return recomputed


def key(obj, attr) -> str:
    return obj.node(attr).key


# ---------------------------------------------------------------------------------------------- the small variant
@pytest.fixture
def small():
    with new_model() as model:
        objects = build_small()
        compute_all(model)
        yield model, objects


def test_the_small_variant_equals_a_fresh_build(small):
    model, objects = small
    assert_equals_a_fresh_build(model)
    assert objects.storage.automatic_storage_dumps_after_storage_duration.magnitude.min() < 0


INPUT_CHANGES = {
    "Storage retention": lambda o: (o.storage, "data_storage_duration", SourceValue(6 * u.hour)),
    "Storage base need": lambda o: (o.storage, "base_storage_need", SourceValue(10 * u.TB)),
    "Storage capacity": lambda o: (o.storage, "storage_capacity", SourceValue(0.5 * u.TB)),
    "Server power": lambda o: (o.server, "power", SourceValue(250 * u.W)),
    "Server ram": lambda o: (o.server, "ram", SourceValue(32 * u.GB)),
    "Server type": lambda o: (o.server, "server_type", ServerTypes.on_premise()),
    "Server intensity": lambda o: (o.server, "average_carbon_intensity", SourceValue(300 * u.g / u.kWh)),
    "Network intensity": lambda o: (o.network, "bandwidth_energy_intensity", SourceValue(0.12 * u.kWh / u.GB)),
    "Device power": lambda o: (o.usage_pattern.devices[0], "power", SourceValue(30 * u.W)),
    "Device fabrication": lambda o: (o.usage_pattern.devices[0], "carbon_footprint_fabrication",
                                     SourceValue(200 * u.kg)),
    "Country intensity": lambda o: (o.usage_pattern.country, "average_carbon_intensity",
                                    SourceValue(50 * u.g / u.kWh)),
    "Country time zone": lambda o: (o.usage_pattern.country, "timezone", "America/New_York"),
    "Job data_transferred": lambda o: (o.streaming, "data_transferred", SourceValue(2 * u.MB)),
    "Job data_download": lambda o: (o.streaming, "data_download", SourceValue(500 * u.MB, Sources.USER_DATA)),
    "Job request_duration": lambda o: (o.streaming, "request_duration", SourceValue(90 * u.min)),
    "Job data_stored": lambda o: (o.upload, "data_stored", SourceValue(1 * u.GB)),
    "Step user_time_spent": lambda o: (o.streaming_step, "user_time_spent", SourceValue(65 * u.min)),
    "UsagePattern starts": lambda o: (o.usage_pattern, "hourly_user_journey_starts",
                                      SourceHourlyValues(np.arange(1, 31) * 100.0, datetime(2025, 3, 30, 1))),
}


@pytest.mark.parametrize("change", list(INPUT_CHANGES))
def test_an_input_change(small, change):
    model, objects = small
    obj, attr, value = INPUT_CHANGES[change](objects)
    check_change(model, lambda: setattr(obj, attr, value), [key(obj, attr)])
    assert_equals_a_fresh_build(model)


def test_a_gpu_server_input(small):
    model, objects = small
    step = gpu_step(objects)
    check_change(model, lambda: objects.user_journey.uj_steps.append(step))
    assert objects.gpu_server in objects.system.servers
    check_change(model, lambda: setattr(objects.gpu_server, "gpu_power", SourceValue(700 * u.W / u.gpu)),
                 [key(objects.gpu_server, "gpu_power")])
    assert_equals_a_fresh_build(model)
    check_change(model, lambda: setattr(objects.gpu_server, "compute", SourceValue(8 * u.gpu)),
                 [key(objects.gpu_server, "compute")])
    assert_equals_a_fresh_build(model)


def test_reassigning_a_job_to_another_server(small):
    model, objects = small
    other = Server.from_defaults("other server", storage=Storage.ssd("other storage"))
    recomputed = check_change(model, lambda: setattr(objects.upload, "server", other), [])
    assert key(other, "nb_of_instances") in recomputed and key(objects.server, "nb_of_instances") in recomputed
    assert objects.system.servers == [objects.server, other]
    assert_equals_a_fresh_build(model)


def test_appending_a_job_to_a_step(small):
    model, objects = small
    check_change(model, lambda: objects.streaming_step.jobs.append(objects.upload))
    assert_equals_a_fresh_build(model)


def test_appending_a_new_job_to_a_step(small):
    model, objects = small
    extra = Job("extra", server=objects.server, data_transferred=SourceValue(1 * u.MB))
    check_change(model, lambda: objects.upload_step.jobs.append(extra))
    assert_equals_a_fresh_build(model)


def test_removing_a_job_from_a_step(small):
    model, objects = small
    check_change(model, lambda: objects.upload_step.jobs.remove(objects.upload))
    assert isinstance(objects.upload.hourly_occurrences_across_usage_patterns, EmptyExplainableObject)
    assert_equals_a_fresh_build(model)


def test_appending_a_step_to_the_journey(small):
    model, objects = small
    step, llm_server = quickstart.llm_chat_step()
    check_change(model, lambda: objects.user_journey.uj_steps.append(step))
    assert llm_server in objects.system.servers and llm_server.storage in objects.system.storages
    assert_equals_a_fresh_build(model)


def test_appending_a_smartphone(small):
    model, objects = small
    phone = Device.smartphone()
    check_change(model, lambda: objects.usage_pattern.devices.append(phone))
    assert_equals_a_fresh_build(model)


def test_switching_to_germany(small):
    model, objects = small
    germany = Countries.GERMANY()
    check_change(model, lambda: setattr(objects.usage_pattern, "country", germany))
    assert_equals_a_fresh_build(model)


def test_adding_a_usage_pattern_to_the_system(small):
    model, objects = small
    phone, mobile = Device.smartphone(), Network.mobile_network()
    germany = Countries.GERMANY()
    starts = SourceHourlyValues(np.full(48, 300.0), datetime(2025, 3, 30))

    def create():
        objects.german = UsagePattern("German usage", user_journey=objects.user_journey, devices=[phone],
                                      network=mobile, country=germany, hourly_user_journey_starts=starts)

    # creating it already adds its journeys to the jobs it runs (and so to servers and storage)
    check_change(model, create, creates_objects=True)
    assert_equals_a_fresh_build(model)
    check_change(model, lambda: objects.system.usage_patterns.append(objects.german))
    assert objects.system.networks == [objects.network, mobile]
    assert_equals_a_fresh_build(model)


def test_a_batch_of_changes(small):
    model, objects = small
    check_change(model, lambda: ModelingUpdate([
        [objects.streaming.data_download, SourceValue(300 * u.MB)],
        [objects.user_journey.uj_steps, [objects.upload_step]],
        [objects.server.power, SourceValue(400 * u.W)]]),
        [key(objects.streaming, "data_download"), key(objects.server, "power")])
    assert_equals_a_fresh_build(model)


# ---------------------------------------------------------------------------------------------- the quickstart
@pytest.fixture(scope="module")
def quickstart_model():
    with new_model() as model:
        yield model, quickstart.build()


def test_the_quickstart_changes(quickstart_model):
    """The seed's changes, in turn, on the full quickstart (three years of hours)."""
    model, objects = quickstart_model
    assert_equals_a_fresh_build(model)
    streaming_job = objects.streaming_step.jobs[0]
    check_change(model, lambda: setattr(streaming_job, "data_download", SourceValue(500 * u.MB)),
                 [key(streaming_job, "data_download")])
    assert_equals_a_fresh_build(model)

    step, llm_server = quickstart.llm_chat_step()
    check_change(model, lambda: objects.user_journey.uj_steps.append(step))
    assert_equals_a_fresh_build(model)

    check_change(model, lambda: setattr(llm_server, "average_carbon_intensity", SourceValue(50 * u.g / u.kWh)),
                 [key(llm_server, "average_carbon_intensity")])
    assert_equals_a_fresh_build(model)

    check_change(model, lambda: ModelingUpdate([
        [objects.user_journey.uj_steps, [objects.streaming_step, objects.upload_step]],
        [llm_server.average_carbon_intensity, SourceValue(300 * u.g / u.kWh)],
        [streaming_job.data_download, SourceValue(800 * u.MB)]]),
        [key(llm_server, "average_carbon_intensity"), key(streaming_job, "data_download")])
    assert_equals_a_fresh_build(model)
    assert objects.system.total_footprint.sum().value.to(u.kg).magnitude == pytest.approx(14287545.023891, rel=1e-9)
