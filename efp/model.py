"""The model: every node of every object in one networkx graph, and the transactions that change it.

What happens from ``obj.attr = value`` to fresh values (see docs/architecture.md for a worked
example):

1. **validate** every proposed value against its declaration and its object's rules; nothing has
   changed yet, so a refusal leaves no trace;
2. **write** the inputs and links, journaling each old value (:mod:`efp.journal`);
3. **derive structure**: a changed link updates the referrer index, re-derives the backlinks and via
   lists it may affect, and re-resolves the edges of the formulas whose paths went through a changed
   link (rewiring); a cycle is refused;
4. **mark stale** the calculated descendants (:func:`efp.propagation.mark_stale`);
5. **plan and run** the nodes that were fresh, with the stale ancestors they need, as one dask graph
   (:mod:`efp.scheduling`), and **store** the results.

Any error in 1-5 rolls the journal back: values, states, edges and lists are exactly as before.
Nodes never computed stay stale until read ("pull"): building a large model computes nothing until a
value, or a System, asks for it.
"""
from __future__ import annotations

import contextlib
import itertools
import numbers
import threading
from collections import Counter, defaultdict

import networkx as nx
import numpy as np
import pint

from efp.errors import EfpError, FormulaError, LinkError, ValidationError
from efp.journal import Journal
from efp.wiring import Wiring
from efp.propagation import mark_stale, plan, topological_order
from efp.scheduling import run_plan
from efp.states import Node, State
from efp.structure import node_key
from efp.values import (EmptyExplainableObject, ExplainableHourlyQuantities, ExplainableQuantity,
                        ExplainableValue)


class Model(Wiring):
    """A set of modeling objects and the graph of their attributes (see the module docstring)."""

    def __init__(self):
        self.graph = nx.DiGraph()
        self.nodes: dict[str, Node] = {}
        self.objects: dict[str, object] = {}
        self.sequence: dict[str, int] = {}
        self.referrers: dict[str, Counter] = defaultdict(Counter)
        self.structural_index: dict[str, list] = defaultdict(list)
        self._indexed_classes: set[type] = set()
        self._counter = itertools.count()
        self.lock = threading.RLock()
        self.formula_calls = 0
        self.last_plan: list[str] = []
        self.change_listeners: list = []
        #: per node key, the derived arrays its last computation used (efp.values.reuse.site): they live
        #: as long as the model
        self.derived_arrays: dict = {}
        self._pending: _Pending | None = None

    # ------------------------------------------------------------------ reading
    def describe(self, node: Node) -> str:
        return f"{type(node.obj).__name__} '{node.obj.name}'.{node.attr}"

    def read(self, obj, attr: str):
        """An attribute's value, computed first if stale.

        Reads take the model's lock, which a transaction holds from its first write to its last
        stored result and while its change listeners run: a reader in another thread sees the state
        before or after a change, never a mix. (Hold ``model.lock`` yourself to read several values
        from one state.)
        """
        with self.lock:
            node = self.nodes[node_key(obj, attr)]
            if node.calculated and node.state is not State.FRESH:
                self.pull([node.key])
            if node.decl.kind in ("backlink", "via"):
                return list(node.value)
            return node.value

    def pull(self, keys) -> None:
        """Compute the given stale nodes and the stale ancestors they need."""
        with self.lock:
            stale = [k for k in keys if self.nodes[k].state is not State.FRESH]
            if not stale:
                return
            if self._pending is not None:  # inside a transaction block: its journal, settled structure
                self._settle(self._pending)
                try:
                    self._compute(plan(self, [k for k in keys if self.nodes[k].state is not State.FRESH]),
                                  self._pending.journal)
                except BaseException:
                    self._pending.failed = True
                    raise
                return
            journal = Journal(self)
            try:
                self._compute(plan(self, stale), journal)
            except EfpError as error:
                journal.rollback()
                failing = self.nodes.get(getattr(error, "node_key", None) or "")
                if failing is not None and failing.state is State.STALE:
                    failing.state, failing.error = State.FAILED, error
                raise
            except BaseException:
                journal.rollback()
                raise

    # ------------------------------------------------------------------ changing
    def write(self, obj, attr: str, value) -> None:
        self.apply([(self.nodes[node_key(obj, attr)], value)])

    def add_object(self, obj, values: dict, compute: bool = False) -> None:
        """Register a new object with its (unvalidated) inputs and links, as one transaction.

        With ``compute``, the object's calculated attributes (and every stale node they need) are
        computed in the same transaction: a failing formula then leaves no object behind.
        """
        self.apply(new_objects=[(obj, values)], compute_new=compute)

    def apply(self, changes=(), new_objects=(), simulation=None, compute_new=False, preset=None,
              compute_keys=()) -> Journal:
        """Apply changes ``[(node, value)]`` and new objects as one transaction (module docstring).

        ``preset`` (``{node key: value}``, calculated nodes of the new objects) stores saved results as
        FRESH without running their formulas (loading a file, :mod:`efp.serialization`); a value is
        taken only when every calculated node it depends on is FRESH too, so invariant 1 of
        :mod:`efp.states` holds. ``compute_keys`` are further nodes computed in the same transaction.

        Inside a :meth:`transaction` block, the change is validated and written at once, and the rest
        (structure, staleness, recomputation) waits for the end of the block.
        """
        with self.lock:
            outer = self._pending
            if outer is None:
                _refuse_outside_open_block(self, changes, new_objects)
            pending = outer if outer is not None else _Pending(Journal(self))
            journal = pending.journal
            try:
                validated = [(node, self._validate(node, value)) for node, value in changes]
                new_objects = [(obj, self._validate_new(obj, values)) for obj, values in new_objects]
                self._check_object_rules(validated, new_objects)
                validated = [(node, value) for node, value in validated if not _same_targets(node, value)]
                for obj, values in new_objects:
                    pending.link_changes += self._register(obj, values, journal)
                    if compute_new:
                        pending.compute_keys += [node_key(obj, name) for name in type(obj).calculated_attributes()]
                for node, value in validated:
                    pending.link_changes += self._set(node, value, journal)
                    pending.roots.add(node.key)
                pending.compute_keys += list(compute_keys)
                if outer is not None and not preset and simulation is None:
                    return journal
                self._settle(pending)
                if preset:
                    self._preset(preset, journal)
                self._finish(pending, simulation)
            except BaseException:
                if outer is None:
                    journal.rollback()
                else:
                    outer.failed = True
                raise
            if outer is None:  # still holding the lock: listeners see this transaction's state, not a later one
                for listener in list(self.change_listeners):
                    listener(self, journal)
        return journal

    @contextlib.contextmanager
    def transaction(self):
        """A block of changes applied as one transaction: one recomputation at the end, and either
        every change applies or none does (an error anywhere in the block rolls all of it back).

        Building many objects in one block also derives the model's structure once, not once per
        object. Reading a value inside the block settles the structure first.
        """
        with self.lock:
            if self._pending is not None:  # nested blocks join the outer one
                yield self
                return
            pending = self._pending = _Pending(Journal(self))
            blocks = _open_blocks()
            blocks.append(self)
            try:
                yield self
                if pending.failed:
                    raise EfpError("a change inside this transaction failed; every change of the block "
                                   "was rolled back")
                self._settle(pending)
                self._finish(pending, None)
            except BaseException:
                self._pending = None
                pending.journal.rollback()
                raise
            finally:
                self._pending = None
                blocks.remove(self)
            for listener in list(self.change_listeners):  # under the lock, like Model.apply's
                listener(self, pending.journal)

    def _settle(self, pending) -> None:
        """Derive structure from the pending link changes and mark what they affect stale."""
        journal = pending.journal
        structural = self._refresh_structure(pending.link_changes, journal)
        changed_links = {node_key(o, a) for o, a, _ in pending.link_changes} | structural
        roots = pending.roots | structural | self._rewire(changed_links, journal)
        self._check_structure(structural, journal)
        pending.to_run += mark_stale(self, roots, journal)
        pending.link_changes, pending.roots = [], set()

    def _finish(self, pending, simulation) -> None:
        to_run = pending.to_run + [key for key in pending.compute_keys
                                   if key in self.nodes and self.nodes[key].state is not State.FRESH]
        pending.to_run, pending.compute_keys = [], []
        self._compute(plan(self, to_run), pending.journal, simulation)

    def _validate(self, node: Node, value):
        describe = f"{type(node.obj).__name__} '{node.obj.name}'"
        if node.decl.kind not in ("input", "link", "list_link"):
            raise ValidationError(f"{describe}.{node.attr}: got {value!r}; allowed: nothing, it is "
                                  f"{'calculated' if node.calculated else 'derived from links'}")
        value = node.decl.validate(describe, value)
        self._check_same_model(node.obj, node.attr, value)
        return value

    def _validate_new(self, obj, values: dict) -> dict:
        describe = f"{type(obj).__name__} '{obj.name}'"
        validated = {}
        for name, value in values.items():
            decl = type(obj).declarations()[name]
            validated[name] = decl.validate(describe, value)
            self._check_same_model(obj, name, validated[name])
        return validated

    def _check_same_model(self, obj, attr, value):
        linked = value if isinstance(value, list) else [value] if hasattr(value, "_model") else []
        for item in linked:
            if hasattr(item, "declarations") and item._model is not self:
                raise LinkError(f"{type(obj).__name__} '{obj.name}'.{attr}: got {type(item).__name__} '{item.name}', "
                                f"which belongs to another model; allowed: objects of this model (create linked "
                                f"objects inside the same efp.new_model() block, in the same thread)")

    def _check_object_rules(self, validated, new_objects):
        pending: dict[int, tuple] = {}
        for node, value in validated:
            entry = pending.setdefault(id(node.obj), (node.obj, {}))
            entry[1][node.attr] = value
        for obj, (_, proposed) in list(pending.items()):
            current = {name: self.nodes[node_key(proposed_obj := pending[obj][0], name)].value
                       for name, decl in type(pending[obj][0]).declarations().items()
                       if decl.kind in ("input", "link", "list_link")}
            current.update(proposed)
            type(proposed_obj).check_inputs(f"{type(proposed_obj).__name__} '{proposed_obj.name}'", current)
        for obj, values in new_objects:
            type(obj).check_inputs(f"{type(obj).__name__} '{obj.name}'", values)

    def _attach(self, node: Node, value):
        if hasattr(value, "node_key"):
            if value.node_key is not None and value.node_key != node.key:
                value = value.detached()
            if getattr(value, "label", "x") is None:
                value.label = f"{node.attr} of {node.obj.name}"
            value.node_key, value._model = node.key, self
        return value

    def _set(self, node: Node, value, journal) -> list:
        journal.save(node)
        if node.decl.kind == "list_link":
            old = list(node.value)
            list.__init__(node.value, value)
            return self._relink(node, old, list(value), journal)
        if node.decl.kind == "link":
            old = [node.value] if node.value is not None else []
            node.value = value
            return self._relink(node, old, [value] if value is not None else [], journal)
        node.value = self._attach(node, value)
        return []

    def _relink(self, node: Node, old: list, new: list, journal) -> list:
        for target, delta in itertools.chain(((t, -1) for t in old), ((t, +1) for t in new)):
            journal.save_referrers(target.id)
            self.referrers[target.id][(node.obj.id, node.attr)] += delta
        changed = {id(t): t for t in itertools.chain(old, new)}
        return [(node.obj, node.attr, list(changed.values()))]

    def _preset(self, values: dict, journal) -> None:
        for key in topological_order(self.graph, set(values)):
            node = self.nodes[key]
            if key not in journal.created_keys or not node.calculated:
                raise ValidationError(f"{key}: only calculated attributes of new objects take saved values")
            if all(not self.nodes[dep].calculated or self.nodes[dep].state is State.FRESH for dep in node.deps):
                self._store(node, values[key], journal)

    # ------------------------------------------------------------------ computing
    def _compute(self, order: list[str], journal, simulation=None) -> None:
        self.last_plan = order
        results = run_plan(self, order, simulation)
        for key in order:
            self._store(self.nodes[key], results[key], journal)
        self.formula_calls += len(order)

    def _store(self, node: Node, value, journal) -> None:
        if value is None:
            value = EmptyExplainableObject()
        elif isinstance(value, (numbers.Real, pint.Quantity)) and not isinstance(value, bool):
            value = ExplainableQuantity(value)
        elif not isinstance(value, ExplainableValue):
            raise FormulaError(f"{self.describe(node)}: its formula returned {type(value).__name__} {value!r}; "
                               f"allowed: an efp value, a pint quantity or a number")
        if getattr(value, "node_key", None) is not None:
            value = value.detached()
        unit = getattr(node.decl, "unit", None)
        if unit is not None and isinstance(value, (ExplainableQuantity, ExplainableHourlyQuantities)) \
                and not _already_in(value, unit):
            try:
                value = value.to(unit)
            except pint.DimensionalityError as error:
                raise FormulaError(f"{self.describe(node)} is declared in {unit} but its formula gave "
                                   f"{value.unit}") from error
        _check_finite(self.describe(node), value)
        value.label = f"{node.attr} of {node.obj.name}"
        value.node_key, value._model = node.key, self
        journal.save(node)
        node.value, node.state, node.error = value, State.FRESH, None


def _same_targets(node: Node, value) -> bool:
    """A link or list link set to the very targets it has: no change (``parts += [...]`` extends the list
    in place, then Python sets the same list again, which must not recompute a second time)."""
    if node.decl.kind == "link":
        return value is node.value
    if node.decl.kind == "list_link":
        return len(value) == len(node.value) and all(a is b for a, b in zip(value, node.value))
    return False


def _already_in(value, unit) -> bool:
    """A plain result already in its declared unit is stored as it is: the very object the plan's
    later tasks read, so that what it remembers (its rows, see efp.values.stacking.row_of) serves the
    next plans too."""
    return type(value) in (ExplainableQuantity, ExplainableHourlyQuantities) \
        and (value.unit is unit or value.unit == unit)


def _check_finite(describe: str, value) -> None:
    if isinstance(value, ExplainableHourlyQuantities):
        finite = value.is_finite()
    else:
        magnitude = getattr(value, "magnitude", None)
        finite = magnitude is None or bool(np.isfinite(magnitude))
    if not finite:
        raise FormulaError(f"{describe}: its formula gave a value that is not finite (NaN or infinity); "
                           f"check the inputs it reads (a zero lifespan, capacity or duration?)")


_default = Model()
_local = threading.local()


def _open_blocks() -> list:
    """The models whose ``transaction()`` block is open in the calling thread."""
    blocks = getattr(_local, "blocks", None)
    if blocks is None:
        blocks = _local.blocks = []
    return blocks


def _refuse_outside_open_block(model, changes, new_objects) -> None:
    """A change to ``model`` while this thread holds a block of *another* model would silently not be part of
    that block (``efp.transaction()`` opens a block on the calling thread's current model; ``new_model()``
    blocks are per thread, so in another thread that is the default model): refuse it."""
    others = [block for block in _open_blocks() if block is not model]
    if not others:
        return
    if changes:
        what = model.describe(changes[0][0])
    else:
        obj = new_objects[0][0] if new_objects else None
        what = f"{type(obj).__name__} '{obj.name}'" if obj is not None else "a change"
    raise ValidationError(f"{what}: changed while this thread has a transaction block of another model open, so the "
                          f"change would not be part of that block; allowed: changes to the block's own model. "
                          f"efp.transaction() opens a block on the calling thread's current model (new_model() "
                          f"blocks are per thread): in another thread use `with model.transaction():` on the "
                          f"model that holds the objects")


def current_model() -> Model:
    """The model new objects join: the innermost :func:`new_model` block's, else the default one."""
    return getattr(_local, "model", None) or _default


def transaction():
    """``with efp.transaction():`` — a block of changes to the current model applied as one
    transaction (see :meth:`Model.transaction`)."""
    return current_model().transaction()


@contextlib.contextmanager
def new_model():
    """Within the block, new objects join a fresh, empty model (handy for tests and scenarios)."""
    previous = getattr(_local, "model", None)
    _local.model = Model()
    try:
        yield _local.model
    finally:
        _local.model = previous


class _Pending:
    """What an open transaction has written and not yet settled or computed."""

    __slots__ = ("journal", "link_changes", "roots", "to_run", "compute_keys", "failed")

    def __init__(self, journal):
        self.journal = journal
        self.link_changes: list = []
        self.roots: set = set()
        self.to_run: list = []
        self.compute_keys: list = []
        self.failed = False
