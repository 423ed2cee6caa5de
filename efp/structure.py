"""Structure of a model: following links, resolving declared paths, deriving backlinks.

Only forward links (:class:`~efp.declarations.Link`, :class:`~efp.declarations.ListLink`) are followed
to derive backlinks and via lists; formulas' paths may also go through those derived lists. Every
function here reads the model and returns what it found, with the link nodes it went through, so
that the graph can hold an edge for each of them and rewire when one changes.
"""
from __future__ import annotations

from typing import Iterable

from efp.errors import LinkError
from efp.paths import Path, Segment
from efp.states import ObjectRef, RefList


def node_key(obj, attr: str) -> str:
    return f"{obj.id}.{attr}"


def targets(obj, attr: str) -> list:
    """The objects an object's link (or derived list) points to, as a list."""
    node = obj._model.nodes[node_key(obj, attr)]
    value = node.value
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    return [value]


def _is_forward(decl) -> bool:
    return decl.kind in ("link", "list_link")


def forward_walk(objects: Iterable, segments: tuple[Segment, ...], unique: bool = False) -> list:
    """Follow forward links from ``objects`` along ``segments``; objects lacking a segment are skipped.

    With ``unique``, each object is kept once, where it first appears (duplicates are dropped at every
    step: their targets would only repeat ones already found, so the order of first appearances is
    the same, and a path through thousands of objects sharing a few stays cheap)."""
    current = list(objects)
    for segment in segments:
        following = []
        for obj in current:
            decl = type(obj).declarations().get(segment.name)
            if decl is not None and _is_forward(decl):
                following.extend(targets(obj, segment.name))
        current = _unique_in_order(following) if unique else following
    return current


def reverse_walk(objects: Iterable, segments: tuple[Segment, ...], model) -> list:
    """The objects from which ``segments`` (forward links) lead to one of ``objects``."""
    current = {id(obj): obj for obj in objects}
    for segment in reversed(segments):
        found = {}
        for obj in current.values():
            for (referrer_id, attr), count in model.referrers.get(obj.id, {}).items():
                if attr == segment.name and count > 0:
                    referrer = model.objects[referrer_id]
                    found[id(referrer)] = referrer
        current = found
    return list(current.values())


def _unique_in_order(objects: Iterable) -> list:
    seen, result = set(), []
    for obj in objects:
        if id(obj) not in seen:
            seen.add(id(obj))
            result.append(obj)
    return result


def evaluate_structural(obj, decl) -> list:
    """The current value of a backlink or via declaration on ``obj``."""
    model = obj._model
    if decl.kind == "via":
        return _unique_in_order(o for path in decl.paths for o in forward_walk([obj], path.segments, unique=True))
    from efp.modeling_object import registered_classes
    classes = registered_classes()
    found = []
    for class_name, path in decl.sources:
        source_cls = classes.get(class_name)
        if source_cls is None:  # a class never defined (e.g. its module not imported) has no instances
            continue
        found.extend(o for o in reverse_walk([obj], path.segments, model) if isinstance(o, source_cls))
    return sorted(_unique_in_order(found), key=lambda o: model.sequence[o.id])


def affected_structural_nodes(model, owner, attr: str, changed_targets: Iterable) -> set[str]:
    """Keys of the backlink/via nodes whose value may change when ``owner.attr`` (a forward link) changes."""
    changed_targets = list(changed_targets)
    keys = set()
    for owner_cls, decl, path, position in model.structural_index.get(attr, ()):
        if decl.kind == "via":
            candidates = reverse_walk([owner], path.segments[:position], model)
        else:
            candidates = forward_walk(changed_targets, path.segments[position + 1:])
        for candidate in candidates:
            if isinstance(candidate, owner_cls):
                keys.add(node_key(candidate, decl.name))
    return keys


def ref(obj) -> ObjectRef:
    """The object's :class:`ObjectRef` (made once per object and name)."""
    cached = obj.__dict__.get("_ref")
    if cached is None or cached.name != obj.name:
        cached = obj.__dict__["_ref"] = ObjectRef(obj.id, obj.name, type(obj).__name__)
    return cached


def resolve_path(obj, path: Path, describe) -> tuple[object, set[str], set[str]]:
    """Resolve a formula input path from ``obj``.

    Returns ``(arg, value_keys, link_keys)``: ``arg`` is a node key, a list of node keys (when the path
    fans out), ``None`` (a link without target on the way) or an :class:`ObjectRef` (``"self"``).
    """
    if path.is_self:
        return ref(obj), set(), set()
    current = [obj]
    links: set[str] = set()
    for index, segment in enumerate(path.segments):
        last = index == len(path.segments) - 1
        following = []
        keys = []
        for item in current:
            decl = type(item).declarations().get(segment.name)
            if decl is None:
                raise LinkError(f"{describe}: input path {path} names '{segment.name}', which "
                                f"{type(item).__name__} '{item.name}' does not have")
            key = node_key(item, segment.name)
            if last:
                keys.append(key)
                continue
            if not decl.structural:
                raise LinkError(f"{describe}: input path {path} goes through '{segment.name}', "
                                f"which is a value, not a link")
            if getattr(decl, "is_list", False) and not segment.fan:
                raise LinkError(f"{describe}: '{segment.name}' is a list; write '{segment.name}[]' in {path}")
            links.add(key)
            following.extend(targets(item, segment.name))
        if last:
            arg = keys if path.fans else (keys[0] if keys else None)
            return arg, set(keys), links
        current = following
        if not current and not path.fans:
            return None, set(), links
    raise AssertionError("unreachable")


def link_value_for_formula(node):
    """How a formula sees a link node's value: an :class:`ObjectRef`, a :class:`RefList` or ``None``."""
    value = node.value
    if value is None:
        return None
    if isinstance(value, list):
        return RefList(ref(obj) for obj in value)
    return ref(value)
