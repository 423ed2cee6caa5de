"""Engine overhead benchmark, on the toy model of the engine tests (not the footprint model).

(a) **Overhead per recomputed node.** A change at the head of a chain (``y = x + previous.y``), of a
    fan-out (every stage reads the head), and of a fan-out-then-fan-in (a collector sums the fan)
    recomputes every node; the time of the change, minus what the formulas themselves cost (measured
    by calling them directly), divided by the number of recomputed nodes, is the engine's overhead per
    node. It is split into planning (``mark_stale`` + ``plan``), compiling the dask graph, scheduling
    (dask running the tasks, less the formulas), write-back (storing the results) and the rest of the
    transaction (validation, structure, journal). For dask's synchronous and threaded schedulers.

(b) **A small change in a large model.** Toy graphs of ~1,000, ~10,000 and ~100,000 nodes made of
    independent chains of 10 stages, every value computed; one input change at the head of a chain
    recomputes exactly 10 nodes. Its time (median of repeated runs) must not grow with the graph.

    python benchmarks/engine_overhead.py                     # the default table
    python benchmarks/engine_overhead.py --json              # machine-readable, on stdout
    python benchmarks/engine_overhead.py --quick             # smaller sizes, fewer repeats
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for _path in (str(REPO), str(REPO / "tests" / "engine")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import efp.model as efp_model  # noqa: E402
import efp.scheduling as efp_scheduling  # noqa: E402
from efp import new_model  # noqa: E402
from efp.structure import resolve_path  # noqa: E402

import toy  # noqa: E402

PHASES = ("planning", "compile", "scheduling", "write-back", "transaction", "formulas")


class PhaseClock:
    """Accumulates the time spent in the engine's phases by wrapping their functions (restored on exit)."""

    def __init__(self):
        self.seconds = dict.fromkeys(("mark_stale", "plan", "compile", "run_plan", "compute"), 0.0)

    def _timed(self, name, func):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start
        return wrapper

    @contextlib.contextmanager
    def installed(self):
        originals = [(efp_model, "mark_stale"), (efp_model, "plan"), (efp_scheduling, "compile_plan"),
                     (efp_model, "run_plan"), (efp_model.Model, "_compute")]
        saved = [(owner, name, getattr(owner, name)) for owner, name in originals]
        names = ["mark_stale", "plan", "compile", "run_plan", "compute"]
        for (owner, attr, func), name in zip(saved, names):
            setattr(owner, attr, self._timed(name, func))
        try:
            yield self
        finally:
            for owner, attr, func in saved:
                setattr(owner, attr, func)

    def reset(self):
        for name in self.seconds:
            self.seconds[name] = 0.0


@contextlib.contextmanager
def scheduler(name: str):
    previous = os.environ.get("EFP_SCHEDULER")
    os.environ["EFP_SCHEDULER"] = name
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("EFP_SCHEDULER", None)
        else:
            os.environ["EFP_SCHEDULER"] = previous


@contextlib.contextmanager
def building(model):
    """One transaction for a whole build when the engine offers it (structure derived once)."""
    block = getattr(model, "transaction", None)
    with (block() if block is not None else contextlib.nullcontext()):
        yield


def formula_seconds(model, keys) -> float:
    """What the formulas of ``keys`` cost when called directly on their current inputs."""
    calls = []
    for key in keys:
        node = model.nodes[key]
        args = []
        for parameter in node.decl.parameters:
            arg, _, _ = resolve_path(node.obj, node.decl.paths[parameter], "")
            if isinstance(arg, list):
                args.append([model.nodes[k].value for k in arg])
            elif isinstance(arg, str):
                args.append(model.nodes[arg].value)
            else:
                args.append(arg)
        calls.append((node.decl.func, args))
    runs = []
    for _ in range(5):  # the fastest of a few runs: what the formulas themselves cost
        start = time.perf_counter()
        for func, args in calls:
            func(*args)
        runs.append(time.perf_counter() - start)
    return min(runs)


# ---------------------------------------------------------------- (a) overhead per node
def build_shape(shape: str, n: int):
    """A head stage and what a change of its ``x`` recomputes: ``n`` nodes, or ``n + 2`` with a collector."""
    head = toy.Stage("head")
    if shape == "chain":
        previous = head
        for i in range(n - 1):
            previous = toy.Stage(f"s{i}", previous=previous)
    else:
        fan = [toy.Stage(f"s{i}", previous=head) for i in range(n - 1)]
        if shape == "fan-in":
            toy.Collector("collector", fan)
    return head


def overhead(shape: str, n: int, scheduler_name: str, repeats: int) -> dict:
    with new_model() as model, scheduler(scheduler_name):
        with building(model):
            head = build_shape(shape, n)
        model.pull([k for k, node in model.nodes.items() if node.calculated])
        clock = PhaseClock()
        totals, runs = [], []
        with clock.installed():
            for repeat in range(repeats):
                clock.reset()
                start = time.perf_counter()
                head.x = repeat + 2
                totals.append(time.perf_counter() - start)
                runs.append(dict(clock.seconds))
        plan = list(model.last_plan)
        formulas = formula_seconds(model, plan)
    median = statistics.median(totals)
    run = runs[totals.index(sorted(totals)[len(totals) // 2])]
    phases = {
        "planning": run["mark_stale"] + run["plan"],
        "compile": run["compile"],
        "scheduling": max(run["run_plan"] - run["compile"] - formulas, 0.0),
        "write-back": run["compute"] - run["run_plan"],
        "transaction": median - run["mark_stale"] - run["plan"] - run["compute"],
        "formulas": formulas,
    }
    nodes = len(plan)
    return {"shape": shape, "scheduler": scheduler_name, "recomputed": nodes, "change_ms": median * 1e3,
            "overhead_us_per_node": (median - formulas) / nodes * 1e6,
            "phases_us_per_node": {name: seconds / nodes * 1e6 for name, seconds in phases.items()}}


# ---------------------------------------------------------------- (b) a 10-node change in large graphs
def chains(target_nodes: int, length: int = 10):
    """Independent chains of ``length`` stages (3 nodes each) totalling about ``target_nodes`` nodes."""
    n_chains = max(1, round(target_nodes / (3 * length)))
    heads = []
    for c in range(n_chains):
        previous = None
        for i in range(length):
            previous = toy.Stage(f"c{c}s{i}", previous=previous)
            if i == 0:
                heads.append(previous)
    return heads


def small_change(target_nodes: int, repeats: int) -> dict:
    with new_model() as model:
        start = time.perf_counter()
        with building(model):
            heads = chains(target_nodes)
        build = time.perf_counter() - start
        start = time.perf_counter()
        model.pull([k for k, node in model.nodes.items() if node.calculated])
        compute = time.perf_counter() - start
        head = heads[len(heads) // 2]
        times = []
        for repeat in range(repeats):
            start = time.perf_counter()
            head.x = repeat + 2
            times.append(time.perf_counter() - start)
            assert len(model.last_plan) == 10, model.last_plan
        return {"nodes": len(model.nodes), "calculated": sum(1 for n in model.nodes.values() if n.calculated),
                "build_s": build, "compute_all_s": compute, "recomputed": len(model.last_plan),
                "change_median_ms": statistics.median(times) * 1e3,
                "change_p90_ms": sorted(times)[int(0.9 * (len(times) - 1))] * 1e3,
                "change_min_ms": min(times) * 1e3}


# ---------------------------------------------------------------- output
def print_tables(results: dict) -> None:
    print("(a) engine overhead per recomputed node (µs; change of the head input; formulas measured apart)")
    header = f"{'shape':<8} {'scheduler':<9} {'nodes':>6} {'change ms':>10} {'overhead':>9} " + \
             " ".join(f"{name:>11}" for name in PHASES)
    print(header)
    print("-" * len(header))
    for row in results["overhead"]:
        phases = " ".join(f"{row['phases_us_per_node'][name]:>11.1f}" for name in PHASES)
        print(f"{row['shape']:<8} {row['scheduler']:<9} {row['recomputed']:>6} {row['change_ms']:>10.2f} "
              f"{row['overhead_us_per_node']:>9.1f} {phases}")
    print()
    print("(b) one input change recomputing exactly 10 nodes, in graphs of growing size")
    header = f"{'nodes':>8} {'calculated':>10} {'build s':>8} {'compute all s':>14} {'recomputed':>10} " \
             f"{'median ms':>10} {'p90 ms':>8} {'min ms':>8}"
    print(header)
    print("-" * len(header))
    for row in results["small_change"]:
        print(f"{row['nodes']:>8} {row['calculated']:>10} {row['build_s']:>8.2f} {row['compute_all_s']:>14.2f} "
              f"{row['recomputed']:>10} {row['change_median_ms']:>10.3f} {row['change_p90_ms']:>8.3f} "
              f"{row['change_min_ms']:>8.3f}")
    rows = results["small_change"]
    if len(rows) > 1:
        ratio = rows[-1]["change_median_ms"] / rows[0]["change_median_ms"]
        print(f"median change time, largest / smallest graph: {ratio:.2f} "
              f"({rows[-1]['nodes']} vs {rows[0]['nodes']} nodes)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=1000, help="recomputed nodes per change in (a)")
    parser.add_argument("--shapes", nargs="+", default=["chain", "fan-out", "fan-in"],
                        choices=["chain", "fan-out", "fan-in"])
    parser.add_argument("--schedulers", nargs="+", default=["sync", "threads"], choices=["sync", "threads"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 10000, 100000],
                        help="graph sizes (nodes) for (b)")
    parser.add_argument("--repeats", type=int, default=15, help="repeated changes per measurement")
    parser.add_argument("--quick", action="store_true", help="--nodes 200 --sizes 1000 10000 --repeats 5")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    args = parser.parse_args(argv)
    if args.quick:
        args.nodes, args.sizes, args.repeats = 200, [1000, 10000], 5
    results = {
        "overhead": [overhead(shape, args.nodes, name, args.repeats)
                     for shape in args.shapes for name in args.schedulers],
        "small_change": [small_change(size, max(args.repeats, 30)) for size in args.sizes],
        "python": sys.version.split()[0],
    }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_tables(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
