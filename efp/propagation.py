"""Propagation: which nodes a change makes stale, and in which order to recompute them.

``mark_stale`` walks successors from the changed nodes, turning FRESH/FAILED calculated nodes STALE,
and stops at nodes already STALE (invariant 2 of :mod:`efp.states`): its cost grows with what the
change affects, never with the size of the model. ``plan`` adds the STALE ancestors a recomputation
needs and orders the whole in topological order, restricted to those nodes.
"""
from __future__ import annotations

from collections import deque

from efp.states import State

_RECOMPUTABLE = (State.FRESH, State.FAILED)


def mark_stale(model, roots, journal) -> list[str]:
    """Mark the calculated descendants of ``roots`` stale; return the keys that were FRESH/FAILED.

    ``roots`` may hold calculated nodes themselves (rewired nodes): they are marked too.
    """
    nodes, graph = model.nodes, model.graph
    was_fresh: list[str] = []
    queue = deque()
    for key in roots:
        node = nodes[key]
        if node.calculated:
            if node.state in _RECOMPUTABLE:
                journal.save(node)
                node.state = State.STALE
                was_fresh.append(key)
                queue.append(key)
        else:
            queue.append(key)
    while queue:
        for successor in graph.successors(queue.popleft()):
            node = nodes[successor]
            if node.state in _RECOMPUTABLE:
                journal.save(node)
                node.state = State.STALE
                was_fresh.append(successor)
                queue.append(successor)
    return was_fresh


def plan(model, keys) -> list[str]:
    """``keys`` plus their STALE/FAILED ancestors, in topological order."""
    nodes, graph = model.nodes, model.graph
    selected = set()
    queue = deque(k for k in keys if nodes[k].calculated)
    while queue:
        key = queue.popleft()
        if key in selected:
            continue
        selected.add(key)
        for predecessor in graph.predecessors(key):
            state = nodes[predecessor].state  # a calculated node that is not FRESH is STALE or FAILED
            if (state is State.STALE or state is State.FAILED) and predecessor not in selected:
                queue.append(predecessor)
    return topological_order(graph, selected)


def topological_order(graph, selected: set[str]) -> list[str]:
    """Kahn's algorithm on the subgraph induced by ``selected`` (deterministic for a given graph)."""
    indegree = {key: 0 for key in selected}
    for key in selected:
        for successor in graph.successors(key):
            if successor in indegree:
                indegree[successor] += 1
    ready = deque(sorted(key for key, degree in indegree.items() if degree == 0))
    order = []
    while ready:
        key = ready.popleft()
        order.append(key)
        for successor in graph.successors(key):
            if successor in indegree:
                indegree[successor] -= 1
                if indegree[successor] == 0:
                    ready.append(successor)
    if len(order) != len(selected):
        from efp.errors import GraphCycleError
        raise GraphCycleError(f"the dependencies of {sorted(set(selected) - set(order))[:5]} form a cycle")
    return order
