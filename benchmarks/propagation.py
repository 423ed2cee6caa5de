"""Propagation benchmark: full compute, each kind of change, peak memory and import time, per scale.

For each number of usage patterns N, a fresh process builds the scenario of :mod:`scenario`, times
the System creation (full compute), then applies each kind of change and times it, counting the
recomputed nodes and checking that count against the graph (the fresh calculated descendants of the
changed nodes). Medians of ``--repeats`` runs; ``--json`` prints machine-readable results.
``--distributed`` runs the same plans on a ``dask.distributed`` LocalCluster and checks the numbers
are identical to the local run.

    python benchmarks/propagation.py                    # the default table
    python benchmarks/propagation.py --sizes 1 10 200 --repeats 5 --json
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SIZES = (1, 10, 50, 200, 1000, 10000)
CHANGES = ("job input", "server input", "country intensity", "usage pattern starts", "append step",
           "add usage pattern")


def _expected_recomputations(model, keys) -> int:
    """Fresh calculated descendants of ``keys`` (what a change must recompute)."""
    import networkx as nx
    from efp.states import State
    seen = set()
    for key in keys:
        seen |= nx.descendants(model.graph, key)
    return sum(1 for k in seen if model.nodes[k].calculated and model.nodes[k].state is State.FRESH)


def _changes(shared):
    """``(name, keys it changes, apply)`` for each kind of change."""
    from efp import SourceHourlyValues, SourceValue, transaction, u
    from efp_nodes import UsagePattern, UserJourneyStep
    job, server = shared.jobs[0], shared.servers[0]
    up = shared.usage_patterns[0]
    journey = shared.journeys[1]
    starts = up.hourly_user_journey_starts

    def new_starts():
        up.hourly_user_journey_starts = SourceHourlyValues(starts.magnitude * 1.1, starts.start_date)

    def append_step():
        journey.uj_steps.append(UserJourneyStep("extra step", user_time_spent=SourceValue(3 * u.min),
                                                jobs=[shared.jobs[2]]))

    def add_usage_pattern():
        with transaction():  # create and add in one transaction: one plan, counted as a whole
            _append_usage_pattern()

    def _append_usage_pattern():
        shared.system.usage_patterns.append(UsagePattern(
            "added usage pattern", user_journey=shared.journeys[0], devices=[up.devices[0]], network=up.network,
            country=up.country, hourly_user_journey_starts=SourceHourlyValues(starts.magnitude * 0.5,
                                                                              starts.start_date)))

    return [
        ("job input", [job.node("data_transferred").key],
         lambda: setattr(job, "data_transferred", SourceValue(7 * u.MB))),
        ("server input", [server.node("power").key], lambda: setattr(server, "power", SourceValue(350 * u.W))),
        ("country intensity", [up.country.node("average_carbon_intensity").key],
         lambda: setattr(up.country, "average_carbon_intensity", SourceValue(123 * u.g / u.kWh))),
        ("usage pattern starts", [up.node("hourly_user_journey_starts").key], new_starts),
        ("append step", [journey.node("uj_steps").key], append_step),
        ("add usage pattern", [shared.system.node("usage_patterns").key], add_usage_pattern),
    ]


def run_once(n: int, distributed: bool) -> dict:
    """One measurement in this process (called in a child process per size and repeat)."""
    import resource
    sys.path.insert(0, HERE)
    import scenario
    from efp import config, new_model
    from efp_nodes import System
    client = cluster = None
    if distributed:
        from distributed import Client, LocalCluster
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, processes=True)
        client = Client(cluster)
        config.set_client(client)
    result = {"n": n}
    try:
        with new_model() as model:
            shared = scenario.build(n, system=False)
            started = time.perf_counter()
            shared.system = System("scale system", usage_patterns=shared.usage_patterns)
            result["full compute s"] = time.perf_counter() - started
            result["nodes"] = len(model.nodes)
            result["total kg"] = float(shared.system.total_footprint.sum().magnitude)
            for name, keys, apply in _changes(shared):
                expected = _expected_recomputations(model, keys) if name not in ("append step",
                                                                                  "add usage pattern") else None
                started = time.perf_counter()
                apply()
                result[f"{name} s"] = time.perf_counter() - started
                result[f"{name} nodes"] = len(model.last_plan)
                if expected is not None:
                    result[f"{name} expected nodes"] = expected
            result["total kg after changes"] = float(shared.system.total_footprint.sum().magnitude)
    finally:
        if client is not None:
            config.set_client(None)
            client.close()
            cluster.close()
    result["peak memory MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def import_time(repeats: int) -> float:
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", "import time; t = time.perf_counter(); import efp_nodes; "
                              "print(time.perf_counter() - t)"], capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip()))
    return statistics.median(times)


def measure(n: int, repeats: int, distributed: bool) -> dict:
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, __file__, "--child", str(n)] + (["--distributed"] if distributed else []),
                             capture_output=True, text=True)
        if out.returncode != 0:
            return {"n": n, "error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    merged = {"n": n, "repeats": repeats}
    for key in runs[0]:
        values = [run[key] for run in runs]
        merged[key] = statistics.median(values) if isinstance(values[0], (int, float)) else values[0]
    return merged


def print_table(rows: list[dict], import_seconds: float) -> None:
    print(f"import efp_nodes: {import_seconds:.3f} s (median)\n")
    columns = ["n", "full compute s"] + [f"{c} s" for c in CHANGES] + ["peak memory MB"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        if "error" in row:
            print(f"| {row['n']} | error: {row['error']} |")
            continue
        print("| " + " | ".join(f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in columns) + " |")
    print("\nrecomputed nodes (expected from the graph, where a single set of inputs changes):")
    for row in rows:
        if "error" not in row:
            print(f"  n={row['n']}: " + ", ".join(
                f"{c}: {int(row[c + ' nodes'])}" + (f" (graph: {int(row[c + ' expected nodes'])})"
                                                    if c + " expected nodes" in row else "") for c in CHANGES))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--repeats", type=int, default=3, help="runs per size (the median is reported)")
    parser.add_argument("--distributed", action="store_true", help="also run on a LocalCluster and compare")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(run_once(args.child, args.distributed)))
        return 0
    rows = [measure(n, args.repeats if n <= 1000 else 1, False) for n in args.sizes]
    results = {"import efp_nodes s": import_time(5), "local": rows}
    if args.distributed:
        results["distributed"] = [measure(n, 1, True) for n in args.sizes if n <= 1000]
        for local, remote in zip(rows, results["distributed"]):
            for key in ("total kg", "total kg after changes"):
                if key in local and key in remote and local[key] != remote[key]:
                    print(f"MISMATCH n={local['n']} {key}: local {local[key]!r} distributed {remote[key]!r}")
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(rows, results["import efp_nodes s"])
        if args.distributed:
            print("\nOn a dask.distributed LocalCluster (2 workers):")
            print_table(results["distributed"], results["import efp_nodes s"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
