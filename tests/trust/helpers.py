"""Checks shared by the trust tests: exact snapshots of a model, and a from-scratch rebuild to compare with.

- :func:`snapshot` / :func:`snapshot_differences`: everything a refused change must leave as it was
  (each node's state, value — the same object, with the same numbers —, error, resolved arguments and
  dependencies; list contents; graph nodes and edges; objects, creation order and the referrer index).
- :func:`rebuild` / :func:`rebuild_differences`: the same objects, inputs and links built from scratch in
  a fresh model, in the same creation order, and the exact differences (``np.array_equal``, ``==``) of
  every calculated value, link, derived list and edge.
- :func:`non_finite`: the calculated values holding NaN or infinity (guarantee 6: there must be none).
"""
from __future__ import annotations

import numpy as np

import sys
from pathlib import Path

from efp import EmptyExplainableObject, ExplainableHourlyQuantities, ExplainableQuantity, State, new_model
from efp.values import ExplainableObject

_ENGINE_TESTS = str(Path(__file__).resolve().parents[1] / "engine")
if _ENGINE_TESTS not in sys.path:
    sys.path.insert(0, _ENGINE_TESTS)

# one rebuild, and one way to read a model's values and structure, for every test folder
from engine_checks import (computed_values, readable_edges, rebuild,  # noqa: E402
                           structural_lists)


# ---------------------------------------------------------------------------------------------- snapshots
def _value_repr(value):
    if isinstance(value, list):
        return ("list", id(value), tuple(id(item) for item in value))
    if isinstance(value, ExplainableHourlyQuantities):
        return ("hourly", id(value), value.magnitude.copy(), str(value.unit), value.start_date, value.label)
    if isinstance(value, ExplainableQuantity):
        return ("quantity", id(value), value.magnitude, str(value.unit), value.label)
    return ("value", id(value), getattr(value, "label", None))


def snapshot(model) -> dict:
    """Everything a transaction may touch, in a form that compares exactly (values by identity and numbers)."""
    nodes = {}
    for key, node in model.nodes.items():
        args = tuple(tuple(a) if isinstance(a, list) else a for a in node.args)
        nodes[key] = (node.state, _value_repr(node.value), id(node.error) if node.error is not None else None,
                      args, node.deps)
    referrers = {target: {ref: count for ref, count in counter.items() if count}
                 for target, counter in model.referrers.items()}
    return {"nodes": nodes, "edges": set(model.graph.edges), "graph_nodes": set(model.graph.nodes),
            "objects": dict(model.objects), "sequence": dict(model.sequence),
            "referrers": {target: refs for target, refs in referrers.items() if refs}}


def _same_repr(a, b) -> bool:
    if a[0] != b[0] or a[1] != b[1]:
        return False
    if a[0] == "hourly":
        return np.array_equal(a[2], b[2]) and a[3:] == b[3:]
    return a[2:] == b[2:]


def snapshot_differences(before: dict, after: dict) -> list[str]:
    """Readable differences between two snapshots (empty when the model is exactly as it was)."""
    problems = [f"{part} changed" for part in ("edges", "graph_nodes", "objects", "sequence", "referrers")
                if before[part] != after[part]]
    if set(before["nodes"]) != set(after["nodes"]):
        problems.append(f"nodes added {sorted(set(after['nodes']) - set(before['nodes']))[:5]}, removed "
                        f"{sorted(set(before['nodes']) - set(after['nodes']))[:5]}")
    for key in sorted(set(before["nodes"]) & set(after["nodes"])):
        old, new = before["nodes"][key], after["nodes"][key]
        if old[0] != new[0] or old[2:] != new[2:] or not _same_repr(old[1], new[1]):
            problems.append(f"node {key}: {old[0]} -> {new[0]}")
    return problems


# ---------------------------------------------------------------------------------------------- values
def same_value(a, b, names_a=None, names_b=None) -> bool:
    """Exact equality of two efp values across models (bit for bit for float arrays).

    Usage-pattern rows and ids inside plain values are compared through ``names_a`` / ``names_b``
    (``{object id: name}`` of each model): ids differ between a model and its rebuild, names do not.
    """
    names_a, names_b = names_a or {}, names_b or {}
    if isinstance(a, EmptyExplainableObject) or isinstance(b, EmptyExplainableObject):
        return isinstance(a, EmptyExplainableObject) and isinstance(b, EmptyExplainableObject)
    if isinstance(a, ExplainableHourlyQuantities) or isinstance(b, ExplainableHourlyQuantities):
        if not (isinstance(a, ExplainableHourlyQuantities) and isinstance(b, ExplainableHourlyQuantities)):
            return False
        da, db = a.data_array, b.data_array
        return (a.unit == b.unit and da.dims == db.dims and da.shape == db.shape
                and np.array_equal(da["time"].values, db["time"].values)
                and [names_a.get(str(k), k) for k in a.usage_patterns]
                == [names_b.get(str(k), k) for k in b.usage_patterns]
                and np.array_equal(a.magnitude, b.magnitude))
    if isinstance(a, ExplainableQuantity) or isinstance(b, ExplainableQuantity):
        return (isinstance(a, ExplainableQuantity) and isinstance(b, ExplainableQuantity)
                and a.unit == b.unit and np.float64(a.magnitude).tobytes() == np.float64(b.magnitude).tobytes())
    if isinstance(a, ExplainableObject) and isinstance(b, ExplainableObject):
        return _renamed(a.value, names_a) == _renamed(b.value, names_b)
    return a == b


def _renamed(value, names: dict):
    if isinstance(value, dict):
        return {names.get(key, key): _renamed(item, names) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_renamed(item, names) for item in value)
    return names.get(value, value) if isinstance(value, str) else value


def object_names(model) -> dict:
    return {object_id: obj.name for object_id, obj in model.objects.items()}


def _detail(value) -> str:
    magnitude = getattr(value, "magnitude", None)
    if isinstance(magnitude, float):
        return f"{type(value).__name__}({magnitude.hex()} {value.unit})"
    if isinstance(magnitude, np.ndarray):
        return f"{type(value).__name__}(shape {magnitude.shape}, sum {magnitude.sum()!r} {value.unit})"
    return f"{type(value).__name__} {value!r}"[:200]


def non_finite(model) -> list[str]:
    """Keys of calculated values holding NaN or infinity (only FRESH ones are looked at)."""
    found = []
    for key, node in model.nodes.items():
        if not node.calculated or node.state is not State.FRESH:
            continue
        value = node.value
        if isinstance(value, ExplainableHourlyQuantities):
            if not np.all(np.isfinite(value.magnitude)):
                found.append(key)
        elif isinstance(value, ExplainableQuantity) and not np.isfinite(value.magnitude):
            found.append(key)
    return found


# ---------------------------------------------------------------------------------------------- rebuild
# One rebuild for every test folder: tests/engine/engine_checks.py.
def rebuild_differences(live_model) -> list[str]:
    """Differences between the live model and a from-scratch rebuild: values, links, derived lists, edges."""
    fresh, _ = rebuild(live_model)
    live, rebuilt = computed_values(live_model), computed_values(fresh)
    problems = []
    if set(live) != set(rebuilt):
        problems.append(f"different nodes: only live {sorted(set(live) - set(rebuilt))[:5]}, "
                        f"only rebuilt {sorted(set(rebuilt) - set(live))[:5]}")
    for key in sorted(set(live) & set(rebuilt)):
        if not same_value(live[key], rebuilt[key], object_names(live_model), object_names(fresh)):
            problems.append(f"{key}: live {_detail(live[key])} != rebuilt {_detail(rebuilt[key])}")
    live_lists, rebuilt_lists = structural_lists(live_model), structural_lists(fresh)
    problems += [f"{key}: live {value} != rebuilt {rebuilt_lists.get(key)}"
                 for key, value in live_lists.items() if value != rebuilt_lists.get(key)]
    live_edges, rebuilt_edges = readable_edges(live_model), readable_edges(fresh)
    if live_edges != rebuilt_edges:
        problems.append(f"edges: only live {sorted(live_edges - rebuilt_edges)[:5]}, "
                        f"only rebuilt {sorted(rebuilt_edges - live_edges)[:5]}")
    return problems


# ---------------------------------------------------------------------------------------------- round trip
def round_trip_differences(live_model) -> list[str]:
    """Differences between every value of a model and the same objects saved to JSON and loaded in a
    fresh model, without then with their calculated values (bit for bit, ids and names kept)."""
    import json

    from efp.serialization import FORMAT_VERSION, dump_objects, efp_version
    from efp_nodes.json_io import json_to_objects

    objects = sorted(live_model.objects.values(), key=lambda o: live_model.sequence[o.id])
    live = computed_values(live_model)
    problems = []
    for calculated in (False, True):
        document = {"format_version": FORMAT_VERSION, "efp_version": efp_version()}
        document.update(dump_objects(objects, save_calculated=calculated))
        with new_model() as loaded:
            json_to_objects(json.loads(json.dumps(document, allow_nan=False)))
            values = computed_values(loaded)
        if set(values) != set(live):
            problems.append(f"calculated={calculated}: different nodes after loading")
        for key in sorted(set(values) & set(live)):
            if not same_value(live[key], values[key], object_names(live_model), object_names(loaded)):
                problems.append(f"calculated={calculated} {key}: live {_detail(live[key])} != loaded {_detail(values[key])}")
    return problems
