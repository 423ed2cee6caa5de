"""The journal of a transaction: what to restore so that a failed change leaves no trace.

Before a transaction touches a node (its value, state, error or edges), the object referrer index or
the object registry, it saves the old state here, once. ``rollback`` puts every saved thing back, in
reverse, including the contents of list links in place (a user may hold the list object) and the
graph edges of rewired nodes. A journal also serves as a snapshot for simulations, which switch a
model between two saved states.
"""
from __future__ import annotations

from collections import Counter


class Journal:
    def __init__(self, model):
        self.model = model
        self.nodes: dict[str, tuple] = {}
        self.referrers: dict[str, Counter] = {}
        self.created_nodes: list[str] = []
        self.created_keys: set[str] = set()
        self.created_objects: list = []

    def save(self, node) -> None:
        """Remember the node as it is now, unless already saved or created by this transaction."""
        if node.key in self.nodes or node.key in self.created_keys:
            return
        value = node.value
        if isinstance(value, list):
            value = _ListSnapshot(value, list(value))
        self.nodes[node.key] = (node.state, value, node.error, node.args, node.deps)

    def created(self, key: str) -> None:
        self.created_nodes.append(key)
        self.created_keys.add(key)

    def save_referrers(self, object_id: str) -> None:
        if object_id not in self.referrers:
            self.referrers[object_id] = Counter(self.model.referrers.get(object_id, Counter()))

    def rollback(self) -> None:
        model = self.model
        for key, (state, value, error, args, deps) in self.nodes.items():
            node = model.nodes[key]
            if isinstance(value, _ListSnapshot):
                value = value.restore()
            node.state, node.value, node.error, node.args = state, value, error, args
            if node.deps != deps:
                model._set_edges(node, deps)
            node.deps = deps
        for object_id, counter in self.referrers.items():
            model.referrers[object_id] = counter
        for key in reversed(self.created_nodes):
            model._remove_node(key)
        for obj in reversed(self.created_objects):
            model._unregister(obj)


class _ListSnapshot:
    """A list link's list object and its contents when saved (restored in place)."""

    __slots__ = ("the_list", "contents")

    def __init__(self, the_list, contents):
        self.the_list, self.contents = the_list, contents

    def restore(self):
        list.__init__(self.the_list, self.contents)
        return self.the_list
