"""The report of a computed System: one self-contained HTML page, and its computed values as JSON.

:func:`write_report` writes, in a folder,

- ``report.html``: the System's footprints, readable offline (BokehJS is inlined once; the page
  requests nothing but ``data:`` and ``blob:`` URLs):

  * a summary table by category and one by object: fabrication and energy in kg CO2eq summed over
    every hour, their total and its share of the System's total. Each figure cell carries its exact
    value in a ``data-kg`` attribute (the text shows it rounded), each row its ``data-category`` and,
    by object, its ``data-object-id``;
  * the footprints bar chart (:func:`efp_nodes.system_plots.footprints_figure`), the System's total
    footprint hour by hour and cumulated (:func:`efp.plotting.hourly.hourly_figure`), and the
    relationship graph of the System's objects (:mod:`efp.plotting.graphs`). The four charts are
    the roots of one bokeh document, named ``footprints_chart``, ``total_chart``,
    ``cumulative_chart`` and ``relationships_chart``; their data sources keep the names their
    modules give them (``footprints``, ``daily:series``, ``cumulative:series``, ``nodes``...);
- ``computed.json``: :func:`efp_nodes.system_to_json` with every calculated value (it loads back
  without recomputing anything).

Nothing here computes more than reading the System's footprints does.
"""
from __future__ import annotations

import contextlib
import html
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from efp.serialization import efp_version
from efp.units import u
from efp_nodes.json_io import system_to_json
from efp_nodes.system_plots import ObjectFootprint

REPORT_FILE = "report.html"
COMPUTED_FILE = "computed.json"
#: Classes the report's relationship graph leaves out (every object links to its country).
RELATIONSHIP_CLASSES_TO_IGNORE = ("Country",)
CHART_WIDTH = 960


# ---------------------------------------------------------------------------------------------- figures
@dataclass(frozen=True)
class Summary:
    """What the report's tables show: every object's footprints, and their sums by category."""

    categories: tuple[str, ...]
    objects: tuple[ObjectFootprint, ...]

    def fabrication_kg(self, category: str) -> float:
        return math.fsum(o.fabrication_kg for o in self.objects if o.category == category)

    def energy_kg(self, category: str) -> float:
        return math.fsum(o.energy_kg for o in self.objects if o.category == category)

    @property
    def total_kg(self) -> float:
        return math.fsum(o.total_kg for o in self.objects)


def summary(system) -> Summary:
    """The System's footprints by category and object, from its ``*_footprint_sum_over_period``."""
    fabrication = system.fabrication_footprint_sum_over_period
    energy = system.energy_footprint_sum_over_period
    objects = tuple(
        ObjectFootprint(category, obj.id, obj.name, type(obj).__name__, _kg(fabrication[category][obj]),
                        _kg(energy[category].get(obj)))
        for category in fabrication for obj in fabrication[category])
    return Summary(tuple(fabrication), objects)


def _kg(quantity) -> float:
    return 0.0 if quantity is None else float(quantity.to(u.kg).magnitude)


# ---------------------------------------------------------------------------------------------- tables
def _number(kg: float) -> str:
    return f"{kg:,.3f}"


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "–"


def _kg_cell(kg: float) -> str:
    return f'<td class="kg" data-kg="{kg!r}">{_number(kg)}</td>'


def _share_cell(part: float, whole: float) -> str:
    share = part / whole if whole else 0.0
    return f'<td class="share" data-share="{share!r}">{_share(part, whole)}</td>'


def category_table(state: Summary) -> str:
    total = state.total_kg
    rows = []
    for category in state.categories:
        fabrication, energy = state.fabrication_kg(category), state.energy_kg(category)
        rows.append(f'<tr data-category="{html.escape(category)}"><th scope="row">{html.escape(category)}</th>'
                    f"{_kg_cell(fabrication)}{_kg_cell(energy)}{_kg_cell(fabrication + energy)}"
                    f"{_share_cell(fabrication + energy, total)}</tr>")
    fabrication = math.fsum(state.fabrication_kg(c) for c in state.categories)
    energy = math.fsum(state.energy_kg(c) for c in state.categories)
    rows.append(f'<tr class="total" data-category="Total"><th scope="row">Total</th>{_kg_cell(fabrication)}'
                f"{_kg_cell(energy)}{_kg_cell(total)}{_share_cell(total, total)}</tr>")
    return ('<table id="by-category"><thead><tr><th>category</th><th>fabrication (kg)</th><th>energy (kg)</th>'
            '<th>total (kg)</th><th>share of total</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")


def object_table(state: Summary) -> str:
    total = state.total_kg
    rows = []
    for obj in state.objects:
        rows.append(f'<tr data-category="{html.escape(obj.category)}" data-object-id="{html.escape(obj.object_id)}">'
                    f"<td>{html.escape(obj.category)}</td><th scope=\"row\">{html.escape(obj.name)}</th>"
                    f"<td>{html.escape(obj.object_class)}</td>"
                    f"{_kg_cell(obj.fabrication_kg)}{_kg_cell(obj.energy_kg)}{_kg_cell(obj.total_kg)}"
                    f"{_share_cell(obj.total_kg, total)}</tr>")
    return ('<table id="by-object"><thead><tr><th>category</th><th>object</th><th>class</th>'
            "<th>fabrication (kg)</th><th>energy (kg)</th><th>total (kg)</th><th>share of total</th></tr></thead>"
            "<tbody>" + "".join(rows) + "</tbody></table>")


# ---------------------------------------------------------------------------------------------- charts
def relationship_figure(system, width: int = CHART_WIDTH, height: int = 600):
    """The bokeh figure of the System's objects and their links (countries left out)."""
    from efp.plotting.graphs import (OBJECT_TOOLTIP, graph_figure, layered_layout,
                                     object_relationship_graph)

    graph = object_relationship_graph(system, RELATIONSHIP_CLASSES_TO_IGNORE)
    columns = {name: [graph.nodes[key].get(name, "") for key in graph.nodes]
               for name in ("label", "object_class", "details", "depth")}
    columns["short_label"] = [label if len(label) <= 28 else label[:27] + "…" for label in columns["label"]]
    return graph_figure(graph, layered_layout(graph, horizontal=False),
                        f"Objects linked from {type(system).__name__} '{system.name}'", columns, "object_class",
                        OBJECT_TOOLTIP, width, height)


def charts(system) -> tuple[dict, list[str]]:
    """``({root name: bokeh figure}, notes)``: the report's charts, and why any is missing."""
    from efp.plotting.hourly import hourly_figure
    from efp.values import ExplainableHourlyQuantities
    from efp_nodes.system_plots import footprints_figure

    figures, notes = {"footprints_chart": footprints_figure(system, width=CHART_WIDTH)}, []
    total = system.total_footprint
    if isinstance(total, ExplainableHourlyQuantities) and len(total):
        figures["total_chart"] = hourly_figure(total, width=CHART_WIDTH)
        figures["cumulative_chart"] = hourly_figure(total, cumsum=True, width=CHART_WIDTH)
    else:
        notes.append("The System has no hour of use: there is no footprint over time to draw.")
    figures["relationships_chart"] = relationship_figure(system)
    for name, figure in figures.items():
        figure.name = name
    return figures, notes


# ---------------------------------------------------------------------------------------------- page
STYLE = """
html, body { height: auto; display: block; }
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       margin: 0 auto; padding: 1.5rem 2rem 3rem; max-width: 1000px; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
.meta { color: #555; font-size: 0.9rem; margin: 0.2rem 0; }
.headline { font-size: 1.15rem; margin: 1rem 0; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.6rem 0; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #e5e5e5; text-align: left; }
thead th { border-bottom: 2px solid #bbb; }
td.kg, td.share { text-align: right; font-variant-numeric: tabular-nums; }
tr.total th, tr.total td { font-weight: bold; border-top: 2px solid #bbb; }
.chart { margin: 0.8rem 0 1.5rem; }
.note { color: #8a5a00; }
footer { margin-top: 3rem; color: #777; font-size: 0.8rem; }
"""

TEMPLATE = """
{% block inner_head %}
{{ super() }}
<style>{{ style }}</style>
{% endblock %}
{% block contents %}
{{ header }}
<h2 id="summary">Footprint by category</h2>
<p class="meta">kg CO2eq summed over every hour of the period; energy is the electricity's emissions,
fabrication the share of the hardware's manufacture attributed to the period.</p>
{{ category_table }}
<h2 id="objects">Footprint by object</h2>
{{ object_table }}
<h2 id="chart-footprints">Footprints by category and object</h2>
<div class="chart">{{ embed(roots.footprints_chart) }}</div>
<h2 id="chart-time">Total footprint over time</h2>
{% for note in notes %}<p class="note">{{ note }}</p>{% endfor %}
{% if has_time_charts %}
<div class="chart">{{ embed(roots.total_chart) }}</div>
<div class="chart">{{ embed(roots.cumulative_chart) }}</div>
{% endif %}
<h2 id="chart-relationships">Objects and their links</h2>
<p class="meta">Hover over an object to read its inputs and footprints.</p>
<div class="chart">{{ embed(roots.relationships_chart) }}</div>
{{ footer }}
{% endblock %}
"""


def _period(system) -> str:
    total = system.total_footprint
    if not hasattr(total, "start_date"):
        return "no hour of use"
    return f"{total.start_date:%Y-%m-%d %H:%M} to {total.end_date:%Y-%m-%d %H:%M} UTC ({len(total):,} hours)"


def report_html(system, scenario: str | None = None, state: Summary | None = None) -> str:
    """The report page of a computed System (see the module docstring); ``scenario`` names its file."""
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    state = state or summary(system)
    figures, notes = charts(system)
    title = f"efp report: {system.name}"
    header = (f"<header><h1>{html.escape(title)}</h1>"
              + (f'<p class="meta">scenario: <code>{html.escape(scenario)}</code></p>' if scenario else "")
              + f'<p class="meta">period: {html.escape(_period(system))}; '
              f"{len(state.objects)} objects in {len(state.categories)} categories</p>"
              f'<p class="headline" id="total">Total footprint: <strong data-kg="{state.total_kg!r}">'
              f"{_number(state.total_kg)} kg CO2eq</strong></p></header>")
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    footer = (f"<footer>Written by efp {html.escape(efp_version())} on {generated}. Every value of the model, "
              f"with its formula and inputs, is in <code>{COMPUTED_FILE}</code>; <code>efp explain</code> tells "
              f"why a value is what it is.</footer>")
    variables = {"style": STYLE, "header": header, "category_table": category_table(state),
                 "object_table": object_table(state), "notes": [html.escape(n) for n in notes],
                 "has_time_charts": "total_chart" in figures, "footer": footer}
    return file_html(list(figures.values()), resources=INLINE, title=title, template=TEMPLATE,
                     template_variables=variables)


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote."""

    html: Path
    computed: Path | None
    summary: Summary


def write_report(system, folder, scenario: str | None = None, computed: bool = True, stage=None) -> ReportFiles:
    """Write ``report.html`` (and ``computed.json`` unless ``computed`` is false) in ``folder``.

    ``stage``: a callable that takes a description and returns a context manager around that stage
    of the work (the command line shows progress with it).
    """
    stage = stage or (lambda description: contextlib.nullcontext())
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with stage("summing footprints and drawing the report"):
        state = summary(system)
        page = report_html(system, scenario, state)
        html_path = folder / REPORT_FILE
        html_path.write_text(page, encoding="utf-8")
    json_path = None
    if computed:
        with stage(f"saving every computed value to {COMPUTED_FILE}"):
            json_path = folder / COMPUTED_FILE
            system_to_json(system, save_calculated_attributes=True, output_filepath=json_path)
    return ReportFiles(html_path, json_path, state)
