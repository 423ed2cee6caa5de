"""Compiling a plan of stale nodes to a dask graph, and running it: the engine's only dask module.

A plan (calculated node keys in topological order) becomes a dask graph with one task per node:
``(call_formula, FormulaCall, *upstream)`` where ``upstream`` are the keys of the tasks computing the
formula's inputs, each once; the :class:`FormulaCall` knows which input is which (and holds the known
inputs, for the local schedulers). Inputs that are not in the plan enter the graph as data, under
their own node key, so dask never sees the rest of the model.

The same formula on many objects (the journey starts of ten thousand usage patterns) makes as many
independent nodes: they run as one task per batch of :data:`BATCH_SIZE` (``call_batch``), so that a
task costs the scheduler once per batch, not once per node. A batch holds nodes of one attribute of
one class at the same depth of the plan (so none needs another); its readers pick their node's value
out of the batch's results.

The graph runs on dask's synchronous or threaded local scheduler, or on a ``dask.distributed.Client``
when one is configured (see :mod:`efp.config`); keys are the readable node keys (batch keys name their
attribute), as in the networkx graph and explanations.
"""
from __future__ import annotations

import contextlib
import gc
import importlib
import numbers
import threading
import uuid

import pint

from efp import config
from efp.errors import EfpError, FormulaError
from efp.structure import link_value_for_formula
from efp.values import EmptyExplainableObject, ExplainableHourlyQuantities, ExplainableQuantity, reuse


class Upstream:
    """A formula input computed by an upstream task: that task's result (``index`` None), or item
    ``index`` of a batch task's results. ``position`` is the task among the reading task's arguments."""

    __slots__ = ("position", "index")

    def __init__(self, position: int, index: int | None):
        self.position, self.index = position, index

    def __reduce__(self):
        return (Upstream, (self.position, self.index))


class FormulaCall:
    """What a task needs to call one formula: the formula (pickled by reference to its class
    declaration), and its inputs: a known value, an :class:`Upstream` result, or a list of those for a
    fan-in. Only the upstream tasks are the task's arguments, once each: dask never walks the values."""

    __slots__ = ("key", "describe", "func", "unit", "module", "qualname", "attr", "splice", "inputs", "keep")

    def __init__(self, key, describe, decl, splice=None, inputs=(), keep=None):
        self.key, self.describe = key, describe
        self.func, self.unit = decl.func, decl.unit
        self.module, self.qualname, self.attr = decl.owner.__module__, decl.owner.__qualname__, decl.name
        self.splice = splice
        self.inputs = inputs
        self.keep = keep  # where the node's derived arrays are kept (the model's; not sent to workers)

    def __reduce__(self):
        return (_rebuild_call, (self.key, self.describe, self.module, self.qualname, self.attr, self.splice,
                                self.inputs))

    def arguments(self, upstream) -> list:
        """The formula's arguments, given the upstream tasks' results."""
        return [_resolve(item, upstream) for item in self.inputs]


def _resolve(item, upstream):
    if isinstance(item, Upstream):
        result = upstream[item.position]
        return result if item.index is None else result[item.index]
    if isinstance(item, _FanIn):
        return [_resolve(part, upstream) for part in item]
    return item


class _FanIn(list):
    """A list of inputs of one fan-in (told apart from a known value that is a list, like a list link's)."""

    __slots__ = ()


def _rebuild_call(key, describe, module, qualname, attr, splice, inputs=()):
    owner = importlib.import_module(module)
    for part in qualname.split("."):
        owner = getattr(owner, part)
    return FormulaCall(key, describe, owner.declarations()[attr], splice, inputs)


def call_formula(call: FormulaCall, *upstream):
    """Run one formula; any error that is not already an efp error becomes a :class:`FormulaError`."""
    try:
        args = call.arguments(upstream)
        with reuse.site(call.key, call.keep):
            value = call.func(*args)
    except EfpError as error:
        if getattr(error, "node_key", None) is None:
            error.node_key = call.key
        raise
    except Exception as error:
        wrapped = FormulaError(f"computing {call.describe} failed: {type(error).__name__}: {error}")
        wrapped.node_key = call.key
        raise wrapped from error
    value = as_stored(value, call.unit)
    if call.splice is not None:
        from efp.values.splicing import splice
        value = splice(call.splice[1], value, call.splice[0])
    return value


def call_batch(calls, *upstream):
    """Run the formulas of a batch in order (they share the batch task's upstream results); their values."""
    return [call_formula(call, *upstream) for call in calls]


_PLAIN = (ExplainableQuantity, ExplainableHourlyQuantities)  # exactly these (a SourceValue becomes plain)


def as_stored(value, unit):
    """A formula's result as the model stores it: ``None`` as ``∅``, a number or pint quantity wrapped,
    a quantity or series in the declared ``unit``. The formulas that read it later in the same plan then
    see exactly the numbers that a later plan reads from the node (a result kept in the formula's own
    unit would differ in the last bits after conversion). Anything else is left for the model to refuse.
    """
    if value is None:
        return EmptyExplainableObject()
    if isinstance(value, (numbers.Real, pint.Quantity)) and not isinstance(value, bool):
        value = ExplainableQuantity(value)
    if unit is not None and isinstance(value, (ExplainableQuantity, ExplainableHourlyQuantities)):
        if type(value) in _PLAIN and (value.unit is unit or value.unit == unit):
            return value  # the same object: what it remembers (its rows, its span) stays valid
        try:
            return value.to(unit)
        except pint.DimensionalityError:
            return value
    return value


#: Nodes of one attribute at one depth of a plan run together, up to this many per task.
BATCH_SIZE = 256
#: Fewer nodes of one attribute at one depth than this run as a task each.
BATCH_MIN = 8


def compile_plan(model, order: list[str], simulation=None, inline_data: bool = False) -> dict:
    """The dask graph of a plan: a task per planned node or batch of nodes, known inputs as data.

    A task is ``(call_formula, FormulaCall, *upstream task keys)`` or ``(call_batch, [FormulaCall, ...],
    *upstream task keys)``. Known inputs enter under their own node keys, or, with ``inline_data``
    (local schedulers), inside the FormulaCalls that read them: dask then has no data to track or walk.
    With a ``simulation`` (``(date, {key: baseline value})``), each task keeps its node's baseline
    values before ``date`` (see :mod:`efp.values.splicing`).
    """
    nodes = model.nodes
    graph: dict = {}
    batches = _batches(nodes, order)
    task_of = {key: (batch_key, index) for batch_key, members in batches.items()
               for index, key in enumerate(members)}
    task_of.update((key, (key, None)) for key in order if key not in task_of)

    sources = _Sources(model, graph, task_of, inline_data)

    def compiled(keys):
        """The FormulaCalls of ``keys`` (one task) and the upstream task keys they read, in order."""
        positions: dict[str, int] = {}
        calls = []
        for key in keys:
            node = nodes[key]
            splice = None if simulation is None else (simulation[0], simulation[1].get(key))
            calls.append(FormulaCall(key, model.describe(node), node.decl, splice,
                                     tuple(sources.of(arg, positions) for arg in node.args), model.derived_arrays))
        return calls, tuple(positions)

    for batch_key, members in batches.items():
        calls, upstream = compiled(members)
        graph[batch_key] = (call_batch, calls) + upstream
    for key in order:
        if task_of[key][1] is None:
            calls, upstream = compiled([key])
            graph[key] = (call_formula, calls[0]) + upstream
    return graph


class _Sources:
    """Where each formula input comes from: a known value, or an upstream task's result (a class, not
    nested closures: a recursive closure is a reference cycle, which would keep every call and the
    values it holds alive until the garbage collector runs)."""

    __slots__ = ("nodes", "graph", "task_of", "inline_data")

    def __init__(self, model, graph: dict, task_of: dict, inline_data: bool):
        self.nodes, self.graph, self.task_of, self.inline_data = model.nodes, graph, task_of, inline_data

    def data(self, key: str):
        node = self.nodes[key]
        return link_value_for_formula(node) if node.decl.structural else node.value

    def of(self, arg, positions: dict):
        """``arg`` (a node key, a list of them, or a literal) as a FormulaCall input; an upstream
        task is numbered in ``positions`` (task key → argument position) on first use."""
        if type(arg) is not str:
            return _FanIn(self.of(item, positions) for item in arg) if isinstance(arg, list) else arg
        if arg in self.task_of:
            task, index = self.task_of[arg]
        elif self.inline_data:
            return self.data(arg)
        else:
            task, index = arg, None
            if arg not in self.graph:
                self.graph[arg] = self.data(arg)
        return Upstream(positions.setdefault(task, len(positions)), index)


def _batches(nodes, order: list[str]) -> dict[str, list[str]]:
    """``{batch key: member node keys}``: nodes of one declaration at one depth of the plan (its
    longest chain of planned dependencies), in groups of :data:`BATCH_SIZE`, where there are at
    least :data:`BATCH_MIN`."""
    depth: dict[str, int] = {}
    groups: dict[tuple, list[str]] = {}
    for key in order:
        node = nodes[key]
        depth[key] = 1 + max((depth[dep] for dep in node.deps if dep in depth), default=-1)
        groups.setdefault((depth[key], id(node.decl)), []).append(key)
    batches = {}
    for members in groups.values():
        if len(members) < BATCH_MIN:
            continue
        decl = nodes[members[0]].decl
        for first in range(0, len(members), BATCH_SIZE):
            name = f"batch of {decl.owner.__qualname__}.{decl.name} at depth {depth[members[0]]}"
            batches[f"{name} #{first // BATCH_SIZE}"] = members[first:first + BATCH_SIZE]
    return batches


def run_plan(model, order: list[str], simulation=None) -> dict:
    """Compute the planned nodes; return ``{key: value}``."""
    if not order:
        return {}
    with _collector_paused():
        return _run(model, order, simulation)


_pause_lock = threading.Lock()
_pauses = {"count": 0, "was_enabled": False}


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic garbage collector paused while plans run, restored after the last one ends.

    A plan allocates values by the thousand and they stay alive: each allocation threshold crossed
    would walk every object the model holds (a full collection costs a tenth of a second at two hundred
    usage patterns, a second at ten thousand) to find cycles that values do not form. Reference counting
    still frees everything at once; collections resume when the plan ends."""
    with _pause_lock:
        if _pauses["count"] == 0:
            _pauses["was_enabled"] = gc.isenabled()
            gc.disable()
        _pauses["count"] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses["count"] -= 1
            if _pauses["count"] == 0 and _pauses["was_enabled"]:
                gc.enable()


def _run(model, order: list[str], simulation) -> dict:
    client = config.active_client()
    graph = compile_plan(model, order, simulation, inline_data=client is None)
    outputs = [key for key, task in graph.items() if isinstance(task, tuple) and task and task[0] in _RUNNERS]
    if client is not None:
        run = uuid.uuid4().hex[:12]
        values = client.get(_keys_of_run(graph, run), [(key, run) for key in outputs], sync=True)
    else:
        import dask
        import dask.threaded
        getter = dask.get if (config.scheduler() == "sync" or len(outputs) < config.THREADS_MIN_TASKS) \
            else dask.threaded.get
        with _progress(len(outputs)):
            values = getter(graph, outputs)
    results = {}
    for key, value in zip(outputs, values):
        if graph[key][0] is call_batch:
            results.update(zip((call.key for call in graph[key][1]), value))
        else:
            results[key] = value
    return results


def _keys_of_run(graph: dict, run: str) -> dict:
    """The graph with every key ``k`` renamed ``(k, run)``, references in task arguments included.

    A distributed scheduler keeps a key's result while it releases it, and reuses a known key instead
    of running its new task: with node keys alone, a recomputation sent right after the previous one
    could get the previous result back (stale values, a failing formula not run at all).
    """
    result = {}
    for key, task in graph.items():
        if isinstance(task, tuple) and task and task[0] in _RUNNERS:
            task = task[:2] + tuple((arg, run) for arg in task[2:])
        result[(key, run)] = task
    return result


_RUNNERS = (call_formula, call_batch)


def _progress(n_tasks: int):
    if not config.show_progress(n_tasks):
        return contextlib.nullcontext()
    from dask.diagnostics import ProgressBar
    return ProgressBar(minimum=1.0, dt=0.5)
