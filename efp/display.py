"""How objects and values show themselves: ``print(obj)`` like the seed's printouts, and HTML tables."""
from __future__ import annotations

import html

from efp.states import State


def _value_text(value) -> str:
    if value is None:
        return "no value"
    if isinstance(value, list):
        return "[" + ", ".join(getattr(item, "id", str(item)) for item in value) + "]"
    if hasattr(value, "declarations"):
        return value.id
    return str(value)


def _rows(obj):
    """``(section, name, text)`` rows: inputs and links, then calculated attributes."""
    yield "input", "name", obj.name
    for name in obj.settable():
        yield "input", name, _value_text(obj.node(name).value)
    for name in obj.calculated_attributes():
        try:
            text = _value_text(getattr(obj, name))
        except Exception as error:  # printing must show a failing formula, not stop
            text = f"error: {error}"
        yield "calculated", name, text


def object_text(obj) -> str:
    lines = [f"{type(obj).__name__} {obj.id}", " "]
    calculated = []
    for section, name, text in _rows(obj):
        (lines if section == "input" else calculated).append(
            f"{name}: {text}" if section == "input" else f"  {name}: {text}")
    if calculated:
        lines += [" ", "calculated_attributes:"] + calculated
    return "\n".join(lines) + "\n"


def object_html(obj) -> str:
    rows = "".join(f"<tr><td>{html.escape(section)}</td><td>{html.escape(name)}</td>"
                   f"<td>{html.escape(text)}</td></tr>" for section, name, text in _rows(obj))
    return (f"<table><caption>{html.escape(type(obj).__name__)} {html.escape(obj.name)}</caption>"
            f"<tr><th></th><th>attribute</th><th>value</th></tr>{rows}</table>")


def node_state(obj, attr: str) -> State:
    return obj.node(attr).state
