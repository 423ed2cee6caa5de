"""Modeling objects and their values as JSON-ready data, read from their declarations (the efp JSON format).

What this module guarantees:

- **Exact round trip.** Quantities are written as JSON numbers (Python writes the shortest text that
  reads back as the same float64), hourly series as their float64 little-endian bytes, byte-shuffled,
  zlib-compressed and base64-encoded. Loading gives back every input, and every saved calculated value,
  bit for bit, with its unit, time axis, usage-pattern rows, label and source.
- **Nothing runs from the file.** Classes are looked up by name through a resolver (the engine's class
  registry by default); units are parsed by pint's unit parser after a character check; no module is
  imported, nothing is evaluated or unpickled.
- **All or nothing.** Every object is decoded and validated first (errors name the object id, its class,
  the attribute and what is wrong), then all objects are registered in *one* :meth:`Model.apply`
  transaction, in link order; if anything fails there (a rule across attributes, a capacity error of a
  formula run on creation), the transaction rolls back and the model holds nothing of the file.
- **No recomputation of saved results.** Saved calculated values are stored FRESH through
  ``Model.apply(preset=...)``; the edges of every node come from the declarations as for any new object,
  so a later change recomputes exactly the descendants it affects.

The layout (documented in ``docs/json-format.md``): ``{class name: {object id: object}}`` groups, one
object being ``{"name", "id", <input or link>: <encoded value>, ..., "calculated_attributes": {...}}``.
A :class:`Dialect` says how a given kind of file names classes and which extra attributes it may carry
(the model package maps e-footprint 9's names with one).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Callable, Iterable


from efp.errors import EfpError, SerializationError, ValidationError
from efp.model import Model, current_model
from efp.modeling_object import ModelingObject, class_named, make_id
from efp.states import State
from efp.units import u
from efp.values import (EmptyExplainableObject, ExplainableObject, ExplainableQuantity,
                        SourceHourlyValues, SourceObject, Sources, SourceValue)

from efp.value_codec import (CALCULATED, DATE_FORMAT, FORMAT_VERSION, MAX_PLAIN_DEPTH, SERIES_ENCODING, Where, _UNIT_TEXT, _VALUE_KEYS, _class_path, _date, _expect, _kind, _label, _number, _object_class, _series_values, _short, _shuffle, _unshuffle, decode_plain, decode_series, decode_source, decode_unit, efp_version, encode_plain, encode_series, encode_source, encode_unit, encode_value)  # noqa: F401 (re-exported)


# ---------------------------------------------------------------------------------------------- dialects
@dataclass
class Dialect:
    """How one kind of file names classes and attributes.

    ``resolve_class`` maps a class name of the file to a modeling class (raising
    :class:`SerializationError`); ``ignored`` says whether an attribute the class does not declare may be
    skipped (``(file class name, class, attribute, raw value) -> bool``); ``value_keys`` are extra keys a
    value may carry (ignored); ``calculated`` says whether objects may carry saved calculated values.
    """

    name: str = "efp"
    resolve_class: Callable[[str], type] | None = None
    ignored: Callable[[str, type, str, object], bool] = lambda class_name, cls, attr, raw: False
    value_keys: frozenset = frozenset()
    calculated: bool = True

    def class_for(self, class_name: str, where: Where) -> type:
        if self.resolve_class is not None:
            return self.resolve_class(class_name)
        try:
            return class_named(class_name)
        except ValidationError:
            raise where.error(f"unknown class {class_name!r}: no modeling class of that name is registered "
                              f"(import the module that defines it before loading)") from None


# ---------------------------------------------------------------------------------------------- saving
def reachable_objects(roots: Iterable[ModelingObject]) -> list[ModelingObject]:
    """The roots and every object their links reach, in creation order."""
    found: dict[str, ModelingObject] = {}
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if obj.id in found:
            continue
        found[obj.id] = obj
        for name, decl in type(obj).declarations().items():
            if decl.kind in ("link", "list_link"):
                value = obj.node(name).value
                stack.extend(value if isinstance(value, list) else [value] if value is not None else [])
    sequence = next(iter(found.values()))._model.sequence if found else {}
    return sorted(found.values(), key=lambda o: sequence.get(o.id, 0))


def encode_object(obj: ModelingObject, save_calculated: bool = False) -> dict:
    """An object's name, id, inputs and links (ids), and, if asked, its FRESH calculated values.

    A calculated value that is not FRESH, or whose type the format cannot hold, is left out: it is
    computed when read after loading.
    """
    data = {"name": obj.name, "id": obj.id}
    for name in type(obj).settable():
        decl, value = type(obj).declarations()[name], obj.node(name).value
        if decl.kind == "list_link":
            data[name] = [target.id for target in value]
        elif decl.kind == "link":
            data[name] = value.id if value is not None else None
        else:
            data[name] = encode_value(value, decl)
    if save_calculated:
        calculated = {}
        for name in type(obj).calculated_attributes():
            node = obj.node(name)
            if node.state is State.FRESH:
                try:
                    calculated[name] = encode_value(node.value)
                except (SerializationError, TypeError):
                    continue
        if calculated:
            data[CALCULATED] = calculated
    return data


def dump_objects(objects: Iterable[ModelingObject], save_calculated: bool = False,
                 class_name: Callable[[type], str] = lambda cls: cls.__name__) -> dict:
    """``{class name: {id: object}}``, classes in the order of their first object, objects in order."""
    groups: dict[str, dict] = {}
    for obj in objects:
        groups.setdefault(class_name(type(obj)), {})[obj.id] = encode_object(obj, save_calculated)
    return groups


# ---------------------------------------------------------------------------------------------- loading
@dataclass
class _Record:
    """One object of a document, decoded and validated, not yet in a model."""

    cls: type
    object_id: str
    name: str
    where: Where
    position: int
    inputs: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)  # attribute -> id, None or list of ids
    calculated: dict = field(default_factory=dict)  # attribute -> raw data
    obj: ModelingObject | None = None


def _settable_names(cls) -> dict[str, str]:
    names = {name: name for name in cls.settable()}
    for alias, target in cls._aliases().items():
        names.setdefault(alias, target)
    return names


def decode_input(decl, data, where: Where, dialect: Dialect):
    """An input value from its data, checked against its declaration (not yet validated by it)."""
    if getattr(decl, "text", False) and isinstance(data, str):
        return SourceObject(data, Sources.USER_DATA)
    _expect(where, data, dict, "an encoded value (a JSON object with 'value', 'unit', ... keys)")
    unknown = set(data) - _VALUE_KEYS - dialect.value_keys
    if unknown:
        raise where.error(f"unknown keys {sorted(unknown)} in the value")
    label, source = _label(data, where), decode_source(data.get("source"), where)
    if decl.hourly and ("values" in data or "compressed_values" in data):
        return decode_series(data, where, rows_allowed=False, source_class=SourceHourlyValues)
    if decl.timezone:
        zone = data.get("zone", data.get("value"))
        if zone is None and "value" in data:
            return EmptyExplainableObject(label, source) if decl.optional else _missing(decl, where)
        return SourceObject(_expect(where, zone, str, "a time zone name ('zone')"), source, label)
    if "value" not in data:
        raise where.error(f"the value has no 'value' key; expected {decl.allowed_text()}")
    value = data["value"]
    if value is None:
        return EmptyExplainableObject(label, source) if decl.optional else _missing(decl, where)
    if decl.is_choice:
        return SourceObject(_expect(where, value, str, decl.allowed_text()), source, label)
    if decl.hourly:
        raise where.error(f"got a single value; expected {decl.allowed_text()} ('values' or 'compressed_values')")
    unit = decode_unit(data.get("unit", "dimensionless"), where)
    return SourceValue(u.Quantity(_number(value, where), unit), source, label)


def _missing(decl, where):
    raise where.error(f"got no value (null); allowed: {decl.allowed_text()}")


def decode_calculated(decl, data, where: Where, rename: dict):
    """A saved calculated value, checked against the declared unit."""
    _expect(where, data, dict, "an encoded value")
    unknown = set(data) - _VALUE_KEYS - {"object_class"}
    if unknown:
        raise where.error(f"unknown keys {sorted(unknown)} in the value")
    label, source = _label(data, where), decode_source(data.get("source"), where)
    if "values" in data or "compressed_values" in data:
        value = decode_series(data, where, rows_allowed=True, rename=rename)
    elif "value" not in data:
        raise where.error("the value has no 'value' key")
    elif data["value"] is None:
        return EmptyExplainableObject(label if label is not None else "no value", source)
    elif "unit" in data:
        value = ExplainableQuantity(u.Quantity(_number(data["value"], where), decode_unit(data["unit"], where)),
                                    label=label, source=source)
    else:
        if decl.unit is not None:
            raise where.error(f"got {_short(data['value'])} without a unit; the attribute is a quantity in {decl.unit}")
        cls = _object_class(data["object_class"], where) if "object_class" in data else ExplainableObject
        plain = decode_plain(data["value"], where, rename)
        try:
            return cls(plain, label=label, source=source)
        except TypeError:  # a subclass with a constructor of its own: keep the value, drop the class
            return ExplainableObject(plain, label=label, source=source)
    if decl.unit is not None and value.unit.dimensionality != decl.unit.dimensionality:
        raise where.error(f"got a value in {value.unit}; the attribute is in {decl.unit}")
    return value


def _decode_object(cls, class_name, object_id, data, position, dialect: Dialect) -> _Record:
    where = Where(dialect.name, object_id, class_name)
    _expect(where, data, dict, "an object (a JSON object with 'name', 'id' and attributes)")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise where.at("name").error(f"got {_short(name)}; expected a non-empty string")
    where = Where(dialect.name, object_id, class_name, name)
    if data.get("id", object_id) != object_id:
        raise where.at("id").error(f"got {_short(data.get('id'))}, but the object is filed under {object_id!r}")
    record = _Record(cls, object_id, name, where, position)
    names = _settable_names(cls)
    declarations = cls.declarations()
    for key, raw in data.items():
        if key in ("name", "id"):
            continue
        at = where.at(key)
        if key == CALCULATED and dialect.calculated:
            record.calculated = dict(_expect(at, raw, dict, "{attribute: value} of calculated attributes"))
            unknown = [n for n in record.calculated if n not in cls.calculated_attributes()]
            if unknown:
                raise at.error(f"{sorted(unknown)} are not calculated attributes of {cls.__name__}; "
                               f"those are {cls.calculated_attributes()}")
            continue
        target = names.get(key)
        if target is None:
            if dialect.ignored(class_name, cls, key, raw):
                continue
            if key in declarations:
                raise at.error(f"'{key}' is {declarations[key].kind}, not an input or link: it cannot be "
                               f"given" + (f" (saved results go under {CALCULATED!r})" if dialect.calculated
                                           else ""))
            raise at.error(f"unknown attribute; {cls.__name__} has {cls.settable()}")
        if target in record.inputs or target in record.links:
            raise at.error(f"'{target}' is given twice (under two of its names)")
        decl = declarations[target]
        if decl.kind == "list_link":
            ids = _expect(at, raw, list, f"a list of {decl.target_name} ids")
            if not all(isinstance(item, str) for item in ids):
                raise at.error(f"got {_short(ids)}; expected a list of {decl.target_name} ids (strings)")
            record.links[target] = list(ids)
        elif decl.kind == "link":
            if raw is not None:
                _expect(at, raw, str, f"the id of a {decl.target_name} (str)")
            record.links[target] = raw
        else:
            record.inputs[target] = decode_input(decl, raw, where.at(target), dialect)
    return record


def _fill_defaults(record: _Record) -> None:
    for name in record.cls.settable():
        if name in record.inputs or name in record.links:
            continue
        decl = record.cls.declarations()[name]
        if decl.kind == "input" and decl.has_default:
            record.inputs[name] = decl.default_value()
        elif decl.kind == "list_link":
            record.links[name] = []
        elif decl.kind == "link" and decl.optional:
            record.links[name] = None
        else:
            wanted = decl.allowed_text() if decl.kind == "input" else f"the id of a {decl.target_name}"
            raise record.where.at(name).error(f"missing; expected {wanted}")


def _creation_order(records: dict[str, _Record]) -> list[_Record]:
    """Link targets before the objects linking to them; otherwise the document's order."""
    waiting = {key: 0 for key in records}
    users: dict[str, list[str]] = {key: [] for key in records}
    for key, record in records.items():
        for target in {t for value in record.links.values()
                       for t in (value if isinstance(value, list) else [value]) if t is not None}:
            waiting[key] += 1
            users[target].append(key)
    ready = [(records[key].position, key) for key, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, key = heapq.heappop(ready)
        order.append(records[key])
        for user in users[key]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, (records[user].position, user))
    if len(order) != len(records):
        stuck = sorted(key for key, count in waiting.items() if count)
        raise records[stuck[0]].where.error(f"the links of objects {stuck[:5]} form a cycle")
    return order


def _resolve_links(records: dict[str, _Record]) -> None:
    for record in records.values():
        for name, value in record.links.items():
            decl = record.cls.declarations()[name]
            at = record.where.at(name)
            for target_id in value if isinstance(value, list) else [value]:
                if target_id is None:
                    continue
                target = records.get(target_id)
                if target is None:
                    raise at.error(f"links to {target_id!r}, which is no object of the document")
                if not issubclass(target.cls, decl.target):
                    raise at.error(f"links to {target_id!r}, a {target.cls.__name__}; allowed: a {decl.target_name}")


def _fresh_id(record: _Record, taken) -> str:
    while True:
        candidate = make_id(record.name)
        if candidate not in taken:
            return candidate


def load_objects(groups: dict, dialect: Dialect | None = None, model: Model | None = None) -> dict[str, ModelingObject]:
    """Create the objects of ``{class name: {id: object}}`` in ``model`` (the current one by default).

    Returns ``{id in the document: object}``. An id that the model already holds is given to a new object
    under a fresh id (``obj.id`` differs from the document's; ids inside saved calculated values are
    renamed with it). Raises :class:`SerializationError` and leaves the model as it was on any problem.
    Classes with ``compute_on_creation`` (a System) are computed in the same transaction, except for
    the values the document gives.
    """
    dialect = dialect or Dialect()
    model = model if model is not None else current_model()
    records: dict[str, _Record] = {}
    position = 0
    for class_name, objects in groups.items():
        where = Where(dialect.name, class_name=class_name)
        _expect(Where(dialect.name), objects, dict, f"{{id: object}} for the class {class_name!r}")
        cls = dialect.class_for(class_name, where)
        for object_id, data in objects.items():
            if not object_id:
                raise where.error("an object has an empty id")
            if object_id in records:
                raise Where(dialect.name, object_id, class_name).error(
                    f"the id is used twice (also by a {records[object_id].cls.__name__})")
            records[object_id] = _decode_object(cls, class_name, object_id, data, position, dialect)
            position += 1
    for record in records.values():
        _fill_defaults(record)
    _resolve_links(records)
    order = _creation_order(records)
    for record in order:
        describe = f"{record.cls.__name__} '{record.name}'"
        for name, value in record.inputs.items():
            try:
                record.inputs[name] = record.cls.declarations()[name].validate(describe, value)
            except ValidationError as error:
                raise record.where.at(name).error(str(error)) from None
        try:
            record.cls.check_inputs(describe, record.inputs)
        except ValidationError as error:
            raise record.where.error(str(error)) from None

    taken = set(model.objects) | set(records)
    rename = {key: _fresh_id(records[key], taken) for key in records if key in model.objects}
    for record in order:
        record.obj = record.cls._unregistered(record.name, rename.get(record.object_id, record.object_id), model)
    preset, compute = {}, []
    new_objects = []
    for record in order:
        values = dict(record.inputs)
        for name, value in record.links.items():
            values[name] = [records[t].obj for t in value] if isinstance(value, list) else \
                (records[value].obj if value is not None else None)
        new_objects.append((record.obj, values))
        for name, raw in record.calculated.items():
            decl = record.cls.declarations()[name]
            preset[f"{record.obj.id}.{name}"] = decode_calculated(decl, raw, record.where.at(name), rename)
        if record.cls.compute_on_creation:
            compute += [f"{record.obj.id}.{name}" for name in record.cls.calculated_attributes()]
    try:
        model.apply(new_objects=new_objects, preset=preset, compute_keys=compute)
    except EfpError as error:
        raise SerializationError(f"{dialect.name} JSON: the objects could not be created, nothing was loaded: "
                                 f"{type(error).__name__}: {error}") from error
    return {key: record.obj for key, record in records.items()}
