"""The notebooks run top to bottom, and are saved without outputs.

Each notebook is executed with nbclient on the ``python3`` kernel, which jupyter_client starts with the
interpreter running the tests (the venv's, where ipykernel comes from the ``test`` extra). It runs in a
temporary working directory, so the files it writes (plots, graphs, JSON) stay out of the repository.
Any cell that raises fails the test with the cell and its traceback.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel", reason="the notebooks need ipykernel (pip install -e '.[test]')")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CELL_TIMEOUT = 600


def execute(name: str, folder: Path):
    """The notebook, executed in ``folder`` (raises ``CellExecutionError`` on the first failing cell)."""
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(folder)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        pytest.fail(f"{name}.ipynb failed:\n{error}", pytrace=False)
    return notebook


def outputs(notebook, cell_id: str) -> str:
    """The text a cell printed or returned (``text/plain``), joined."""
    [cell] = [cell for cell in notebook.cells if cell.get("id") == cell_id]
    texts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            texts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            texts.append(output.data.get("text/plain", ""))
    return "".join(texts)


def code_cell_sources(notebook) -> list[str]:
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def shown_inline(notebook) -> int:
    """How many cells displayed a bokeh document inline."""
    return sum(any("application/vnd.bokehjs_exec.v0+json" in o.get("data", {}) for o in cell.get("outputs", []))
               for cell in notebook.cells if cell.cell_type == "code")


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quickstart-notebook")
    return execute("quickstart", folder), folder


@pytest.fixture(scope="module")
def calculus_graphs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calculus-graphs-notebook")
    return execute("calculus_graphs", folder), folder


def test_quickstart_runs_top_to_bottom_with_every_seed_step(quickstart):
    notebook, folder = quickstart
    sources = "\n".join(code_cell_sources(notebook))
    for step in ("Storage.from_defaults(", "Storage.hdd()", "BoaviztaCloudServer.conditional_list_values()",
                 'BoaviztaCloudServer.from_defaults("Default Boavizta cloud server")', "VideoStreamingJob(",
                 'WebApplication("Web app"', "daily_fluct.plot(xlims=", 'System("System"',
                 "plot_footprints_by_category_and_object(", "object_relationship_graph_to_file(",
                 "calculus_graph_to_file(", "server.energy_footprint.plot(cumsum=True)",
                 "user_journey.uj_steps.append(llm_chat_step)", 'plot_emission_diffs("All system diffs.png", from_start=True)',
                 "simulation_date=start_date + timedelta(days=365)", "simulation.set_updated_values()",
                 "simulation.reset_values()"):
        assert step in sources, step
    assert "import efootprint" not in sources and "from efootprint" not in sources
    assert shown_inline(notebook) >= 15  # every plot and graph of the seed, inline


def test_quickstart_prints_the_computed_server(quickstart):
    notebook, _ = quickstart
    [server_print] = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.source == "print(server)"]
    text = outputs(notebook, server_print.id)
    assert re.search(r"energy_footprint: 26298 hourly values from 2024-12-31 23:00:00", text), text
    assert "no value" not in text.split("calculated_attributes:")[1]


def test_quickstart_simulation_switches_between_baseline_and_simulated_values(quickstart):
    notebook, _ = quickstart
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    baseline, simulated, reset = (outputs(notebook, cell.id) for cell in cells[-4:-1])
    assert baseline.strip() == reset.strip() == "EmptyExplainableObject()"
    assert "ExplainableHourlyQuantities" in simulated and "hourly values" in simulated


def test_quickstart_writes_its_files_in_the_working_directory(quickstart):
    _, folder = quickstart
    written = {path.name for path in folder.iterdir()}
    for name in ("System footprints.html", "object_relationships_graph.html",
                 "device_population_fab_footprint_calculus_graph.html", "System footprints after reset.html",
                 "quickstart.json"):
        assert name in written, sorted(written)
    for name in ("bandwith reduction", "LLM chat addition", "lower LLM inference carbon intensity", "All system diffs"):
        assert f"{name}.png" in written or f"{name}.html" in written, sorted(written)  # .html without Chromium


def test_calculus_graphs_runs_and_explains(calculus_graphs):
    notebook, folder = calculus_graphs
    text = "\n".join(outputs(notebook, cell.id) for cell in notebook.cells if cell.cell_type == "code")
    assert "formula energy_footprint(instances_energy, average_carbon_intensity):" in text
    assert "formula nb_of_instances(" in text and "an input [source: hypothesis]" in text
    assert "user_time_spent of 20 min streaming  ->" in text
    assert "True" in text  # the last plan is exactly the descendants of the changed input
    assert shown_inline(notebook) == 2
    written = {path.name for path in folder.iterdir()}
    assert {"server_energy_footprint_calculus_graph.html", "device_population_fab_footprint_by_class.html",
            "quickstart.json"} <= written
    assert "server_energy_footprint.svg" in written or "server_energy_footprint.dot" in written


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda path: path.name)
def test_notebooks_are_saved_clean(path):
    """No outputs or execution counts in the repository: diffs stay small and readable."""
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: cell {cell.get('id')} has outputs"
