"""ModelingUpdate: batches recompute once and apply fully or not at all; simulations splice the
changed model onto the baseline at a date and switch between the two states."""
from __future__ import annotations

from datetime import datetime

import networkx as nx
import numpy as np
import pytest

from efp import (EfpError, ExplainableHourlyQuantities, FormulaError, LinkError, ModelingUpdate, SourceHourlyValues,
                 SourceValue, ValidationError, new_model, u)

import toy
from engine_checks import (calculated_keys, computed_values, fresh_calculated, rebuild_differences, snapshot,
                           snapshot_differences)


@pytest.fixture
def factory(model):
    parts = [toy.Part(f"p{i}", (i + 1) * u.kg, 1) for i in range(4)]
    machine = toy.Machine("m")
    assemblies = [toy.Assembly("a0", parts[:2], 1, machine), toy.Assembly("a1", parts[2:], 2, machine),
                  toy.Assembly("a2", [parts[3]], 3)]
    line = toy.Line("l", assemblies[:2])
    model.pull(calculated_keys(model))
    return {o.name: o for o in [*parts, machine, *assemblies, line]}


def transactions_during(model, change) -> int:
    calls = []
    model.change_listeners.append(lambda model, journal: calls.append(journal))
    try:
        change()
    finally:
        model.change_listeners.pop()
    return len(calls)


# ---------------------------------------------------------------- batches
def test_a_batch_recomputes_the_union_of_descendants_once(model, factory):
    p0, p3, a1 = factory["p0"], factory["p3"], factory["a1"]
    roots = [p0.node("weight").key, p3.node("count").key, a1.node("factor").key]
    expected = set().union(*(nx.descendants(model.graph, root) for root in roots)) & fresh_calculated(model)
    calls_before = model.formula_calls
    count = transactions_during(model, lambda: ModelingUpdate([
        [p0.weight, SourceValue(10 * u.kg)], [p3.count, SourceValue(2 * u.dimensionless)],
        [a1.factor, SourceValue(5 * u.dimensionless)]]))
    assert count == 1
    assert model.formula_calls - calls_before == len(expected)
    assert set(model.last_plan) == expected
    # m.throughput depends on all three changes and was computed once
    assert sum(1 for k in model.last_plan if k == factory["m"].node("throughput").key) == 1
    assert factory["a1"].weight.value == (3 + 4 * 2) * 5 * u.kg
    assert rebuild_differences(model) == []


def test_a_batch_with_inputs_and_lists(model, factory):
    a0, a2, p2 = factory["a0"], factory["a2"], factory["p2"]
    update = ModelingUpdate([[a0.parts, [p2, p2]], [a2.parts, []], [p2.weight, SourceValue(1 * u.kg)]])
    assert not update.is_simulation
    assert list(a0.parts) == [p2, p2] and p2.assemblies == [a0, factory["a1"]]
    assert a0.weight.value == 2 * u.kg
    assert update.recomputed == model.last_plan
    assert rebuild_differences(model) == []


@pytest.mark.parametrize("bad_pair, error", [
    (lambda f: [f["a1"].factor, SourceValue(13 * u.dimensionless)], FormulaError),      # a formula fails
    (lambda f: [f["p1"].weight, SourceValue(-1 * u.kg)], ValidationError),              # a bound
    (lambda f: [f["p1"].weight, SourceValue(1 * u.m)], ValidationError),                # a unit
    (lambda f: [f["a2"].parts, [f["m"]]], LinkError),                                   # a list
])
def test_a_batch_with_one_bad_pair_rolls_back_entirely(model, factory, bad_pair, error):
    before = snapshot(model)
    values_before = computed_values(model)
    pairs = [[factory["p0"].weight, SourceValue(10 * u.kg)], [factory["a0"].parts, [factory["p3"]]],
             bad_pair(factory), [factory["p2"].count, SourceValue(3 * u.dimensionless)]]
    with pytest.raises(error):
        ModelingUpdate(pairs)
    assert snapshot_differences(before, snapshot(model)) == []
    assert computed_values(model) == values_before                          # the very same value objects
    assert list(factory["a0"].parts) == [factory["p0"], factory["p1"]]
    assert factory["p3"].assemblies == [factory["a1"], factory["a2"]]


def test_modeling_update_refuses_malformed_batches(model, factory):
    with pytest.raises(ValidationError, match="got no change"):
        ModelingUpdate([])
    with pytest.raises(ValidationError, match="pairs"):
        ModelingUpdate([[factory["p0"].weight]])
    with pytest.raises(ValidationError, match="a value read from an object's attribute"):
        ModelingUpdate([[SourceValue(1 * u.kg), SourceValue(2 * u.kg)]])
    with new_model():
        elsewhere = toy.Part("elsewhere")
    with pytest.raises(ValidationError, match="different models"):
        ModelingUpdate([[factory["p0"].weight, SourceValue(2 * u.kg)], [elsewhere.weight, SourceValue(2 * u.kg)]])
    with pytest.raises(ValidationError, match="set_updated_values"):
        ModelingUpdate([[factory["p0"].weight, SourceValue(2 * u.kg)]]).set_updated_values()
    with pytest.raises(ValidationError, match="simulation_date"):
        ModelingUpdate([[factory["p0"].weight, SourceValue(3 * u.kg)]]).reset_values()
    assert factory["p0"].weight.value == 3 * u.kg


# ---------------------------------------------------------------- simulations on hourly values
START = np.datetime64("2025-01-01T00:00")
DATE = datetime(2025, 1, 1, 20)


def hourly_plant(plant_name="plant"):
    """Three feeders (durations 1 h, 2.5 h and 30 min) over two days, and a plant summing them."""
    rng = np.random.default_rng(3)
    feeders = [toy.Feeder("f0", SourceHourlyValues(rng.uniform(0, 10, 48), "2025-01-01 00:00"), 1 * u.hour, 10 * u.W),
               toy.Feeder("f1", SourceHourlyValues(rng.uniform(0, 5, 30), "2025-01-01 06:00"), 2.5 * u.hour, 20 * u.W),
               toy.Feeder("f2", SourceHourlyValues(rng.uniform(0, 3, 40), "2024-12-31 20:00"), 30 * u.minute)]
    plant = toy.Plant(plant_name, feeders)
    return feeders, plant


def by_hour(value) -> dict:
    """An hourly value as {hour: magnitude} (a missing hour counts as 0)."""
    if not isinstance(value, ExplainableHourlyQuantities):
        return {}
    return dict(zip(value.data_array["time"].values, value.magnitude))


def assert_spliced(simulated: dict, baseline: dict, changed: dict, date: np.datetime64):
    for name, value in simulated.items():
        sim, base, new = by_hour(value), by_hour(baseline[name]), by_hour(changed[name])
        for hour in set(sim) | set(base) | set(new):
            expected = base.get(hour, 0.0) if hour < date else new.get(hour, 0.0)
            assert sim.get(hour, 0.0) == expected, (name, hour)


def changed_from_scratch(edit) -> dict:
    """The hourly values of the plant built from scratch with ``edit`` applied before anything is computed."""
    with new_model() as scratch:
        feeders, plant = hourly_plant()
        edit(feeders, plant)
        return computed_values(scratch)


@pytest.mark.parametrize("edit, new_value", [
    ("power", lambda feeders, plant: (feeders[1].power, SourceValue(35 * u.W))),
    ("intensity", lambda feeders, plant: (plant.intensity, SourceValue(0.3 * u.kg / u.kWh))),
    ("starts", lambda feeders, plant: (feeders[1].starts,
                                       SourceHourlyValues(np.full(40, 4.0), "2025-01-01 10:00"))),
    ("duration", lambda feeders, plant: (feeders[0].duration, SourceValue(3 * u.hour))),
    ("feeders", lambda feeders, plant: (plant.feeders, [feeders[2], feeders[0]])),
])
def test_simulation_splices_baseline_and_changed_values_at_the_date(model, edit, new_value):
    feeders, plant = hourly_plant()
    baseline = computed_values(model)
    baseline_objects = {key: value for key, value in baseline.items()}
    before = snapshot(model)
    old, new = new_value(feeders, plant)
    update = ModelingUpdate([[old, new]], simulation_date=DATE)
    assert update.is_simulation and update.simulation_date_as_datetime == DATE

    # the model stays on the baseline, with the very same values
    assert snapshot_differences(before, snapshot(model)) == []
    assert computed_values(model) == baseline_objects

    def apply_edit(feeders, plant):
        target, value = new_value(feeders, plant)
        owner_attr = {id(f.node(a).value): (f, a) for f in [*feeders, plant] for a in type(f).settable()}
        obj, attr = owner_attr[id(target)]
        setattr(obj, attr, value)

    changed = changed_from_scratch(apply_edit)
    update.set_updated_values()
    simulated = computed_values(model)
    assert any(simulated[k] is not baseline[k] for k in simulated), "the simulation changed nothing"
    assert_spliced(simulated, baseline, changed, np.datetime64(DATE))

    update.reset_values()
    assert computed_values(model) == baseline_objects
    assert snapshot_differences(before, snapshot(model)) == []
    update.set_updated_values()
    update.set_updated_values()                                              # switching is idempotent
    assert computed_values(model) == simulated
    update.reset_values()
    update.reset_values()
    assert computed_values(model) == baseline_objects


def test_simulation_inputs_switch_with_the_values(model):
    feeders, plant = hourly_plant()
    power_before = feeders[1].power
    update = ModelingUpdate([[feeders[1].power, SourceValue(35 * u.W)]], simulation_date=DATE)
    assert feeders[1].power is power_before
    update.set_updated_values()
    assert feeders[1].power.value == 35 * u.W
    key = plant.node("energy").key
    assert update.updated_value(key) is plant.energy
    update.reset_values()
    assert feeders[1].power is power_before
    assert update.updated_value(feeders[2].node("energy").key) is None          # not affected


def test_simulation_before_the_first_hour_equals_the_changed_model(model):
    feeders, plant = hourly_plant()
    update = ModelingUpdate([[feeders[0].power, SourceValue(1 * u.W)]], simulation_date=datetime(2024, 12, 1))
    changed = changed_from_scratch(lambda f, p: setattr(f[0], "power", SourceValue(1 * u.W)))
    update.set_updated_values()
    simulated = computed_values(model)
    for name, value in simulated.items():
        assert np.array_equal(value.magnitude, changed[name].magnitude), name


def test_a_failing_simulation_leaves_the_baseline(model):
    feeders, plant = hourly_plant()
    baseline = computed_values(model)
    before = snapshot(model)
    with pytest.raises(EfpError):
        ModelingUpdate([[feeders[0].power, SourceValue(5 * u.W)], [feeders[1].duration, SourceValue(1 * u.kg)]],
                       simulation_date=DATE)
    assert snapshot_differences(before, snapshot(model)) == []
    assert computed_values(model) == baseline


def test_regression_simulation_on_a_model_never_read_splices_and_switches_back(model):
    """Bug: values still stale when the simulation was made were later computed unspliced from the
    simulated inputs, and kept those numbers after reset_values() (a FRESH node disagreeing with its
    inputs)."""
    feeders, plant = hourly_plant()
    assert model.formula_calls == 0                                           # nothing computed yet
    update = ModelingUpdate([[feeders[1].power, SourceValue(35 * u.W)]], simulation_date=DATE)
    with new_model() as scratch:
        hourly_plant()
        baseline = computed_values(scratch)
    changed = changed_from_scratch(lambda f, p: setattr(f[1], "power", SourceValue(35 * u.W)))
    update.set_updated_values()
    assert_spliced(computed_values(model), baseline, changed, np.datetime64(DATE))
    update.reset_values()
    assert rebuild_differences(model) == []
    for name, value in computed_values(model).items():
        assert np.array_equal(value.magnitude, baseline[name].magnitude), name
