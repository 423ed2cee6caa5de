"""JSON files of systems (docs/json-format.md): exact round trips, loading saved results without
recomputing them, and refusals that leave the model as it was."""
from __future__ import annotations

import copy
import json
import math
from datetime import datetime

import networkx as nx
import numpy as np
import pytest

from efp import EmptyExplainableObject, SourceHourlyValues, SourceValue, State, new_model, u
from efp.errors import CapacityError, SerializationError
from efp.serialization import FORMAT_VERSION, SERIES_ENCODING
from efp_builders.quickstart import build, category_figures, changes
from efp_nodes import (Countries, Device, Job, Network, Server, ServerTypes, Storage, System, UsagePattern,
                       UserJourney, UserJourneyStep, json_to_system, system_to_json)
from efp_nodes import json_io


# ---------------------------------------------------------------------------------------------- helpers
def _ids(value) -> list[str]:
    return [o.id for o in (value if isinstance(value, list) else [value] if value is not None else [])]


def same_value(a, b, rename=None) -> bool:
    """Bit-for-bit equality of two stored values (series: values, unit, hours, rows; scalars: magnitude,
    unit; every value: label and source)."""
    rename = rename or {}
    if type(a) is not type(b) and not (hasattr(a, "data_array") and hasattr(b, "data_array")):
        return isinstance(a, EmptyExplainableObject) and isinstance(b, EmptyExplainableObject)
    if hasattr(a, "data_array"):
        return (np.array_equal(a.magnitude, b.magnitude) and a.magnitude.dtype == b.magnitude.dtype == np.float64
                and a.unit == b.unit and np.array_equal(a.data_array["time"].values, b.data_array["time"].values)
                and [rename.get(str(k), str(k)) for k in a.usage_patterns] == [str(k) for k in b.usage_patterns]
                and a.label == b.label and a.source == b.source)
    if hasattr(a, "magnitude") and not isinstance(a, EmptyExplainableObject):
        same_bits = np.float64(a.magnitude).tobytes() == np.float64(b.magnitude).tobytes()
        return same_bits and a.unit == b.unit and a.label == b.label and a.source == b.source
    if isinstance(a, EmptyExplainableObject):
        return a.label == b.label and a.source == b.source
    value = a.value
    if isinstance(value, dict):
        value = {rename.get(k, k): v for k, v in value.items()}
    return value == b.value and type(value) is type(b.value) and a.label == b.label and a.source == b.source


def compare_models(original, loaded, rename=None, pull=True) -> list[str]:
    """Keys whose values differ between two models holding the same objects (``rename``: original id →
    loaded id). With ``pull``, every calculated node is read (computed where needed) in both; without,
    only the calculated nodes FRESH in ``loaded`` are compared, so that nothing is computed there."""
    rename = rename or {}
    differences = []
    for key, node in original.nodes.items():
        other_key = f"{rename.get(node.obj.id, node.obj.id)}.{node.attr}"
        other = loaded.nodes[other_key]
        if node.decl.kind in ("link", "list_link", "backlink", "via"):
            if [rename.get(i, i) for i in _ids(node.value)] != _ids(other.value):
                differences.append(key)
            continue
        if node.calculated:
            if not pull and other.state is not State.FRESH:
                continue
            a, b = original.read(node.obj, node.attr), loaded.read(other.obj, other.attr)
        else:
            a, b = node.value, other.value
        if not same_value(a, b, rename):
            differences.append(key)
    return differences


def small_system(name="small"):
    """A two-step system with an on-premise server (fixed fleet) and a per-hour series of 48 hours."""
    storage = Storage.ssd(f"{name} storage", data_storage_duration=SourceValue(3 * u.hour))
    server = Server(f"{name} server", ServerTypes.on_premise(), fixed_nb_of_instances=SourceValue(40 * u.dimensionless),
                    storage=storage)
    job = Job(f"{name} job", server=server, data_transferred=SourceValue(2.5 * u.MB), request_duration=SourceValue(90 * u.s))
    other = Job(f"{name} other job", server=server, data_stored=SourceValue(-10 * u.kB))
    steps = [UserJourneyStep(f"{name} step 1", SourceValue(50 * u.min), [job, job]),
             UserJourneyStep(f"{name} step 2", SourceValue(3 * u.min), [other, job])]
    journey = UserJourney(f"{name} journey", steps)
    starts = SourceHourlyValues([1000.0 + 37.5 * i + (i % 7) / 3 for i in range(48)], datetime(2025, 3, 30))
    pattern = UsagePattern(f"{name} usage", journey, [Device.laptop(), Device.smartphone()], Network.wifi_network(),
                           Countries.FRANCE(), starts)
    return System(f"{name} system", [pattern])


def model_snapshot(model):
    """Everything a refused load must leave as it was."""
    referrers = {key: dict(+counter) for key, counter in model.referrers.items() if +counter}
    return (dict(model.objects), dict(model.sequence), set(model.nodes), set(model.graph.edges), model.formula_calls,
            referrers, {key: (node.state, id(node.value)) for key, node in model.nodes.items()})


@pytest.fixture(scope="module")
def quickstart():
    """The seed quickstart, computed, and its two documents (inputs only, with calculated values)."""
    with new_model() as model:
        objects = build()
        documents = {False: system_to_json(objects.system), True: system_to_json(objects.system, True)}
        yield model, objects, documents


@pytest.fixture
def small():
    with new_model() as model:
        system = small_system()
        yield model, system, system_to_json(system), system_to_json(system, True)


# ---------------------------------------------------------------------------------------------- round trips
def test_quickstart_round_trip_without_calculated_values_recomputes_the_same_bits(quickstart):
    model, objects, documents = quickstart
    with new_model() as loaded:
        system = json_to_system(documents[False])
        assert set(loaded.objects) == {o.id for o in model.objects.values() if o.id in loaded.objects}
        assert loaded.formula_calls > 0  # creating the System computed it
        assert compare_models(model, loaded) == []
        assert category_figures(system) == pytest.approx(category_figures(objects.system), rel=1e-13)


def test_quickstart_round_trip_with_calculated_values_computes_nothing(quickstart):
    model, objects, documents = quickstart
    saved = {f"{object_id}.{name}" for key, group in documents[True].items() if isinstance(group, dict)
             for object_id, data in group.items() for name in data.get("calculated_attributes", {})}
    assert len(saved) == 50  # every value creating the System computed (46 of objects, 4 category sums)
    with new_model() as loaded:
        json_to_system(documents[True])
        assert loaded.formula_calls == 0
        assert {key for key, node in loaded.nodes.items() if node.state is State.FRESH} == saved
        assert compare_models(model, loaded, pull=False) == []
        assert loaded.formula_calls == 0  # reading every saved value ran no formula


def test_a_document_is_plain_json_and_the_file_holds_the_same(quickstart, tmp_path):
    _, objects, _ = quickstart
    path = tmp_path / "quickstart.json"
    document = system_to_json(objects.system, save_calculated_attributes=True, output_filepath=path)
    assert json.loads(path.read_text(encoding="utf-8")) == document
    assert json.loads(json.dumps(document, allow_nan=False)) == document
    with new_model() as loaded:
        json_to_system(str(path))
        assert loaded.formula_calls == 0


def test_the_format_layout(quickstart):
    _, objects, documents = quickstart
    document = documents[True]
    assert document["format_version"] == FORMAT_VERSION == 1 and isinstance(document["efp_version"], str)
    assert set(document) == {"format_version", "efp_version", "Storage", "Server", "Job", "UserJourneyStep",
                             "UserJourney", "Network", "Device", "Country", "UsagePattern", "System"}
    server = document["Server"][objects.server.id]
    assert server["name"] == "server" and server["id"] == objects.server.id
    assert server["storage"] == objects.storage.id
    assert server["server_type"] == {"label": "server_type of server", "value": "autoscaling",
                                     "source": {"name": "user data", "link": None}}
    assert server["base_ram_consumption"] == {"label": "base_ram_consumption of server", "value": 300.0,
                                              "unit": "megabyte", "source": {"name": "hypothesis", "link": None}}
    storage = document["Storage"][objects.storage.id]
    assert storage["fixed_nb_of_instances"] == {"label": "no value", "value": None}
    journey = document["UserJourney"][objects.user_journey.id]
    assert journey["uj_steps"] == [objects.streaming_step.id, objects.upload_step.id]
    country = document["Country"][objects.usage_pattern.country.id]
    assert country["timezone"]["zone"] == "Europe/Paris"
    starts = document["UsagePattern"][objects.usage_pattern.id]["hourly_user_journey_starts"]
    assert starts["start_date"] == "2025-01-01 00:00:00" and starts["length"] == 26298
    assert starts["encoding"] == SERIES_ENCODING and starts["unit"] == "dimensionless"
    job = objects.streaming_step.jobs[0]
    assert "hourly_occurrences_per_usage_pattern" not in document["Job"][job.id]["calculated_attributes"]
    job.hourly_occurrences_per_usage_pattern  # computed when read (the System does not need it), then saved
    with_per_pattern = system_to_json(objects.system, True)
    per_pattern = with_per_pattern["Job"][job.id]["calculated_attributes"]["hourly_occurrences_per_usage_pattern"]
    assert per_pattern["usage_patterns"] == [objects.usage_pattern.id]
    assert "calculated_attributes" not in documents[False]["Job"][job.id]
    # Inputs only: the starts dominate, compressed to about a byte per value.
    assert len(json.dumps(documents[False])) < 300_000


def test_round_trip_after_the_seed_changes(quickstart):
    with new_model() as model:
        objects = build()
        for description, apply in changes(objects)[:3]:  # data_download, LLM step and server, 50 g/kWh
            apply()
        figures = category_figures(objects.system)
        assert figures["total"] == pytest.approx(13849710.267833, rel=1e-9)
        for with_calculated in (False, True):
            document = system_to_json(objects.system, with_calculated)
            with new_model() as loaded:
                system = json_to_system(document)
                assert (loaded.formula_calls == 0) is with_calculated
                assert compare_models(model, loaded, pull=False) == []  # bit for bit
                # (sums may differ in the last bit with how a series was read: see ExplainableHourlyQuantities.sum)
                assert category_figures(system) == pytest.approx(figures, rel=1e-13)


def test_small_system_round_trips_with_repeated_jobs_deletion_and_a_fixed_fleet(small):
    model, system, inputs_only, with_results = small
    for document in (inputs_only, with_results):
        with new_model() as loaded:
            json_to_system(copy.deepcopy(document))
            assert compare_models(model, loaded) == []


def test_a_saved_value_whose_inputs_are_not_all_saved_is_recomputed(small):
    """Invariant 1 of efp.states (a FRESH node has FRESH or input ancestors) holds after a partial load."""
    model, system, _, with_results = small
    document = copy.deepcopy(with_results)
    pattern_id = system.usage_patterns[0].id
    del document["UsagePattern"][pattern_id]["calculated_attributes"]["utc_hourly_user_journey_starts"]
    root = f"{pattern_id}.utc_hourly_user_journey_starts"
    with new_model() as loaded:
        json_to_system(document)
        needed = nx.descendants(loaded.graph, root) | {root}
        computed = {key for key in needed if loaded.nodes[key].state is State.FRESH}
        assert loaded.formula_calls == len(computed)  # the System's creation recomputed them, nothing else
        assert f"{system.id}.total_footprint" in computed
        for key, node in loaded.nodes.items():
            if node.state is State.FRESH:
                assert all(loaded.nodes[dep].state in (State.FRESH, State.INPUT) for dep in node.deps), key
        assert compare_models(model, loaded) == []


def test_loaded_results_keep_their_dependencies():
    """After loading saved results, a change recomputes exactly the fresh descendants of what it changed,
    as in the original model, to the same bits."""
    with new_model() as original:
        objects = build()
        job_id = objects.streaming_step.jobs[0].id
        document = system_to_json(objects.system, save_calculated_attributes=True)
        with new_model() as loaded:
            json_to_system(document)
            assert loaded.formula_calls == 0
            for model in (original, loaded):
                fresh = {key for key, node in model.nodes.items() if node.state is State.FRESH}
                expected = nx.descendants(model.graph, f"{job_id}.data_download") & fresh
                calls = model.formula_calls
                model.objects[job_id].data_download = SourceValue(500 * u.MB)
                assert set(model.last_plan) == expected and model.formula_calls - calls == len(expected)
            assert original.last_plan == loaded.last_plan
            assert compare_models(original, loaded, pull=False) == []


def test_loading_twice_into_one_model_gives_the_second_copy_fresh_ids(small):
    model, system, inputs_only, with_results = small
    ids_before = set(model.objects)
    calls = model.formula_calls
    copy_of_system = json_to_system(with_results)
    assert model.formula_calls == calls  # saved results, renamed, still need no formula
    new_ids = set(model.objects) - ids_before
    assert len(new_ids) == len(ids_before) and copy_of_system.id in new_ids
    rename = {}
    for old_id in ids_before:
        twin = [i for i in new_ids if model.objects[i].name == model.objects[old_id].name
                and type(model.objects[i]) is type(model.objects[old_id])]
        rename[old_id] = twin[0]
    loaded_pattern = copy_of_system.usage_patterns[0]
    job = loaded_pattern.user_journey.uj_steps[0].jobs[0]
    assert job.hourly_occurrences_per_usage_pattern.usage_patterns == [loaded_pattern.id]
    assert set(loaded_pattern.user_journey.job_start_offsets.value) == {j.id for j in loaded_pattern.jobs}
    assert copy_of_system.total_footprint.sum() == system.total_footprint.sum()
    # and it lives on its own: changing the copy leaves the original alone
    total = system.total_footprint.magnitude.copy()
    job.data_transferred = SourceValue(25 * u.MB)
    assert np.array_equal(system.total_footprint.magnitude, total)
    assert copy_of_system.total_footprint.sum().magnitude > system.total_footprint.sum().magnitude
    third = json_to_system(inputs_only)
    assert third.total_footprint.sum() == system.total_footprint.sum()


def test_a_list_of_values_and_missing_defaulted_inputs_are_read(small):
    _, system, inputs_only, _ = small
    document = copy.deepcopy(inputs_only)
    pattern = next(iter(document["UsagePattern"].values()))
    starts = pattern["hourly_user_journey_starts"]
    values = system.usage_patterns[0].hourly_user_journey_starts.magnitude.tolist()
    for key in ("compressed_values", "encoding", "length"):
        del starts[key]
    starts["values"] = values
    for job in document["Job"].values():
        del job["data_download"]  # an input with a default, as in files of an efp without it
    with new_model():
        loaded = json_to_system(document)
        assert np.array_equal(loaded.usage_patterns[0].hourly_user_journey_starts.magnitude, values)
        assert loaded.total_footprint.sum() == system.total_footprint.sum()


# ---------------------------------------------------------------------------------------------- refusals
def _first(document, class_name):
    return next(iter(document[class_name].values()))


def _set(class_name, attribute, value):
    def mutate(document):
        _first(document, class_name)[attribute] = value
    return mutate


def _edit_value(class_name, attribute, **changes):
    def mutate(document):
        _first(document, class_name)[attribute].update(changes)
    return mutate


def _rename_group(old, new):
    def mutate(document):
        document[new] = document.pop(old)
    return mutate


def _cut_series(document):
    starts = _first(document, "UsagePattern")["hourly_user_journey_starts"]
    starts["compressed_values"] = starts["compressed_values"][: len(starts["compressed_values"]) // 2]


def _corrupt_series(document):
    starts = _first(document, "UsagePattern")["hourly_user_journey_starts"]
    text = starts["compressed_values"]
    starts["compressed_values"] = text[:10] + ("A" if text[10] != "A" else "B") + text[11:]


def _shorter_series(document):
    _first(document, "UsagePattern")["hourly_user_journey_starts"]["length"] = 47


def _second_server_on_the_same_storage(document):
    server_id, server = next(iter(document["Server"].items()))
    twin = copy.deepcopy(server)
    twin["id"], twin["name"] = "twin-server", "twin server"
    document["Server"]["twin-server"] = twin
    for job in document["Job"].values():
        job["server"] = "twin-server"
        break


def _too_small_server(document):
    """Saved results are trusted, not checked against the inputs: an edited input goes without them."""
    _first(document, "Server")["base_ram_consumption"].update(value=200.0, unit="gigabyte")
    for group in document.values():
        for data in group.values() if isinstance(group, dict) else ():
            data.pop("calculated_attributes", None)


def _duplicate_id(document):
    network_id = next(iter(document["Network"]))
    document["Device"][network_id] = dict(_first(document, "Device"), id=network_id)


def _bad_calculated(document):
    _first(document, "System")["calculated_attributes"] = {"total_footprint": {"value": 3.0, "unit": "watt"}}


def _unknown_calculated(document):
    _first(document, "System")["calculated_attributes"] = {"servers": {"value": None}}


REFUSALS = {
    "unknown class": (_rename_group("Network", "Netwrok"), ["'Netwrok'", "unknown class"]),
    "class given as code": (_rename_group("Network", "__import__('os').system"), ["unknown class"]),
    "unknown attribute": (_set("Server", "colour", "blue"), ["small server", "Server", "'colour'", "unknown attribute"]),
    "e-footprint's ignorable attribute is not efp's": (
        _set("Server", "fraction_of_usage_time", {"value": 1, "unit": "dimensionless"}), ["fraction_of_usage_time"]),
    "calculated attribute among inputs": (_set("System", "total_footprint", {"value": None}),
                                          ["'total_footprint'", "calculated"]),
    "newer format version": (lambda d: d.update(format_version=2), ["format_version 2", "newer efp"]),
    "format version as text": (lambda d: d.update(format_version="1"), ["format_version", "integer"]),
    "metadata that is no class group": (lambda d: d.update(comment="hello"), ["'comment'"]),
    "number given as text": (_edit_value("Server", "power", value="300"), ["small server", "'power'", "a number"]),
    "unknown unit": (_edit_value("Server", "power", unit="bananas"), ["'power'", "bananas"]),
    "unit given as code": (_edit_value("Server", "power", unit="__import__('os')"), ["'power'", "unit"]),
    "wrong dimension": (_edit_value("Server", "power", unit="kilogram"), ["'power'", "dimension"]),
    "out of bounds": (_edit_value("Server", "power_usage_effectiveness", value=0.5), ["power_usage_effectiveness", ">= 1"]),
    "not finite": (_edit_value("Server", "power", value=math.inf), ["'power'", "finite"]),
    "choice not in the list": (_edit_value("Server", "server_type", value="quantum"), ["server_type", "quantum"]),
    "unknown time zone": (_edit_value("Country", "timezone", zone="Mars/Olympus"), ["timezone", "Mars/Olympus"]),
    "no value where one is needed": (_edit_value("Server", "ram", value=None), ["'ram'", "no value"]),
    "fixed fleet of an autoscaling server": (_edit_value("Server", "server_type", value="autoscaling"),
                                             ["fixed_nb_of_instances", "autoscaling"]),
    "link to no object": (_set("Job", "server", "nowhere"), ["'server'", "'nowhere'"]),
    "link to the wrong class": (lambda d: _first(d, "Job").update(server=next(iter(d["Network"]))),
                                ["'server'", "Network"]),
    "list link that is no list": (_set("UserJourney", "uj_steps", "step"), ["uj_steps", "list"]),
    "missing link": (lambda d: _first(d, "Job").pop("server"), ["'server'", "missing"]),
    "missing name": (lambda d: _first(d, "Job").pop("name"), ["'name'", "non-empty string"]),
    "id differing from its key": (_set("Job", "id", "other"), ["'id'", "filed under"]),
    "duplicate id": (_duplicate_id, ["used twice"]),
    "truncated series": (_cut_series, ["hourly_user_journey_starts", "truncated"]),
    "corrupted series": (_corrupt_series, ["hourly_user_journey_starts", "corrupted"]),
    "series length that does not match": (_shorter_series, ["hourly_user_journey_starts"]),
    "start date not on the hour": (_edit_value("UsagePattern", "hourly_user_journey_starts",
                                               start_date="2025-03-30 00:30:00"), ["whole hour"]),
    "unknown value key": (_edit_value("Server", "power", colour="blue"), ["'power'", "colour"]),
    "unknown source key": (_edit_value("Server", "power", source={"name": "x", "url": "y"}), ["source", "url"]),
    "saved value in the wrong unit": (_bad_calculated, ["total_footprint", "watt"]),
    "unknown calculated attribute": (_unknown_calculated, ["servers", "not calculated attributes"]),
    "storage shared by two servers": (_second_server_on_the_same_storage, ["nothing was loaded", "at most 1"]),
    "capacity error while computing the system": (_too_small_server, ["nothing was loaded", "CapacityError"]),
}


@pytest.mark.parametrize("case", list(REFUSALS))
@pytest.mark.parametrize("with_results", [False, True], ids=["inputs", "results"])
def test_a_bad_document_is_refused_and_leaves_the_model_as_it_was(small, case, with_results):
    model, system, inputs_only, with_calculated = small
    mutate, fragments = REFUSALS[case]
    document = copy.deepcopy(with_calculated if with_results else inputs_only)
    mutate(document)
    before = model_snapshot(model)
    with pytest.raises(SerializationError) as refused:
        json_to_system(document)
    for fragment in fragments:
        assert fragment in str(refused.value), (fragment, str(refused.value))
    assert model_snapshot(model) == before
    with new_model() as empty:
        with pytest.raises(SerializationError):
            json_to_system(copy.deepcopy(document))
        assert not empty.objects and not empty.nodes and empty.graph.number_of_nodes() == 0


def test_an_unregistered_builder_class_names_its_module(small, monkeypatch):
    _, _, document, _ = small
    document = copy.deepcopy(document)
    monkeypatch.setitem(json_io.BUILDER_MODULES, "FancyCloudServer", "efp_builders.fancy_cloud_server")
    document["FancyCloudServer"] = document.pop("Server")
    with new_model() as empty, pytest.raises(SerializationError,
                                             match="'FancyCloudServer' is not registered.*efp_builders.fancy_cloud_server"):
        json_to_system(document)
    assert not empty.objects


def test_truncated_and_non_json_files_are_refused(small, tmp_path):
    _, system, _, _ = small
    path = tmp_path / "system.json"
    system_to_json(system, output_filepath=path)
    text = path.read_text(encoding="utf-8")
    for name, content in {"truncated": text[: len(text) // 2], "empty": "", "nan": text.replace("0.05", "NaN", 1),
                          "list": "[1, 2]"}.items():
        broken = tmp_path / f"{name}.json"
        broken.write_text(content, encoding="utf-8")
        with new_model() as empty, pytest.raises(SerializationError):
            json_to_system(broken)
        assert not empty.objects, name
    with pytest.raises(SerializationError, match="cannot read"):
        json_to_system(tmp_path / "missing.json")


def test_a_document_needs_exactly_one_system(small):
    _, _, document, _ = small
    document = copy.deepcopy(document)
    del document["System"]
    with new_model() as empty, pytest.raises(SerializationError, match="0 System"):
        json_to_system(document)
    assert not empty.objects
    with new_model():
        objects = json_io.json_to_objects(document)
        assert {type(o).__name__ for o in objects.values()} >= {"UsagePattern", "Server", "Storage"}


def test_loading_inside_a_transaction_block(small):
    """A load joins an enclosing ``model.transaction()``: its objects are there at once, its formulas run
    at the end of the block (where their errors surface), and a failure rolls the whole block back."""
    model, system, inputs_only, with_results = small
    before = model_snapshot(model)
    with model.transaction():
        copy_of_system = json_to_system(with_results)
        assert copy_of_system.total_footprint.sum() == system.total_footprint.sum()
    assert copy_of_system.id in model.objects
    broken = copy.deepcopy(inputs_only)
    _too_small_server(broken)
    after_first = model_snapshot(model)
    with pytest.raises(CapacityError, match="small server"):
        with model.transaction():
            json_to_system(broken)
    assert model_snapshot(model) == after_first and before[0].keys() < after_first[0].keys()
