"""docs/reference.md against the declarations it is generated from, and the notebook HTML of objects and values.

The reference is regenerated in memory (``scripts/generate_reference.py``'s :func:`render`); a declaration
changed without ``make docs`` fails :func:`test_reference_is_up_to_date`.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from efp import new_model, u
from efp.reference import class_reference, undeclared_inputs, unit_text
from efp.values import EmptyExplainableObject, SourceHourlyValues, SourceValue

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference.md"


def _load_generator():
    spec = importlib.util.spec_from_file_location("generate_reference", ROOT / "scripts" / "generate_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    return _load_generator()


@pytest.fixture(scope="module")
def rendered(generator):
    return generator.render()


def section(text: str, class_name: str) -> str:
    """The section of one class in the document."""
    start = text.index(f"\n## {class_name}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_reference_is_up_to_date(rendered):
    on_disk = REFERENCE.read_text(encoding="utf-8") if REFERENCE.exists() else ""
    if rendered != on_disk:
        line = next((i for i, (a, b) in enumerate(zip(rendered.splitlines(), on_disk.splitlines()), start=1)
                     if a != b), min(len(rendered.splitlines()), len(on_disk.splitlines())) + 1)
        pytest.fail(f"docs/reference.md is stale: run make docs (first difference at line {line})")


def test_reference_is_deterministic(generator, rendered):
    assert generator.render() == rendered
    assert " at 0x" not in rendered and "<function" not in rendered and "<lambda>" not in rendered


def test_reference_is_the_same_in_a_fresh_process_with_another_hash_seed(rendered):
    script = ("import runpy, sys; module = runpy.run_path(sys.argv[1]); sys.stdout.write(module['render']())")
    result = subprocess.run([sys.executable, "-c", script, str(ROOT / "scripts" / "generate_reference.py")],
                            capture_output=True, text=True, check=True, cwd=ROOT,
                            env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert result.stdout == rendered


def test_every_concrete_class_of_both_packages_is_documented_and_no_base(generator, rendered):
    documented = [cls.__name__ for cls in generator.concrete_classes()]
    for name in ("Server", "GPUServer", "Storage", "Job", "GPUJob", "Device", "Network", "Country", "UsagePattern",
                 "UserJourney", "UserJourneyStep", "System", "BoaviztaCloudServer", "VideoStreaming",
                 "VideoStreamingJob", "WebApplication", "WebApplicationJob", "GenAIModel", "GenAIJob"):
        assert name in documented
        assert f"\n## {name}\n" in rendered
    for base in ("ServerBase", "JobBase", "Service", "ServiceJob"):
        assert base not in documented
        assert f"\n## {base}\n" not in rendered
    headings = [line[3:] for line in rendered.splitlines() if line.startswith("## ")]
    assert headings == documented
    nodes = [name for name in documented if name in ("Country", "Server", "System")]
    assert nodes == sorted(nodes)  # efp_nodes by name, before efp_builders
    assert documented.index("UserJourneyStep") < documented.index("BoaviztaCloudServer")


def test_base_classes_are_those_whose_formulas_read_undeclared_attributes():
    from efp_nodes import Job, JobBase, Server, ServerBase
    assert "compute" in undeclared_inputs(ServerBase)
    assert "request_duration" in undeclared_inputs(JobBase)
    assert undeclared_inputs(Server) == [] and undeclared_inputs(Job) == []


def test_server_compute_input_unit_default_and_alias(rendered):
    server = section(rendered, "Server")
    row = next(line for line in server.splitlines() if line.startswith("| 7 | `compute` |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[:5] == ["7", "`compute`", "quantity", "cpu_core", "`24 cpu_core`"]
    assert cells[5] == "> 0"
    assert "`cpu_cores`" in cells[7]
    assert cells[8] == "CPU cores of one instance."
    assert cells[9] == "hypothesis"


def test_inputs_are_in_positional_order(rendered):
    from efp_nodes import Server
    server = section(rendered, "Server")
    signature = "Server(name, " + ", ".join(Server.settable())
    assert " ".join(server.split()).count(" ".join(signature.split())) == 1
    positions = [int(line.split("|")[1]) for line in server.split("### Inputs")[1].split("###")[0].splitlines()
                 if line.startswith("| ") and line.split("|")[1].strip().isdigit()]
    assert positions == sorted(positions) and positions[0] == 1


def test_links_show_their_target_and_conditional_values_their_condition(rendered):
    server = section(rendered, "Server")
    assert "| 13 | `storage` | link | [Storage](#storage) | a new default Storage |" in server
    assert "depends on `server_type`: `autoscaling` → ∅ (no value); `serverless` → ∅ (no value)" in server
    job = section(rendered, "Job")
    assert "[Server](#server)" in job and "[GPUServer](#gpuserver)" in job  # target ServerBase: its subclasses
    assert "[BoaviztaCloudServer](#boaviztacloudserver)" in job
    assert "`usage_patterns` | backlink | `UsagePattern` objects whose `user_journey.uj_steps[].jobs[]`" in job


def test_storage_archetypes_with_their_docstrings(rendered):
    storage = section(rendered, "Storage")
    archetypes = storage.split("### Archetypes")[1]
    assert "`Storage.ssd(name='Default SSD storage', **overrides)`: A solid-state disk" in archetypes
    assert "`Storage.hdd(name='Default HDD storage', **overrides)`: A hard disk" in archetypes
    assert "`server` | backlink | `ServerBase` objects whose `storage` reaches this one (at most 1)" in storage


def test_calculated_attribute_lists_its_docstring_inputs_unit_and_formula(rendered):
    job = section(rendered, "Job")
    entry = job.split("#### `hourly_data_transferred_per_usage_pattern`")[1].split("\n#### ")[0]
    assert "Unit: GB." in entry
    assert "Network traffic each hour, per usage pattern" in entry
    for parameter in ("hourly_avg_occurrences_per_usage_pattern", "data_transferred_per_hour_in_progress"):
        assert f"- `{parameter}`\n" in entry
    assert "def hourly_data_transferred_per_usage_pattern(" in entry
    storage = section(rendered, "Storage")
    assert "- `pue` ← `server[].power_usage_effectiveness`" in storage
    assert "- `storage` ← `self` (the object itself)" in storage


def test_choices_and_long_conditional_lists_are_summarized(rendered):
    cloud = section(rendered, "BoaviztaCloudServer")
    assert "`aws`, `azure`, `gcp`, `ovhcloud`, `scaleway`" in cloud
    assert "depends on `provider`: `aws` → " in cloud and " in all)" in cloud


def test_units_read_plainly():
    assert unit_text(u.year) == "year"
    assert unit_text(u.hour / u.day) == "hour / day"
    assert unit_text(u.kg / u.kWh) == "kg / kWh"
    assert unit_text(u.dimensionless) == "dimensionless"


def test_class_aliases_are_named(rendered):
    assert "also exported as `UsageJourney`" in section(rendered, "UserJourney")


def test_reference_module_does_not_import_the_domain():
    script = ("import sys, efp.reference; "
              "assert not [m for m in sys.modules if m.split('.')[0] in ('efp_nodes', 'efp_builders')]")
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT)


def test_class_reference_of_a_class_alone_has_no_anchor_to_undocumented_targets():
    from efp_nodes import Job
    text = class_reference(Job)
    assert text.startswith("## Job\n") and "`ServerBase`" in text and "](#" not in text


# ---------------------------------------------------------------------------------- notebook HTML
def test_modeling_object_renders_an_html_table():
    from efp_nodes import Server
    with new_model():
        server = Server("web server", compute=SourceValue(12 * u.cpu_core))
        page = server._repr_html_()
    assert page.startswith("<table>") and "web server" in page
    assert "<td>compute</td><td>12 cpu_core</td>" in page


def test_values_render_an_html_table_with_label_value_and_source():
    from efp_nodes import Server
    with new_model():
        server = Server("web server", compute=SourceValue(12 * u.cpu_core))
        page = server.compute._repr_html_()
    assert page.startswith("<table>")
    assert "<th>label</th><td>compute of web server</td>" in page
    assert "<th>value</th><td>12 cpu_core</td>" in page
    assert "<th>source</th><td>hypothesis</td>" in page

    hourly = SourceHourlyValues([1, 2, 3], "2025-01-01 00:00", "kWh", label="energy <per hour>")._repr_html_()
    assert "energy &lt;per hour&gt;" in hourly and "3 hourly values" in hourly and "user data" in hourly
    assert "<td>no value</td>" in EmptyExplainableObject()._repr_html_()
