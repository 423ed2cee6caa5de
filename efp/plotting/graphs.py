"""Graphs of a model: an object's relationship graph and a value's calculus graph.

Both are networkx graphs first (:func:`object_relationship_graph`, :func:`calculus_graph`), whose
nodes carry what a drawing shows; then either

- interactive, self-contained HTML (or PNG): bokeh's graph renderer (``from_networkx``) on a layered
  layout (:func:`layered_layout`), nodes coloured by class or by source, a hover tooltip per node, an
  arrow head on every edge; the node data is the ColumnDataSource named ``"nodes"``;
- or graphviz: a path ending in ``.dot`` gets the DOT source, ``.svg`` the drawing by the ``dot``
  program (the Debian package graphviz).

The object relationship graph follows forward links (an object's links and list links) from the
root; objects of an ignored class are left out and the links through them bridged, so that the
graph stays connected. The calculus graph of a value is its ancestor subgraph
(:func:`efp.explanation.ancestors_graph`), laid out by depth: the value on the right, the inputs it
comes from on the left.
"""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import networkx as nx

from efp.plotting import html, number_text, unit_text
from efp.plotting.html import PlotExportError
from efp.states import State
from efp.values import EmptyExplainableObject, ExplainableHourlyQuantities, ExplainableObject, ExplainableQuantity

SOURCE_COLORS = {"calculated": "#4a7ebb", "user data": "#f2b705", "hypothesis": "#b22222", "link": "#bdbdbd",
                 "no source": "#7f7f7f"}
NODE_SIZE = 18


# ---------------------------------------------------------------------------------------- texts
def value_summary(value) -> tuple[str, float, str]:
    """``(text, number, unit)`` of a node's value: the number is a scalar's magnitude or a series'
    sum over every hour (NaN for anything else)."""
    if isinstance(value, ExplainableHourlyQuantities):
        magnitude = value.magnitude
        total, unit = float(magnitude.sum()), unit_text(value.unit)
        text = (f"{len(value)} hourly values from {value.start_date:%Y-%m-%d %H:%M} to {value.end_date:%Y-%m-%d %H:%M}"
                f"{f' x {len(value.usage_patterns)} usage patterns' if value.usage_patterns else ''}: "
                f"sum {number_text(total)} {unit}, max {number_text(float(magnitude.max()))} {unit}")
        return text, total, unit
    if isinstance(value, ExplainableQuantity):
        unit = unit_text(value.unit)
        return f"{number_text(float(value.magnitude))} {unit}".strip(), float(value.magnitude), unit
    if isinstance(value, EmptyExplainableObject) or value is None:
        return "no value", math.nan, ""
    if isinstance(value, list):
        return "[" + ", ".join(getattr(item, "name", str(item)) for item in value) + "]", math.nan, ""
    if hasattr(value, "declarations"):
        return f"{type(value).__name__} '{value.name}'", math.nan, ""
    if isinstance(value, ExplainableObject):
        return str(value.value), math.nan, ""
    return str(value), math.nan, ""


def _class_matches(obj, classes) -> bool:
    names = {c if isinstance(c, str) else c.__name__ for c in classes}
    return any(klass.__name__ in names for klass in type(obj).__mro__)


def _object_details(obj) -> str:
    """The object's inputs, and its footprints already computed (nothing is computed for a tooltip)."""
    lines = []
    for name in obj.settable():
        node = obj.node(name)
        if node.decl.kind == "input":
            lines.append(f"{name}: {value_summary(node.value)[0]}")
    for name in obj.calculated_attributes():
        node = obj.node(name)
        if "footprint" in name and node.state is State.FRESH:
            text, total, unit = value_summary(node.value)
            lines.append(f"{name}: {f'{number_text(total)} {unit} over the period' if not math.isnan(total) else text}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- graphs
def _forward_links(obj):
    """``(attribute, target)`` for every object a link or a list link of ``obj`` points to."""
    for name, decl in type(obj).declarations().items():
        if decl.kind == "link":
            target = obj.node(name).value
            if target is not None:
                yield name, target
        elif decl.kind == "list_link":
            for target in obj.node(name).value:
                yield name, target


def object_relationship_graph(root, classes_to_ignore=()) -> nx.DiGraph:
    """Objects reachable from ``root`` by forward links, as nodes keyed by object id; links as edges.

    Objects of ``classes_to_ignore`` (class names or classes, matched along the class hierarchy) are
    left out and bridged: their visible referrer links to what they link to. The root is always shown.
    """
    graph = nx.DiGraph()

    def add(obj):
        graph.add_node(obj.id, label=obj.name, object_class=type(obj).__name__, details=_object_details(obj))

    add(root)
    stack, seen = [(root, root, "")], {(root.id, root.id)}
    while stack:
        obj, anchor, via = stack.pop()
        for attr, target in _forward_links(obj):
            link = f"{via}.{attr}" if via else attr
            if _class_matches(target, classes_to_ignore):
                following = (target, anchor, link)
            else:
                if target.id not in graph:
                    add(target)
                graph.add_edge(anchor.id, target.id, link=link)
                following = (target, target, "")
            if (target.id, following[1].id) not in seen:
                seen.add((target.id, following[1].id))
                stack.append(following)
    for key, depth in nx.single_source_shortest_path_length(graph, root.id).items():
        graph.nodes[key]["depth"] = depth
    return graph


def source_category(node_data: dict, value) -> str:
    """What colours a calculus node: calculated, link, or the name of an input's source."""
    if node_data.get("kind") == "calculated":
        return "calculated"
    if node_data.get("kind") != "input":
        return "link"
    source = getattr(value, "source", None)
    return source.name if source is not None else "no source"


def calculus_graph(value) -> nx.DiGraph:
    """The ancestor subgraph of a stored value, each node with its value text, number, unit and source."""
    from efp.explanation import ancestors_graph

    graph = ancestors_graph(value)
    model = value._model
    for key, data in graph.nodes(data=True):
        node_value = model.nodes[key].value
        text, total, unit = value_summary(node_value)
        data.update(value_text=text, total=total, unit=unit, source_category=source_category(data, node_value),
                    node_key=key)
        if not data.get("source"):
            data["source"] = {"calculated": "calculated", "input": "no source"}.get(data.get("kind"), "link")
    return graph


# ---------------------------------------------------------------------------------------- layout
def layered_layout(graph: nx.DiGraph, horizontal: bool) -> dict:
    """Positions by the ``depth`` attribute: one layer per depth, ordered to keep edges short.

    Within a layer, nodes are sorted by the mean position of their neighbours in the layers already
    placed (the barycentre heuristic), then by label. ``horizontal``: depth runs right to left (a
    value at x = 0, its inputs to the left); otherwise top to bottom.
    """
    layers: dict[int, list] = {}
    for key, data in graph.nodes(data=True):
        layers.setdefault(data.get("depth", 0), []).append(key)
    position: dict = {}
    for depth in sorted(layers):
        def barycentre(key):
            placed = [position[n] for n in nx.all_neighbors(graph, key) if n in position]
            return (sum(placed) / len(placed)) if placed else 0.0
        ordered = sorted(layers[depth], key=lambda key: (barycentre(key), str(graph.nodes[key].get("label"))))
        for index, key in enumerate(ordered):
            position[key] = index - (len(ordered) - 1) / 2
    if horizontal:
        return {key: (-graph.nodes[key].get("depth", 0), -position[key]) for key in graph}
    return {key: (position[key], -graph.nodes[key].get("depth", 0)) for key in graph}


def _palette(categories: list[str], fixed: dict | None = None) -> dict[str, str]:
    from bokeh.palettes import Category10, Category20

    colors = Category10[10] if len(categories) <= 10 else Category20[20]
    fixed = fixed or {}
    free = iter(c for c in colors * (len(categories) // len(colors) + 1) if c not in fixed.values())
    return {category: fixed.get(category) or next(free) for category in categories}


# ---------------------------------------------------------------------------------------- bokeh
def graph_figure(graph: nx.DiGraph, layout: dict, title: str, columns: dict, color_by: str, tooltip: str,
                 width: int, height: int, fixed_colors: dict | None = None):
    """A bokeh figure of the graph: nodes coloured by the ``color_by`` column, hover ``tooltip``."""
    from bokeh.models import (Arrow, ColumnDataSource, HoverTool, LabelSet, Legend, LegendItem, NodesOnly, Range1d,
                              Scatter, VeeHead)
    from bokeh.plotting import figure as new_figure
    from bokeh.plotting import from_networkx

    keys = list(graph.nodes)
    categories = sorted(set(columns[color_by]))
    colors = _palette(categories, fixed_colors)
    renderer = from_networkx(graph, layout)
    data = {"index": keys, **columns, "color": [colors[c] for c in columns[color_by]],
            "x": [layout[k][0] for k in keys], "y": [layout[k][1] for k in keys]}
    renderer.node_renderer.data_source = ColumnDataSource(data, name="nodes")
    renderer.node_renderer.glyph = Scatter(size=NODE_SIZE, fill_color="color", line_color="#333333")
    renderer.edge_renderer.data_source.name = "edges"
    renderer.edge_renderer.glyph.line_alpha = 0.45
    renderer.inspection_policy = NodesOnly()
    xs = [p[0] for p in layout.values()]
    ys = [p[1] for p in layout.values()]
    pad_x, pad_y = max(0.6, 0.08 * (max(xs) - min(xs))), max(0.6, 0.08 * (max(ys) - min(ys)))
    figure = new_figure(width=width, height=height, title=title, tools="pan,wheel_zoom,box_zoom,reset,save",
                        active_scroll="wheel_zoom", x_range=Range1d(min(xs) - pad_x, max(xs) + pad_x),
                        y_range=Range1d(min(ys) - pad_y, max(ys) + pad_y))
    figure.axis.visible = False
    figure.grid.visible = False
    figure.renderers.append(renderer)
    edges = [(layout[a], layout[b]) for a, b in graph.edges]
    arrows = ColumnDataSource({"x_start": [a[0] + 0.5 * (b[0] - a[0]) for a, b in edges],
                               "y_start": [a[1] + 0.5 * (b[1] - a[1]) for a, b in edges],
                               "x_end": [a[0] + 0.56 * (b[0] - a[0]) for a, b in edges],
                               "y_end": [a[1] + 0.56 * (b[1] - a[1]) for a, b in edges]}, name="arrows")
    figure.add_layout(Arrow(end=VeeHead(size=8, fill_color="#777777", line_color="#777777"), source=arrows,
                            x_start="x_start", y_start="y_start", x_end="x_end", y_end="y_end", line_alpha=0))
    figure.add_layout(LabelSet(x="x", y="y", text="short_label", source=renderer.node_renderer.data_source,
                               x_offset=0, y_offset=-NODE_SIZE, text_align="center", text_font_size="8pt"))
    figure.add_tools(HoverTool(renderers=[renderer], tooltips=tooltip))
    items = [LegendItem(label=_shorten(category, 32), renderers=[renderer.node_renderer],
                        index=list(columns[color_by]).index(category)) for category in categories]
    figure.add_layout(Legend(items=items, label_text_font_size="8pt", glyph_width=12, glyph_height=12), "right")
    return figure


OBJECT_TOOLTIP = """<div style="max-width: 460px"><b>@label</b> <i>(@object_class)</i>
<div style="white-space: pre-wrap; font-family: monospace; font-size: 10px">@details</div></div>"""

CALCULUS_TOOLTIP = """<div style="max-width: 520px"><b>@label</b> <i>(@object_class, @kind)</i><br>
<b>value</b>: @value_text<br><b>source</b>: @source
<div style="white-space: pre-wrap; font-family: monospace; font-size: 10px">@formula</div></div>"""


def _columns(graph: nx.DiGraph, names) -> dict:
    return {name: [graph.nodes[key].get(name, "") for key in graph.nodes] for name in names}


# ---------------------------------------------------------------------------------------- graphviz
def to_graphviz(graph: nx.DiGraph, title: str, colors: dict, color_of, label_of, tooltip_of, rankdir: str):
    """A ``graphviz.Digraph`` of the graph (filled nodes, tooltips in the SVG)."""
    import graphviz

    dot = graphviz.Digraph(name="efp", graph_attr={"rankdir": rankdir, "label": title, "labelloc": "t",
                                                   "fontname": "Helvetica", "fontsize": "12"},
                           node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica",
                                      "fontsize": "10"})
    for key, data in graph.nodes(data=True):
        dot.node(str(key), label=label_of(data), tooltip=tooltip_of(data)[:1000], fillcolor=colors[color_of(data)],
                 id=str(key))
    for a, b in graph.edges:
        dot.edge(str(a), str(b))
    return dot


def write_graphviz(dot, path: Path) -> Path:
    """``.dot``: the DOT source; ``.svg``: rendered by graphviz's ``dot`` program."""
    if path.suffix.lower() == ".dot":
        path.write_text(dot.source, encoding="utf-8")
        return path
    if shutil.which("dot") is None:
        raise PlotExportError(f"cannot write {path.name}: graphviz's `dot` program is needed for SVG and was not "
                              f"found; install the Debian package graphviz, or write .dot or .html instead")
    path.write_bytes(dot.pipe(format="svg"))
    return path


def _write(figure_of, graphviz_of, path, title: str, notebook: bool) -> Path:
    path = Path(path)
    if path.suffix.lower() in (".svg", ".dot"):
        return write_graphviz(graphviz_of(), path)
    figure = figure_of()
    written = html.save(figure, path, title)
    if notebook and html.in_notebook():
        html.show(figure)
    return written


# ---------------------------------------------------------------------------------------- entry points
def object_relationship_graph_to_file(root, filepath, classes_to_ignore=(), width="800px", height="500px",
                                      notebook: bool = False) -> Path:
    """Write the object relationship graph of ``root`` (.html, .png, .svg or .dot); return the path."""
    graph = object_relationship_graph(root, classes_to_ignore)
    title = f"Objects linked from {type(root).__name__} '{root.name}'"
    columns = _columns(graph, ("label", "object_class", "details", "depth"))
    columns["short_label"] = [_shorten(label, 28) for label in columns["label"]]
    classes = sorted(set(columns["object_class"]))
    colors = _palette(classes)

    def figure_of():
        return graph_figure(graph, layered_layout(graph, horizontal=False), title, columns, "object_class",
                            OBJECT_TOOLTIP, html.pixels(width), html.pixels(height))

    def graphviz_of():
        return to_graphviz(graph, title, colors, lambda d: d["object_class"],
                           lambda d: f"{d['label']}\n({d['object_class']})", lambda d: d["details"], "TB")

    return _write(figure_of, graphviz_of, filepath, title, notebook)


def calculus_graph_to_file(value, filepath, width="800px", height="500px", notebook: bool = False,
                           color_by: str = "source") -> Path:
    """Write the calculus graph of a stored value (.html, .png, .svg or .dot); return the path.

    ``color_by``: ``"source"`` (calculated, links, and each input source: user data, hypothesis...)
    or ``"class"`` (the class of the object each attribute belongs to).
    """
    if color_by not in ("source", "class"):
        raise PlotExportError(f"calculus graph: got color_by={color_by!r}; allowed: 'source' or 'class'")
    graph = calculus_graph(value)
    root = graph.nodes[value.node_key]
    title = f"Calculus graph of {root['label']}"
    columns = _columns(graph, ("node_key", "label", "object", "object_class", "attribute", "kind", "value_text",
                               "total", "unit", "formula", "source", "source_category", "depth"))
    columns["short_label"] = [_shorten(attribute, 30) for attribute in columns["attribute"]]
    column = "source_category" if color_by == "source" else "object_class"
    fixed = SOURCE_COLORS if color_by == "source" else None
    colors = _palette(sorted(set(columns[column])), fixed)

    def figure_of():
        return graph_figure(graph, layered_layout(graph, horizontal=True), title, columns, column, CALCULUS_TOOLTIP,
                            html.pixels(width), html.pixels(height), fixed)

    def graphviz_of():
        return to_graphviz(graph, title, colors, lambda d: d[column],
                           lambda d: f"{d['attribute']}\n{d['object']}\n{_shorten(d['value_text'], 40)}",
                           lambda d: f"{d['label']} = {d['value_text']}\nsource: {d['source']}\n{d['formula']}", "LR")

    return _write(figure_of, graphviz_of, filepath, title, notebook)


def _shorten(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"
