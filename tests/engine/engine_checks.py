"""Checks shared by the engine tests: comparing a model with a from-scratch rebuild, and snapshots
that prove a refused change left no trace."""
from __future__ import annotations

import numpy as np

from efp import EmptyExplainableObject, ExplainableHourlyQuantities, ExplainableQuantity, State
from efp.values import ExplainableObject


def calculated_keys(model) -> list[str]:
    return [key for key, node in model.nodes.items() if node.calculated]


def readable(model, key: str) -> tuple[str, str]:
    """``(object name, attribute)`` of a node key: the same in a model and in its rebuild."""
    node = model.nodes[key]
    return node.obj.name, node.attr


def computed_values(model) -> dict[tuple[str, str], object]:
    """Every calculated value of the model (computing what is stale), keyed by (object name, attribute)."""
    model.pull(calculated_keys(model))
    return {readable(model, key): node.value for key, node in model.nodes.items() if node.calculated}


def same_value(a, b) -> bool:
    """Exact equality of two efp values (bit for bit for float arrays), across models."""
    if type(a) is not type(b):
        if not (isinstance(a, ExplainableQuantity) and isinstance(b, ExplainableQuantity)):
            return False
    if isinstance(a, EmptyExplainableObject):
        return True
    if isinstance(a, ExplainableHourlyQuantities):
        return (a.unit == b.unit and a.data_array.dims == b.data_array.dims
                and np.array_equal(a.data_array["time"].values, b.data_array["time"].values)
                and np.array_equal(a.magnitude, b.magnitude))
    if isinstance(a, ExplainableQuantity):
        return a.unit == b.unit and a.magnitude == b.magnitude
    if isinstance(a, ExplainableObject):
        return a.value == b.value
    return a == b


def value_differences(live: dict, rebuilt: dict) -> list[str]:
    """Readable differences between two ``computed_values`` results (empty when they agree)."""
    problems = []
    if set(live) != set(rebuilt):
        problems.append(f"different nodes: only live {sorted(set(live) - set(rebuilt))}, "
                        f"only rebuilt {sorted(set(rebuilt) - set(live))}")
    for key in sorted(set(live) & set(rebuilt)):
        if not same_value(live[key], rebuilt[key]):
            problems.append(f"{key}: live {live[key]!r} != rebuilt {rebuilt[key]!r}")
    return problems


def readable_edges(model) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    return {(readable(model, a), readable(model, b)) for a, b in model.graph.edges}


def structural_lists(model) -> dict[tuple[str, str], list[str]]:
    """Every link, list link, backlink and via list, as object names."""
    result = {}
    for key, node in model.nodes.items():
        if node.decl.kind in ("link", "list_link", "backlink", "via"):
            value = node.value
            items = [] if value is None else list(value) if isinstance(value, list) else [value]
            result[readable(model, key)] = [item.name for item in items]
    return result


def snapshot(model) -> dict:
    """Everything a transaction may touch, in a form that compares exactly.

    Values compare by identity (a rolled-back change must restore the very same objects); lists compare
    by identity of the list object and of its items.
    """
    nodes = {}
    for key, node in model.nodes.items():
        value = node.value
        if isinstance(value, list):
            value_repr = ("list", id(value), tuple(id(item) for item in value))
        else:
            value_repr = ("value", id(value))
        nodes[key] = (node.state, value_repr, id(node.error) if node.error is not None else None,
                      node.args if not isinstance(node.args, tuple) else _args_repr(node.args), node.deps)
    referrers = {target: {ref: count for ref, count in counter.items() if count}
                 for target, counter in model.referrers.items()}
    return {
        "nodes": nodes,
        "edges": set(model.graph.edges),
        "graph_nodes": set(model.graph.nodes),
        "objects": dict(model.objects),
        "referrers": {target: refs for target, refs in referrers.items() if refs},
    }


def _args_repr(args: tuple):
    return tuple(tuple(a) if isinstance(a, list) else a for a in args)


def snapshot_differences(before: dict, after: dict) -> list[str]:
    problems = []
    for part in ("edges", "graph_nodes", "objects", "referrers"):
        if before[part] != after[part]:
            problems.append(f"{part} changed")
    if set(before["nodes"]) != set(after["nodes"]):
        problems.append("the set of nodes changed")
    for key in set(before["nodes"]) & set(after["nodes"]):
        if before["nodes"][key] != after["nodes"][key]:
            problems.append(f"node {key}: {before['nodes'][key]} -> {after['nodes'][key]}")
    return problems


def fresh_calculated(model) -> set[str]:
    return {key for key, node in model.nodes.items() if node.calculated and node.state is State.FRESH}
