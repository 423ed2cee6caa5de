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

import base64
import heapq
import importlib.metadata
import math
import numbers
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable

import numpy as np
import pint
import xarray as xr

from efp.errors import EfpError, SerializationError, ValidationError
from efp.model import Model, current_model
from efp.modeling_object import ModelingObject, class_named, make_id
from efp.states import State
from efp.units import u
from efp.values import (EmptyExplainableObject, ExplainableHourlyQuantities, ExplainableObject, ExplainableQuantity,
                        Source, SourceHourlyValues, SourceObject, Sources, SourceValue)
from efp.values.hourly import TIME, USAGE_PATTERN, hourly_index

FORMAT_VERSION = 1
CALCULATED = "calculated_attributes"
SERIES_ENCODING = "float64-le/byte-shuffle/zlib/base64"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_UNIT_TEXT = re.compile(r"^[A-Za-z0-9_ */^().+\-]{1,200}$")
_VALUE_KEYS = frozenset({"label", "source", "value", "unit", "zone", "values", "compressed_values", "encoding",
                         "start_date", "length", "usage_patterns"})


def efp_version() -> str:
    """The installed efp's version (written beside the format version, for information)."""
    try:
        return importlib.metadata.version("efp")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# ---------------------------------------------------------------------------------------------- errors
@dataclass(frozen=True)
class Where:
    """The place of a value in a document, for error messages."""

    dialect: str
    object_id: str | None = None
    class_name: str | None = None
    name: str | None = None
    attribute: str | None = None

    def at(self, attribute: str) -> "Where":
        return Where(self.dialect, self.object_id, self.class_name, self.name, attribute)

    def error(self, problem: str) -> SerializationError:
        place = f"{self.dialect} JSON"
        if self.object_id is not None:
            named = f" '{self.name}'" if self.name else ""
            place += f": object {self.object_id!r} ({self.class_name}{named})"
        if self.attribute is not None:
            place += f", attribute {self.attribute!r}"
        return SerializationError(f"{place}: {problem}")


def _kind(data) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(data), "a number" if isinstance(data, numbers.Number) else type(data).__name__)


def _expect(where: Where, data, types, wanted: str):
    types = types if isinstance(types, tuple) else (types,)
    if not isinstance(data, types) or (isinstance(data, bool) and bool not in types):
        raise where.error(f"got {_kind(data)} {_short(data)}; expected {wanted}")
    return data


def _short(data) -> str:
    try:
        text = repr(data)
    except RecursionError:
        return "(nested too deeply to show)"
    except ValueError:  # an integer of more than 4,300 digits has no repr
        return "(an integer too large to show)"
    return text if len(text) <= 80 else text[:77] + "..."


# ---------------------------------------------------------------------------------------------- values
def encode_source(source: Source | None) -> dict | None:
    return None if source is None else {"name": source.name, "link": source.link}


def decode_source(data, where: Where) -> Source | None:
    if data is None:
        return None
    _expect(where, data, dict, 'a source {"name": str, "link": str or null}')
    unknown = set(data) - {"name", "link"}
    if unknown:
        raise where.error(f"source has unknown keys {sorted(unknown)}; allowed: name, link")
    name = _expect(where, data.get("name"), str, "a source name (str)")
    link = data.get("link")
    if link is not None:
        _expect(where, link, str, "a source link (str or null)")
    for known in Sources.all():
        if known.name == name and known.link == link:
            return known
    return Source(name, link)


def encode_unit(unit) -> str:
    text = format(unit, "D")
    if u.Unit(text) != unit:  # pragma: no cover - a registry whose default format does not read back
        raise SerializationError(f"the unit {unit!r} does not read back from its text {text!r}")
    return text


def decode_unit(text, where: Where) -> pint.Unit:
    _expect(where, text, str, "a unit (str such as 'kilogram / terabyte')")
    if not _UNIT_TEXT.match(text):
        raise where.error(f"got the unit {_short(text)}; allowed: unit names, numbers and * / ** ^ ( ) only")
    try:
        return u.Unit(text)
    except (pint.errors.PintError, AttributeError, TypeError, ValueError, SyntaxError) as error:
        raise where.error(f"got the unit {text!r}, which efp's unit registry does not know ({error})") from None


def _label(data: dict, where: Where) -> str | None:
    label = data.get("label")
    if label is not None:
        _expect(where, label, str, "a label (str or null)")
    return label


def _number(data, where: Where) -> float:
    _expect(where, data, (int, float), "a number")
    try:
        value = float(data)
    except OverflowError:
        raise where.error(f"got {_short(data)}; allowed: a finite number (a float64)") from None
    if not math.isfinite(value):
        raise where.error(f"got {data!r}; allowed: a finite number")
    return value


def _date(text, where: Where) -> datetime:
    _expect(where, text, str, "a start date 'YYYY-MM-DD HH:MM:SS'")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise where.error(f"got the start date {text!r}; expected 'YYYY-MM-DD HH:MM:SS'") from None
    if moment.tzinfo is not None or moment.minute or moment.second or moment.microsecond:
        raise where.error(f"got the start date {text!r}; allowed: a naive date on a whole hour")
    return moment


def _shuffle(values: np.ndarray) -> bytes:
    raw = np.ascontiguousarray(values, dtype="<f8").reshape(-1).view(np.uint8)
    return raw.reshape(-1, 8).T.tobytes()


def _unshuffle(raw: bytes, count: int) -> np.ndarray:
    planes = np.frombuffer(raw, dtype=np.uint8).reshape(8, count)
    return np.ascontiguousarray(planes.T).view("<f8").reshape(count).astype(np.float64)


def encode_series(series: ExplainableHourlyQuantities) -> dict:
    """An hourly series: unit, first hour, length, rows (per usage pattern) and compressed values."""
    if len(series) == 0:
        raise SerializationError(f"cannot save the empty hourly series {series.label!r}: it has no start date")
    data = {"label": series.label, "unit": encode_unit(series.unit),
            "start_date": series.start_date.strftime(DATE_FORMAT), "length": len(series)}
    if USAGE_PATTERN in series.data_array.dims:
        data["usage_patterns"] = [str(key) for key in series.usage_patterns]
    values = series.data_array.transpose(*([USAGE_PATTERN] if "usage_patterns" in data else []), TIME).values
    data["encoding"] = SERIES_ENCODING
    data["compressed_values"] = base64.b64encode(zlib.compress(_shuffle(values), 6)).decode("ascii")
    data["source"] = encode_source(series.source)
    return data


def _series_values(data: dict, where: Where, rows: int | None) -> np.ndarray:
    """The float64 values of a series, shape ``(length,)`` or ``(rows, length)``."""
    if "values" in data:
        if "compressed_values" in data:
            raise where.error("give either 'values' or 'compressed_values', not both")
        values = data["values"]
        rows_given = values if rows is not None and isinstance(values, list) else [values]
        if not all(isinstance(row, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)
                   for row in rows_given) or len({len(row) for row in rows_given}) != 1 \
                or (rows is not None and len(rows_given) != rows):
            raise where.error("'values' must be a list of numbers" + (f" for each of the {rows} usage patterns, "
                                                                        f"of equal length" if rows else ""))
        try:
            return np.asarray(values, dtype=np.float64)
        except OverflowError:
            raise where.error("'values' holds an integer too large for a float64") from None
    if data.get("encoding") != SERIES_ENCODING:
        raise where.error(f"got the series encoding {_short(data.get('encoding'))}; this efp reads "
                          f"{SERIES_ENCODING!r} ('compressed_values') or a plain list ('values')")
    length = data.get("length")
    if not isinstance(length, int) or isinstance(length, bool) or length <= 0:
        raise where.error(f"got the length {_short(length)}; expected a positive integer")
    count = length * (rows if rows is not None else 1)
    text = _expect(where, data.get("compressed_values"), str, "base64 text ('compressed_values')")
    try:
        packed = base64.b64decode(text.encode("ascii"), validate=True)
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, 8 * count + 1)
        complete = inflater.eof and not inflater.unconsumed_tail
    except (ValueError, UnicodeEncodeError, zlib.error, OverflowError) as error:
        raise where.error(f"'compressed_values' is not valid base64 zlib data ({error}); the file may be "
                          f"truncated or corrupted") from None
    if len(raw) != 8 * count or not complete:
        raise where.error(f"'compressed_values' holds {len(raw)} bytes or is incomplete; {8 * count} bytes "
                          f"expected for {count} float64 values: the file may be truncated or corrupted")
    values = _unshuffle(raw, count)
    return values.reshape(rows, length) if rows is not None else values


def decode_series(data: dict, where: Where, *, rows_allowed: bool, rename: dict | None = None,
                  source_class=ExplainableHourlyQuantities) -> ExplainableHourlyQuantities:
    unit = decode_unit(data.get("unit", "dimensionless"), where)
    start = _date(data.get("start_date"), where)
    keys = None
    if data.get("usage_patterns") is not None:
        if not rows_allowed:
            raise where.error("an input series has no usage pattern rows ('usage_patterns')")
        keys = _expect(where, data["usage_patterns"], list, "a list of usage pattern ids")
        if not all(isinstance(key, str) for key in keys) or len(set(keys)) != len(keys):
            raise where.error("'usage_patterns' must be distinct id strings")
        keys = [(rename or {}).get(key, key) for key in keys]
    values = _series_values(data, where, len(keys) if keys is not None else None)
    if values.shape[-1] == 0:
        raise where.error("an hourly series needs at least one value")
    if "length" in data and data["length"] != values.shape[-1]:
        raise where.error(f"'length' is {data['length']!r} but {values.shape[-1]} values are given")
    if not np.all(np.isfinite(values)):
        raise where.error("an hourly series holds NaN or infinite values")
    label, source = _label(data, where), decode_source(data.get("source"), where)
    coords = {TIME: hourly_index(start, values.shape[-1])}
    if keys is None:
        array = xr.DataArray(values, coords=coords, dims=(TIME,))
    else:
        coords[USAGE_PATTERN] = keys
        array = xr.DataArray(values, coords=coords, dims=(USAGE_PATTERN, TIME))
    if source_class is SourceHourlyValues:
        return SourceHourlyValues(array, start, unit, source=source, label=label)
    return ExplainableHourlyQuantities(array, unit, label=label, source=source)


def encode_plain(value):
    """Plain data (a calculated :class:`ExplainableObject`'s value) with tuples and dicts tagged."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        if not math.isfinite(value):
            raise TypeError("not finite")
        return float(value)
    if isinstance(value, list):
        return [encode_plain(item) for item in value]
    if isinstance(value, tuple):
        return {"tuple": [encode_plain(item) for item in value]}
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"dict": {key: encode_plain(item) for key, item in value.items()}}
    raise TypeError(type(value).__name__)


#: How deep plain data may nest (e.g. a dict of tuples is 2): a hostile file may nest thousands deep.
MAX_PLAIN_DEPTH = 32


def decode_plain(data, where: Where, rename: dict | None = None, depth: int = 0):
    rename = rename or {}
    if depth > MAX_PLAIN_DEPTH:
        raise where.error(f"plain data nested more than {MAX_PLAIN_DEPTH} levels deep")
    if isinstance(data, str):
        return rename.get(data, data)
    if data is None or isinstance(data, bool):
        return data
    if isinstance(data, int):
        _number(data, where)  # an integer beyond float64's range is refused like an infinite float
        return data
    if isinstance(data, float):
        return _number(data, where)
    if isinstance(data, list):
        return [decode_plain(item, where, rename, depth + 1) for item in data]
    if isinstance(data, dict) and len(data) == 1 and isinstance(data.get("tuple"), list):
        return tuple(decode_plain(item, where, rename, depth + 1) for item in data["tuple"])
    if isinstance(data, dict) and len(data) == 1 and isinstance(data.get("dict"), dict):
        return {rename.get(key, key): decode_plain(item, where, rename, depth + 1) for key, item in data["dict"].items()}
    raise where.error(f"got {_short(data)}; expected plain data (objects are tagged 'tuple' or 'dict')")


def _class_path(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _object_class(path, where: Where) -> type:
    """The :class:`ExplainableObject` subclass named ``path`` among those already defined (nothing is
    imported); plain :class:`ExplainableObject` when none is (the value is the same, its printing may
    differ)."""
    _expect(where, path, str, "the class path of a calculated value (str)")
    pending, seen = [ExplainableObject], set()
    while pending:
        cls = pending.pop()
        if _class_path(cls) == path:
            return cls
        seen.add(cls)
        pending.extend(sub for sub in cls.__subclasses__() if sub not in seen)
    return ExplainableObject


def encode_value(value, decl=None) -> dict:
    """One value (an input given its declaration, or a calculated value) as JSON-ready data."""
    if isinstance(value, EmptyExplainableObject):
        data = {"label": value.label, "value": None}
        if value.source is not None:
            data["source"] = encode_source(value.source)
        return data
    if isinstance(value, ExplainableHourlyQuantities):
        return encode_series(value)
    if isinstance(value, ExplainableQuantity):
        return {"label": value.label, "value": float(value.magnitude), "unit": encode_unit(value.unit),
                "source": encode_source(value.source)}
    if isinstance(value, ExplainableObject):
        if decl is not None and getattr(decl, "timezone", False):
            return {"label": value.label, "zone": value.value, "source": encode_source(value.source)}
        data = {"label": value.label, "value": encode_plain(value.value), "source": encode_source(value.source)}
        if decl is None and type(value) not in (ExplainableObject, SourceObject):
            data["object_class"] = _class_path(type(value))
        return data
    raise SerializationError(f"cannot encode {type(value).__name__} {_short(value)}")


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
