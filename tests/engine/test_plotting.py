"""efp.plotting without a browser: what each figure holds, where files go, and what import loads.

Figures are inspected through their bokeh models (the ColumnDataSources named in each module's
docstring); expected numbers are computed here with numpy from the series' own arrays. Rendering in
Chromium is checked in ``tests/integration/test_html_in_chromium.py``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta

import networkx as nx
import numpy as np
import pytest

from efp import EfpError, EmptyExplainableObject, ModelingUpdate, SourceHourlyValues, SourceValue, u
from efp.plotting import graphs, html
from efp.plotting.hourly import BAND_THRESHOLD_HOURS, daily_statistics, hourly_figure
from efp.values.hourly import ExplainableHourlyQuantities, hourly_data_array

from toy import Assembly, Feeder, Line, Part, Plant

T0 = datetime(2025, 1, 1)


def sources(layout) -> dict:
    """The named ColumnDataSources of a bokeh layout, as ``{name: {column: numpy array or list}}``."""
    from bokeh.models import ColumnDataSource

    return {s.name: {k: (np.asarray(v) if not isinstance(v, list) else v) for k, v in s.data.items()}
            for s in layout.select({"type": ColumnDataSource}) if s.name}


def series(values, start=T0, unit="kg", label="a series"):
    return SourceHourlyValues(np.asarray(values, dtype=float), start, u(unit), label=label)


# ---------------------------------------------------------------------------------------------- import
def test_importing_efp_loads_neither_bokeh_nor_graphviz():
    code = ("import sys, efp, efp_nodes, efp_builders; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('bokeh', 'graphviz') "
            "or m.startswith('efp.plotting')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert done.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------- series
def test_daily_statistics_group_calendar_days_including_partial_ones():
    hours = np.arange(50, dtype=float)  # from 23:00: 1 hour, 24 hours, 24 hours, 1 hour
    times = np.datetime64("2025-01-01T23:00", "ns") + np.arange(50) * np.timedelta64(1, "h")
    stats = daily_statistics(times, hours)
    assert [str(d)[:10] for d in stats["day"]] == ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"]
    np.testing.assert_array_equal(stats["min"], [0, 1, 25, 49])
    np.testing.assert_array_equal(stats["max"], [0, 24, 48, 49])
    np.testing.assert_allclose(stats["mean"], [0, np.mean(hours[1:25]), np.mean(hours[25:49]), 49])
    np.testing.assert_array_equal(stats["last"], [0, 24, 48, 49])


def test_a_short_series_is_drawn_hour_by_hour():
    values = np.random.default_rng(1).random(BAND_THRESHOLD_HOURS)
    figure = hourly_figure(series(values, label="short"))
    data = sources(figure)
    assert set(data) == {"hourly:series"}
    np.testing.assert_array_equal(data["hourly:series"]["value"], values)
    assert figure.title.text == "short"
    assert figure.yaxis[0].axis_label == "kg"


def test_a_long_series_is_drawn_as_daily_band_and_mean():
    values = np.random.default_rng(2).random(24 * 60)
    data = sources(hourly_figure(series(values)))["daily:series"]
    by_day = values.reshape(60, 24)
    np.testing.assert_allclose(data["min"], by_day.min(axis=1))
    np.testing.assert_allclose(data["max"], by_day.max(axis=1))
    np.testing.assert_allclose(data["mean"], by_day.mean(axis=1))


def test_xlims_draw_the_hours_of_the_window_only():
    values = np.arange(24 * 60, dtype=float)
    window = [T0 + timedelta(days=3), T0 + timedelta(days=4)]
    figure = hourly_figure(series(values), xlims=window)
    data = sources(figure)["hourly:series"]
    np.testing.assert_array_equal(data["value"], values[72:97])  # both ends included
    assert (figure.x_range.start, figure.x_range.end) == tuple(np.datetime64(moment, "ns") for moment in window)


def test_xlims_outside_the_series_is_a_clear_error():
    with pytest.raises(EfpError, match="no hour of the series falls within xlims"):
        hourly_figure(series([1.0, 2.0]), xlims=[T0 + timedelta(days=9), T0 + timedelta(days=10)])


def test_cumsum_draws_the_cumulative_sum():
    values = np.random.default_rng(3).random(100)
    short = sources(hourly_figure(series(values), cumsum=True))["cumulative:series"]
    np.testing.assert_allclose(short["value"], np.cumsum(values))
    values = np.random.default_rng(4).random(24 * 30)
    long = sources(hourly_figure(series(values), cumsum=True))["cumulative:series"]
    np.testing.assert_allclose(long["cumulative"], np.cumsum(values)[23::24])  # at the end of each day


def test_a_per_usage_pattern_series_is_plotted_summed_over_usage_patterns():
    rows = np.random.default_rng(5).random((3, 48))
    value = ExplainableHourlyQuantities(hourly_data_array(rows, T0, ["a", "b", "c"]), u.kWh, label="per pattern")
    data = sources(hourly_figure(value))["hourly:series"]
    np.testing.assert_allclose(data["value"], rows.sum(axis=0))


def test_scalars_and_empty_values_cannot_be_plotted():
    with pytest.raises(EfpError, match="plot draws hourly series"):
        SourceValue(3 * u.kg).plot()
    with pytest.raises(EfpError, match="no value"):
        EmptyExplainableObject().plot()


# ---------------------------------------------------------------------------------------------- simulation
def _plant(model):
    feeder = Feeder("feeder", starts=series(np.ones(48), unit="dimensionless"), power=SourceValue(1000 * u.W))
    return Plant("plant", feeders=[feeder]), feeder


def test_a_simulation_draws_baseline_and_simulated_curves(model):
    plant, feeder = _plant(model)
    baseline = plant.footprint.magnitude.copy()
    simulation = ModelingUpdate([[feeder.power, SourceValue(3000 * u.W)]], simulation_date=T0 + timedelta(hours=24))
    simulated = simulation.updated_value(plant.footprint.node_key).magnitude
    assert not np.array_equal(baseline, simulated)
    for state in ("baseline", "simulated"):
        if state == "simulated":
            simulation.set_updated_values()
        data = sources(hourly_figure(plant.footprint))
        np.testing.assert_allclose(data["hourly:baseline"]["value"], baseline)
        np.testing.assert_allclose(data["hourly:simulation"]["value"], simulated)
    simulation.reset_values()


def test_an_unchanged_value_draws_one_curve_despite_a_simulation(model):
    plant, feeder = _plant(model)
    ModelingUpdate([[feeder.power, SourceValue(3000 * u.W)]], simulation_date=T0 + timedelta(hours=24))
    assert set(sources(hourly_figure(feeder.starts))) == {"hourly:series"}


# ---------------------------------------------------------------------------------------------- files
def test_plot_writes_self_contained_html_named_after_the_label(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = series(np.ones(30), label="Hourly data / test").plot()
    assert path == tmp_path / "Hourly_data_test.html"
    text = path.read_text()
    assert "Hourly data / test" in text and "Bokeh" in text
    assert "cdn.bokeh.org" not in text and '<script src="http' not in text.replace("'", '"')
    assert series(np.ones(30)).plot(cumsum=True, filepath=tmp_path / "c.htm") == tmp_path / "c.htm"


def test_api_md_positional_order_is_accepted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    window = [T0, T0 + timedelta(hours=5)]
    assert series(np.arange(48.0), label="order").plot(window, True).name == "Cumulative_order.html"
    assert series(np.arange(48.0), label="order").plot(window, cumsum=True).name == "Cumulative_order.html"
    assert series(np.arange(48.0), label="order").plot(window, False, tmp_path / "w.html") == tmp_path / "w.html"


def test_in_a_notebook_the_plot_is_shown_inline(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(html, "in_notebook", lambda: True)
    monkeypatch.setattr(html, "show", shown.append)
    monkeypatch.chdir(tmp_path)
    assert series(np.ones(5)).plot() is None
    assert len(shown) == 1 and not list(tmp_path.iterdir())
    assert series(np.ones(5)).plot(filepath="kept.html") == html.Path("kept.html")
    assert len(shown) == 2 and (tmp_path / "kept.html").is_file()


def test_outside_a_notebook_nothing_is_shown():
    assert html.in_notebook() is False


def test_png_without_chromium_writes_the_html_and_warns(tmp_path, monkeypatch):
    monkeypatch.setattr(html, "find_chromium", lambda: None)
    with pytest.warns(html.PlotExportWarning, match="chromium"):
        written = series(np.ones(5)).plot(filepath=tmp_path / "out.png")
    assert written == tmp_path / "out.html" and written.is_file()
    assert not (tmp_path / "out.png").exists()
    with pytest.raises(html.PlotExportError, match="Chromium"):
        html.html_to_png(written, tmp_path / "out.png", 100, 100)


def test_unknown_file_types_are_refused(tmp_path):
    with pytest.raises(html.PlotExportError, match=r"\.html or \.png"):
        series(np.ones(5)).plot(filepath=tmp_path / "out.pdf")


def test_sizes_are_pixels():
    assert html.pixels("800px") == 800 and html.pixels(" 640 ") == 640 and html.pixels(500) == 500
    with pytest.raises(html.PlotExportError, match="800px"):
        html.pixels("80%")


# ---------------------------------------------------------------------------------------------- graphs
def _line(model):
    parts = [Part("bolt", weight=SourceValue(2 * u.kg)), Part("nut", weight=SourceValue(1 * u.kg))]
    assemblies = [Assembly("frame", parts=parts), Assembly("wheel", parts=[parts[1]])]
    return Line("line", assemblies=assemblies), assemblies, parts


def test_object_relationship_graph_follows_links_and_bridges_ignored_classes(model):
    line, (frame, wheel), (bolt, nut) = _line(model)
    graph = graphs.object_relationship_graph(line)
    assert set(graph.edges) == {(line.id, frame.id), (line.id, wheel.id), (frame.id, bolt.id), (frame.id, nut.id),
                                (wheel.id, nut.id)}
    assert graph.nodes[bolt.id]["depth"] == 2 and graph.nodes[bolt.id]["object_class"] == "Part"
    assert "weight: 2 kg" in graph.nodes[bolt.id]["details"]
    bridged = graphs.object_relationship_graph(line, classes_to_ignore=["Assembly"])
    assert set(bridged.edges) == {(line.id, bolt.id), (line.id, nut.id)}
    assert set(graphs.object_relationship_graph(line, classes_to_ignore=[Part]).nodes) == {line.id, frame.id, wheel.id}


def test_calculus_graph_is_the_ancestor_subgraph_with_values_and_sources(model):
    plant, feeder = _plant(model)
    graph = graphs.calculus_graph(plant.footprint)
    key = plant.footprint.node_key
    assert set(graph) == nx.ancestors(model.graph, key) | {key}
    root = graph.nodes[key]
    assert root["depth"] == 0 and root["total"] == pytest.approx(plant.footprint.magnitude.sum(), rel=1e-12)
    assert root["unit"] == "kg" and root["source_category"] == "calculated" and "def footprint" in root["formula"]
    power = graph.nodes[feeder.power.node_key]
    assert power["source_category"] == "hypothesis" and power["total"] == 1000 and power["unit"] == "W"
    assert graph.nodes[feeder.starts.node_key]["source_category"] == "user data"
    layout = graphs.layered_layout(graph, horizontal=True)
    assert layout[key] == (0, 0)
    assert all(layout[k][0] == -graph.nodes[k]["depth"] for k in graph)


def test_calculus_graph_figure_holds_the_node_data(model, tmp_path):
    plant, _ = _plant(model)
    path = plant.footprint.calculus_graph_to_file(tmp_path / "calculus.html", width="640px", height=400)
    assert path.is_file() and "cdn.bokeh.org" not in path.read_text()
    graph = graphs.calculus_graph(plant.footprint)
    columns = graphs._columns(graph, ("node_key", "total", "source_category"))
    columns["short_label"] = ["x"] * len(graph)
    figure = graphs.graph_figure(graph, graphs.layered_layout(graph, True), "t", columns, "source_category",
                                 graphs.CALCULUS_TOOLTIP, 640, 400, graphs.SOURCE_COLORS)
    nodes = sources(figure)["nodes"]
    assert nodes["index"] == list(graph.nodes) and nodes["node_key"] == list(graph.nodes)
    assert figure.width == 640
    with pytest.raises(html.PlotExportError, match="color_by"):
        plant.footprint.calculus_graph_to_file(tmp_path / "x.html", color_by="size")


def test_graphviz_dot_source(model, tmp_path):
    line, _, (bolt, _) = _line(model)
    path = line.object_relationship_graph_to_file(tmp_path / "objects.dot")
    text = path.read_text()
    assert text.startswith("digraph") and f'"{line.id}" -> "{line.assemblies[0].id}"' in text
    plant, _ = _plant(model)
    text = plant.footprint.calculus_graph_to_file(tmp_path / "calculus.dot").read_text()
    assert "rankdir=LR" in text and f'"{plant.footprint.node_key}"' in text


def test_svg_needs_graphviz_dot(model, tmp_path, monkeypatch):
    line, _, _ = _line(model)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(html.PlotExportError, match="graphviz"):
        line.object_relationship_graph_to_file(tmp_path / "objects.svg")


def test_regression_a_layout_written_to_file_can_still_be_shown_in_a_notebook(tmp_path):
    """file_html left the figure attached to its temporary document, so show() after save() raised
    "Models must be owned by only a single document"."""
    from bokeh.document import Document

    figure = hourly_figure(series(np.ones(5)))
    html.save(figure, tmp_path / "a.html", "a")
    Document().add_root(figure)  # what bokeh's show() does in a notebook


def test_in_a_jupyter_kernel_plots_are_shown_inline(tmp_path):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in (
        "import numpy as np\nfrom datetime import datetime\nfrom efp import SourceHourlyValues\n"
        "starts = SourceHourlyValues(np.arange(48.0), datetime(2025, 1, 1), label='starts')",
        "print(starts.plot())",
        "print(starts.plot(filepath='kept.html', cumsum=True))")]
    NotebookClient(notebook, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown, printed = notebook.cells[1].outputs, notebook.cells[1].outputs[-1]["text"]
    assert any("application/vnd.bokehjs_exec.v0+json" in o.get("data", {}) for o in shown)
    assert printed.strip() == "None"
    assert notebook.cells[2].outputs[-1]["text"].strip() == "kept.html"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.html"]
