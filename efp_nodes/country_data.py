"""The packaged table of countries: grid carbon intensity and IANA time zone.

The table is ``efp_nodes/data/countries.csv`` (provenance in ``efp_nodes/data/README.md``; regenerate it
with ``scripts/generate_countries.py``). It holds:

* the sixteen countries of e-footprint 9.0.0's ``Countries`` with the intensities e-footprint gives
  them (ADEME / electricitymaps figures as e-footprint cites them), kept fixed;
* every other country for which codecarbon's offline dataset
  ``codecarbon/data/private_infra/global_energy_mix.json`` gives a carbon intensity (upstream: Our World
  in Data, carbon intensity of electricity generation); the year of each figure is in its ``source``.

Columns: ``name``, ``short_name`` (ISO 3166-1 alpha-3), ``average_carbon_intensity_g_per_kwh``
(g CO2eq/kWh), ``timezone`` (IANA zone name, loadable with :class:`zoneinfo.ZoneInfo`), ``source``.

Public functions:

* :func:`load_country_rows` — every row, in file order, read once and cached;
* :func:`country_row` — one row by name, accessor name or ISO code, tolerant of case, spaces,
  underscores and hyphens (``"FRANCE"``, ``"united_kingdom"``, ``"GBR"``);
* :func:`attribute_name` — the upper-snake-case ASCII accessor name of a row (``"UNITED_KINGDOM"``).
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

from efp.errors import ValidationError

__all__ = ["CountryRow", "load_country_rows", "country_row", "attribute_name", "normalize_key"]

_DATA_PACKAGE = "efp_nodes"
_DATA_FILE = "data/countries.csv"
_COLUMNS = ("name", "short_name", "average_carbon_intensity_g_per_kwh", "timezone", "source")


@dataclass(frozen=True)
class CountryRow:
    """One country of the packaged table."""

    name: str
    short_name: str
    average_carbon_intensity_g_per_kwh: float
    timezone: str
    source: str


def normalize_key(text: str) -> str:
    """Upper snake case ASCII form of ``text``: accents dropped, every run of other characters → ``_``.

    ``"Côte d'Ivoire"`` → ``"COTE_D_IVOIRE"``, ``"united kingdom"`` → ``"UNITED_KINGDOM"``.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Z0-9]+", "_", ascii_text.upper()).strip("_")


def attribute_name(row: CountryRow) -> str:
    """The accessor name of ``row`` on a ``Countries`` namespace, e.g. ``"FRANCE"``, ``"UNITED_KINGDOM"``."""
    return normalize_key(row.name)


@functools.lru_cache(maxsize=1)
def _load_rows() -> tuple[CountryRow, ...]:
    text = resources.files(_DATA_PACKAGE).joinpath(_DATA_FILE).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != _COLUMNS:
        raise RuntimeError(f"{_DATA_FILE}: expected columns {_COLUMNS}, found {reader.fieldnames}")
    return tuple(
        CountryRow(
            name=record["name"],
            short_name=record["short_name"],
            average_carbon_intensity_g_per_kwh=float(record["average_carbon_intensity_g_per_kwh"]),
            timezone=record["timezone"],
            source=record["source"],
        )
        for record in reader
    )


def load_country_rows() -> list[CountryRow]:
    """Every country of the packaged table, in file order (the file is read once)."""
    return list(_load_rows())


@functools.lru_cache(maxsize=1)
def _index() -> dict[str, CountryRow]:
    index: dict[str, CountryRow] = {}
    for row in _load_rows():
        for key in (normalize_key(row.name), normalize_key(row.short_name)):
            index.setdefault(key, row)
    return index


def country_row(name_or_code: str) -> CountryRow:
    """The row of a country given by name, accessor name or ISO 3166-1 alpha-3 code.

    Case, spaces, underscores, hyphens and accents do not matter: ``"France"``, ``"FRANCE"``,
    ``"united_kingdom"``, ``"United-Kingdom"`` and ``"GBR"`` all work. An unknown country raises
    :class:`~efp.errors.ValidationError` naming the closest known countries.
    """
    if not isinstance(name_or_code, str):
        raise ValidationError(
            f"country: expected a country name or ISO 3166-1 alpha-3 code (str), got {name_or_code!r} "
            f"({type(name_or_code).__name__})"
        )
    key = normalize_key(name_or_code)
    index = _index()
    if key in index:
        return index[key]
    names = {normalize_key(row.name): row.name for row in _load_rows()}
    close = difflib.get_close_matches(key, list(names), n=5, cutoff=0.6)
    suggestions = [names[k] for k in close]
    hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
    raise ValidationError(
        f"country: unknown country {name_or_code!r}.{hint} Give one of the {len(names)} countries of "
        f"efp_nodes/data/countries.csv by name (e.g. 'France', 'UNITED_KINGDOM') or ISO 3166-1 alpha-3 "
        f"code (e.g. 'FRA', 'GBR')."
    )
