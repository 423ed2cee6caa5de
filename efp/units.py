"""The one pint unit registry of efp, ``u``.

efp adds the computing-resource units the footprint model counts in: ``cpu_core`` (alias ``core``,
as the seed writes ``u.core``) and ``gpu``. pint's own ``year`` is the Julian year of 365.25 days
(8766 h), which is the year of the model, and its ``month`` is a twelfth of it.

The registry is built once per process; pint's definition cache on disk makes later processes start
faster.
"""
from __future__ import annotations

import functools
import os

import pint

_EXTRA_DEFINITIONS = (
    "cpu_core = [cpu_core] = _ = core = cpu_cores = cores",
    "gpu = [gpu] = _ = gpus",
    "occurrence = [] = _ = occurrences",
    "concurrent = []",
)


@functools.lru_cache(maxsize=1)
def unit_registry() -> pint.UnitRegistry:
    """Build (once) and return efp's registry."""
    cache = os.environ.get("EFP_PINT_CACHE", ":auto:")
    try:
        registry = pint.UnitRegistry(cache_folder=cache)
    except Exception:  # an unwritable cache folder must not stop efp
        registry = pint.UnitRegistry()
    for definition in _EXTRA_DEFINITIONS:
        registry.define(definition)
    pint.set_application_registry(registry)
    return registry


u = unit_registry()
Quantity = u.Quantity
Unit = u.Unit
dimensionless = u.dimensionless


def as_unit(unit) -> pint.Unit:
    """A pint Unit from a Unit, a Quantity's unit or a unit string (``"kg"``, ``"kWh/GB"``)."""
    if isinstance(unit, pint.Unit):
        return unit
    if isinstance(unit, pint.Quantity):
        return unit.units
    if unit is None or unit == "":
        return u.dimensionless
    return _parsed_unit(unit) if isinstance(unit, str) else u.Unit(unit)


@functools.lru_cache(maxsize=1024)
def _parsed_unit(text: str) -> pint.Unit:
    return u.Unit(text)  # parsing is slow (tens of µs) and formulas name the same few units


def conversion_factor(source: pint.Unit, target: pint.Unit) -> float:
    """The number that converts magnitudes in ``source`` to magnitudes in ``target`` (cached)."""
    if source is target or source == target:  # the identity test first: Unit equality is slow
        return 1.0
    return _conversion_factor(source, target)


@functools.lru_cache(maxsize=4096)
def _conversion_factor(source: pint.Unit, target: pint.Unit) -> float:
    return float(u.Quantity(1.0, source).to(target).magnitude)
