"""Explaining a value from the graph: its label, formula, inputs (with values and sources), result.

The calculus graph of a value is its ancestor subgraph in the model's networkx graph; each node of
that subgraph carries what a drawing needs (label, class, attribute, formula, value text, source).
"""
from __future__ import annotations

import inspect
import textwrap

import networkx as nx

from efp.errors import EfpError


def _node_of(value):
    model = getattr(value, "_model", None)
    key = getattr(value, "node_key", None)
    if model is None or key is None or key not in model.nodes:
        raise EfpError(f"{value!r} is not stored in a model: only attribute values can be explained")
    return model, model.nodes[key]


def formula_source(decl) -> str:
    """The formula's code, without its decorator."""
    try:
        source = textwrap.dedent(inspect.getsource(decl.func))
    except (OSError, TypeError):
        return decl.func.__qualname__
    lines = source.splitlines()
    while lines and lines[0].lstrip().startswith("@"):
        lines.pop(0)
        while lines and not lines[0].lstrip().startswith("def ") and lines[0].startswith((" ", ")")):
            lines.pop(0)
    return "\n".join(lines)


def _source_text(value) -> str:
    source = getattr(value, "source", None)
    return f" [source: {source}]" if source is not None else ""


def _short(value) -> str:
    text = str(value) if not isinstance(value, list) else "[" + ", ".join(o.name for o in value) + "]"
    if hasattr(value, "declarations"):
        text = f"{type(value).__name__} '{value.name}'"
    return text if len(text) <= 160 else text[:157] + "..."


def explain(value) -> str:
    model, node = _node_of(value)
    head = f"{model.describe(node)} = {_short(node.value)}"
    if not node.calculated:
        return f"{head}\n  an input{_source_text(node.value)}" + (f"\n  doc: {node.decl.doc}" if node.decl.doc else "")
    lines = [head, f"  formula {node.decl.name}({', '.join(node.decl.parameters)}):"]
    if node.decl.doc:
        lines.append(textwrap.indent(node.decl.doc, "    "))
    lines.append("  inputs:")
    for parameter, arg in zip(node.decl.parameters, node.args):
        path = node.decl.paths[parameter]
        keys = arg if isinstance(arg, list) else [arg] if isinstance(arg, str) else []
        if not keys:
            lines.append(f"    {parameter} ({path}) = {arg if arg is not None else 'nothing linked'}")
        for key in keys:
            dep = model.nodes[key]
            lines.append(f"    {parameter} ({path}) <- {model.describe(dep)} = {_short(dep.value)}"
                         f"{_source_text(dep.value)}")
    lines.append(f"  result: {_short(node.value)}")
    return "\n".join(lines)


def ancestors_graph(value) -> nx.DiGraph:
    """The ancestor subgraph of a value, with drawing attributes on every node."""
    model, node = _node_of(value)
    keys = nx.ancestors(model.graph, node.key) | {node.key}
    graph = model.graph.subgraph(keys).copy()
    for key in keys:
        dep = model.nodes[key]
        graph.nodes[key].update(
            label=f"{dep.attr} of {dep.obj.name}", object=dep.obj.name, object_class=type(dep.obj).__name__,
            attribute=dep.attr, kind=dep.decl.kind, state=dep.state.value, value=_short(dep.value),
            formula=formula_source(dep.decl) if dep.calculated else "",
            source=str(getattr(dep.value, "source", "") or ""),
            depth=0)
    for key, distance in nx.single_source_shortest_path_length(graph.reverse(copy=False), node.key).items():
        graph.nodes[key]["depth"] = distance
    return graph
