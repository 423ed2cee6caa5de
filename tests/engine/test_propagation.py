"""Change propagation: a change recomputes exactly its fresh descendants, link and list changes rewire
the graph, values always equal a from-scratch build, building computes nothing, and the cost of a
change does not grow with the model."""
from __future__ import annotations

import networkx as nx
import pytest

from efp import State, new_model, u

import toy
from engine_checks import (calculated_keys, fresh_calculated, rebuild_differences, structural_lists)


def build_factory():
    """Six parts, two machines, four assemblies (one empty, one listing a part twice), two lines."""
    p = [toy.Part(f"p{i}", (i + 1) * u.kg, i % 3 + 1) for i in range(6)]
    m0, m1 = toy.Machine("m0"), toy.Machine("m1", speed=3 / u.hour)
    a = [toy.Assembly("a0", [p[0], p[1], p[1]], 2, m0),
         toy.Assembly("a1", [p[2], p[3]], 1, m0),
         toy.Assembly("a2", [p[4]], 5, m1),
         toy.Assembly("a3", [], 1)]
    lines = [toy.Line("l0", [a[0], a[1]]), toy.Line("l1", [a[1], a[2], a[1]])]
    return {o.name: o for o in [*p, m0, m1, *a, *lines]}


@pytest.fixture
def factory(model):
    objects = build_factory()
    model.pull(calculated_keys(model))
    assert fresh_calculated(model) == set(calculated_keys(model))
    return objects


def descendants_of(model, roots) -> set[str]:
    found = set(roots)
    for root in roots:
        found |= nx.descendants(model.graph, root)
    return found


def changed_structure(before: dict, after: dict, model) -> set[str]:
    """Keys of the link, list and derived-list nodes whose contents differ between two snapshots."""
    by_readable = {(node.obj.name, node.attr): key for key, node in model.nodes.items()}
    return {by_readable[name] for name in after if before.get(name) != after[name]}


def check_change(model, change, roots=None):
    """Apply ``change``; assert it recomputed exactly the fresh calculated descendants of what it changed.

    ``roots``: the changed input nodes (for a link or list change they are found by comparing links and
    derived lists before and after). Returns the recomputed keys.
    """
    fresh_before = fresh_calculated(model)
    structure_before = structural_lists(model)
    calls_before = model.formula_calls
    plans = []

    def record(model, journal):
        plans.extend(model.last_plan)

    model.change_listeners.append(record)
    try:
        change()
    finally:
        model.change_listeners.remove(record)
    roots = set(roots or ()) | changed_structure(structure_before, structural_lists(model), model)
    assert roots, "the change changed nothing"
    expected = descendants_of(model, roots) & fresh_before
    recomputed = model.formula_calls - calls_before
    assert set(plans) == expected
    assert recomputed == len(expected) == len(plans)            # each node once, even over two transactions
    assert rebuild_differences(model) == []
    return expected


# ---------------------------------------------------------------- exactly the fresh descendants
def test_an_input_change_recomputes_exactly_its_fresh_descendants(model, factory):
    p1 = factory["p1"]
    recomputed = check_change(model, lambda: setattr(p1, "weight", 10 * u.kg), {p1.node("weight").key})
    names = {(model.nodes[k].obj.name, model.nodes[k].attr) for k in recomputed}
    assert names == {("p1", "total_weight"), ("a0", "weight"), ("m0", "throughput"), ("l0", "distinct_parts_weight")}
    # total weights: p0 1, p1 10 * 2, p2 3 * 3, p3 4 * 1; p1 appears twice in a0 (factor 2), once in l0
    assert factory["a0"].weight.value == (1 + 20 + 20) * 2 * u.kg
    assert factory["m0"].throughput.value == (82 + 9 + 4) * 2 * u.kg / u.hour
    assert factory["l0"].distinct_parts_weight.value == (1 + 20 + 9 + 4) * u.kg


def test_changes_anywhere_recompute_exactly_their_fresh_descendants(model, factory):
    check_change(model, lambda: setattr(factory["p3"], "count", 2), {factory["p3"].node("count").key})
    check_change(model, lambda: setattr(factory["a1"], "factor", 4), {factory["a1"].node("factor").key})
    check_change(model, lambda: setattr(factory["m1"], "speed", 1 / u.minute), {factory["m1"].node("speed").key})
    recomputed = check_change(model, lambda: setattr(factory["p5"], "weight", 1 * u.g),
                              {factory["p5"].node("weight").key})
    assert {model.nodes[k].attr for k in recomputed} == {"total_weight"}        # p5 is in no assembly


def test_only_fresh_nodes_are_recomputed_stale_ones_wait_to_be_read(model):
    objects = build_factory()
    assert model.formula_calls == 0
    assert objects["p2"].total_weight.value == 9 * u.kg                           # computes only that node
    assert model.formula_calls == 1 and model.last_plan == [objects["p2"].node("total_weight").key]
    objects["p2"].weight = 4 * u.kg
    assert model.formula_calls == 2 and model.last_plan == [objects["p2"].node("total_weight").key]
    objects["p0"].weight = 4 * u.kg                                              # nothing fresh below it
    assert model.formula_calls == 2 and model.last_plan == []
    assert objects["a1"].node("weight").state is State.STALE
    assert objects["a1"].weight.value == (4 * 3 + 4 * 1) * u.kg
    assert model.formula_calls == 4                                              # p3.total_weight and a1.weight
    assert rebuild_differences(model) == []


def test_reading_a_value_computes_only_its_stale_ancestors(model):
    objects = build_factory()
    throughput = objects["m1"].node("throughput").key
    expected = nx.ancestors(model.graph, throughput) | {throughput}
    _ = objects["m1"].throughput
    assert set(model.last_plan) == expected & set(calculated_keys(model))
    assert model.formula_calls == len(model.last_plan)
    assert [k for k in model.last_plan if model.nodes[k].attr == "throughput"] == [throughput]
    assert model.last_plan.index(throughput) == len(model.last_plan) - 1          # topological order


# ---------------------------------------------------------------- laziness
def test_building_computes_nothing_until_read(model):
    objects = build_factory()
    for i in range(50):
        toy.Stage(f"s{i}", previous=None if i == 0 else model.objects[list(model.objects)[-1]])
    assert model.formula_calls == 0 and model.last_plan == []
    assert all(model.nodes[k].state is State.STALE for k in calculated_keys(model))
    objects["p0"].weight = 7 * u.kg
    objects["a0"].parts.append(objects["p5"])
    objects["a3"].machine = objects["m1"]
    assert model.formula_calls == 0
    _ = objects["a3"].weight
    assert model.formula_calls == 1


# ---------------------------------------------------------------- link changes
def test_reassigning_a_link_rewires_and_recomputes(model, factory):
    a0, m0, m1 = factory["a0"], factory["m0"], factory["m1"]
    recomputed = check_change(model, lambda: setattr(a0, "machine", m1))
    assert {(model.nodes[k].obj.name, model.nodes[k].attr) for k in recomputed} == {
        ("m0", "throughput"), ("m1", "throughput")}
    assert m0.assemblies == [factory["a1"]] and m1.assemblies == [a0, factory["a2"]]
    assert a0.node("weight").key in model.graph.predecessors(m1.node("throughput").key)
    assert a0.node("weight").key not in model.graph.predecessors(m0.node("throughput").key)
    check_change(model, lambda: setattr(a0, "machine", None))
    assert m1.assemblies == [factory["a2"]]
    check_change(model, lambda: setattr(factory["a3"], "machine", m0))
    assert m0.assemblies == [factory["a1"], factory["a3"]]                      # creation order


def test_a_rewired_formula_follows_its_new_inputs(model, factory):
    a0, m1 = factory["a0"], factory["m1"]
    a0.machine = m1
    check_change(model, lambda: setattr(factory["p0"], "weight", 3 * u.kg), {factory["p0"].node("weight").key})
    assert ("m1", "throughput") in {(model.nodes[k].obj.name, model.nodes[k].attr) for k in model.last_plan}


def test_stage_chain_relinking(model):
    stages = [toy.Stage(f"s{i}", x=i) for i in range(5)]
    for before, after in zip(stages, stages[1:]):
        after.previous = before
    assert stages[-1].y.magnitude == 10
    check_change(model, lambda: setattr(stages[3], "previous", stages[0]))
    assert stages[-1].y.magnitude == 0 + 3 + 4
    check_change(model, lambda: setattr(stages[1], "previous", stages[4]))      # s1 now after s4
    assert stages[1].y.magnitude == 7 + 1 and stages[2].y.magnitude == 10


# ---------------------------------------------------------------- list mutations
def iadd_statement(assembly, parts):
    """``assembly.parts += parts`` as Python runs it: an in-place extend, then a set of the same list."""
    assembly.parts += parts


LIST_MUTATIONS = {
    "append": lambda o: o["a0"].parts.append(o["p5"]),
    "append existing": lambda o: o["a0"].parts.append(o["p0"]),
    "remove": lambda o: o["a0"].parts.remove(o["p1"]),                          # the first of two
    "insert": lambda o: o["a1"].parts.insert(0, o["p0"]),
    "item assignment": lambda o: o["a1"].parts.__setitem__(1, o["p5"]),
    "slice assignment": lambda o: o["a0"].parts.__setitem__(slice(0, 2), [o["p4"]]),
    "del": lambda o: o["a0"].parts.__delitem__(0),
    "del slice": lambda o: o["a0"].parts.__delitem__(slice(1, None)),
    "extend": lambda o: o["a3"].parts.extend([o["p2"], o["p5"], o["p2"]]),
    "+=": lambda o: o["a2"].parts.__iadd__([o["p0"]]),
    "+= statement": lambda o: iadd_statement(o["a2"], [o["p0"], o["p1"]]),
    "replace the list": lambda o: setattr(o["a1"], "parts", [o["p5"], o["p4"]]),
    "empty the list": lambda o: setattr(o["a0"], "parts", []),
    "pop": lambda o: o["a1"].parts.pop(),
    "pop first": lambda o: o["a0"].parts.pop(0),
    "clear": lambda o: o["a2"].parts.clear(),
    "reverse": lambda o: o["l0"].assemblies.reverse(),
    "sort": lambda o: o["a0"].parts.sort(key=lambda part: -part.weight.magnitude),
    "line append": lambda o: o["l0"].assemblies.append(o["a2"]),
    "line remove": lambda o: o["l1"].assemblies.remove(o["a1"]),
    "line replace": lambda o: setattr(o["l0"], "assemblies", [o["a3"]]),
}


@pytest.mark.parametrize("mutation", list(LIST_MUTATIONS))
def test_list_mutations_rewire_and_match_a_rebuild(model, factory, mutation):
    lists = {name: factory[name].parts if name.startswith("a") else factory[name].assemblies
             for name in ("a0", "a1", "a2", "a3", "l0", "l1")}
    identities = {name: id(the_list) for name, the_list in lists.items()}
    check_change(model, lambda: LIST_MUTATIONS[mutation](factory))
    for name, the_list in lists.items():                     # the same list objects, updated in place
        current = factory[name].parts if name.startswith("a") else factory[name].assemblies
        assert id(current) == identities[name] and current == the_list
    for part in (factory[f"p{i}"] for i in range(6)):
        expected = [a for a in (factory[f"a{i}"] for i in range(4)) if part in a.parts]
        assert part.assemblies == expected
        assert part.nb_assemblies.magnitude == len(expected)
    for line in (factory["l0"], factory["l1"]):
        expected = []
        for part in (p for assembly in line.assemblies for p in assembly.parts):
            if part not in expected:
                expected.append(part)
        assert line.parts == expected


def test_list_mutation_values(model, factory):
    a0, line = factory["a0"], factory["l0"]
    a0.parts.append(factory["p5"])
    assert a0.weight.value == (1 + 2 * 4 + 6 * 3) * 2 * u.kg
    assert factory["p5"].assemblies == [a0] and factory["p5"] in line.parts
    popped = a0.parts.pop()
    assert popped is factory["p5"] and factory["p5"].assemblies == []
    assert factory["p5"] not in line.parts
    assert a0.weight.value == (1 + 2 * 4) * 2 * u.kg
    a0.parts.remove(factory["p1"])
    assert list(a0.parts) == [factory["p0"], factory["p1"]] and factory["p1"].assemblies == [a0]
    del a0.parts[1]
    assert factory["p1"].assemblies == [] and factory["p1"] not in line.parts
    assert rebuild_differences(model) == []


def test_a_refused_list_mutation_leaves_the_list_as_it_was(model, factory):
    from efp import LinkError
    a0 = factory["a0"]
    before = list(a0.parts)
    with pytest.raises(LinkError):
        a0.parts.append(factory["m0"])
    with pytest.raises(LinkError):
        a0.parts[0] = factory["l0"]
    assert list(a0.parts) == before
    with pytest.raises(ValueError):
        a0.parts.remove(factory["p5"])
    with pytest.raises(IndexError):
        a0.parts.pop(17)
    assert list(a0.parts) == before
    assert rebuild_differences(model) == []


# ---------------------------------------------------------------- backlinks and via lists
def test_backlinks_and_via_lists_follow_every_change(model, factory):
    p1, a0, a1, l0, l1 = factory["p1"], factory["a0"], factory["a1"], factory["l0"], factory["l1"]
    assert p1.assemblies == [a0]
    assert l0.parts == [factory["p0"], p1, factory["p2"], factory["p3"]]            # p1 once
    assert l1.parts == [factory["p2"], factory["p3"], factory["p4"]]
    a1.parts.append(p1)
    assert p1.assemblies == [a0, a1] and p1.nb_assemblies.magnitude == 2
    assert l1.parts == [factory["p2"], factory["p3"], p1, factory["p4"]]
    assert l1.distinct_parts_weight.value == (9 + 4 + 4 + 10) * u.kg
    l0.assemblies.insert(0, factory["a2"])
    assert l0.parts[0] is factory["p4"]
    assert rebuild_differences(model) == []


# ---------------------------------------------------------------- the cost of a change
class CountingDiGraph(nx.DiGraph):
    """A networkx DiGraph that counts the neighbour look-ups propagation makes."""

    visits = 0

    def successors(self, n):
        CountingDiGraph.visits += 1
        return super().successors(n)

    def predecessors(self, n):
        CountingDiGraph.visits += 1
        return super().predecessors(n)


def chains(n_chains: int, length: int = 10):
    """``n_chains`` independent chains of ``length`` stages, every value computed."""
    with new_model() as model:
        model.graph = CountingDiGraph()
        heads = []
        for c in range(n_chains):
            previous = None
            for i in range(length):
                previous = toy.Stage(f"c{c}s{i}", previous=previous)
                if i == 0:
                    heads.append(previous)
        model.pull(calculated_keys(model))
    return model, heads


def test_a_change_costs_what_it_touches_not_the_size_of_the_model():
    visits = {}
    for n_chains in (20, 400):
        model, heads = chains(n_chains)
        assert len(model.nodes) == n_chains * 10 * 3
        head = heads[n_chains // 2]
        CountingDiGraph.visits = 0
        head.x = 5
        visits[n_chains] = CountingDiGraph.visits
        assert len(model.last_plan) == 10
        assert {model.nodes[k].obj.name for k in model.last_plan} == {f"c{n_chains // 2}s{i}" for i in range(10)}
        last = model.objects[model.nodes[model.last_plan[-1]].obj.id]
        assert last.y.magnitude == 5 + 9
    assert visits[20] == visits[400]
    assert visits[400] < 100


# ---------------------------------------------------------------- failures
def test_a_formula_failing_on_read_marks_only_its_node_failed(model):
    from efp import FormulaError
    objects = build_factory()
    objects["a0"].factor = 13                                  # accepted: a0.weight is stale, nothing runs
    with pytest.raises(FormulaError, match="unlucky"):
        _ = objects["m0"].throughput
    assert objects["a0"].node("weight").state is State.FAILED
    assert objects["m0"].node("throughput").state is State.STALE
    # the other nodes of that plan were rolled back to stale, not stored
    assert objects["p0"].node("total_weight").state is State.STALE
    with pytest.raises(FormulaError, match="unlucky"):         # reading again raises again
        _ = objects["a0"].weight
    assert objects["a1"].weight.value == (9 + 4) * u.kg      # unrelated nodes still compute
    calls = model.formula_calls
    objects["a0"].factor = 2                                   # a failed node is recomputed at once
    assert objects["a0"].node("weight").state is State.FRESH and model.formula_calls > calls
    assert objects["m0"].throughput.value == ((1 + 4 + 4) * 2 + 13) * 2 * u.kg / u.hour
    assert rebuild_differences(model) == []


def test_a_change_that_makes_a_fresh_formula_fail_is_refused(model, factory):
    from efp import FormulaError
    from engine_checks import snapshot, snapshot_differences
    before = snapshot(model)
    with pytest.raises(FormulaError, match="unlucky"):
        factory["a1"].factor = 13
    assert snapshot_differences(before, snapshot(model)) == []
    assert factory["a1"].factor.magnitude == 1


# ---------------------------------------------------------------- local schedulers
@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_local_schedulers_give_the_same_values(monkeypatch, scheduler):
    import dask
    import dask.threaded

    from efp import config
    used = []
    real_threaded, real_sync = dask.threaded.get, dask.get
    monkeypatch.setattr(dask.threaded, "get", lambda *a, **k: used.append("threads") or real_threaded(*a, **k))
    monkeypatch.setattr(dask, "get", lambda *a, **k: used.append("sync") or real_sync(*a, **k))
    monkeypatch.setenv("EFP_SCHEDULER", scheduler)
    values = {}
    for run in ("first", "second"):
        with new_model() as model:
            stages = [toy.Stage("s0", x=0.5)]
            for i in range(1, 150):
                stages.append(toy.Stage(f"s{i}", previous=stages[-1], x=i % 7 - 3))
            toy.Collector("c", stages)
            values[run] = {readable: value.magnitude for readable, value in
                           __import__("engine_checks").computed_values(model).items()}
            assert len(model.last_plan) == 151 >= config.THREADS_MIN_TASKS
            stages[0].x = 2
            assert len(model.last_plan) == 151
            values[run + " changed"] = stages[-1].y.magnitude
    assert set(used) == {scheduler}
    assert values["first"] == values["second"]
    assert values["first"][("s149", "y")] == 0.5 + sum(i % 7 - 3 for i in range(1, 150))
    assert values["first changed"] == values["first"][("s149", "y")] + 1.5
