#!/usr/bin/env python3
"""Regenerate ``efp_builders/data/genai_models.csv`` from EcoLogits' offline model repository.

Input: ``ecologits/data/models.json`` of an EcoLogits release (PyPI ``ecologits``, MPL-2.0). The file
has ``models`` (provider, name, architecture) and ``aliases`` (another name of the same provider for a
model; an alias gets the architecture of the model it names, as EcoLogits' own ``ModelRepository``
does).

Rules, one row per (provider, model name), sorted by provider then model name:

* ``dense`` architecture: ``parameters`` is the parameter count (billions); total = active = it.
* ``moe`` (mixture of experts) architecture: ``parameters.total`` and ``parameters.active`` (also read
  so when an older release writes them for a model typed ``dense``).
* A count given as a range ``{"min": a, "max": b}`` (EcoLogits' estimate for a model whose architecture
  is not published) is replaced by its midpoint ``(a + b) / 2``; the ``source`` column keeps the range.
  This is the rule e-footprint 9's ``GenAIModel`` applies.

Numbers are written as Python's ``repr`` of the float (exact round trip), in billions of parameters.

Requirements: Python >= 3.11 and a downloaded EcoLogits wheel (nothing to install; the wheel is read
as a zip file)::

    pip download --no-deps -d /tmp/ecologits ecologits==0.11.3
    python scripts/generate_genai_models.py --wheel /tmp/ecologits/ecologits-0.11.3-py3-none-any.whl

Without ``--wheel`` the JSON is read from an installed ``ecologits`` distribution (located through its
metadata; the package is not imported). ``--check`` compares instead of writing and exits with status 1
if the file would change.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import io
import json
import re
import sys
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "efp_builders" / "data" / "genai_models.csv"
COLUMNS = ("provider", "model_name", "total_params_billion", "active_params_billion", "source")
JSON_PATH_IN_PACKAGE = "ecologits/data/models.json"


def read_models_json(wheel: Path | None) -> tuple[dict, str]:
    """The parsed models.json and the EcoLogits version it comes from."""
    if wheel is not None:
        match = re.match(r"ecologits-([^-]+)-", wheel.name)
        if not match:
            raise SystemExit(f"{wheel}: not an ecologits wheel name")
        with zipfile.ZipFile(wheel) as archive:
            return json.loads(archive.read(JSON_PATH_IN_PACKAGE)), match.group(1)
    try:
        dist = importlib.metadata.distribution("ecologits")
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit("ecologits is not installed: pass --wheel PATH") from None
    return json.loads(Path(dist.locate_file(JSON_PATH_IN_PACKAGE)).read_text(encoding="utf-8")), dist.version


def value_and_text(count) -> tuple[float, str]:
    """A parameter count (number or {min, max} range) as (value used, how the source gives it)."""
    if isinstance(count, dict):
        low, high = float(count["min"]), float(count["max"])
        if low > high:
            raise SystemExit(f"range {count} has min > max")
        return (low + high) / 2, f"{count['min']}-{count['max']} (midpoint)"
    if isinstance(count, (int, float)) and not isinstance(count, bool):
        return float(count), f"{count}"
    raise SystemExit(f"unexpected parameter count {count!r}")


def params(architecture: dict) -> tuple[float, float, str]:
    """(total, active, description) in billions for an EcoLogits architecture."""
    kind = architecture["type"]
    if kind not in ("dense", "moe"):
        raise SystemExit(f"unknown architecture type {kind!r}")
    parameters = architecture["parameters"]
    # Some releases (e.g. 0.6.3) give a few "dense" models {total, active} counts: read them as given.
    if isinstance(parameters, dict) and "total" in parameters and "active" in parameters:
        total, total_text = value_and_text(parameters["total"])
        active, active_text = value_and_text(parameters["active"])
        return total, active, f"{kind}, total {total_text}, active {active_text}"
    value, text = value_and_text(parameters)
    return value, value, f"{kind}, {text}"


def build_rows(data: dict, version: str) -> list[dict[str, str]]:
    prefix = f"ecologits {version} {JSON_PATH_IN_PACKAGE}"
    by_key: dict[tuple[str, str], dict[str, str]] = {}
    models: dict[tuple[str, str], dict] = {}
    for model in data.get("models") or []:
        key = (model["provider"], model["name"])
        if key in models:
            raise SystemExit(f"duplicated model {key}")
        models[key] = model
        total, active, text = params(model["architecture"])
        by_key[key] = {"provider": key[0], "model_name": key[1], "total_params_billion": repr(total),
                       "active_params_billion": repr(active), "source": f"{prefix}: {text} billion"}
    for alias in data.get("aliases") or []:
        target = (alias["provider"], alias["alias"])
        key = (alias["provider"], alias["name"])
        if target not in models:
            raise SystemExit(f"alias {key} names unknown model {target}")
        if key in by_key:
            raise SystemExit(f"alias {key} duplicates a model")
        total, active, text = params(models[target]["architecture"])
        by_key[key] = {"provider": key[0], "model_name": key[1], "total_params_billion": repr(total),
                       "active_params_billion": repr(active),
                       "source": f"{prefix}: alias of {target[1]}; {text} billion"}
    rows = [by_key[key] for key in sorted(by_key)]
    for row in rows:
        if not 0 < float(row["active_params_billion"]) <= float(row["total_params_billion"]):
            raise SystemExit(f"{row['provider']}/{row['model_name']}: active params not in (0, total]")
    return rows


def render(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="path to a downloaded ecologits wheel")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing")
    args = parser.parse_args(argv)
    data, version = read_models_json(args.wheel)
    text = render(build_rows(data, version))
    if args.check:
        same = args.output.exists() and args.output.read_text(encoding="utf-8") == text
        print(f"{args.output}: {'up to date' if same else 'would change'}")
        return 0 if same else 1
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({text.count(chr(10)) - 1} models)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
