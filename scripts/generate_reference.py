#!/usr/bin/env python3
"""Write ``docs/reference.md``: the reference of every concrete modeling class of efp_nodes and efp_builders.

Run ``make docs`` (or ``.venv/bin/python scripts/generate_reference.py``) after changing a declaration;
``--check`` only says whether the file is up to date (exit status 1 when stale).

Classes: every :class:`~efp.modeling_object.ModelingObject` subclass defined in a module of either
package (all modules are imported, so a class need not be exported), except base classes: those whose
formulas read attributes they leave to subclasses (:func:`efp.reference.undeclared_inputs`) and those of
:data:`BASES`. Order: efp_nodes first, then efp_builders, each by class name. Lists of allowed values
that builders read from a backend are read from the packaged BoaviztAPI table, whatever the environment
says, so that the document is the same on every machine.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

from efp.modeling_object import ModelingObject
from efp.reference import reference_markdown, undeclared_inputs

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "reference.md"
PACKAGES = ("efp_nodes", "efp_builders")
#: Base classes whose formulas need nothing from subclasses: ``Service`` is the base of the concrete
#: services (its package's docstring says so); no job can call a plain ``Service``.
BASES = ("Service",)

PREAMBLE = """\
Generated from the classes' declarations by `scripts/generate_reference.py`: do not edit by hand, run
`make docs`. Each class lists its inputs in positional order (`Class(name, *inputs)`; keyword
aliases are accepted too), its links, the lists derived from other objects' links, its calculated
attributes with the paths of their inputs (`a.b` follows a link, `a[]` every object of a list; `self` is
the object itself) and its archetypes (named presets: `Class.archetype(name, **overrides)`). Bounds are
in the unit of the input."""


def modules() -> list:
    """Every module of the packages, imported, in name order."""
    found = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        found.append(package)
        names = sorted(info.name for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."))
        found += [importlib.import_module(name) for name in names]
    return found


def _is_modeling_class(value, module) -> bool:
    return (inspect.isclass(value) and issubclass(value, ModelingObject) and value is not ModelingObject
            and value.__module__ == module.__name__)


def modeling_classes() -> list[type]:
    """Every modeling class the packages define, base classes included."""
    classes = {}
    for module in modules():
        for value in vars(module).values():
            if _is_modeling_class(value, module):
                classes[f"{value.__module__}.{value.__qualname__}"] = value
    return sorted(classes.values(), key=lambda cls: (PACKAGES.index(cls.__module__.split(".")[0]), cls.__name__))


def concrete_classes() -> list[type]:
    """The modeling classes the reference documents: every class but the bases."""
    return [cls for cls in modeling_classes() if cls.__name__ not in BASES and not undeclared_inputs(cls)]


def also_known_as(classes) -> dict[type, list[str]]:
    """Other names the packages export a class under (e-footprint 9's ``UsageJourney``...)."""
    names: dict[type, list[str]] = {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for name in getattr(package, "__all__", ()):
            value = getattr(package, name, None)
            if inspect.isclass(value) and value in classes and name != value.__name__:
                names.setdefault(value, []).append(name)
    return {cls: sorted(aliases) for cls, aliases in names.items()}


def render() -> str:
    """The text of ``docs/reference.md``."""
    from efp_builders.boavizta import EMBEDDED, using_backend
    classes = concrete_classes()
    with using_backend(EMBEDDED):
        return reference_markdown(classes, title="efp reference: modeling classes", preamble=PREAMBLE,
                                  also_known_as=also_known_as(classes))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/reference.md is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run make docs", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({len(concrete_classes())} classes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
