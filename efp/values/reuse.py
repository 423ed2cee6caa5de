"""Arrays derived from other objects, found again instead of recomputed while both are alive.

When one usage pattern's starts change, every sum over usage patterns it enters is redone (a
journey's starts, a network's traffic, the devices' footprint), and a job's per-usage-pattern series
is rebuilt row by row. All terms but one are the very same objects as before. :func:`derived`
remembers, for a recipe applied to some source objects (arrays, or :class:`~efp.values.rows.Row` s),
what it gave (an array or a row), and gives it again when asked for the same recipe on the same
sources (the same objects, not equal ones). So a recomputation redoes the partial sums that hold what
changed (:func:`efp.values.rows.add_rows`) and finds every other one as it was.

The memory of derived arrays is weak: an entry is dropped when its result is freed, and ignored once
any of its sources is freed (an ``id`` can be reused, an object cannot be confused with a dead one).
What keeps them alive is the computation that used them: the engine runs each formula inside
:func:`site`, and a site keeps the derived arrays its last successful run used (a node's rows, its
partial sums) until its next run replaces them. So memory holds what the current values were built
from, and no more. Results are the arrays a fresh computation gives, to the bit: the recipe is the
computation, and it is deterministic.
"""
from __future__ import annotations

import contextvars
import threading
import weakref

import numpy as np

_entries: dict = {}
_sites: dict = {}
_facts: dict = {}
#: how many derived arrays were computed, and found again, since the process started (tests, benchmarks)
counts = {"computed": 0, "found": 0}
_current: contextvars.ContextVar = contextvars.ContextVar("efp_reuse_site", default=None)
_lock = threading.RLock()  # re-entrant: a callback may run while the lock is held


def derived(sources: tuple, recipe, compute) -> np.ndarray:
    """``compute()``, or the array an earlier call with the same ``sources`` objects and ``recipe`` gave
    if it is still alive. ``recipe`` is hashable and, with the sources, determines the result."""
    used = _current.get()
    key = (tuple(map(id, sources)), recipe)
    entry = _entries.get(key)
    if entry is not None:
        source_refs, result_ref = entry
        result = result_ref()
        if result is not None and all(ref() is source for ref, source in zip(source_refs, sources)):
            if used is not None:
                used.append(result)
            counts["found"] += 1
            return result
    counts["computed"] += 1
    result = compute()
    if used is not None:
        used.append(result)
    try:
        source_refs = tuple(weakref.ref(source) for source in sources)
    except TypeError:  # a source that cannot be referred to weakly: nothing to remember
        return result
    result_ref = weakref.ref(result, lambda ref, key=key: _forget(key, ref))
    with _lock:
        _entries[key] = (source_refs, result_ref)
    return result


def _forget(key, result_ref) -> None:
    with _lock:
        entry = _entries.get(key)
        if entry is not None and entry[1] is result_ref:
            del _entries[key]


def fact(array: np.ndarray, name: str, compute):
    """A small fact about ``array`` (``compute(array)``), remembered as long as the array lives."""
    key = (id(array), name)
    known = _facts.get(key, _facts)
    if known is _facts:
        known = compute(array)
        with _lock:
            _facts[key] = known
        weakref.finalize(array, _facts.pop, key, None)
    return known


class site:
    """``with site(key):`` runs a computation as ``key``: when it succeeds, ``key`` keeps the derived
    arrays it used, in place of those of its previous run (a failed run leaves the previous ones), in
    ``sites`` (the engine passes the model's ``derived_arrays``, so that they go with the model; by
    default, this process's). A class rather than a generator: it wraps every formula call."""

    __slots__ = ("key", "sites", "used", "token")

    def __init__(self, key, sites: dict | None = None):
        self.key, self.sites = key, _sites if sites is None else sites

    def __enter__(self):
        self.used = []
        self.token = _current.set(self.used)
        return self

    def __exit__(self, error_type, error, traceback):
        _current.reset(self.token)
        if error_type is None:
            with _lock:
                self.sites[self.key] = self.used
        return False
