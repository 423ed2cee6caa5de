"""The base class of modeling objects, and how a class's declarations become an object's nodes.

A subclass declares its attributes once (:mod:`efp.declarations`); this module gives it a
constructor (``Cls(name, *inputs, **inputs)``, positional inputs in declaration order, e-footprint
aliases accepted, defaults filling what is not given), ``default_values()``, ``from_defaults()``,
``archetypes()``, ``list_values()``, ``conditional_list_values()`` and a readable ``print(obj)``.
"""
from __future__ import annotations

import hashlib
import itertools
import re

import networkx as nx

from efp.declarations import Calculated, Declaration, Input
from efp.declarations import describe as describe_value
from efp.errors import GraphCycleError, ValidationError
from efp.model import current_model
from efp.values import EmptyExplainableObject

_CLASSES: dict[str, type] = {}
_ids = itertools.count()


def class_named(name: str) -> type:
    """The modeling class registered under ``name``."""
    try:
        return _CLASSES[name]
    except KeyError:
        raise ValidationError(f"unknown modeling class {name!r}; known: {sorted(_CLASSES)}") from None


def registered_classes() -> dict[str, type]:
    return dict(_CLASSES)


def archetype(func):
    """Declare a class method as an archetype (a named preset of defaults): ``Storage.ssd()``."""
    func._efp_archetype = True
    return classmethod(func)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") or "object"


def make_id(name: str) -> str:
    digest = hashlib.blake2b(f"{name}-{next(_ids)}-{id(object())}".encode(), digest_size=3).hexdigest()
    return f"{_slug(name)}-{digest}"


class ModelingObject:
    """Base of every modeling object (see the module docstring)."""

    _declarations: dict[str, Declaration] = {}
    _archetypes: tuple[str, ...] = ()
    #: compute every calculated attribute when the object is created (a System does).
    compute_on_creation = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        declarations: dict[str, Declaration] = {}
        for base in reversed(cls.__mro__[1:]):
            declarations.update(getattr(base, "_declarations", {}))
        for name, value in vars(cls).items():
            if isinstance(value, Declaration):
                declarations.pop(name, None)
                declarations[name] = value
            elif value is None and name in declarations:  # a subclass removes an inherited attribute
                declarations.pop(name)
        cls._declarations = declarations
        names = []
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, classmethod) and getattr(value.__func__, "_efp_archetype", False) \
                        and name not in names:
                    names.append(name)
        cls._archetypes = tuple(names)
        _check_local_cycles(cls)
        _CLASSES[cls.__name__] = cls

    # ------------------------------------------------------------------ class-level API
    @classmethod
    def declarations(cls) -> dict[str, Declaration]:
        return cls._declarations

    @classmethod
    def settable(cls) -> list[str]:
        """Names of the inputs and links, in the order positional arguments take them.

        A class may set ``input_order`` (a tuple of names) to choose that order; other settable
        attributes follow in declaration order.
        """
        names = [n for n, d in cls._declarations.items() if d.kind in ("input", "link", "list_link")]
        order = [n for n in getattr(cls, "input_order", ()) if n in names]
        return order + [n for n in names if n not in order]

    @classmethod
    def calculated_attributes(cls) -> list[str]:
        return [n for n, d in cls._declarations.items() if isinstance(d, Calculated)]

    @classmethod
    def default_values(cls) -> dict:
        """The default value of every input that has one."""
        return {name: decl.default_value() for name, decl in cls._declarations.items()
                if isinstance(decl, Input) and decl._default is not None}

    @classmethod
    def from_defaults(cls, name: str, **overrides):
        """An object with every default, overridden by keyword arguments."""
        return cls(name, **overrides)

    @classmethod
    def archetypes(cls) -> list:
        """The archetype constructors of the class (``Storage.archetypes()``), as bound methods."""
        return [getattr(cls, name) for name in cls._archetypes]

    @classmethod
    def list_values(cls) -> dict:
        """Allowed values of the attributes that take one value from a list."""
        return {name: [v for v in decl.choices] for name, decl in cls._declarations.items()
                if isinstance(decl, Input) and decl.choices is not None}

    @classmethod
    def conditional_list_values(cls) -> dict:
        """Allowed values that depend on another attribute's value."""
        result = {}
        for name, decl in cls._declarations.items():
            if isinstance(decl, Input) and decl.conditional_choices is not None:
                rule = decl.conditional_choices
                result[name] = {"depends_on": rule.depends_on, "conditional_list_values": rule.as_dict()}
        return result

    @classmethod
    def check_inputs(cls, describe: str, values: dict) -> None:
        """Cross-attribute rules, given every input's proposed value; raise :class:`ValidationError`."""
        for name, decl in cls._declarations.items():
            if not isinstance(decl, Input) or decl.conditional_choices is None or name not in values:
                continue
            rule = decl.conditional_choices
            condition = values.get(rule.depends_on)
            allowed = rule.allowed(condition)
            value = values[name]
            if allowed is None:
                continue
            shown = [("no value" if isinstance(a, EmptyExplainableObject) else a) for a in allowed]
            matches = any((isinstance(a, EmptyExplainableObject) and isinstance(value, EmptyExplainableObject))
                          or getattr(value, "value", value) == getattr(a, "value", a) for a in allowed)
            if not matches:
                raise ValidationError(f"{describe}.{name}: got {value} with {rule.depends_on} = {condition}; "
                                      f"allowed: {shown}")

    # ------------------------------------------------------------------ construction
    def __init__(self, name: str, *args, **kwargs):
        if not isinstance(name, str) or not name:
            raise ValidationError(f"{type(self).__name__}: got the name {name!r}; allowed: a non-empty string")
        object_id = kwargs.pop("_id", None)
        self.name = name
        self.id = object_id or make_id(name)
        self._model = current_model()
        with self._model.transaction():  # objects made for defaults go too if this one is refused
            values = self._bind(name, args, kwargs)
            self._model.add_object(self, values, compute=self.compute_on_creation)

    @classmethod
    def _unregistered(cls, name: str, object_id: str, model):
        """An object of the class that ``model`` does not hold yet, without computing anything.

        Loading a file (:mod:`efp.serialization`) creates every object this way, then registers them
        all, with their inputs, in one :meth:`Model.apply` transaction.
        """
        obj = cls.__new__(cls)
        obj.name, obj.id, obj._model = name, object_id, model
        return obj

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        aliases = {}
        for name, decl in cls._declarations.items():
            for alias in getattr(decl, "aliases", ()):
                aliases[alias] = name
        return aliases

    @classmethod
    def _bind(cls, name, args, kwargs) -> dict:
        describe = f"{cls.__name__} '{name}'"
        order = cls.settable()
        if len(args) > len(order):
            raise ValidationError(f"{describe}: got {len(args)} positional inputs; allowed: at most "
                                  f"{len(order)} ({', '.join(order)})")
        values = dict(zip(order, args))
        aliases = cls._aliases()
        for key, value in kwargs.items():
            target = key if key in order else aliases.get(key)
            if target is None:
                raise ValidationError(f"{describe}: got the unknown attribute {key!r} = {describe_value(value)}; "
                                      f"allowed: {order}")
            if target in values:
                raise ValidationError(f"{describe}: {target!r} given twice")
            values[target] = value
        factories = []
        for attr in order:
            if attr in values:
                continue
            decl = cls._declarations[attr]
            if decl.kind == "input" and decl.has_default:
                values[attr] = decl.default_value()
            elif decl.kind == "list_link":
                values[attr] = []
            elif decl.kind == "link" and decl.default_factory is not None:
                factories.append((attr, decl.default_factory))
            elif decl.kind == "link" and decl.optional:
                values[attr] = None
            else:
                raise ValidationError(f"{describe}.{attr}: missing; allowed: {decl.allowed_text()}"
                                      if decl.kind == "input" else
                                      f"{describe}.{attr}: missing; allowed: a {decl.target_name} object")
        if factories:  # validate first: a refused object must not leave its default linked objects behind
            cls.check_inputs(describe, {attr: cls._declarations[attr].validate(describe, value)
                                        for attr, value in values.items()})
            values.update((attr, factory()) for attr, factory in factories)
        return values

    def __setattr__(self, name: str, value) -> None:
        """Declared attributes go through the engine; a name the class does not know is refused
        (``server.lifespam = ...`` must not silently set nothing)."""
        if name.startswith("_") or name in ("name", "id") or hasattr(type(self), name):
            object.__setattr__(self, name, value)
            return
        raise ValidationError(f"{type(self).__name__} '{self.__dict__.get('name', '?')}': got the unknown attribute "
                              f"{name!r}; allowed: {self.settable()}")

    # ------------------------------------------------------------------ reading
    def node(self, attr: str):
        """The engine node of one attribute."""
        return self._model.nodes[f"{self.id}.{attr}"]

    def object_relationship_graph_to_file(self, filepath, classes_to_ignore=(), width="800px", height="500px",
                                          notebook: bool = False, **options):
        """Write the graph of the objects this one links to (objects as nodes, links as edges).

        Objects of ``classes_to_ignore`` (class names or classes) are left out, their links bridged;
        ``.html`` is interactive and self-contained, ``.svg`` and ``.dot`` graphviz output; see
        :func:`efp.plotting.graphs.object_relationship_graph_to_file`.
        """
        from efp.plotting.graphs import object_relationship_graph_to_file
        return object_relationship_graph_to_file(self, filepath, classes_to_ignore=classes_to_ignore, width=width,
                                                 height=height, notebook=notebook, **options)

    def __repr__(self):
        return f"<{type(self).__name__} {self.id}>"

    def __str__(self):
        from efp.display import object_text
        return object_text(self)

    def _repr_html_(self):
        from efp.display import object_html
        return object_html(self)


def _check_local_cycles(cls) -> None:
    graph = nx.DiGraph()
    for name, decl in cls._declarations.items():
        if isinstance(decl, Calculated):
            for path in decl.paths.values():
                if len(path.segments) == 1 and path.segments[0].name in cls._declarations:
                    graph.add_edge(path.segments[0].name, name)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    raise GraphCycleError(f"{cls.__name__}: the formulas {[edge[0] for edge in cycle]} depend on each other in a cycle")
