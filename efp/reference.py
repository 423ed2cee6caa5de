"""The reference documentation of modeling classes, written in Markdown from their declarations.

Everything shown comes from what a class declares (:mod:`efp.declarations`): its docstring, its inputs in
positional order (unit, default and the default's source, bounds, allowed values, aliases, doc), its links,
its derived lists (backlinks and via paths), its calculated attributes (docstring, declared input paths,
unit, source code) and its archetypes. Guarantees:

- the engine stays domain-free: the classes to document are an argument, never imported here;
- the text depends only on the classes given: no modeling object is created, no formula runs, and no
  object id or memory address appears, so the same classes always give the same text;
- classes appear in the order given, attributes in their class's own order (``settable()``,
  ``calculated_attributes()``, declaration order, ``archetypes()``).

Lists of allowed values may be read from callables (a data table, a builder's backend); the caller
decides which backend is in force (``scripts/generate_reference.py`` pins the packaged table).
"""
from __future__ import annotations

import inspect
import re
import textwrap
from typing import Mapping, Sequence

import pint

from efp.declarations import Backlink, Calculated, ConditionalChoices, Input, Link, Via
from efp.errors import EfpError
from efp.explanation import formula_source
from efp.values import EmptyExplainableObject, ExplainableQuantity

#: Allowed values shown per list before the rest is summarized as a count.
SHOWN_CHOICES = 8


# ---------------------------------------------------------------------------------- reading declarations
def undeclared_inputs(cls) -> list[str]:
    """Attributes the class's formulas read from the object itself but that the class does not declare.

    A class with such attributes is a base class: its subclasses declare them (``ServerBase`` reads the
    ``compute`` its subclasses give). Sorted, without repeats.
    """
    declarations = cls.declarations()
    missing = set()
    for decl in declarations.values():
        if isinstance(decl, Calculated):
            for path in decl.paths.values():
                if not path.is_self and path.segments[0].name not in declarations:
                    missing.add(path.segments[0].name)
    return sorted(missing)


def anchor(cls) -> str:
    """The Markdown anchor of a class's section (GitHub's heading slug of its name)."""
    return cls.__name__.lower()


# ---------------------------------------------------------------------------------- small texts
def _code(text) -> str:
    text = str(text)
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


def _cell(text: str) -> str:
    """Text fit for one Markdown table cell."""
    return " ".join(str(text).split("\n")).replace("|", "\\|") if text else ""


def _number(magnitude) -> str:
    return format(float(magnitude), ".12g")


#: Units spelled out rather than abbreviated: their symbols (``a``, ``d``, ``wk``) read ambiguously.
SPELLED_OUT_UNITS = ("year", "month", "week", "day")


def unit_text(unit) -> str:
    """A unit in short form: ``kg / kWh``, ``cpu_core``, ``hour / day``, ``dimensionless``."""
    if unit is None:
        return ""
    text = format(unit, "~")
    if not text:
        return "dimensionless"
    registry = unit._REGISTRY

    def spell(match):
        symbol = match.group(0)
        try:
            name = registry.get_name(symbol)
        except pint.UndefinedUnitError:  # not a unit symbol: keep it
            return symbol
        return name if name in SPELLED_OUT_UNITS else symbol
    text = re.sub(r"[A-Za-z_]+", spell, text)
    if any(name in text for name in SPELLED_OUT_UNITS):  # "h / day" reads better as "hour / day"
        text = re.sub(r"\bh\b", "hour", text)
    return text


def value_text(value) -> str:
    """A default or allowed value, exactly (no rounding), as Markdown."""
    if value is None or isinstance(value, EmptyExplainableObject):
        return "∅ (no value)"
    if isinstance(value, ExplainableQuantity):
        value = value.value
    if isinstance(value, pint.Quantity):
        unit = unit_text(value.units)
        return _code(_number(value.magnitude) + ("" if unit == "dimensionless" else f" {unit}"))
    inner = getattr(value, "value", value)
    if isinstance(inner, str):
        return _code(inner) if inner else "`\"\"` (empty text)"
    return _code(value)


def _choices_text(values: Sequence, limit: int = SHOWN_CHOICES) -> str:
    values = list(values)
    shown = ", ".join(value_text(v) for v in values[:limit])
    if len(values) > limit:
        return f"{shown}, … ({len(values)} in all)"
    return shown


def _conditional_text(rule: ConditionalChoices) -> str:
    table = rule.as_dict()
    head = f"depends on {_code(rule.depends_on)}"
    if not table:
        return f"{head} (listed on demand by {_code(type(rule).__name__)})"
    cases = "; ".join(f"{value_text(key)} → {_choices_text(values)}" for key, values in table.items())
    return f"{head}: {cases}; any other value: unrestricted"


def input_kind(decl: Input) -> str:
    if decl.text:
        kind = "text"
    elif decl.timezone:
        kind = "time zone"
    elif decl.is_choice:
        kind = "choice"
    elif decl.hourly:
        kind = "hourly series"
    else:
        kind = "quantity"
    return f"{kind}, optional" if decl.optional else kind


def bounds_text(decl: Input) -> str:
    parts = [f"{symbol} {_number(limit)}" for symbol, limit in (("≥", decl.ge), (">", decl.gt), ("≤", decl.le))
             if limit is not None]
    return " and ".join(parts)


def allowed_text(decl: Input) -> str:
    parts = []
    if decl.timezone:
        parts.append("an IANA time zone name")
    elif decl.choices is not None:
        parts.append(_choices_text(decl.choices))
    elif decl.text and decl.conditional_choices is None:
        parts.append("any text")
    if decl.conditional_choices is not None:
        parts.append(_conditional_text(decl.conditional_choices))
    return "; ".join(parts)


def default_texts(decl: Input) -> tuple[str, str]:
    """``(default, source of the default)`` of an input."""
    if not decl.has_default:
        return "required", ""
    value = decl.default_value()
    if isinstance(value, EmptyExplainableObject):
        return value_text(value), ""
    source = getattr(value, "source", None)
    return value_text(value), str(source) if source is not None else ""


def _first_line(text: str | None) -> str:
    return (text or "").strip().split("\n\n")[0].replace("\n", " ")


# ---------------------------------------------------------------------------------- sections
def _signature(cls) -> str:
    names = ["name", *cls.settable()]
    line = f"{cls.__name__}({', '.join(names)})"
    return textwrap.fill(line, width=100, subsequent_indent=" " * (len(cls.__name__) + 1), break_long_words=False)


def _target_text(decl: Link, documented: Sequence[type]) -> str:
    name = decl.target_name
    try:
        target = decl.target
    except EfpError:
        return _code(name)
    if target in documented:
        return f"[{name}](#{anchor(target)})"
    subclasses = [cls for cls in documented if issubclass(cls, target)]
    if not subclasses:
        return _code(name)
    return f"{_code(name)}: " + ", ".join(f"[{cls.__name__}](#{anchor(cls)})" for cls in subclasses)


def _when_missing(decl: Link) -> str:
    if decl.is_list:
        return "empty list"
    if decl.default_factory is not None:
        return f"a new default {decl.target_name}"
    return "∅ (no object)" if decl.optional else "required"


def _aliases(decl) -> str:
    return ", ".join(_code(alias) for alias in getattr(decl, "aliases", ()))


def _inputs_section(cls) -> list[str]:
    positions = {name: i for i, name in enumerate(cls.settable(), start=1)}
    rows = []
    for name, position in positions.items():
        decl = cls.declarations()[name]
        if not isinstance(decl, Input):
            continue
        default, source = default_texts(decl)
        cells = [str(position), _code(name), input_kind(decl), unit_text(decl.unit), default, bounds_text(decl),
                 allowed_text(decl), _aliases(decl), decl.doc, source]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if not rows:
        return []
    return ["### Inputs", "",
            "| # | name | kind | unit | default | bounds | allowed values | aliases | doc | source of the default |",
            "| --: | --- | --- | --- | --- | --- | --- | --- | --- | --- |", *rows, ""]


def _links_section(cls, documented) -> list[str]:
    rows = []
    for position, name in enumerate(cls.settable(), start=1):
        decl = cls.declarations()[name]
        if not isinstance(decl, Link):
            continue
        kind = "list of links" if decl.is_list else "link"
        cells = [str(position), _code(name), kind, _target_text(decl, documented), _when_missing(decl),
                 _aliases(decl), decl.doc]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if not rows:
        return []
    return ["### Links", "", "| # | name | kind | target | when not given | aliases | doc |",
            "| --: | --- | --- | --- | --- | --- | --- |", *rows, ""]


def _derived_section(cls) -> list[str]:
    rows = []
    for name, decl in cls.declarations().items():
        if isinstance(decl, Backlink):
            paths = "; ".join(f"{_code(source_cls)} objects whose {_code(path)} reaches this one"
                              for source_cls, path in decl.sources)
            if decl.at_most is not None:
                paths += f" (at most {decl.at_most})"
            rows.append([_code(name), "backlink", paths, decl.doc])
        elif isinstance(decl, Via):
            rows.append([_code(name), "via", "; ".join(_code(path) for path in decl.paths), decl.doc])
    if not rows:
        return []
    return ["### Derived lists", "", "| name | kind | paths | doc |", "| --- | --- | --- | --- |",
            *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows), ""]


def _calculated_entry(cls, name: str) -> list[str]:
    decl = cls.declarations()[name]
    unit = unit_text(decl.unit) if decl.unit is not None else "not declared: the formula's own"
    lines = [f"#### `{name}`", "", f"Unit: {unit}.", ""]
    if decl.doc:
        lines += [decl.doc, ""]
    if decl.parameters:
        lines.append("Inputs:")
        lines.append("")
        for parameter in decl.parameters:
            path = decl.paths[parameter]
            if path.is_self:
                lines.append(f"- {_code(parameter)} ← `self` (the object itself)")
            elif str(path) == parameter:
                lines.append(f"- {_code(parameter)}")
            else:
                lines.append(f"- {_code(parameter)} ← {_code(path)}")
    else:
        lines.append("Inputs: none.")
    source = formula_source(decl)
    lines += ["", "<details><summary>formula</summary>", "", "```python", source, "```", "", "</details>", ""]
    return lines


def _calculated_section(cls) -> list[str]:
    names = cls.calculated_attributes()
    if not names:
        return []
    lines = ["### Calculated attributes", ""]
    for name in names:
        lines += _calculated_entry(cls, name)
    return lines


def _archetypes_section(cls) -> list[str]:
    lines = []
    for constructor in cls.archetypes():
        signature = str(inspect.signature(constructor))
        doc = inspect.getdoc(constructor) or ""
        entry = f"- `{cls.__name__}.{constructor.__name__}{signature}`"
        lines.append(f"{entry}: {textwrap.indent(doc, '  ').lstrip()}" if doc else entry)
    return ["### Archetypes", "", *lines, ""] if lines else []


def class_reference(cls, documented: Sequence[type] = (), also_known_as: Sequence[str] = ()) -> str:
    """The Markdown section of one modeling class; ``documented`` are the classes links may point to."""
    from efp.modeling_object import ModelingObject
    bases = [base.__name__ for base in cls.__mro__[1:]
             if issubclass(base, ModelingObject) and base is not ModelingObject]
    about = [f"`{cls.__module__}.{cls.__qualname__}`"]
    if bases:
        about.append("bases: " + ", ".join(_code(b) for b in bases))
    if also_known_as:
        about.append("also exported as " + ", ".join(_code(a) for a in also_known_as))
    lines = [f"## {cls.__name__}", "", " · ".join(about), ""]
    doc = inspect.getdoc(cls)
    if doc:
        lines += [doc, ""]
    lines += ["```python", _signature(cls), "```", ""]
    lines += _inputs_section(cls)
    lines += _links_section(cls, documented)
    lines += _derived_section(cls)
    lines += _calculated_section(cls)
    lines += _archetypes_section(cls)
    return "\n".join(lines).rstrip("\n") + "\n"


def reference_markdown(classes: Sequence[type], *, title: str = "Reference", preamble: str = "",
                       also_known_as: Mapping[type, Sequence[str]] | None = None) -> str:
    """The reference document of ``classes``, in the order given: a contents table, then one section
    per class (see :func:`class_reference`)."""
    classes = list(classes)
    also_known_as = also_known_as or {}
    lines = [f"# {title}", ""]
    if preamble:
        lines += [preamble.strip(), ""]
    lines += ["| class | module | summary |", "| --- | --- | --- |"]
    lines += [f"| [{cls.__name__}](#{anchor(cls)}) | `{cls.__module__}` | {_cell(_first_line(inspect.getdoc(cls)))} |"
              for cls in classes]
    text = "\n".join(lines) + "\n"
    for cls in classes:
        text += "\n" + class_reference(cls, classes, also_known_as.get(cls, ()))
    return text


__all__ = ["SHOWN_CHOICES", "anchor", "class_reference", "reference_markdown", "undeclared_inputs",
           "unit_text", "value_text"]
