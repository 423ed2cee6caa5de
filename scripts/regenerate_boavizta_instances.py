#!/usr/bin/env python3
"""Regenerate ``efp_builders/data/boavizta_cloud_instances.csv`` from BoaviztAPI.

The table efp ships is one row per cloud instance that BoaviztAPI knows, built from the API's own
verbose answers. This script rebuilds it so that anyone can check the shipped figures or refresh them
for a new BoaviztAPI release.

Two ways to reach the API:

* in-process (default): import ``boaviztapi.main:app`` and drive the ASGI application directly with a
  tiny asyncio client (no HTTP server, no ``httpx``). This needs the ``boaviztapi`` package, whose
  pins clash with efp's, so run the script with the interpreter of a separate venv::

      python3 -m venv .venv-boaviztapi
      .venv-boaviztapi/bin/pip install boaviztapi==2.5.0
      .venv-boaviztapi/bin/python scripts/regenerate_boavizta_instances.py

* ``--url http://127.0.0.1:5000``: call a running BoaviztAPI server with :mod:`urllib` (any
  interpreter; no third-party package needed).

For every provider of ``GET /v1/cloud/instance/all_providers`` and every instance of
``GET /v1/cloud/instance/all_instances?provider=…`` (kept in the API's order) the script reads
``GET /v1/cloud/instance?provider=…&instance_type=…&verbose=true`` and keeps these answer paths:

==================  =====================================================
column              answer path
==================  =====================================================
vcpu                ``verbose.vcpu.value``
memory_gb           ``verbose.memory.value`` (unit GB)
gwp_embedded_kg     ``impacts.gwp.embedded.value`` (kgCO2eq, whole life)
avg_power_w         ``verbose.avg_power.value``
avg_power_unit      ``verbose.avg_power.unit``
use_time_ratio      ``verbose.use_time_ratio.value``
hours_life_time     ``verbose.hours_life_time.value``
ram_units           ``verbose["RAM-1"].units.value``
ram_capacity        ``verbose["RAM-1"].capacity.value`` (GB, per unit)
cpu_units           ``verbose["CPU-1"].units.value``
cpu_core_units      ``verbose["CPU-1"].core_units.value`` (empty if absent)
warnings            top-level ``warnings`` list, joined with `` | ``
==================  =====================================================

``--check`` compares the regenerated rows with the existing file instead of writing it, and exits
with status 1 if they differ. Source: BoaviztAPI (https://github.com/Boavizta/boaviztapi, AGPL-3.0).
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import math
import sys
import urllib.parse
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "efp_builders" / "data" / "boavizta_cloud_instances.csv"
COLUMNS = [
    "provider", "instance_type", "vcpu", "memory_gb", "gwp_embedded_kg", "avg_power_w",
    "avg_power_unit", "use_time_ratio", "hours_life_time", "ram_units", "ram_capacity", "cpu_units",
    "cpu_core_units", "warnings",
]


class UrlClient:
    """Blocking GET of a running BoaviztAPI server, JSON answers only."""

    def __init__(self, url: str, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def get(self, path: str, params: dict | None = None):
        query = "?" + urllib.parse.urlencode(params) if params else ""
        with urllib.request.urlopen(self.url + path + query, timeout=self.timeout) as answer:
            return json.loads(answer.read())


class AsgiClient:
    """Drive an ASGI application in-process: one HTTP GET = one call of ``app(scope, receive, send)``."""

    def __init__(self, app):
        self.app = app
        self.loop = asyncio.new_event_loop()

    async def _get(self, path: str, query: bytes) -> tuple[int, bytes]:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
            "root_path": "", "headers": [(b"host", b"boaviztapi.local")],
            "client": ("127.0.0.1", 0), "server": ("boaviztapi.local", 80),
        }
        done = asyncio.Event()
        request_sent = False
        status, body = 0, bytearray()

        async def receive():
            nonlocal request_sent
            if not request_sent:
                request_sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        await self.app(scope, receive, send)
        done.set()
        return status, bytes(body)

    def get(self, path: str, params: dict | None = None):
        query = urllib.parse.urlencode(params or {}).encode()
        status, body = self.loop.run_until_complete(self._get(path, query))
        if status != 200:
            raise RuntimeError(f"GET {path}?{query.decode()} answered {status}: {body[:200]!r}")
        return json.loads(body)


def _cell(value) -> str:
    """Write a value as Python prints it (repr of floats), so that the CSV round-trips exactly."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def row_of(provider: str, instance_type: str, answer: dict) -> list[str]:
    """One CSV row from one verbose ``/v1/cloud/instance`` answer (paths in the module docstring)."""
    verbose = answer["verbose"]
    ram, cpu = verbose.get("RAM-1", {}), verbose.get("CPU-1", {})

    def value(node: dict, key: str):
        return node.get(key, {}).get("value")

    return [
        provider, instance_type,
        _cell(value(verbose, "vcpu")), _cell(value(verbose, "memory")),
        _cell(answer["impacts"]["gwp"]["embedded"]["value"]),
        _cell(value(verbose, "avg_power")), _cell(verbose.get("avg_power", {}).get("unit")),
        _cell(value(verbose, "use_time_ratio")), _cell(value(verbose, "hours_life_time")),
        _cell(value(ram, "units")), _cell(value(ram, "capacity")),
        _cell(value(cpu, "units")), _cell(value(cpu, "core_units")),
        " | ".join(answer.get("warnings", [])),
    ]


def regenerate(client, progress=None) -> list[list[str]]:
    """Every row of the table, in the API's provider and instance order."""
    rows = []
    for provider in client.get("/v1/cloud/instance/all_providers"):
        instance_types = client.get("/v1/cloud/instance/all_instances", {"provider": provider})
        for n, instance_type in enumerate(instance_types, 1):
            answer = client.get(
                "/v1/cloud/instance",
                {"provider": provider, "instance_type": instance_type, "verbose": "true"},
            )
            rows.append(row_of(provider, instance_type, answer))
            if progress and (n % 200 == 0 or n == len(instance_types)):
                progress(f"{provider}: {n}/{len(instance_types)}")
    return rows


def to_csv(rows: list[list[str]]) -> str:
    """The table as text: header + rows, ``csv`` module defaults (``\\r\\n`` line ends)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def compare(new_text: str, old_text: str) -> list[str]:
    """Human-readable differences between two versions of the table, keyed by (provider, type)."""
    def index(text):
        return {(r["provider"], r["instance_type"]): r for r in csv.DictReader(io.StringIO(text))}

    new, old = index(new_text), index(old_text)
    notes = [f"only in regenerated: {k}" for k in new.keys() - old.keys()]
    notes += [f"only in existing: {k}" for k in old.keys() - new.keys()]
    for key in new.keys() & old.keys():
        for column in COLUMNS[2:]:
            if new[key][column] != old[key][column]:
                notes.append(f"{key} {column}: existing {old[key][column]!r}, "
                             f"regenerated {new[key][column]!r}")
    if not notes and new_text != old_text:
        notes.append("same values, but the text differs (row order or formatting)")
    return sorted(notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="base URL of a running BoaviztAPI (default: in-process)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="CSV to write or check")
    parser.add_argument("--check", action="store_true",
                        help="compare with --output instead of writing it; exit 1 on differences")
    args = parser.parse_args(argv)

    if args.url:
        client = UrlClient(args.url)
    else:
        from boaviztapi.main import app  # needs the separate boaviztapi venv

        client = AsgiClient(app)
    text = to_csv(regenerate(client, progress=lambda msg: print(msg, file=sys.stderr)))

    if args.check:
        with open(args.output, encoding="utf-8", newline="") as existing:
            notes = compare(text, existing.read())
        for note in notes[:50]:
            print(note)
        print(f"{len(notes)} difference(s) with {args.output}")
        return 1 if notes else 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w", encoding="utf-8", newline="") as out:
        out.write(text)
    print(f"wrote {text.count(chr(10)) - 1} instances to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
