"""Compiling a plan of stale nodes to a dask graph, and running it: the engine's only dask module.

A plan (calculated node keys in topological order) becomes a dask graph with one task per node:
``(call_formula, FormulaCall, *args)`` where ``args`` are the node keys of the formula's inputs
(lists of keys for fan-ins). Inputs that are not in the plan enter the graph as data, under their own
node key, so dask never sees the rest of the model. The graph runs on dask's synchronous or threaded
local scheduler, or on a ``dask.distributed.Client`` when one is configured (see :mod:`efp.config`);
keys are the readable node keys, the same as in the networkx graph and explanations.
"""
from __future__ import annotations

import importlib
import numbers
import uuid

import pint

from efp import config
from efp.errors import EfpError, FormulaError
from efp.structure import link_value_for_formula
from efp.values import EmptyExplainableObject, ExplainableHourlyQuantities, ExplainableQuantity, reuse


class FormulaCall:
    """What a task needs to call one formula; pickles by reference to its class declaration."""

    __slots__ = ("key", "describe", "func", "unit", "module", "qualname", "attr", "splice")

    def __init__(self, key, describe, decl, splice=None):
        self.key, self.describe = key, describe
        self.func, self.unit = decl.func, decl.unit
        self.module, self.qualname, self.attr = decl.owner.__module__, decl.owner.__qualname__, decl.name
        self.splice = splice

    def __reduce__(self):
        return (_rebuild_call, (self.key, self.describe, self.module, self.qualname, self.attr, self.splice))


def _rebuild_call(key, describe, module, qualname, attr, splice):
    owner = importlib.import_module(module)
    for part in qualname.split("."):
        owner = getattr(owner, part)
    return FormulaCall(key, describe, owner.declarations()[attr], splice)


def call_formula(call: FormulaCall, *args):
    """Run one formula; any error that is not already an efp error becomes a :class:`FormulaError`."""
    try:
        with reuse.site(call.key):
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
        try:
            return value.to(unit)
        except pint.DimensionalityError:
            return value
    return value


def compile_plan(model, order: list[str], simulation=None, inline_data: bool = False) -> dict:
    """The dask graph of a plan: a task per planned node, known inputs as data.

    Known inputs enter under their own node keys, or, with ``inline_data`` (local schedulers), inside
    the tasks that read them: dask's local scheduler then has no data keys to track, which it does at
    a cost that grows faster than their number. With a ``simulation`` (``(date, {key: baseline
    value})``), each task keeps its node's baseline values before ``date`` (see
    :mod:`efp.values.splicing`).
    """
    nodes = model.nodes
    graph: dict = {}
    planned = set(order)

    def data(dep):
        dep_node = nodes[dep]
        return link_value_for_formula(dep_node) if dep_node.structural else dep_node.value

    def inlined(arg):
        if isinstance(arg, str) and arg not in planned:
            return data(arg)
        if isinstance(arg, list):
            return [inlined(item) for item in arg]
        return arg

    for key in order:
        node = nodes[key]
        splice = None
        if simulation is not None:
            splice = (simulation[0], simulation[1].get(key))
        args = tuple(inlined(arg) for arg in node.args) if inline_data else tuple(node.args)
        graph[key] = (call_formula, FormulaCall(key, model.describe(node), node.decl, splice)) + args
        if not inline_data:
            for dep in node.deps:
                if dep not in planned and dep not in graph:
                    graph[dep] = data(dep)
    return graph


def run_plan(model, order: list[str], simulation=None) -> dict:
    """Compute the planned nodes; return ``{key: value}``."""
    if not order:
        return {}
    client = config.active_client()
    graph = compile_plan(model, order, simulation, inline_data=client is None)
    if client is not None:
        run = uuid.uuid4().hex[:12]
        values = client.get(_keys_of_run(graph, run), [(key, run) for key in order], sync=True)
    else:
        import dask
        import dask.threaded
        getter = dask.get if (config.scheduler() == "sync" or len(order) < config.THREADS_MIN_TASKS) \
            else dask.threaded.get
        with _progress(len(order)):
            values = getter(graph, order)
    return dict(zip(order, values))


def _keys_of_run(graph: dict, run: str) -> dict:
    """The graph with every key ``k`` renamed ``(k, run)``, references in task arguments included.

    A distributed scheduler keeps a key's result while it releases it, and reuses a known key instead
    of running its new task: with node keys alone, a recomputation sent right after the previous one
    could get the previous result back (stale values, a failing formula not run at all).
    """
    def renamed(arg):
        if isinstance(arg, str) and arg in graph:
            return (arg, run)
        if isinstance(arg, list):
            return [renamed(item) for item in arg]
        return arg

    result = {}
    for key, task in graph.items():
        if isinstance(task, tuple) and task and task[0] is call_formula:
            task = task[:2] + tuple(renamed(arg) for arg in task[2:])
        result[(key, run)] = task
    return result


def _progress(n_tasks: int):
    import contextlib
    if not config.show_progress(n_tasks):
        return contextlib.nullcontext()
    from dask.diagnostics import ProgressBar
    return ProgressBar(minimum=1.0, dt=0.5)
