"""The ``efp`` command line: ``efp run`` writes a report that Chromium renders with the right figures,
``efp explain`` explains values, and mistakes exit non-zero with a message that says what is wrong.

Scenarios: the seed quickstart (built with :mod:`efp_builders.quickstart`, saved with ``system_to_json``)
and the three e-footprint 9 files of ``shared/data/efootprint9-json`` (``shared/`` is found beside the
repository: ``../shared`` from its root). ``efp run`` goes through the console script the editable
install put beside the interpreter (``.venv/bin/efp``), in a subprocess; the many error cases call
:func:`efp_builders.cli.main` in-process, which is the same code without the start-up cost.

The report's figures are compared with the System's own sums (``*_footprint_sum_over_period`` and
``total_footprint``) computed here, in this process, from the same file.
"""
from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the browser helper

from browser import DEEP_QUERY, BokehPage, Browser, BrowserError, chromium_or_skip  # noqa: E402

from efp import new_model, u  # noqa: E402
from efp.serialization import reachable_objects  # noqa: E402
from efp_builders import cli  # noqa: E402
from efp_builders.quickstart import build  # noqa: E402
from efp_builders.report import COMPUTED_FILE, REPORT_FILE  # noqa: E402
from efp_nodes import json_to_system, system_to_json  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EFOOTPRINT9 = ROOT.parent / "shared" / "data" / "efootprint9-json"
EFOOTPRINT9_FILES = ("simple_system", "base_system", "complex_system")
SCENARIOS = ("quickstart",) + EFOOTPRINT9_FILES
#: The quickstart's total as built, kg CO2eq over every hour (shared/spec/reference-quickstart.md).
QUICKSTART_TOTAL_KG = 14287545.023891


def efp_command() -> list[str]:
    """The console script of the venv running the tests, else the module."""
    script = Path(sys.executable).parent / "efp"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "efp_builders.cli"]


def efp_environment() -> dict:
    """This environment, without a dask scheduler to connect to (the commands compute in their process)."""
    return {key: value for key, value in os.environ.items() if key != "EFP_DASK_SCHEDULER_ADDRESS"}


def efp(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*efp_command(), *map(str, args)], capture_output=True, text=True, timeout=600, cwd=cwd,
                          env=efp_environment())


def run_in_process(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---------------------------------------------------------------------------------------------- expected
def figures(system) -> dict:
    """The System's own sums: per category and per object, fabrication and energy in kg, and the total
    (and the names of the objects its links reach: the relationship graph's)."""
    fabrication = system.fabrication_footprint_sum_over_period
    energy = system.energy_footprint_sum_over_period
    kg = lambda quantity: float(quantity.to(u.kg).magnitude)  # noqa: E731
    return {
        "total": float(system.total_footprint.sum().to(u.kg).magnitude),
        "categories": {c: (kg(system.total_fabrication_footprint_sum_over_period[c]),
                           kg(system.total_energy_footprint_sum_over_period[c])) for c in fabrication},
        "objects": {obj.id: (category, obj.name, kg(fabrication[category][obj]), kg(energy[category][obj]))
                    for category in fabrication for obj in fabrication[category]},
        "object_names": {o.name for o in reachable_objects([system]) if type(o).__name__ != "Country"},
    }


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory) -> dict[str, Path]:
    """Every scenario file: the quickstart saved here, the e-footprint 9 files where they are."""
    if not EFOOTPRINT9.is_dir():
        pytest.fail(f"the shared data folder is missing: {EFOOTPRINT9} (shared/ is expected beside the repository)")
    folder = tmp_path_factory.mktemp("scenarios")
    with new_model():
        system_to_json(build().system, output_filepath=folder / "quickstart.json")
    return {"quickstart": folder / "quickstart.json", **{n: EFOOTPRINT9 / f"{n}.json" for n in EFOOTPRINT9_FILES}}


@pytest.fixture(scope="module")
def expected(scenarios) -> dict[str, dict]:
    out = {}
    for name, path in scenarios.items():
        with new_model():
            out[name] = figures(json_to_system(path))
    with new_model():
        out["quickstart as built"] = figures(build().system)
    return out


@pytest.fixture(scope="module")
def runs(scenarios, tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, Path]]:
    """``efp run`` on every scenario (the quickstart with ``--progress``), once for the module."""
    out = {}
    for name, path in scenarios.items():
        folder = tmp_path_factory.mktemp(f"report-{name}")
        extra = ["--progress"] if name == "quickstart" else []
        out[name] = (efp("run", path, "--out", folder, *extra), folder)
    return out


@pytest.fixture(scope="module")
def browser():
    instance = Browser(chromium_or_skip())
    yield instance
    instance.close()


# ---------------------------------------------------------------------------------------------- efp run
@pytest.mark.parametrize("name", SCENARIOS)
def test_run_writes_the_report_and_the_computed_values(runs, expected, name):
    done, folder = runs[name]
    assert done.returncode == 0, done.stderr
    report, computed = folder / REPORT_FILE, folder / COMPUTED_FILE
    assert report.is_file() and report.stat().st_size > 100_000
    assert computed.is_file()
    assert f"report: {report}" in done.stdout and f"computed values: {computed}" in done.stdout
    total = float(re.search(r": ([\d,.]+) kg CO2eq in total", done.stdout).group(1).replace(",", ""))
    assert total == pytest.approx(expected[name]["total"], rel=1e-9, abs=1e-3)
    page = report.read_text(encoding="utf-8")
    assert "cdn.bokeh.org" not in page and not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']https?:", page)


def test_run_shows_progress_stage_by_stage_when_asked(runs):
    done, _ = runs["quickstart"]
    for stage in ("loading and computing", "summing footprints and drawing the report", "saving every computed value"):
        assert re.search(rf"efp run: {stage}.*: done in \d+\.\d s", done.stderr), done.stderr


def test_run_is_quiet_on_stderr_when_not_on_a_terminal(runs):
    done, _ = runs["simple_system"]
    assert done.stderr == ""


@pytest.mark.parametrize("name", SCENARIOS)
def test_computed_json_loads_back_without_recomputing(runs, expected, name):
    _, folder = runs[name]
    document = json.loads((folder / COMPUTED_FILE).read_text(encoding="utf-8"))
    server = next(iter(document["Server"].values()))
    assert "energy_footprint" in server["calculated_attributes"]
    with new_model() as model:
        system = json_to_system(folder / COMPUTED_FILE)
        assert model.formula_calls == 0
        assert float(system.total_footprint.sum().to(u.kg).magnitude) == pytest.approx(expected[name]["total"],
                                                                                       rel=1e-12)


def test_quickstart_scenario_round_trips_to_the_reference_total(expected):
    assert expected["quickstart"]["total"] == pytest.approx(expected["quickstart as built"]["total"], rel=1e-12)
    assert expected["quickstart"]["total"] == pytest.approx(QUICKSTART_TOTAL_KG, rel=1e-9)


# ---------------------------------------------------------------------------------------------- report in Chromium
TABLE = """(selector => [...document.querySelectorAll(selector + ' tbody tr')].map(tr => ({
  category: tr.dataset.category, object_id: tr.dataset.objectId || null,
  name: (tr.querySelector('th') || {}).textContent,
  kg: [...tr.querySelectorAll('td.kg')].map(td => Number(td.dataset.kg)),
  text: [...tr.querySelectorAll('td.kg')].map(td => td.textContent),
  share: Number(tr.querySelector('td.share').dataset.share)})))"""

PAINTED_BY_ROOT = "(() => {" + DEEP_QUERY + """
  const painted = {};
  for (const div of document.querySelectorAll('[data-root-id]')) {
    const root = Bokeh.documents[0].get_model_by_id(div.dataset.rootId);
    let count = 0;
    for (const canvas of efpDeep(div, 'canvas')) {
      if (!canvas.width || !canvas.height) continue;
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < pixels.length; i += 4)
        if (pixels[i + 3] > 0 && (pixels[i] < 235 || pixels[i + 1] < 235 || pixels[i + 2] < 235)) count++;
    }
    painted[root.name] = count;
  }
  return painted; })()"""


@pytest.fixture(scope="module")
def pages(browser, runs):
    """Each report opened once, rendered."""
    opened = {}
    for name, (done, folder) in runs.items():
        if done.returncode != 0:
            continue
        page = BokehPage(browser.open(folder / REPORT_FILE, width=1200, height=1000))
        try:
            page.wait_rendered()
        except BrowserError as error:
            pytest.fail(f"{name}: the report did not render ({error}); console: {page.page.console_errors()}")
        opened[name] = page
    yield opened
    for page in opened.values():
        page.page.close()


def close(kg):
    return pytest.approx(kg, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("name", SCENARIOS)
def test_report_renders_offline_without_console_errors(pages, name):
    page = pages[name].page
    assert page.console_errors() == []
    schemes = {url.split(":", 1)[0] for url in page.requested_urls()}
    assert schemes <= {"file", "data", "blob"}, page.requested_urls()


@pytest.mark.parametrize("name", SCENARIOS)
def test_summary_tables_hold_the_systems_own_sums(pages, expected, name):
    page, want = pages[name].page, expected[name]
    by_category = page.evaluate(f"{TABLE}('#by-category')")
    rows = {row["category"]: row for row in by_category}
    assert list(rows) == [*want["categories"], "Total"]
    for category, (fabrication, energy) in want["categories"].items():
        assert rows[category]["kg"] == [close(fabrication), close(energy), close(fabrication + energy)]
        assert rows[category]["text"][2] == f"{rows[category]['kg'][2]:,.3f}"
        assert rows[category]["share"] == pytest.approx((fabrication + energy) / want["total"], rel=1e-9)
    assert rows["Total"]["kg"][2] == pytest.approx(want["total"], rel=1e-9)
    assert rows["Total"]["kg"][0] + rows["Total"]["kg"][1] == pytest.approx(want["total"], rel=1e-9)
    headline = page.evaluate("Number(document.querySelector('#total strong').dataset.kg)")
    assert headline == pytest.approx(want["total"], rel=1e-9)

    by_object = page.evaluate(f"{TABLE}('#by-object')")
    assert {row["object_id"] for row in by_object} == set(want["objects"])
    for row in by_object:
        category, object_name, fabrication, energy = want["objects"][row["object_id"]]
        assert (row["category"], row["name"]) == (category, object_name)
        assert row["kg"] == [close(fabrication), close(energy), close(fabrication + energy)]
    assert math.fsum(row["kg"][2] for row in by_object) == pytest.approx(want["total"], rel=1e-9)


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_four_charts_are_drawn_with_the_right_data(pages, expected, name):
    bokeh, want = pages[name], expected[name]
    painted = bokeh.page.wait_until(f"(p => Object.keys(p).length === 4 && Object.values(p).every(n => n > 1000) "
                                    f"&& p)({PAINTED_BY_ROOT})")
    assert set(painted) == {"footprints_chart", "total_chart", "cumulative_chart", "relationships_chart"}

    bars = bokeh.source("footprints")
    for object_id, (category, _, fabrication, energy) in want["objects"].items():
        for phase, kg in (("Fabrication", fabrication), ("Energy", energy)):
            [index] = [i for i, (o, p) in enumerate(zip(bars["object_id"], bars["phase"])) if (o, p) == (object_id, phase)]
            assert bars["kg"][index] == pytest.approx(kg, rel=1e-9, abs=1e-9)

    # long spans are drawn day by day (a daily min-max band), short ones hour by hour (efp.plotting.hourly)
    cumulative = bokeh.source("cumulative:series")
    reached = cumulative.get("cumulative") or cumulative["value"]
    assert len(reached) > 1 and reached[-1] == pytest.approx(want["total"], rel=1e-9)
    names = bokeh.model_names("ColumnDataSource")
    if "daily:series" in names:
        daily = bokeh.source("daily:series")
        assert len(daily["mean"]) == len(reached) and max(daily["max"]) > 0
    else:
        hourly = bokeh.source("hourly:series")
        assert math.fsum(hourly["value"]) == pytest.approx(want["total"], rel=1e-9)

    nodes = bokeh.source("nodes")
    assert set(nodes["label"]) == want["object_names"]


# ---------------------------------------------------------------------------------------------- efp explain
def test_explain_prints_the_formula_inputs_and_result(scenarios):
    done = efp("explain", scenarios["quickstart"], "server", "energy_footprint")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("Server 'server'.energy_footprint = 26298 hourly values")
    assert "formula energy_footprint(instances_energy, average_carbon_intensity):" in text
    assert "Energy times the carbon intensity of the server's own electricity." in text
    assert "inputs:" in text and "result:" in text
    assert "<- Server 'server'.instances_energy = 26298 hourly values" in text
    assert "<- Server 'server'.average_carbon_intensity = 100 gram / kilowatt_hour [source: hypothesis]" in text


def test_explain_finds_an_object_by_id_or_case_insensitive_name(scenarios, capsys):
    by_name = run_in_process(capsys, "explain", scenarios["quickstart"], "server", "energy_footprint")
    server_id = json.loads(scenarios["quickstart"].read_text())["Server"].popitem()[0]
    by_id = run_in_process(capsys, "explain", scenarios["quickstart"], server_id, "energy_footprint")
    by_case = run_in_process(capsys, "explain", scenarios["quickstart"], "SERVER", "energy_footprint")
    assert by_name == by_id == by_case and by_name[0] == 0


def test_explain_an_input_gives_its_source_and_doc(scenarios, capsys):
    code, out, _ = run_in_process(capsys, "explain", scenarios["complex_system"], "Server 1", "average_carbon_intensity")
    assert code == 0
    assert out.startswith("Server 'Server 1'.average_carbon_intensity = ") and "an input" in out and "doc:" in out


def test_explain_accepts_efootprint_attribute_names(scenarios, capsys):
    code, out, _ = run_in_process(capsys, "explain", scenarios["simple_system"], "Youtube usage in France",
                                  "hourly_usage_journey_starts")
    assert code == 0 and out.startswith("UsagePattern 'Youtube usage in France'.hourly_user_journey_starts = ")


def test_explain_a_link_lists_what_it_points_to(scenarios, capsys):
    code, out, _ = run_in_process(capsys, "explain", scenarios["quickstart"], "server", "jobs")
    assert code == 0
    assert "Server 'server'.jobs is derived from the links to it" in out
    assert "Job 'streaming'" in out and "Job 'video upload'" in out


def test_explain_without_attribute_lists_the_attributes_and_without_object_the_objects(scenarios, capsys):
    code, out, _ = run_in_process(capsys, "explain", scenarios["quickstart"], "server")
    assert code == 0 and "calculated attributes:" in out and "energy_footprint" in out and "links: storage" in out
    code, out, _ = run_in_process(capsys, "explain", scenarios["quickstart"])
    assert code == 0 and "Server" in out and "'server'" in out and "'Daily video streaming consumption'" in out


def test_explain_can_write_the_calculus_graph(scenarios, capsys, tmp_path):
    target = tmp_path / "graph.html"
    code, out, _ = run_in_process(capsys, "explain", scenarios["quickstart"], "server", "energy_footprint",
                                  "--graph", target)
    assert code == 0 and f"calculus graph: {target}" in out and target.stat().st_size > 100_000


# ---------------------------------------------------------------------------------------------- mistakes
def test_unknown_object_exits_1_with_close_names(scenarios):
    done = efp("explain", scenarios["quickstart"], "servr", "energy_footprint")
    assert done.returncode == 1 and done.stdout == ""
    assert "efp explain: error: no object named or with id 'servr' in the scenario; did you mean 'server'" in done.stderr
    assert "objects of the scenario (class, name, id):" in done.stderr and "'WIFI network'" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_attribute_exits_1_listing_the_objects_attributes(scenarios, capsys):
    code, out, err = run_in_process(capsys, "explain", scenarios["quickstart"], "server", "energy")
    assert code == 1 and out == ""
    assert "Server 'server' has no attribute 'energy'; did you mean" in err and "'energy_footprint'" in err
    assert "calculated attributes: " in err and "instances_fabrication_footprint" in err


def test_ambiguous_name_exits_1_listing_the_ids(scenarios, capsys, tmp_path):
    document = json.loads(scenarios["quickstart"].read_text())
    for job in document["Job"].values():
        job["name"] = "same name"
    path = tmp_path / "twins.json"
    path.write_text(json.dumps(document))
    code, _, err = run_in_process(capsys, "explain", path, "same name", "data_transferred")
    assert code == 1 and "2 objects are named 'same name': give the id of one of them: " in err
    for job_id in document["Job"]:
        assert job_id in err
        assert run_in_process(capsys, "explain", path, job_id, "data_transferred")[0] == 0


def test_missing_file_exits_1(tmp_path):
    done = efp("run", tmp_path / "nothing.json", "--out", tmp_path / "out")
    assert done.returncode == 1
    assert done.stderr.strip() == f"efp run: error: no such scenario file: {tmp_path / 'nothing.json'}"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("content, message", [
    ('{"System": ', "is not a valid JSON document"),
    ("[1, 2]", "a JSON document is an object"),
    ("{}", "the document holds 0 System objects"),
    ('{"efootprint_version": "9.1.0", "Teapot": {"t": {"name": "t"}}}', "unknown class 'Teapot'"),
])
def test_bad_scenario_exits_1_with_the_loaders_message(capsys, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    code, out, err = run_in_process(capsys, "run", path, "--out", tmp_path / "out")
    assert code == 1 and out == ""
    assert err.startswith(f"efp run: error: cannot load the scenario {path}: ") and message in err, err


def test_a_scenario_that_cannot_be_computed_exits_1(scenarios, capsys, tmp_path):
    document = json.loads(scenarios["quickstart"].read_text())
    server = next(iter(document["Server"].values()))
    server["base_ram_consumption"]["value"], server["base_ram_consumption"]["unit"] = 1.0, "terabyte"  # > its RAM
    path = tmp_path / "too_big.json"
    path.write_text(json.dumps(document))
    code, out, err = run_in_process(capsys, "run", path, "--out", tmp_path / "out")
    assert code == 1 and out == ""
    assert err.startswith(f"efp run: error: cannot load the scenario {path}: ") and "no ram left for jobs" in err, err
    assert "Traceback" not in err


def test_out_that_is_a_file_exits_1(scenarios, capsys, tmp_path):
    target = tmp_path / "file"
    target.write_text("")
    code, _, err = run_in_process(capsys, "run", scenarios["simple_system"], "--out", target)
    assert code == 1 and f"--out {target} is a file" in err


def test_usage_errors_exit_2(capsys):
    for args in ([], ["run"], ["frobnicate"], ["run", "x.json", "--progress", "--no-progress"]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(args)
        assert exit_info.value.code == 2, args
    assert "usage: efp" in capsys.readouterr().err


def test_help(capsys):
    done = efp("--help")
    assert done.returncode == 0
    assert "run" in done.stdout and "explain" in done.stdout and "--scheduler" in done.stdout
    for command, words in (("run", ("report.html", "computed.json", "--out")), ("explain", ("OBJECT", "ATTRIBUTE"))):
        with pytest.raises(SystemExit) as exit_info:
            cli.main([command, "--help"])
        out = capsys.readouterr().out
        assert exit_info.value.code == 0 and all(word in out for word in words), out


def test_default_out_folder_is_beside_the_scenario(scenarios, capsys, tmp_path):
    scenario = tmp_path / "simple.json"
    scenario.write_text(scenarios["simple_system"].read_text())
    code, out, _ = run_in_process(capsys, "run", scenario, "--no-computed")
    assert code == 0
    assert (tmp_path / "simple_report" / REPORT_FILE).is_file()
    assert not (tmp_path / "simple_report" / COMPUTED_FILE).exists() and "computed values" not in out


# ---------------------------------------------------------------------------------------------- dask
def test_run_on_a_running_dask_scheduler_gives_the_same_report(scenarios, runs, tmp_path):
    """``EFP_DASK_SCHEDULER_ADDRESS`` sends the computations to a running scheduler (a LocalCluster of one
    worker process started here): same figures, and the scheduler did run the tasks."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=50)
    try:
        before = cluster.scheduler.transition_counter
        done = subprocess.run([*efp_command(), "run", str(scenarios["quickstart"]), "--out", str(tmp_path)],
                              capture_output=True, text=True, timeout=600,
                              env={**efp_environment(), "EFP_DASK_SCHEDULER_ADDRESS": cluster.scheduler_address})
        ran = cluster.scheduler.transition_counter - before
    finally:
        cluster.close()
    assert done.returncode == 0, done.stderr
    assert ran > 100
    local_total = runs["quickstart"][0].stdout.splitlines()[0]
    assert done.stdout.splitlines()[0].split(", computed in")[0] == local_total.split(", computed in")[0]
    local_page = (runs["quickstart"][1] / REPORT_FILE).read_text(encoding="utf-8")
    page = (tmp_path / REPORT_FILE).read_text(encoding="utf-8")
    tables = lambda text: re.findall(r'<table id="by-\w+">.*?</table>', text)  # noqa: E731
    assert tables(page) == tables(local_page) and len(tables(page)) == 2
