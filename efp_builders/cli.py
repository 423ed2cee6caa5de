"""The ``efp`` command: compute a scenario and write its report, or explain one of its values.

``efp run SCENARIO.json --out DIR``
    loads the scenario (efp's JSON or an e-footprint 9 file, :func:`efp_nodes.json_to_system`),
    computes it, and writes ``DIR/report.html`` (self-contained, see :mod:`efp_builders.report`) and
    ``DIR/computed.json`` (every computed value). On a terminal each stage is shown on stderr as it
    runs; long dask plans also show dask's progress bar (``efp.config.show_progress``).
``efp explain SCENARIO.json OBJECT ATTRIBUTE``
    prints why a value is what it is (:func:`efp.explanation.explain`): its formula, its inputs with
    their values and sources, its result. OBJECT is an object's name or id; without ATTRIBUTE the
    object's attributes are listed, without OBJECT the scenario's objects.

Plans run where ``efp.config`` says: ``--scheduler tcp://host:8786`` (or the environment variable
``EFP_DASK_SCHEDULER_ADDRESS``) runs them on a running dask scheduler.

Exit codes: 0 done; 1 the scenario or a name in it is wrong (unreadable file, unknown object or
attribute, a value that cannot be computed), with a message on stderr; 2 the command line is wrong.
"""
from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import sys
import time
from pathlib import Path

#: Exit codes (see the module docstring).
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A problem the user can fix, reported as one message and exit code 1."""


# ---------------------------------------------------------------------------------------------- progress
class Progress:
    """Stage-by-stage progress lines on stderr: ``efp run: loading x.json ... done in 0.4 s``."""

    def __init__(self, command: str, enabled: bool):
        self.command, self.enabled = command, enabled

    @classmethod
    def for_terminal(cls, command: str, choice: bool | None) -> "Progress":
        """On when asked (``--progress``), off when refused, else on only when stderr is a terminal."""
        return cls(command, sys.stderr.isatty() if choice is None else choice)

    @contextlib.contextmanager
    def stage(self, description: str):
        if not self.enabled:
            yield
            return
        started = time.perf_counter()
        sys.stderr.write(f"{self.command}: {description} ...\n")
        sys.stderr.flush()
        try:
            yield
        except BaseException:
            sys.stderr.write(f"{self.command}: {description} failed after {time.perf_counter() - started:.1f} s\n")
            raise
        sys.stderr.write(f"{self.command}: {description}: done in {time.perf_counter() - started:.1f} s\n")
        sys.stderr.flush()


# ---------------------------------------------------------------------------------------------- loading
def load_system(path: str):
    """The System of a scenario file, computed, in the current model."""
    from efp.errors import EfpError
    from efp_nodes import json_to_system  # builder classes a scenario may name are registered by efp_builders

    file = Path(path)
    if not file.exists():
        raise CommandError(f"no such scenario file: {path}")
    if file.is_dir():
        raise CommandError(f"{path} is a folder; expected a scenario JSON file")
    try:
        return json_to_system(file)
    except EfpError as error:
        raise CommandError(f"cannot load the scenario {path}: {error}") from None


def find_object(model, wanted: str):
    """The object of ``model`` whose id or name is ``wanted`` (names compared case-insensitively last)."""
    objects = list(model.objects.values())
    for matches in ([o for o in objects if o.id == wanted], [o for o in objects if o.name == wanted],
                    [o for o in objects if o.name.casefold() == wanted.casefold()]):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = ", ".join(f"{o.id} ({type(o).__name__})" for o in matches)
            raise CommandError(f"{len(matches)} objects are named {wanted!r}: give the id of one of them: {listed}")
    names = sorted({o.name for o in objects} | {o.id for o in objects})
    close = difflib.get_close_matches(wanted, names, n=5, cutoff=0.5)
    close += [n for n in names if wanted.casefold() in n.casefold() and n not in close][:5]
    raise CommandError("\n".join([f"no object named or with id {wanted!r} in the scenario{_hint(close)}",
                                  *object_lines(model)]))


def _hint(close: list[str]) -> str:
    return f"; did you mean {', '.join(repr(n) for n in close)}?" if close else ""


def object_lines(model) -> list[str]:
    """One line per object: class, name and id."""
    objects = sorted(model.objects.values(), key=lambda o: (type(o).__name__, o.name))
    return ["objects of the scenario (class, name, id):"] + [
        f"  {type(o).__name__:<22} {o.name!r:<45} {o.id}" for o in objects]


def attribute_names(obj) -> dict[str, str]:
    """``{attribute or alias: attribute}`` of an object's class."""
    names = {}
    for name, decl in type(obj).declarations().items():
        names[name] = name
        for alias in getattr(decl, "aliases", ()):
            names.setdefault(alias, name)
    return names


KIND_TITLES = {"input": "inputs", "link": "links", "list_link": "links", "calculated": "calculated attributes",
               "backlink": "derived links", "via": "derived links"}


def attribute_lines(obj) -> list[str]:
    """The object's attributes, grouped: inputs, links, calculated attributes, derived links."""
    groups: dict[str, list[str]] = {}
    for name, decl in type(obj).declarations().items():
        groups.setdefault(KIND_TITLES.get(decl.kind, decl.kind), []).append(name)
    lines = [f"attributes of {type(obj).__name__} '{obj.name}' ({obj.id}):"]
    for title in dict.fromkeys(KIND_TITLES.values()):
        if groups.get(title):
            lines.append(f"  {title}: {', '.join(groups[title])}")
    return lines


def explain_attribute(obj, wanted: str) -> str:
    """The explanation of ``obj.<wanted>``: a value's :func:`explain`, or what a link points to."""
    names = attribute_names(obj)
    if wanted not in names:
        close = difflib.get_close_matches(wanted, list(names), n=4, cutoff=0.5)
        raise CommandError("\n".join([f"{type(obj).__name__} '{obj.name}' has no attribute {wanted!r}{_hint(close)}",
                                      *attribute_lines(obj)]))
    name = names[wanted]
    kind = type(obj).declarations()[name].kind
    value = getattr(obj, name)
    if kind in ("input", "calculated"):
        return value.explain()
    targets = value if isinstance(value, list) else [] if value is None else [value]
    what = {"link": "a link", "list_link": "a list of links", "backlink": "derived from the links to it",
            "via": "derived from its links"}[kind]
    listed = "\n".join(f"  {type(t).__name__} '{t.name}' ({t.id})" for t in targets) or "  nothing"
    return f"{type(obj).__name__} '{obj.name}'.{name} is {what}, to:\n{listed}"


# ---------------------------------------------------------------------------------------------- commands
def command_run(args) -> int:
    from efp import new_model
    from efp_builders.report import write_report

    progress = Progress.for_terminal("efp run", args.progress)
    if args.progress is False:
        os.environ.setdefault("EFP_PROGRESS", "0")  # dask's progress bar of long plans too
    out = Path(args.out) if args.out else Path(args.scenario).with_name(Path(args.scenario).stem + "_report")
    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out} is a file; expected a folder (it is created if needed)")
    started = time.perf_counter()
    with new_model():
        with progress.stage(f"loading and computing {args.scenario}"):
            system = load_system(args.scenario)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"cannot create the folder {out}: {error}") from None
        files = write_report(system, out, scenario=str(args.scenario), computed=not args.no_computed,
                             stage=progress.stage)
    total = files.summary.total_kg
    print(f"{system.name}: {total:,.3f} kg CO2eq in total, computed in {time.perf_counter() - started:.1f} s")
    print(f"report: {files.html}")
    if files.computed is not None:
        print(f"computed values: {files.computed}")
    return EXIT_OK


def command_explain(args) -> int:
    from efp import new_model

    with new_model() as model:
        load_system(args.scenario)
        if args.object is None:
            print("\n".join(object_lines(model)))
            return EXIT_OK
        obj = find_object(model, args.object)
        if args.attribute is None:
            print("\n".join(attribute_lines(obj)))
            return EXIT_OK
        print(explain_attribute(obj, args.attribute))
        if args.graph:
            name = attribute_names(obj)[args.attribute]
            value = getattr(obj, name)
            if not hasattr(value, "calculus_graph_to_file"):
                raise CommandError(f"{type(obj).__name__} '{obj.name}'.{name} is a link: it has no calculus graph")
            print(f"calculus graph: {value.calculus_graph_to_file(args.graph)}")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------- parser
def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="efp", description="Hour-by-hour, explainable environmental footprints of digital services.",
        epilog="Scenarios are JSON files written by efp (system_to_json) or by e-footprint 9. "
               "`efp COMMAND --help` describes a command.")
    top.add_argument("--scheduler", metavar="ADDRESS",
                     help="run computations on this running dask scheduler (tcp://host:8786); "
                          "default: $EFP_DASK_SCHEDULER_ADDRESS if set, else in this process")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    run = commands.add_parser(
        "run", help="compute a scenario and write its HTML report and computed values",
        description="Load a scenario, compute it, and write DIR/report.html (a self-contained page: tables by "
                    "category and object, footprint charts, the objects' graph) and DIR/computed.json (the "
                    "scenario with every computed value).")
    run.add_argument("scenario", metavar="SCENARIO.json", help="an efp or e-footprint 9 JSON file")
    run.add_argument("--out", "-o", metavar="DIR",
                     help="the folder to write into (created if needed; default: SCENARIO_report beside the scenario)")
    run.add_argument("--no-computed", action="store_true", help="do not write computed.json")
    shown = run.add_mutually_exclusive_group()
    shown.add_argument("--progress", dest="progress", action="store_true", default=None,
                       help="show each stage on stderr (default: only when stderr is a terminal)")
    shown.add_argument("--no-progress", dest="progress", action="store_false",
                       help="show no progress (nor dask's progress bar of long computations)")
    run.set_defaults(handler=command_run)

    explain = commands.add_parser(
        "explain", help="explain a value: its formula, inputs and sources",
        description="Print why OBJECT.ATTRIBUTE is what it is: the formula, each input with its value and "
                    "source, and the result. Without ATTRIBUTE, list the object's attributes; without "
                    "OBJECT, list the scenario's objects.")
    explain.add_argument("scenario", metavar="SCENARIO.json", help="an efp or e-footprint 9 JSON file")
    explain.add_argument("object", metavar="OBJECT", nargs="?", help="an object's name or id")
    explain.add_argument("attribute", metavar="ATTRIBUTE", nargs="?", help="one of the object's attributes")
    explain.add_argument("--graph", metavar="FILE",
                         help="also write the value's calculus graph (.html, .png, .svg or .dot)")
    explain.set_defaults(handler=command_explain)
    return top


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.scheduler:
        os.environ["EFP_DASK_SCHEDULER_ADDRESS"] = args.scheduler
    try:
        return args.handler(args)
    except CommandError as error:
        print(f"efp {args.command}: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"efp {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 (one clear line rather than a traceback, unless asked)
        from efp.errors import EfpError

        if os.environ.get("EFP_TRACEBACK") == "1":
            raise
        kind = "" if isinstance(error, EfpError) else f"{type(error).__name__}: "
        print(f"efp {args.command}: error: {kind}{error}\n(set EFP_TRACEBACK=1 for the traceback)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
