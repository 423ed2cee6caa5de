"""Property test: random toy models under random sequences of valid and invalid edits.

After every step:

(a) an invalid edit (a negative or NaN weight, a wrong unit, a link to an object of the wrong class or
    of another model, a link cycle, ``factor = 13`` which makes a formula fail, a batch with one bad
    pair) raises an :class:`efp.EfpError` and leaves every node's state, value, error and edges, every
    list and the referrer index exactly as before;
(b) after a valid edit (inputs, links, every list mutation, batches), the recomputed nodes are exactly
    the fresh calculated descendants of what changed, and every calculated value, link, derived list
    and edge equals a from-scratch rebuild of the same inputs in a fresh model.

Deterministic (``derandomize=True``). ``test_statistics`` (run last) reports how many examples and
steps ran; run with ``-s`` to see the figures.
"""
from __future__ import annotations

import math
from collections import Counter

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from efp import (EfpError, FormulaError, GraphCycleError, LinkError, ModelingUpdate, UnitDimensionError,
                 ValidationError, new_model, u)

import toy
from engine_checks import (calculated_keys, fresh_calculated, rebuild_differences, snapshot,
                           snapshot_differences, structural_lists)

MAX_EXAMPLES = int(__import__("os").environ.get("EFP_PROPERTY_EXAMPLES", 200))
STATS: Counter = Counter()

WEIGHTS = st.sampled_from([0 * u.kg, 0.5 * u.kg, 1 * u.kg, 2.5 * u.kg, 7 * u.kg, 300 * u.g, 1.5 * u.t])
COUNTS = st.sampled_from([1, 2, 3, 0.5, 1.25])
FACTORS = st.sampled_from([0, 1, 2, -1, 0.5, 3])
SPEEDS = st.sampled_from([1 / u.hour, 2 / u.hour, 1 / u.minute, 0 / u.hour])
BAD_INPUTS = [  # (class name, attribute, value, expected error)
    ("Part", "weight", -1 * u.kg, ValidationError),
    ("Part", "weight", 2 * u.m, UnitDimensionError),
    ("Part", "weight", math.nan * u.kg, ValidationError),
    ("Part", "weight", math.inf * u.kg, ValidationError),
    ("Part", "count", 0, ValidationError),
    ("Part", "count", "two", ValidationError),
    ("Assembly", "factor", 13, FormulaError),
    ("Assembly", "factor", 13 * u.kg, UnitDimensionError),
    ("Machine", "speed", 3 * u.kg, UnitDimensionError),
    ("Stage", "x", 1 * u.s, UnitDimensionError),
]
LIST_OPERATIONS = ["append", "insert", "setitem", "delitem", "extend", "replace", "pop", "remove", "clear",
                   "iadd", "reverse"]

with new_model() as _elsewhere:
    ELSEWHERE = {"Part": toy.Part("foreign part"), "Assembly": toy.Assembly("foreign assembly"),
                 "Machine": toy.Machine("foreign machine"), "Stage": toy.Stage("foreign stage")}


class World:
    """The random model of one example, with its objects by class."""

    def __init__(self, data):
        draw = data.draw
        self.parts = [toy.Part(f"p{i}", draw(WEIGHTS), draw(COUNTS)) for i in range(draw(st.integers(1, 4)))]
        self.machines = [toy.Machine(f"m{i}", speed=draw(SPEEDS)) for i in range(draw(st.integers(0, 2)))]
        self.assemblies = [
            toy.Assembly(f"a{i}", draw(st.lists(st.sampled_from(self.parts), max_size=4)), draw(FACTORS),
                         draw(st.sampled_from([None, *self.machines])))
            for i in range(draw(st.integers(1, 3)))]
        self.lines = [toy.Line(f"l{i}", draw(st.lists(st.sampled_from(self.assemblies), max_size=3)))
                      for i in range(draw(st.integers(0, 2)))]
        self.stages = []
        for i in range(draw(st.integers(0, 3))):
            self.stages.append(toy.Stage(f"s{i}", previous=draw(st.sampled_from([None, *self.stages])),
                                         x=draw(FACTORS)))
        self.collectors = ([toy.Collector("c0", draw(st.lists(st.sampled_from(self.stages), max_size=3)))]
                           if self.stages else [])

    def of_class(self, name: str) -> list:
        return {"Part": self.parts, "Assembly": self.assemblies, "Machine": self.machines,
                "Stage": self.stages}[name]

    def list_owners(self) -> list[tuple[object, str, list]]:
        """``(owner, list attribute, objects it may hold)``."""
        return ([(a, "parts", self.parts) for a in self.assemblies]
                + [(line, "assemblies", self.assemblies) for line in self.lines]
                + [(c, "stages", self.stages) for c in self.collectors])


def wrong_objects(world, allowed: list) -> list:
    """Objects a list or link must refuse: other classes, and objects of another model."""
    wrong = [o for group in (world.parts, world.assemblies, world.machines, world.lines, world.stages)
             for o in group if not allowed or type(o) is not type(allowed[0])]
    kind = type(allowed[0]).__name__ if allowed else None
    if kind in ELSEWHERE:
        wrong.append(ELSEWHERE[kind])
    return wrong


# ---------------------------------------------------------------- drawing one step
def list_edit(data, owner, attr, pool, bad: bool):
    """A mutation of ``owner.attr`` (a list link); with ``bad``, one that puts a wrong object in."""
    the_list = getattr(owner, attr)
    operation = data.draw(st.sampled_from(LIST_OPERATIONS), label="list operation")
    wrong = wrong_objects(data.world, pool) if bad else []
    if bad and not wrong:
        return None
    item = data.draw(st.sampled_from(wrong if bad else pool), label="item") if (wrong or pool) else None
    if item is None:
        operation = "clear"
    if bad and operation in ("delitem", "pop", "remove", "clear", "reverse"):
        operation = "append"
    if not the_list and operation in ("setitem", "delitem", "pop", "remove"):
        operation = "append"
    position = data.draw(st.integers(0, max(len(the_list) - 1, 0)), label="position")
    if operation == "remove":
        item = the_list[position]
    actions = {
        "append": lambda: the_list.append(item),
        "insert": lambda: the_list.insert(position, item),
        "setitem": lambda: the_list.__setitem__(position, item),
        "delitem": lambda: the_list.__delitem__(position),
        "extend": lambda: the_list.extend([item, item]),
        "replace": lambda: setattr(owner, attr, [item] + list(the_list)[:position]),
        "pop": lambda: the_list.pop(position),
        "remove": lambda: the_list.remove(item),
        "clear": lambda: the_list.clear(),
        "iadd": lambda: iadd(owner, attr, [item]),
        "reverse": lambda: the_list.reverse(),
    }
    return f"{attr}.{operation}", actions[operation], LinkError if bad else None, set()


def iadd(owner, attr, items):
    the_list = getattr(owner, attr)
    the_list += items
    setattr(owner, attr, the_list)


def reaches(start, target) -> bool:
    while start is not None:
        if start is target:
            return True
        start = start.previous
    return False


def draw_step(data, world):
    """``(label, change, expected error class or None, input roots)``, or None if not applicable.

    Input roots are the input nodes a valid change sets; link and list changes are found by comparing
    links and derived lists before and after (setting a link to its current target changes nothing).
    """
    kind = data.draw(st.sampled_from(["input", "input", "machine", "list", "list", "previous", "batch",
                                      "bad input", "bad link", "bad list", "bad batch"]), label="kind")
    draw = data.draw
    if kind == "input":
        target, attr, values = draw(st.sampled_from(
            [(p, "weight", WEIGHTS) for p in world.parts] + [(p, "count", COUNTS) for p in world.parts]
            + [(a, "factor", FACTORS) for a in world.assemblies] + [(m, "speed", SPEEDS) for m in world.machines]
            + [(s, "x", FACTORS) for s in world.stages]), label="input")
        value = draw(values)
        return f"set {attr}", lambda: setattr(target, attr, value), None, {target.node(attr).key}
    if kind == "machine":
        assembly = draw(st.sampled_from(world.assemblies))
        machine = draw(st.sampled_from([None, *world.machines]))
        return "set machine", lambda: setattr(assembly, "machine", machine), None, set()
    if kind in ("list", "bad list"):
        owner, attr, pool = draw(st.sampled_from(world.list_owners()), label="list")
        return list_edit(data, owner, attr, pool, bad=kind == "bad list")
    if kind == "previous":
        if not world.stages:
            return None
        stage = draw(st.sampled_from(world.stages))
        previous = draw(st.sampled_from([None, *world.stages]))
        error = GraphCycleError if previous is not None and reaches(previous, stage) else None
        return "set previous", lambda: setattr(stage, "previous", previous), error, set()
    if kind == "bad input":
        class_name, attr, value, error = draw(st.sampled_from(
            [bad for bad in BAD_INPUTS if world.of_class(bad[0])]), label="bad input")
        target = draw(st.sampled_from(world.of_class(class_name)))
        return f"bad {attr}", lambda: setattr(target, attr, value), error, set()
    if kind == "bad link":
        assembly = draw(st.sampled_from(world.assemblies))
        wrong = draw(st.sampled_from(world.parts + world.assemblies + world.lines + [ELSEWHERE["Machine"]]))
        return "bad machine", lambda: setattr(assembly, "machine", wrong), LinkError, set()
    part, assembly = draw(st.sampled_from(world.parts)), draw(st.sampled_from(world.assemblies))
    weight, factor = draw(WEIGHTS), draw(FACTORS)
    if kind == "batch":
        parts = draw(st.lists(st.sampled_from(world.parts), max_size=3))
        change = lambda: ModelingUpdate([[part.weight, weight], [assembly.factor, factor],  # noqa: E731
                                         [assembly.parts, parts]])
        return "batch", change, None, {part.node("weight").key, assembly.node("factor").key}
    bad_value, error = draw(st.sampled_from([(13, FormulaError), (-2 * u.kg, ValidationError),
                                             ([ELSEWHERE["Part"]], LinkError)]), label="bad pair")
    if isinstance(bad_value, list):
        pairs = [[part.weight, weight], [assembly.parts, bad_value]]
    elif error is FormulaError:
        pairs = [[part.weight, weight], [assembly.factor, bad_value]]
    else:
        pairs = [[assembly.factor, factor], [part.weight, bad_value]]
    return "bad batch", lambda: ModelingUpdate(pairs), error, set()


# ---------------------------------------------------------------- the property
def recorded(model, change) -> list[str]:
    plans = []

    def record(model, journal):
        plans.extend(model.last_plan)

    model.change_listeners.append(record)
    try:
        change()
    finally:
        model.change_listeners.remove(record)
    return plans


@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def random_edits_are_atomic_and_match_a_rebuild(data):
    with new_model() as model:
        world = data.world = World(data)
        assert rebuild_differences(model) == []                       # computes everything
        STATS["examples"] += 1
        STATS["nodes"] += len(model.nodes)
        for _ in range(data.draw(st.integers(4, 20), label="steps")):
            step = draw_step(data, world)
            if step is None:
                continue
            label, change, expected_error, input_roots = step
            STATS["steps"] += 1
            if expected_error is not None:
                before = snapshot(model)
                lists_before = {key: list(node.value) for key, node in model.nodes.items()
                                if isinstance(node.value, list)}
                with pytest.raises(EfpError) as raised:
                    change()
                assert isinstance(raised.value, expected_error), (label, raised.value)
                assert snapshot_differences(before, snapshot(model)) == [], label
                assert {key: list(node.value) for key, node in model.nodes.items()
                        if isinstance(node.value, list)} == lists_before
                STATS[f"invalid: {label}"] += 1
                STATS["invalid"] += 1
                continue
            fresh_before = fresh_calculated(model)
            assert fresh_before == set(calculated_keys(model))
            structure_before = structural_lists(model)
            plans = recorded(model, change)
            structure_after = structural_lists(model)
            by_readable = {(n.obj.name, n.attr): k for k, n in model.nodes.items()}
            roots = set(input_roots) | {by_readable[name] for name in structure_after
                                        if structure_before.get(name) != structure_after[name]}
            expected = set()
            for root in roots:
                expected |= (nx.descendants(model.graph, root) | {root}) & fresh_before
            assert set(plans) == expected, label
            assert len(plans) == len(set(plans)), label
            assert rebuild_differences(model) == [], label
            STATS[f"valid: {label}"] += 1
            STATS["valid"] += 1


def test_random_edits_are_atomic_and_match_a_rebuild():
    """Random edit sequences keep every guarantee, and the run really explored many steps of every kind."""
    STATS.clear()
    random_edits_are_atomic_and_match_a_rebuild()
    summary = ", ".join(f"{key}={value}" for key, value in sorted(STATS.items()))
    print(f"\nproperty test: {summary}")
    assert STATS["examples"] >= MAX_EXAMPLES
    assert STATS["steps"] >= 5 * MAX_EXAMPLES
    assert STATS["valid"] >= MAX_EXAMPLES and STATS["invalid"] >= MAX_EXAMPLES
    for label in ("valid: set weight", "valid: set machine", "valid: batch", "valid: set previous",
                  "invalid: bad factor", "invalid: bad machine", "invalid: bad batch", "invalid: set previous"):
        assert STATS[label] > 0, label
    assert sum(v for k, v in STATS.items() if k.startswith("valid: parts.")) >= 50
    assert sum(v for k, v in STATS.items() if k.startswith("invalid: parts.")) >= 10
