"""Every kind of HTML output opened in headless Chromium, on the seed quickstart (built once).

Each page must render offline without a console error or a request to anything but ``file:``,
``data:`` and ``blob:`` URLs, paint its plot (pixels on a bokeh canvas), and hold the right numbers
in the data its hover tooltips show: read back from the live bokeh document in the browser, and
compared with the reference figures of the quickstart (``shared/spec/reference-quickstart.md``,
copied below as in ``test_quickstart_reference.py``) or with values computed here from the objects.
One hover per chart is performed with the mouse, and its tooltip text read.

Without Chromium these tests skip, or fail under CI (``CI=true``); see ``tests/browser.py``.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import xml.etree.ElementTree as ElementTree
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the browser helper

from browser import BokehPage, Browser, BrowserError, chromium_or_skip  # noqa: E402

from efp import ModelingUpdate, new_model  # noqa: E402
from efp.plotting import number_text  # noqa: E402
from efp_builders.quickstart import START_DATE, build, changes, hourly_user_journey_starts  # noqa: E402
from efp_nodes import USAGE_PATTERN_VIEW_CLASSES_TO_IGNORE  # noqa: E402

# kg CO2eq over every hour: (category, phase) -> figure, after each step of the seed.
_ORDER = [("Servers", "Fabrication"), ("Storage", "Fabrication"), ("Devices", "Fabrication"), ("Servers", "Energy"),
          ("Storage", "Energy"), ("Network", "Energy"), ("Devices", "Energy")]
REFERENCE = {step: dict(zip(_ORDER, figures), total=total) for step, total, *figures in [
    ("baseline", 14287545.023891, 54194.090805, 2222129.850179, 4955397.074086, 170628.834793, 14.675048,
     4814169.970366, 2071010.528614),
    ("download 500 MB", 12526370.716093, 54194.090805, 2222129.850179, 4955397.074086, 170628.834793, 14.675048,
     3052995.662568, 2071010.528614),
    ("LLM at 50 g/kWh", 13849710.267833, 270133.054985, 2256959.519355, 5189510.321681, 907721.042898, 14.772016,
     3056518.011183, 2168853.545714)]}
for _figures in REFERENCE.values():
    _figures[("Network", "Fabrication")] = 0.0


def reference(step, category, phase):
    return pytest.approx(REFERENCE[step][(category, phase)], rel=1e-9, abs=5e-7)


def kg_in(tooltip: str, name: str) -> float:
    """The number on the tooltip line ``name: 1,234.567 kg``."""
    match = re.search(rf"{re.escape(name)}:\s*([+-]?[\d,]+(?:\.\d+)?)", tooltip)
    assert match, f"no {name!r} in the tooltip {tooltip!r}"
    return float(match.group(1).replace(",", ""))


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def browser():
    instance = Browser(chromium_or_skip())
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """The quickstart, its outputs written along the seed's steps, and what they must show."""
    folder = tmp_path_factory.mktemp("outputs")
    out = SimpleNamespace(folder=folder)
    with new_model():
        objects = build()
        system, up = objects.system, objects.usage_pattern
        out.starts = hourly_user_journey_starts()
        out.band = out.starts.plot(folder / "starts.html")
        out.week = out.starts.plot(folder / "week.html", xlims=[START_DATE, START_DATE + timedelta(days=7)])
        out.footprints = system.plot_footprints_by_category_and_object(folder / "footprints.html")
        out.objects = {o.id: o for o in (objects.server, objects.storage, objects.network, up)}
        out.relationships = up.object_relationship_graph_to_file(
            folder / "relationships.html", classes_to_ignore=USAGE_PATTERN_VIEW_CLASSES_TO_IGNORE)
        out.relationship_ids = {up.id: up.name, objects.user_journey.id: objects.user_journey.name,
                                objects.streaming_step.id: objects.streaming_step.name,
                                objects.upload_step.id: objects.upload_step.name, objects.server.id: "server",
                                **{step.jobs[0].id: step.jobs[0].name
                                   for step in (objects.streaming_step, objects.upload_step)}}
        value = up.devices_fabrication_footprint
        out.calculus = value.calculus_graph_to_file(folder / "calculus.html", width="900px", height="600px")
        out.calculus_svg = value.calculus_graph_to_file(folder / "calculus.svg") if shutil.which("dot") else None
        out.calculus_model, out.calculus_key = value._model, value.node_key
        steps = changes(objects)
        steps[0][1]()  # streaming download 800 -> 500 MB
        out.diffs = system.plot_emission_diffs(folder / "diffs.html")
        out.diffs_png = system.plot_emission_diffs(folder / "bandwith reduction.png")
        steps[1][1]()  # LLM chat step appended
        steps[2][1]()  # LLM server at 50 g/kWh
        out.all_diffs = system.plot_emission_diffs(folder / "all diffs.html", from_start=True)
        steps[3][1]()  # batch revert
        simulation = ModelingUpdate([[objects.user_journey.uj_steps,
                                      [objects.streaming_step, objects.upload_step, objects.llm_step]]],
                                    simulation_date=START_DATE + timedelta(days=365))
        out.simulated_total = simulation.updated_value(system.total_footprint.node_key).magnitude.sum()
        out.simulated_llm = simulation.updated_value(objects.llm_server.energy_footprint.node_key).magnitude.sum()
        out.total_cumsum = system.total_footprint.plot(folder / "total.html", cumsum=True)
        out.llm_cumsum = objects.llm_server.energy_footprint.plot(folder / "llm.html", cumsum=True)
        yield out


def open_page(browser, path) -> BokehPage:
    """Open an output; check it renders offline, without errors, and paints its plot."""
    text = Path(path).read_text(encoding="utf-8")
    assert "cdn.bokeh.org" not in text and not re.search(r"<script[^>]+src=[\"']https?:", text)
    page = BokehPage(browser.open(path))
    try:
        painted = page.wait_rendered()
    except BrowserError as error:
        pytest.fail(f"{path} did not render ({error}); console: {page.page.console_errors()}", pytrace=False)
    assert painted > 2000, f"{path}: only {painted} pixels painted"
    assert page.page.evaluate("[...Bokeh.index].length") >= 1
    assert page.page.console_errors() == []
    offsite = [url for url in page.page.requested_urls() if not url.startswith(("file:", "data:", "blob:"))]
    assert offsite == [], f"{path} requested {offsite}"
    return page


# ---------------------------------------------------------------------------------------------- hourly plots
def test_three_years_of_starts_show_the_daily_band_and_mean(browser, seed):
    page = open_page(browser, seed.band)
    data = page.source("daily:series")
    values = seed.starts.magnitude
    full_days = len(values) // 24
    by_day = values[:full_days * 24].reshape(full_days, 24)
    rest = values[full_days * 24:]
    np.testing.assert_allclose(data["min"], [*by_day.min(axis=1), rest.min()], rtol=1e-12)
    np.testing.assert_allclose(data["max"], [*by_day.max(axis=1), rest.max()], rtol=1e-12)
    np.testing.assert_allclose(data["mean"], [*by_day.mean(axis=1), rest.mean()], rtol=1e-12)
    assert data["day"][0] == np.datetime64(START_DATE, "ms").astype(np.int64)  # bokeh: ms since the epoch
    day = 400
    tooltip = page.hover(data["day"][day], data["mean"][day])
    assert kg_in(tooltip, "mean") == pytest.approx(by_day[day].mean(), rel=1e-5)


def test_a_week_shows_every_hour(browser, seed):
    page = open_page(browser, seed.week)
    data = page.source("hourly:series")
    np.testing.assert_allclose(data["value"], seed.starts.magnitude[:7 * 24 + 1], rtol=1e-12)
    tooltip = page.hover(data["time"][30], data["value"][30])
    assert kg_in(tooltip, "hourly") == pytest.approx(seed.starts.magnitude[30], rel=1e-5)
    assert "2025-01-02 06:00" in tooltip


def test_cumulative_total_footprint_shows_baseline_and_simulation(browser, seed):
    page = open_page(browser, seed.total_cumsum)
    baseline, simulation = page.source("cumulative:baseline"), page.source("cumulative:simulation")
    assert baseline["cumulative"][-1] == pytest.approx(REFERENCE["baseline"]["total"], rel=1e-9)
    assert simulation["cumulative"][-1] == pytest.approx(seed.simulated_total, rel=1e-12)
    first_simulated_day = baseline["day"].index(np.datetime64(START_DATE + timedelta(days=365), "ms").astype(int))
    np.testing.assert_allclose(simulation["cumulative"][:first_simulated_day - 1],
                               baseline["cumulative"][:first_simulated_day - 1], rtol=1e-12)


def test_a_server_without_baseline_footprint_plots_its_simulation(browser, seed):
    page = open_page(browser, seed.llm_cumsum)
    assert set(page.source("cumulative:baseline")["cumulative"]) == {0}
    assert page.source("cumulative:simulation")["cumulative"][-1] == pytest.approx(seed.simulated_llm, rel=1e-12)


# ---------------------------------------------------------------------------------------------- system charts
def test_footprints_by_category_and_object(browser, seed):
    page = open_page(browser, seed.footprints)
    rows = page.source("footprints")
    for category, phase in [*_ORDER, ("Network", "Fabrication")]:
        kg = sum(k for k, x in zip(rows["kg"], rows["x"]) if tuple(x) == (category, phase))
        assert kg == reference("baseline", category, phase), (category, phase)
    for object_id, phase, kg in zip(rows["object_id"], rows["phase"], rows["kg"]):
        obj = seed.objects[object_id]
        attribute = "instances_fabrication_footprint" if phase == "Fabrication" else "energy_footprint"
        own = getattr(obj, attribute, None)
        assert kg == pytest.approx(float(own.magnitude.sum()) if own else 0.0, rel=1e-12)
    totals = page.source("totals")
    assert sum(totals["kg"]) == pytest.approx(REFERENCE["baseline"]["total"], rel=1e-9)
    tooltip = page.hover(["Devices", "Fabrication"], REFERENCE["baseline"][("Devices", "Fabrication")] / 2)
    assert "Daily video streaming consumption (UsagePattern)" in tooltip and "Devices Fabrication" in tooltip
    assert kg_in(tooltip, "footprint") == pytest.approx(REFERENCE["baseline"][("Devices", "Fabrication")], abs=1e-3)
    assert "34.68%" in tooltip  # 4,955,397.07 / 14,287,545.02


def test_emission_diffs_after_the_download_change(browser, seed):
    page = open_page(browser, seed.diffs)
    rows = page.source("emission_diffs")
    for category, phase, state, kg in zip(rows["category"], rows["phase"], rows["state"], rows["kg"]):
        step = "baseline" if state == "previous" else "download 500 MB"
        assert kg == reference(step, category, phase), (category, phase, state)
    change = REFERENCE["download 500 MB"][("Network", "Energy")] - REFERENCE["baseline"][("Network", "Energy")]
    tooltip = page.hover(["Network", "Energy", "current"], 1e6)
    assert kg_in(tooltip, "change") == pytest.approx(change, abs=1e-3)
    assert "-36.58%" in tooltip
    assert "Changes: Job 'streaming'.data_download" in page.titles()


def test_emission_diffs_from_start(browser, seed):
    rows = open_page(browser, seed.all_diffs).source("emission_diffs")
    for category, phase, state, kg in zip(rows["category"], rows["phase"], rows["state"], rows["kg"]):
        step = "baseline" if state == "initial" else "LLM at 50 g/kWh"
        assert kg == reference(step, category, phase), (category, phase, state)


def test_emission_diffs_png(seed):
    from PIL import Image

    chromium_or_skip()  # without it, the seed fixture wrote the HTML instead (with a warning)
    assert seed.diffs_png.name == "bandwith reduction.png"
    with Image.open(seed.diffs_png) as image:
        assert image.format == "PNG" and image.size == (960, 540)
        pixels = np.asarray(image.convert("RGB"), dtype=int)
    assert (pixels.min(axis=2) < 200).sum() > 5000  # bars, axes and text, not a blank page
    orange = (np.abs(pixels - [0xe6, 0x55, 0x0d]).sum(axis=2) < 30).sum()
    assert orange > 2000  # the current energy bars are drawn


# ---------------------------------------------------------------------------------------------- graphs
def test_object_relationship_graph(browser, seed):
    page = open_page(browser, seed.relationships)
    nodes = page.source("nodes")
    assert dict(zip(nodes["index"], nodes["label"])) == seed.relationship_ids
    assert not {"Network", "Device", "Country", "Storage"} & set(nodes["object_class"])
    edges = page.source("edges")
    classes = dict(zip(nodes["index"], nodes["object_class"]))
    assert sorted((classes[a], classes[b]) for a, b in zip(edges["start"], edges["end"])) == sorted(
        [("UsagePattern", "UserJourney"), ("UserJourney", "UserJourneyStep"), ("UserJourney", "UserJourneyStep"),
         ("UserJourneyStep", "Job"), ("UserJourneyStep", "Job"), ("Job", "Server"), ("Job", "Server")])
    server = nodes["index"].index(next(k for k, c in classes.items() if c == "Server"))
    tooltip = page.hover(nodes["x"][server], nodes["y"][server])
    assert "server" in tooltip and "power_usage_effectiveness: 1.2" in tooltip and "average_carbon_intensity" in tooltip


def test_calculus_graph(browser, seed):
    import networkx as nx

    page = open_page(browser, seed.calculus)
    nodes = page.source("nodes")
    model, key = seed.calculus_model, seed.calculus_key
    assert set(nodes["index"]) == nx.ancestors(model.graph, key) | {key}
    for node_key, total, unit, source, category in zip(nodes["index"], nodes["total"], nodes["unit"], nodes["source"],
                                                       nodes["source_category"]):
        node = model.nodes[node_key]
        value = node.value
        if hasattr(value, "magnitude") and not isinstance(value, list):
            assert total == pytest.approx(float(np.sum(value.magnitude)), rel=1e-12), node_key
        if node.decl.kind == "input" and value.source is not None:
            assert source == str(value.source) and category == value.source.name
        elif node.decl.kind == "input":  # e.g. the starts, a product of builders' series
            assert source == category == "no source"
        elif node.calculated:
            assert category == "calculated"
    root = nodes["index"].index(key)
    assert nodes["depth"][root] == 0 and nodes["x"][root] == max(nodes["x"])
    tooltip = page.hover(nodes["x"][root], nodes["y"][root])
    assert "devices_fabrication_footprint of Daily video streaming consumption" in tooltip
    assert f"sum {number_text(nodes['total'][root])} kg" in tooltip and "def devices_fabrication_footprint" in tooltip


def test_calculus_graph_svg_by_graphviz(seed):
    if seed.calculus_svg is None:
        message = "graphviz's `dot` is needed for SVG output: `apt-get install graphviz` (make test does it as root)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    root = ElementTree.parse(seed.calculus_svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    namespace = {"svg": "http://www.w3.org/2000/svg"}
    titles = {g.find("svg:title", namespace).text for g in root.iter("{http://www.w3.org/2000/svg}g")
              if g.get("class") == "node"}
    import networkx as nx
    assert titles == nx.ancestors(seed.calculus_model.graph, seed.calculus_key) | {seed.calculus_key}
