"""Helpers of the footprint-model tests (import them as ``from nodes_helpers import ...``).

Every test builds its objects in a fresh model (the ``model`` fixture), so that tests share no state.
Expected values are computed by hand (plain arithmetic and numpy, from ``spec/model.md``); the helpers
here only build small systems and compare values, they never compute an expectation with efp.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from efp import (EmptyExplainableObject, ExplainableHourlyQuantities, ExplainableQuantity, SourceHourlyValues,
                 SourceObject, SourceValue, State, u)
from efp_nodes import (Country, Device, Job, Network, UsagePattern, UserJourney,
                       UserJourneyStep)

T0 = datetime(2025, 1, 1)
HOUR = timedelta(hours=1)
HOURS_PER_YEAR = 365.25 * 24  # 8766


# ---------------------------------------------------------------------------------------------- building
def q(magnitude, unit):
    """A user input quantity."""
    return SourceValue(magnitude * u(unit) if isinstance(unit, str) else magnitude * unit)


def hourly(values, start=T0, unit=None):
    """A short user-given hourly series."""
    return SourceHourlyValues(values, start, unit)


def utc_country(name="Testland", intensity_g_per_kwh=100.0):
    """A country on UTC, so that local starts are UTC starts."""
    return Country(name, short_name=SourceObject("TST"),
                   average_carbon_intensity=SourceValue(intensity_g_per_kwh * u.g / u.kWh),
                   timezone=SourceObject("UTC"))


def simple_job(name, server, *, transferred_mb=0.0, download_mb=0.0, stored_mb=0.0, duration_h=1.0,
               compute_cores=0.0, ram_gb=0.0):
    return Job(name, server=server, data_transferred=q(transferred_mb, "MB"), data_download=q(download_mb, "MB"),
               data_stored=q(stored_mb, "MB"), request_duration=q(duration_h, "hour"),
               compute_needed=q(compute_cores, "cpu_core"), ram_needed=q(ram_gb, "GB"))


def usage_pattern_of(name, steps, starts, *, start=T0, country=None, devices=None, network=None):
    """A usage pattern running a journey of ``steps`` (a list of ``(minutes, jobs)``)."""
    step_objects = [UserJourneyStep(f"{name} step {i}", user_time_spent=q(minutes, "min"), jobs=list(jobs))
                    for i, (minutes, jobs) in enumerate(steps)]
    journey = UserJourney(f"{name} journey", uj_steps=step_objects)
    return UsagePattern(name, user_journey=journey,
                        devices=devices if devices is not None else [Device.laptop()],
                        network=network if network is not None else Network("net " + name,
                                                                            bandwidth_energy_intensity=q(0.1, "kWh/GB")),
                        country=country if country is not None else utc_country("country " + name),
                        hourly_user_journey_starts=hourly(starts, start))


# ---------------------------------------------------------------------------------------------- checking
def assert_hourly(actual, expected, start, unit, rtol=1e-12):
    """``actual`` is an hourly series starting at ``start`` whose values in ``unit`` are ``expected``."""
    assert isinstance(actual, ExplainableHourlyQuantities), f"expected an hourly series, got {actual!r}"
    assert actual.start_date == start, f"starts at {actual.start_date}, expected {start}"
    got = actual.to(unit).magnitude
    expected = np.asarray(expected, dtype=float)
    assert got.shape == expected.shape, f"shape {got.shape}, expected {expected.shape}: {got}"
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-13 * scale)


def assert_quantity(actual, expected, unit, rtol=1e-12):
    assert isinstance(actual, ExplainableQuantity), f"expected a quantity, got {actual!r}"
    assert actual.value.to(unit).magnitude == pytest.approx(expected, rel=rtol, abs=1e-300)


def assert_empty(value):
    assert isinstance(value, EmptyExplainableObject), f"expected no value (∅), got {value!r}"


# ---------------------------------------------------------------------------------------------- snapshots
def calculated_keys(model):
    return [key for key, node in model.nodes.items() if node.calculated]


def compute_all(model):
    """Compute every calculated node (pull what is stale) and return the keys."""
    keys = calculated_keys(model)
    model.pull(keys)
    return keys


def model_snapshot(model) -> dict:
    """Everything a refused change must leave as it was: each node's state, value (identity and numbers),
    error and dependencies, list contents, and the graph's nodes and edges."""
    nodes = {}
    for key, node in model.nodes.items():
        value = node.value
        if isinstance(value, list):
            value_repr = ("list", id(value), tuple(id(item) for item in value))
        elif isinstance(value, ExplainableHourlyQuantities):
            value_repr = ("hourly", id(value), value.magnitude.copy(), value.start_date, str(value.unit))
        elif isinstance(value, ExplainableQuantity):
            value_repr = ("quantity", id(value), value.magnitude, str(value.unit))
        else:
            value_repr = ("value", id(value))
        nodes[key] = (node.state, value_repr, node.error, node.deps)
    return {"nodes": nodes, "edges": set(model.graph.edges), "graph_nodes": set(model.graph.nodes),
            "objects": dict(model.objects)}


def snapshot_differences(before: dict, after: dict) -> list[str]:
    problems = [f"{part} changed" for part in ("edges", "graph_nodes", "objects") if before[part] != after[part]]
    if set(before["nodes"]) != set(after["nodes"]):
        problems.append("the set of nodes changed")
    for key in set(before["nodes"]) & set(after["nodes"]):
        old, new = before["nodes"][key], after["nodes"][key]
        same = old[0] == new[0] and old[2] is new[2] and old[3] == new[3] and old[1][:2] == new[1][:2]
        if same and old[1][0] == "hourly":
            same = np.array_equal(old[1][2], new[1][2]) and old[1][3:] == new[1][3:]
        elif same:
            same = old[1][2:] == new[1][2:]
        if not same:
            problems.append(f"node {key} changed")
    return problems


def all_fresh(model) -> bool:
    return all(node.state is State.FRESH for node in model.nodes.values() if node.calculated)
