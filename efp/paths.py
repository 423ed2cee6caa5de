"""Declared input paths of formulas and structural links.

A path names a value reachable from an object: ``"power"`` (an attribute of the same object),
``"storage.power"`` (through a link), ``"jobs[].ram_needed"`` (a fan-in over a list link),
``"usage_patterns[].user_journey.uj_steps[].jobs[]"`` (several hops), or ``"self"`` (a reference to
the object itself). ``[]`` marks a segment whose value is a list; every path with one or more ``[]``
yields a flat list, one entry per element reached (duplicates kept, so a job listed twice counts
twice).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from efp.errors import LinkError

_SEGMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[\])?$")


@dataclass(frozen=True)
class Segment:
    name: str
    fan: bool


@dataclass(frozen=True)
class Path:
    text: str
    segments: tuple[Segment, ...]

    @property
    def is_self(self) -> bool:
        return self.text == "self"

    @property
    def fans(self) -> bool:
        return any(segment.fan for segment in self.segments)

    def __str__(self) -> str:
        return self.text


@functools.lru_cache(maxsize=None)
def parse_path(text: str) -> Path:
    """Parse ``"a.b[].c"`` into segments; raise :class:`~efp.errors.LinkError` (a ``ValueError``) on a
    malformed path."""
    if text == "self":
        return Path(text, ())
    parts = text.split(".")
    if not parts or not all(_SEGMENT.match(part) for part in parts):
        raise LinkError(f"malformed input path {text!r}: expected names joined by '.', lists marked '[]'")
    return Path(text, tuple(Segment(part.rstrip("[]"), part.endswith("[]")) for part in parts))
