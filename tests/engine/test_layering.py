"""Layering of the engine: ``efp`` never imports the footprint model or the builders, only
``efp/scheduling.py`` imports dask, and ``import efp`` loads no heavy or network package."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EFP = REPO / "efp"
UPPER_LAYERS = ("efp_nodes", "efp_builders")
NOT_AT_IMPORT = ("dask", "distributed", "requests", "bokeh", "graphviz")


def efp_sources() -> list[Path]:
    files = sorted(EFP.rglob("*.py"))
    assert len(files) > 15 and EFP / "model.py" in files
    return files


def imports_of(path: Path) -> list[tuple[str, bool]]:
    """``(module, at module level)`` for every import statement and ``import_module("...")`` call."""
    tree = ast.parse(path.read_text(), filename=str(path))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, id(node) in top_level))
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
              in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            found.append((node.args[0].value, False))
    return found


def root(module: str) -> str:
    return module.split(".")[0]


def test_the_engine_never_imports_the_footprint_model_or_the_builders():
    offending = [(path.relative_to(REPO), module) for path in efp_sources()
                 for module, _ in imports_of(path) if root(module) in UPPER_LAYERS]
    assert offending == []


def test_only_scheduling_imports_dask_and_config_imports_distributed_lazily():
    dask_imports = {}
    for path in efp_sources():
        for module, at_top in imports_of(path):
            if root(module) in ("dask", "distributed"):
                dask_imports.setdefault(str(path.relative_to(REPO)), []).append((module, at_top))
    assert set(dask_imports) <= {"efp/scheduling.py", "efp/config.py"}, dask_imports
    assert "efp/scheduling.py" in dask_imports
    assert all(root(module) == "dask" for module, _ in dask_imports["efp/scheduling.py"])
    for module, at_top in dask_imports.get("efp/config.py", []):
        assert root(module) == "distributed" and not at_top, (module, "must be imported inside a function")


def test_the_scan_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\ndef f():\n    import dask.threaded\n    from efp_nodes import Server\n"
                      "    importlib.import_module('efp_builders.services')\n")
    assert sorted(imports_of(sample)) == [("dask.threaded", False), ("efp_builders.services", False),
                                          ("efp_nodes", False), ("os", True)]


def modules_loaded_by(code: str) -> dict:
    """Run ``code`` in a fresh interpreter (repo root on the path) and return what it printed as JSON."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EFP_")}
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_efp_loads_neither_upper_layers_nor_heavy_packages():
    loaded = modules_loaded_by(
        "import sys, json\n"
        "before = set(sys.modules)\n"
        "import pint, numpy, pandas, xarray, networkx\n"       # what efp stands on, loaded first
        "dependencies = set(sys.modules)\n"
        "import efp\n"
        "print(json.dumps({'by_efp': sorted(set(sys.modules) - dependencies), 'all': sorted(sys.modules),"
        " 'by_dependencies': sorted(dependencies - before)}))")
    by_efp = {root(m) for m in loaded["by_efp"]}
    everything = {root(m) for m in loaded["all"]}
    assert "efp" in by_efp
    assert not by_efp & set(UPPER_LAYERS), by_efp
    assert not by_efp & set(NOT_AT_IMPORT), sorted(by_efp & set(NOT_AT_IMPORT))
    # pint itself imports dask.base when dask is installed (pint.compat); nothing else may
    assert not everything & {"distributed", "requests", "bokeh", "graphviz"}, everything
    if "dask" in everything:
        assert any(root(m) == "dask" for m in loaded["by_dependencies"])


def test_computing_locally_does_not_load_distributed():
    loaded = modules_loaded_by(
        "import sys, json\n"
        "sys.path.insert(0, 'tests/engine')\n"
        "import toy\n"
        "from efp import new_model\n"
        "with new_model():\n"
        "    part = toy.Part('p')\n"
        "    assert toy.Assembly('a', [part, part]).weight.magnitude == 2\n"
        "print(json.dumps(sorted(sys.modules)))")
    roots = {root(m) for m in loaded}
    assert "dask" in roots
    assert not roots & {"distributed", "requests", "bokeh", "graphviz", *UPPER_LAYERS}


@pytest.mark.parametrize("package", UPPER_LAYERS)
def test_the_upper_layers_exist_so_the_checks_mean_something(package):
    assert (REPO / package / "__init__.py").exists()
