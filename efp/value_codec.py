"""Values as JSON-ready data and back, for the efp JSON format (:mod:`efp.serialization`).

Quantities are JSON numbers (Python writes the shortest text that reads back as the same float64);
hourly series are their float64 little-endian bytes, byte-shuffled, zlib-compressed and
base64-encoded; units are parsed by pint after a character check; sources, labels, choices, time
zones and plain data (dicts, lists, numbers, strings, nested at most a few levels) round-trip exactly.
Every decoding error is a :class:`~efp.errors.SerializationError` naming where it happened
(:class:`Where`: object id, class, attribute).
"""
from __future__ import annotations

import base64
import importlib.metadata
import math
import numbers
import re
import zlib
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pint
import xarray as xr

from efp.errors import SerializationError
from efp.units import u
from efp.values import (EmptyExplainableObject, ExplainableHourlyQuantities, ExplainableObject, ExplainableQuantity,
                        Source, SourceHourlyValues, SourceObject, Sources)
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
