"""Refused inputs (model.md §3 and §6): each raises an efp error whose message names the object, the
attribute, the value and what is allowed, and leaves the model exactly as it was (every calculated
value, every state, the graph's nodes and edges)."""
import math

import pytest

from efp import (CapacityError, EmptyExplainableObject, LinkError, ModelingUpdate, SourceHourlyValues, SourceObject, SourceValue,
                 StorageError, UnitDimensionError, ValidationError, u)
from efp_nodes import Device, Job, Server, ServerTypes, Storage, System

from nodes_helpers import (T0, all_fresh, compute_all, hourly, model_snapshot, q, simple_job,
                           snapshot_differences, usage_pattern_of)


@pytest.fixture
def system(model):
    """A computed system: server "srv" (on its storage "st") with a storing job, a usage pattern."""
    storage = Storage.ssd("st")
    server = Server.from_defaults("srv", storage=storage)
    job = simple_job("job", server, transferred_mb=10, stored_mb=5, compute_cores=1, ram_gb=1)
    up = usage_pattern_of("up", [(10, [job])], [3, 4, 5])
    system = System("system", usage_patterns=[up])
    compute_all(model)
    assert all_fresh(model)
    return model, server, storage, job, up


def refused(model, error_class, change, *parts):
    """Run ``change``; check the error, that its message holds every part, and that nothing changed."""
    before = model_snapshot(model)
    with pytest.raises(error_class) as error:
        change()
    message = str(error.value)
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    assert snapshot_differences(before, model_snapshot(model)) == []
    return message


def test_wrong_dimension(system):
    model, server, _, _, up = system
    refused(model, UnitDimensionError, lambda: setattr(server, "power", SourceValue(3 * u.kg)),
            "Server 'srv'", "power", "3 kilogram", "allowed", "watt")
    refused(model, UnitDimensionError,
            lambda: setattr(up, "hourly_user_journey_starts", SourceHourlyValues([1, 2], T0, u.kg)),
            "UsagePattern 'up'", "hourly_user_journey_starts", "kilogram", "allowed", "dimensionless")


def test_wrong_dimension_at_construction_creates_nothing(system):
    model, server, _, _, _ = system
    refused(model, UnitDimensionError, lambda: Job("bad job", server=server, data_transferred=q(1, "W")),
            "Job 'bad job'", "data_transferred", "1 watt", "allowed", "byte")


def test_regression_refused_construction_leaves_no_default_storage_behind(system):
    """A server refused at construction created its default SSD storage first and left it in the model."""
    model = system[0]
    refused(model, UnitDimensionError, lambda: Server("bad server", power=q(3, "kg")),
            "Server 'bad server'", "power", "3 kilogram", "allowed")


@pytest.mark.parametrize("attr, value, allowed", [
    ("data_transferred", q(-1, "MB"), ">= 0"),
    ("request_duration", q(0, "s"), "> 0"),
    ("ram_needed", q(-5, "GB"), ">= 0"),
])
def test_negative_values(system, attr, value, allowed):
    model, _, _, job, _ = system
    refused(model, ValidationError, lambda: setattr(job, attr, value), "Job 'job'", attr, str(value), allowed)


def test_negative_hourly_starts(system):
    model, _, _, _, up = system
    refused(model, ValidationError, lambda: setattr(up, "hourly_user_journey_starts", hourly([1, -2, 3])),
            "UsagePattern 'up'", "hourly_user_journey_starts", "allowed", ">= 0")


def test_unknown_server_type(system):
    model, server, _, _, _ = system
    refused(model, ValidationError, lambda: setattr(server, "server_type", SourceObject("cloud")),
            "Server 'srv'", "server_type", "cloud", "allowed", "autoscaling", "on-premise", "serverless")


def test_fixed_nb_of_instances_only_on_premise(system):
    model, server, _, _, _ = system
    refused(model, ValidationError, lambda: setattr(server, "fixed_nb_of_instances", q(3, "dimensionless")),
            "Server 'srv'", "fixed_nb_of_instances", "3", "server_type", "autoscaling", "allowed")
    with pytest.raises(ValidationError):
        Server("serverless with fixed fleet", server_type=ServerTypes.serverless(),
               fixed_nb_of_instances=q(3, "dimensionless"), storage=Storage.ssd())


def test_fixed_nb_of_instances_then_leaving_on_premise(model):
    server = Server.from_defaults("srv", server_type=ServerTypes.on_premise(),
                                  fixed_nb_of_instances=q(3, "dimensionless"))
    refused(model, ValidationError, lambda: setattr(server, "server_type", ServerTypes.autoscaling()),
            "Server 'srv'", "fixed_nb_of_instances", "autoscaling", "allowed")
    # the way out: one batch that also empties the fleet
    ModelingUpdate([[server.server_type, ServerTypes.autoscaling()],
                    [server.fixed_nb_of_instances, EmptyExplainableObject()]])
    assert server.server_type.value == "autoscaling" and not server.fixed_nb_of_instances


def test_storage_shared_by_two_servers(system):
    model, server, storage, _, _ = system
    message = refused(model, LinkError, lambda: Server.from_defaults("other", storage=storage),
                      "Storage 'st'", "server", "'srv'", "'other'", "allowed", "at most 1")
    other = Server.from_defaults("other")
    refused(model, LinkError, lambda: setattr(other, "storage", storage), "Storage 'st'", "server", "allowed")
    assert "srv" in message


def test_server_too_small_for_its_base_consumption(system):
    model, server, _, _, _ = system
    refused(model, CapacityError, lambda: setattr(server, "base_ram_consumption", q(200, "GB")),
            "Server 'srv'", "ram", "200", "115.2", "utilization rate", "raise")
    refused(model, CapacityError, lambda: setattr(server, "base_compute_consumption", q(30, "cpu_core")),
            "Server 'srv'", "compute", "30", "21.6")


def test_regression_exactly_no_capacity_left_is_a_capacity_error_not_a_division_by_zero(system):
    model, server, _, _, _ = system
    server.server_utilization_rate = q(0.5, "dimensionless")  # 64 GB left
    compute_all(model)
    refused(model, CapacityError, lambda: setattr(server, "base_ram_consumption", q(64, "GB")),
            "Server 'srv'", "ram", "64")


def test_more_data_deleted_than_stored(system):
    model, _, _, job, _ = system
    refused(model, StorageError, lambda: setattr(job, "data_stored", q(-1, "TB")),
            "Storage 'st'", "more data deleted than stored", "data_stored", "base_storage_need")


@pytest.mark.parametrize("change, parts", [
    (lambda s: setattr(s[3], "server", s[2]), ("Job 'job'", "server", "st", "ServerBase")),
    (lambda s: s[4].user_journey.uj_steps[0].jobs.append(s[1]), ("jobs", "srv", "JobBase")),
    (lambda s: setattr(s[4], "country", s[4].network), ("UsagePattern 'up'", "country", "Country")),
    (lambda s: setattr(s[4], "devices", [s[4].country]), ("UsagePattern 'up'", "devices", "Device")),
    (lambda s: s[4].user_journey.uj_steps.append(s[3]), ("uj_steps", "job", "UserJourneyStep")),
])
def test_wrong_link_class(system, change, parts):
    refused(system[0], LinkError, lambda: change(system), *parts, "allowed")


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_nan_and_infinity(system, bad):
    model, server, _, job, up = system
    refused(model, ValidationError, lambda: setattr(job, "data_transferred", SourceValue(bad * u.MB)),
            "Job 'job'", "data_transferred", str(bad), "allowed", "finite")
    refused(model, ValidationError, lambda: setattr(up, "hourly_user_journey_starts", hourly([1, bad, 3])),
            "UsagePattern 'up'", "hourly_user_journey_starts", "allowed", "finite")
    refused(model, ValidationError, lambda: setattr(server, "ram", SourceValue(bad * u.GB)),
            "Server 'srv'", "ram", "allowed", "finite")


def test_refused_batch_changes_nothing(system):
    model, server, _, job, _ = system
    refused(model, CapacityError, lambda: ModelingUpdate([[job.data_transferred, q(1, "GB")],
                                                          [server.base_ram_consumption, q(500, "GB")]]),
            "Server 'srv'")


def test_calculated_attributes_cannot_be_set(system):
    model, server, _, _, _ = system
    refused(model, ValidationError, lambda: setattr(server, "nb_of_instances", q(3, "dimensionless")),
            "Server 'srv'", "nb_of_instances", "allowed", "calculated")


def test_unknown_keyword(model):
    with pytest.raises(ValidationError) as error:
        Device("phone", weight=q(1, "kg"))
    assert "Device 'phone'" in str(error.value) and "weight" in str(error.value)
    assert "allowed" in str(error.value)


def test_system_refused_at_creation_leaves_nothing(model):
    server = Server.from_defaults("srv", base_ram_consumption=q(500, "GB"))
    up = usage_pattern_of("up", [(10, [simple_job("job", server, ram_gb=1)])], [1, 2])
    before = model_snapshot(model)
    with pytest.raises(CapacityError):
        System("system", usage_patterns=[up])
    assert snapshot_differences(before, model_snapshot(model)) == []
    assert up.systems == []


def test_regression_a_misspelt_attribute_was_silently_set_as_a_python_attribute():
    from efp import ValidationError, new_model
    from efp_nodes import Server
    with new_model():
        server = Server.from_defaults("server")
        with pytest.raises(ValidationError) as error:
            server.lifespam = 3
        assert "lifespam" in str(error.value) and "lifespan" in str(error.value) and "Server 'server'" in str(error.value)
        assert not hasattr(server, "lifespam")
