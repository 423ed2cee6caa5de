"""Nodes and their states: the small state machine of the engine.

Every attribute of every modeling object is one :class:`Node`, keyed ``"<object id>.<attribute>"``.

States
------
``INPUT``
    A user-set value (an input or a link) or an engine-derived structure (a backlink or a via list).
    Always current; never computed by a formula.
``STALE``
    A calculated node whose value is out of date, or was never computed. Reading it computes it.
``FRESH``
    A calculated node whose value equals its formula applied to its inputs' current values.
``FAILED``
    A calculated node whose formula raised when it was last pulled (its error is kept in ``error``);
    reading it tries again (a formula that calls an outside service may succeed later).

Invariants
----------
1. A ``FRESH`` node has only ``INPUT`` or ``FRESH`` ancestors.
2. So every descendant of a ``STALE`` node is ``STALE`` (or ``FAILED``): marking stale can stop at a
   node that is already stale, and walks only what a change affects.
3. A node's edges are exactly its resolved dependencies: the value nodes its formula reads and the
   link nodes its declared paths went through.

Transitions (one function each, in :mod:`efp.propagation`): ``mark_stale`` (FRESH/FAILED → STALE on an
upstream change), ``store_result`` (STALE → FRESH), ``store_failure`` (STALE → FAILED).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass


class State(enum.Enum):
    INPUT = "input"
    STALE = "stale"
    FRESH = "fresh"
    FAILED = "failed"


@dataclass(frozen=True)
class ObjectRef:
    """A light, picklable reference to a modeling object, as formulas see links."""

    id: str
    name: str
    class_name: str

    def __str__(self) -> str:
        return f"{self.class_name} '{self.name}'"


class RefList:
    """An immutable list of :class:`ObjectRef` (opaque to dask: not a list or tuple)."""

    __slots__ = ("refs",)

    def __init__(self, refs):
        self.refs = tuple(refs)

    def __iter__(self):
        return iter(self.refs)

    def __len__(self):
        return len(self.refs)

    def __getitem__(self, index):
        return self.refs[index]

    def __eq__(self, other):
        return isinstance(other, RefList) and self.refs == other.refs

    __hash__ = None

    def __repr__(self):
        return f"RefList({list(self.refs)!r})"


class Node:
    """One attribute of one object: its declaration, state, value and resolved dependencies.

    ``args`` holds, per formula parameter, what the scheduler passes: a node key, a list of node
    keys (fan-in), ``None`` (a link with no target) or an :class:`ObjectRef` (``"self"``).
    """

    __slots__ = ("key", "obj", "decl", "state", "value", "error", "args", "deps", "__weakref__")

    def __init__(self, key, obj, decl, state, value=None):
        self.key = key
        self.obj = obj
        self.decl = decl
        self.state = state
        self.value = value
        self.error = None
        self.args = ()
        self.deps: frozenset = frozenset()

    @property
    def calculated(self) -> bool:
        return self.decl.kind == "calculated"

    @property
    def structural(self) -> bool:
        return self.decl.structural

    @property
    def attr(self) -> str:
        return self.decl.name

    def __repr__(self):
        return f"<Node {self.key} {self.state.value}>"
