"""How a model's structure follows its links: registering objects, deriving backlinks and via
lists, rewiring formulas whose paths went through a changed link (a mixin of :class:`efp.model.Model`).

Guarantees: after :meth:`Wiring._register`, :meth:`Wiring._refresh_structure` and
:meth:`Wiring._rewire`, every derived list equals its definition over the current links, and every
formula node's in-edges are exactly its resolved dependencies (invariant 3 of :mod:`efp.states`);
a dependency that would close a cycle is refused. Every change goes through the transaction's
journal, so a rollback restores the structure too.
"""
from __future__ import annotations

import networkx as nx

from efp.errors import GraphCycleError, LinkError, ValidationError
from efp.linked_list import LinkedList
from efp.states import Node, State
from efp.structure import affected_structural_nodes, evaluate_structural, node_key, resolve_path


class Wiring:
    """The structural half of :class:`efp.model.Model` (see the module docstring)."""

    def _index_class(self, cls) -> None:
        if cls in self._indexed_classes:
            return
        self._indexed_classes.add(cls)
        for decl in cls.declarations().values():
            if decl.kind == "via":
                paths = list(decl.paths)
            elif decl.kind == "backlink":
                paths = [path for _, path in decl.sources]
            else:
                continue
            for path in paths:
                for position, segment in enumerate(path.segments):
                    self.structural_index[segment.name].append((cls, decl, path, position))

    def _register(self, obj, values: dict, journal) -> list:
        cls = type(obj)
        self._index_class(cls)
        self.objects[obj.id] = obj
        self.sequence[obj.id] = next(self._counter)
        journal.created_objects.append(obj)
        link_changes, later = [], []
        for name, decl in cls.declarations().items():
            key = node_key(obj, name)
            if key in self.nodes:
                raise ValidationError(f"an object with id {obj.id!r} already exists")
            node = Node(key, obj, decl, State.STALE if decl.kind == "calculated" else State.INPUT)
            self.nodes[key] = node
            self.graph.add_node(key)
            journal.created(key)
            if decl.kind == "input":
                node.value = self._attach(node, values[name])
            elif decl.kind == "list_link":
                node.value = LinkedList(obj, name, values.get(name, []))
                link_changes += self._relink(node, [], list(node.value), journal)
            elif decl.kind == "link":
                node.value = values.get(name)
                link_changes += self._relink(node, [], [node.value] if node.value is not None else [], journal)
            else:
                later.append(node)
        for node in later:
            if node.structural:
                node.value = evaluate_structural(obj, node.decl)
        for node in later:
            if node.calculated:
                self._resolve(node, journal)
        return link_changes

    def _refresh_structure(self, link_changes, journal) -> set[str]:
        affected = set()
        for owner, attr, changed_targets in link_changes:
            affected |= affected_structural_nodes(self, owner, attr, changed_targets)
        changed = set()
        for key in affected:
            node = self.nodes.get(key)
            if node is None:
                continue
            new = evaluate_structural(node.obj, node.decl)
            if node.value is None or [id(o) for o in new] != [id(o) for o in node.value]:
                journal.save(node)
                node.value = new
                changed.add(key)
        return changed

    def _check_structure(self, structural_keys, journal) -> None:
        for key in structural_keys:
            node = self.nodes[key]
            limit = getattr(node.decl, "at_most", None)
            if limit is not None and len(node.value) > limit:
                names = ", ".join(f"'{o.name}'" for o in node.value)
                raise LinkError(f"{type(node.obj).__name__} '{node.obj.name}'.{node.attr}: got {names}; "
                                f"allowed: at most {limit} ({node.decl.doc})")

    def _rewire(self, changed_links: set[str], journal) -> set[str]:
        rewired = set()
        for key in changed_links:
            for successor in list(self.graph.successors(key)):
                node = self.nodes[successor]
                if node.calculated and successor not in rewired:
                    self._resolve(node, journal)
                    rewired.add(successor)
        return rewired

    def _resolve(self, node: Node, journal) -> None:
        journal.save(node)
        args, deps = [], set()
        describe = self.describe(node)
        for parameter in node.decl.parameters:
            arg, value_keys, link_keys = resolve_path(node.obj, node.decl.paths[parameter], describe)
            args.append(arg)
            deps |= value_keys | link_keys
        node.args = tuple(args)
        deps = frozenset(deps)
        if deps != node.deps:
            added = deps - node.deps
            self._set_edges(node, deps)
            node.deps = deps
            for dep in added:
                if dep == node.key or nx.has_path(self.graph, node.key, dep):
                    raise GraphCycleError(f"{describe} would depend on itself through {dep}: "
                                          f"the declared inputs form a cycle")

    def _set_edges(self, node: Node, deps) -> None:
        for old in node.deps - deps:
            if self.graph.has_edge(old, node.key):
                self.graph.remove_edge(old, node.key)
        self.graph.add_edges_from((dep, node.key) for dep in deps)

    def _remove_node(self, key: str) -> None:
        self.nodes.pop(key, None)
        self.derived_arrays.pop(key, None)
        if key in self.graph:
            self.graph.remove_node(key)

    def _unregister(self, obj) -> None:
        self.objects.pop(obj.id, None)
        self.sequence.pop(obj.id, None)
