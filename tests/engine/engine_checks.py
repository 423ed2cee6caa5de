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
            problems.append(f"{key}: live {_detail(live[key])} != rebuilt {_detail(rebuilt[key])}")
    return problems


def _detail(value) -> str:
    magnitude = getattr(value, "magnitude", None)
    if isinstance(magnitude, float):
        return f"{type(value).__name__}({magnitude.hex()} {value.unit})"
    return f"{type(value).__name__} {value!r}"


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


def rebuild(live_model):
    """The same objects, inputs and links built from scratch in a fresh model; ``(model, {name: object})``.

    Objects are created in the live model's creation order (so that backlinks list them, and sums add
    them, in the same order), in one transaction. A link to an object created later (a link reassigned
    after creation) first points to an object of a fitting class created earlier, and is set to its real
    target in the same transaction, before anything is computed. Object names must be unique.
    """
    from efp import new_model

    objects = sorted(live_model.objects.values(), key=lambda o: live_model.sequence[o.id])
    assert len({o.name for o in objects}) == len(objects), "rebuild needs unique object names"
    with new_model() as fresh:
        with fresh.transaction():
            by_name: dict = {}
            late = []
            for obj in objects:
                values = {}
                for attr in type(obj).settable():
                    decl = type(obj).declarations()[attr]
                    value = obj.node(attr).value
                    if decl.kind == "input":
                        values[attr] = value.detached()
                    elif decl.kind == "link":
                        if value is None or value.name in by_name:
                            values[attr] = None if value is None else by_name[value.name]
                        else:
                            late.append((obj.name, attr, value.name))
                            values[attr] = _stand_in(by_name, decl)
                    else:
                        names = [item.name for item in value]
                        if all(name in by_name for name in names):
                            values[attr] = [by_name[name] for name in names]
                        else:
                            late.append((obj.name, attr, names))
                            values[attr] = []
                by_name[obj.name] = type(obj)(obj.name, **values)
            if late:
                fresh.apply([(by_name[owner].node(attr),
                              [by_name[n] for n in target] if isinstance(target, list) else by_name[target])
                             for owner, attr, target in late])
    return fresh, by_name


def _stand_in(by_name: dict, decl):
    if decl.optional:
        return None
    for candidate in by_name.values():
        if isinstance(candidate, decl.target):
            return candidate
    raise AssertionError(f"no object of class {decl.target_name} before a link to one")


def rebuild_differences(live_model) -> list[str]:
    """Differences between the live model and a from-scratch rebuild: values, links, derived lists, edges."""
    fresh, _ = rebuild(live_model)
    problems = value_differences(computed_values(live_model), computed_values(fresh))
    if structural_lists(live_model) != structural_lists(fresh):
        live, rebuilt = structural_lists(live_model), structural_lists(fresh)
        problems += [f"{key}: live {live[key]} != rebuilt {rebuilt.get(key)}" for key in live
                     if live[key] != rebuilt.get(key)]
    live_edges, rebuilt_edges = readable_edges(live_model), readable_edges(fresh)
    if live_edges != rebuilt_edges:
        problems.append(f"edges: only live {sorted(live_edges - rebuilt_edges)}, "
                        f"only rebuilt {sorted(rebuilt_edges - live_edges)}")
    return problems
