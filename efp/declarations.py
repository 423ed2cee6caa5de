"""How a modeling class declares its attributes, each exactly once.

- :class:`Input`: a user-set value with its unit (dimension), default, bounds, allowed values and doc.
  Defaults, validation, printing, JSON and the reference docs all read this one declaration.
- :class:`Link` / :class:`ListLink`: user-set references to other modeling objects.
- :class:`Backlink`: the objects whose forward links reach this one (e.g. a server's jobs).
- :class:`Via`: the objects a forward path reaches, without duplicates (e.g. a system's servers).
- :func:`calculated`: a formula; a plain function whose parameter names are its inputs (same-object
  attributes, or paths given in ``inputs=``), whose docstring documents it, and whose result is stored
  in the declared unit.

Declarations are data: the engine builds the graph from them without running any formula.
"""
from __future__ import annotations

import inspect
import numbers
from typing import Callable, Mapping, Sequence

import numpy as np
import pint

from efp.errors import LinkError, UnitDimensionError, ValidationError
from efp.paths import Path, parse_path
from efp.units import as_unit
from efp.values import (EmptyExplainableObject, ExplainableHourlyQuantities, ExplainableObject,
                        ExplainableQuantity, SourceObject, SourceValue, Sources)


def describe(value) -> str:
    """A short description of a value for error messages."""
    text = repr(value) if not isinstance(value, (ExplainableQuantity, ExplainableObject)) else str(value)
    return text if len(text) <= 120 else text[:117] + "..."


class Declaration:
    """Base of every attribute declaration; ``name`` and ``owner`` are set when the class is created."""

    kind = "declaration"
    structural = False  # True for links: their values are objects, not numbers

    def __init__(self, doc: str = ""):
        self.doc = doc
        self.name: str = ""
        self.owner: type | None = None

    def __set_name__(self, owner, name):
        self.name = name
        self.owner = owner

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return obj._model.read(obj, self.name)

    def __set__(self, obj, value):
        obj._model.write(obj, self.name, value)

    def _error(self, obj_desc: str, value, allowed: str, cls=ValidationError):
        return cls(f"{obj_desc}.{self.name}: got {describe(value)}; allowed: {allowed}")


class ConditionalChoices:
    """Allowed values of an attribute that depend on another attribute's value.

    ``choices`` maps a value of ``depends_on`` to the allowed values, or is a callable doing so
    (for long lists loaded on demand). A value of ``depends_on`` missing from a mapping leaves the
    attribute unrestricted.
    """

    def __init__(self, depends_on: str, choices: Mapping[str, Sequence] | Callable[[str], Sequence | None]):
        self.depends_on = depends_on
        self._choices = choices

    def allowed(self, condition_value) -> Sequence | None:
        key = getattr(condition_value, "value", condition_value)
        if callable(self._choices):
            return self._choices(key)
        return self._choices.get(key)

    def as_dict(self) -> dict:
        if callable(self._choices):
            return {}
        return dict(self._choices)


class Input(Declaration):
    """A user-set attribute.

    Parameters
    ----------
    unit : unit of the attribute (its dimension is enforced; values keep their own unit).
    default : default value (a pint quantity, a string choice, or a callable returning one).
    ge, gt, le : bounds, in ``unit``.
    choices : allowed values of a non-numeric attribute (a sequence, or a callable returning one).
    conditional_choices : allowed values depending on another attribute.
    hourly : the value is an hourly series.
    timezone : the value is an IANA time zone name.
    text : the value is free text.
    optional : ``∅`` (no value) is allowed.
    aliases : other keyword names accepted by the constructor (e-footprint 9 and seed spellings).
    source : source given to the default value.
    """

    kind = "input"

    def __init__(self, unit=None, default=None, *, ge=None, gt=None, le=None, choices=None,
                 conditional_choices: ConditionalChoices | None = None, hourly=False, timezone=False,
                 text=False, optional=False, aliases: Sequence[str] = (), source=Sources.HYPOTHESIS, doc: str = ""):
        super().__init__(doc)
        self.unit = as_unit(unit) if unit is not None else None
        self._default = default
        self.ge, self.gt, self.le = ge, gt, le
        self._choices = choices
        self.conditional_choices = conditional_choices
        self.hourly = hourly
        self.timezone = timezone
        self.text = text
        self.optional = optional
        self.aliases = tuple(aliases)
        self.source = source

    @property
    def is_choice(self) -> bool:
        return self._choices is not None or self.timezone or self.text

    @property
    def choices(self) -> list | None:
        if self._choices is None:
            return None
        return list(self._choices() if callable(self._choices) else self._choices)

    @property
    def has_default(self) -> bool:
        return self._default is not None or self.optional

    def default_value(self):
        """A fresh value for the default (``∅`` for an optional input without default)."""
        default = self._default() if callable(self._default) else self._default
        if default is None:
            return EmptyExplainableObject()
        if isinstance(default, (pint.Quantity, numbers.Real)):
            return SourceValue(default, self.source)
        if isinstance(default, str):
            return SourceObject(default, self.source)
        if hasattr(default, "detached"):
            return default.detached()
        return default

    def bounds_text(self) -> str:
        parts = []
        if self.ge is not None:
            parts.append(f">= {self.ge}")
        if self.gt is not None:
            parts.append(f"> {self.gt}")
        if self.le is not None:
            parts.append(f"<= {self.le}")
        return " and ".join(parts)

    def allowed_text(self) -> str:
        if self.text:
            return "a text (str)"
        if self.is_choice and not self.timezone:
            return f"one of {self.choices}"
        if self.timezone:
            return "an IANA time zone name such as 'Europe/Paris'"
        kind = "an hourly series" if self.hourly else "a quantity"
        unit = f" with the dimension of {self.unit} ({self.unit.dimensionality})" if self.unit else ""
        bounds = f", {self.bounds_text()} {self.unit or ''}".rstrip() if self.bounds_text() else ""
        empty = ", or no value (EmptyExplainableObject)" if self.optional else ""
        return f"{kind}{unit}{bounds}{empty}"

    def validate(self, obj_desc: str, value):
        """Return the value as stored (wrapped if given bare), or raise :class:`ValidationError`."""
        if isinstance(value, EmptyExplainableObject) or value is None:
            if self.optional:
                return value if value is not None else EmptyExplainableObject()
            raise self._error(obj_desc, value, self.allowed_text())
        if self.is_choice:
            return self._validate_choice(obj_desc, value)
        if self.hourly:
            return self._validate_hourly(obj_desc, value)
        return self._validate_quantity(obj_desc, value)

    def _validate_choice(self, obj_desc, value):
        if isinstance(value, str):
            value = SourceObject(value, Sources.USER_DATA)
        if not isinstance(value, ExplainableObject) or not isinstance(value.value, str):
            raise self._error(obj_desc, value, self.allowed_text())
        if self.timezone:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
            try:
                ZoneInfo(value.value)
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise self._error(obj_desc, value.value, self.allowed_text()) from error
            return value
        choices = self.choices
        if choices is not None and value.value not in choices:
            raise self._error(obj_desc, value.value, self.allowed_text())
        return value

    def _check_dimension(self, obj_desc, value, unit):
        if self.unit is not None and unit.dimensionality != self.unit.dimensionality:
            raise self._error(obj_desc, value, self.allowed_text(), UnitDimensionError)

    def _check_bounds(self, obj_desc, value, magnitudes: np.ndarray):
        if not np.all(np.isfinite(magnitudes)):
            raise self._error(obj_desc, value, "finite numbers only (no NaN or infinity): " + self.allowed_text())
        if self.ge is not None and np.any(magnitudes < self.ge):
            raise self._error(obj_desc, value, self.allowed_text())
        if self.gt is not None and np.any(magnitudes <= self.gt):
            raise self._error(obj_desc, value, self.allowed_text())
        if self.le is not None and np.any(magnitudes > self.le):
            raise self._error(obj_desc, value, self.allowed_text())

    def _validate_quantity(self, obj_desc, value):
        if isinstance(value, (pint.Quantity, numbers.Real)) and not isinstance(value, bool):
            if isinstance(value, pint.Quantity) and not np.ndim(value.magnitude) == 0:
                raise self._error(obj_desc, value, self.allowed_text())
            try:
                value = SourceValue(value, Sources.USER_DATA)
            except (TypeError, ValueError, OverflowError) as error:
                raise self._error(obj_desc, value, self.allowed_text()) from error
        if not isinstance(value, ExplainableQuantity):
            raise self._error(obj_desc, value, self.allowed_text())
        self._check_dimension(obj_desc, value, value.unit)
        try:  # a complex magnitude or an integer too large for a float is no physical number
            magnitude = value.magnitude if self.unit is None else value.value.to(self.unit).magnitude
            magnitudes = np.asarray([magnitude], dtype=float)
        except (TypeError, ValueError, OverflowError) as error:
            raise self._error(obj_desc, value.value, "a real number: " + self.allowed_text()) from error
        self._check_bounds(obj_desc, value, magnitudes)
        return value

    def _validate_hourly(self, obj_desc, value):
        if not isinstance(value, ExplainableHourlyQuantities):
            raise self._error(obj_desc, value, self.allowed_text())
        if value.magnitude.size == 0:  # an empty series has no first hour (and cannot even be printed)
            raise ValidationError(f"{obj_desc}.{self.name}: got an empty hourly series (no hour at all); allowed: "
                                  f"{self.allowed_text()}, with at least one hour")
        self._check_dimension(obj_desc, value, value.unit)
        factor = 1.0 if self.unit is None else float((1 * value.unit).to(self.unit).magnitude)
        self._check_bounds(obj_desc, value, value.magnitude * factor)
        return value


class Link(Declaration):
    """A reference to one modeling object of class ``target`` (a class or its name)."""

    kind = "link"
    structural = True
    is_list = False

    def __init__(self, target, *, optional=False, default_factory: Callable | None = None,
                 aliases: Sequence[str] = (), doc: str = ""):
        super().__init__(doc)
        self._target = target
        self.optional = optional
        self.default_factory = default_factory
        self.aliases = tuple(aliases)

    @property
    def target(self) -> type:
        from efp.modeling_object import class_named
        return class_named(self._target) if isinstance(self._target, str) else self._target

    @property
    def target_name(self) -> str:
        return self._target if isinstance(self._target, str) else self._target.__name__

    def _check_one(self, obj_desc, item, value):
        from efp.modeling_object import ModelingObject
        if not isinstance(item, ModelingObject) or not isinstance(item, self.target):
            raise self._error(obj_desc, value, f"a {self.target_name} object", LinkError)

    def validate(self, obj_desc: str, value):
        if value is None:
            if self.optional:
                return None
            raise self._error(obj_desc, value, f"a {self.target_name} object", LinkError)
        self._check_one(obj_desc, value, value)
        return value


class ListLink(Link):
    """A list of references to modeling objects of class ``target``; order and repeats count."""

    kind = "list_link"
    is_list = True

    def validate(self, obj_desc: str, value):
        if value is None or isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise self._error(obj_desc, value, f"a list of {self.target_name} objects", LinkError)
        from efp.modeling_object import ModelingObject
        for position, item in enumerate(value):
            if not isinstance(item, ModelingObject) or not isinstance(item, self.target):
                # name the refused item itself: a long list would hide it in a shortened message
                raise LinkError(f"{obj_desc}.{self.name}: got {describe(item)} at position {position} of the "
                                f"list; allowed: a {self.target_name} object")
        return list(value)


class Backlink(Declaration):
    """The objects whose forward path reaches this object: ``Backlink(("Job", "server"))``.

    Several ``(source class, path)`` pairs may be given; the result is their union, without duplicates,
    in object creation order.
    """

    kind = "backlink"
    structural = True
    is_list = True

    def __init__(self, *sources: tuple[str, str], at_most: int | None = None, doc: str = ""):
        super().__init__(doc)
        self.sources = tuple((cls_name, parse_path(path)) for cls_name, path in sources)
        self.at_most = at_most


class Via(Declaration):
    """The objects forward paths from this object reach, without duplicates, in path order.

    Several paths may be given (objects of different classes reach their targets differently); the
    result is their union.
    """

    kind = "via"
    structural = True
    is_list = True

    def __init__(self, *paths: str, doc: str = ""):
        super().__init__(doc)
        self.paths = tuple(parse_path(path) for path in paths)


class Calculated(Declaration):
    """A calculated attribute: a formula and its declared inputs."""

    kind = "calculated"

    def __init__(self, func: Callable, unit=None, inputs: Mapping[str, str] | None = None):
        super().__init__(inspect.getdoc(func) or "")
        self.func = func
        self.unit = as_unit(unit) if unit is not None else None
        parameters = list(inspect.signature(func).parameters)
        inputs = dict(inputs or {})
        unknown = set(inputs) - set(parameters)
        if unknown:
            raise TypeError(f"formula {func.__qualname__}: inputs= names unknown parameters {sorted(unknown)}")
        self.parameters: tuple[str, ...] = tuple(parameters)
        self.paths: dict[str, Path] = {p: parse_path(inputs.get(p, p)) for p in parameters}

    def __set_name__(self, owner, name):
        super().__set_name__(owner, name)
        if name != self.func.__name__:
            raise TypeError(f"formula {self.func.__qualname__} must be declared under its own name")


def calculated(unit=None, inputs: Mapping[str, str] | None = None):
    """Declare a calculated attribute (see the module docstring)::

        @calculated(unit="kWh", inputs={"pue": "server.power_usage_effectiveness"})
        def instances_energy(power, pue, nb_of_instances): ...
    """
    def decorate(func):
        return Calculated(func, unit=unit, inputs=inputs)
    return decorate




