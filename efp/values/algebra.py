"""The arithmetic of values (model.md §1), in one place.

``binary(op, left, right)`` combines any two of: ``∅``, scalar quantities (or plain numbers, or pint
quantities), and hourly series. The rules:

- ``∅ + x = x``, ``x + ∅ = x``, ``∅ - x = -x``, ``x - ∅ = x``; ``∅ * x``, ``x * ∅``, ``∅ / x``, ``x / ∅``
  are ``∅``. The plain number ``0`` is neutral for ``+`` (so that ``sum()`` works on values).
- Two hourly series combine over the union of their spans, missing hours counting as 0.
- A scalar applies to every hour of a series.
- ``+``/``-`` convert the right operand to the left operand's unit (a dimension mismatch raises
  :class:`efp.errors.UnitDimensionError`); ``*``/``/`` multiply units.
"""
from __future__ import annotations

import functools
import numbers
import operator

import pint

from efp.errors import UnitDimensionError
from efp.units import conversion_factor
from efp.values.base import EmptyExplainableObject, ExplainableObject, ExplainableValue
from efp.values.hourly import ExplainableHourlyQuantities, align
from efp.values.quantity import ExplainableQuantity, to_quantity

_OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}
_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def _normalise(operand):
    if isinstance(operand, ExplainableObject):
        raise TypeError(f"no arithmetic on the non-numeric value {operand!r}")
    if isinstance(operand, ExplainableValue):
        return operand
    if isinstance(operand, pint.Unit):
        return ExplainableQuantity(to_quantity(1.0 * operand))
    if isinstance(operand, (pint.Quantity, numbers.Real)) and not isinstance(operand, bool):
        return ExplainableQuantity(to_quantity(operand))
    raise TypeError(f"cannot combine an efp value with {type(operand).__name__} {operand!r}")


def _is_zero_number(operand) -> bool:
    return isinstance(operand, numbers.Real) and not isinstance(operand, bool) and operand == 0


def _label(op, left, right) -> str | None:
    if left.label is None and right.label is None:
        return None
    return f"({left.label} {_SYMBOLS[op]} {right.label})"


def _factor(source_unit, target_unit, op) -> float:
    try:
        return conversion_factor(source_unit, target_unit)
    except pint.DimensionalityError as error:
        raise UnitDimensionError(
            f"cannot {op} a quantity in {source_unit} and one in {target_unit}: "
            f"their dimensions differ") from error


def binary(op: str, left, right):
    """``left op right`` with efp's rules (see the module docstring)."""
    if op in ("add", "sub"):
        if _is_zero_number(left):
            return right if op == "add" else -_normalise(right)
        if _is_zero_number(right):
            return left
    left, right = _normalise(left), _normalise(right)
    if isinstance(left, EmptyExplainableObject) or isinstance(right, EmptyExplainableObject):
        return _with_empty(op, left, right)
    label = _label(op, left, right)
    if isinstance(left, ExplainableQuantity) and isinstance(right, ExplainableQuantity):
        if op in ("add", "sub"):
            try:
                return ExplainableQuantity(_OPS[op](left.value, right.value), label=label)
            except pint.DimensionalityError as error:
                raise UnitDimensionError(f"cannot {op} {left} and {right}: their dimensions differ") from error
        return ExplainableQuantity(_OPS[op](left.value, right.value), label=label)
    return _hourly(op, left, right, label)


def _with_empty(op, left, right):
    left_empty = isinstance(left, EmptyExplainableObject)
    right_empty = isinstance(right, EmptyExplainableObject)
    if op in ("mul", "div"):
        return EmptyExplainableObject()
    if left_empty and right_empty:
        return EmptyExplainableObject()
    if left_empty:
        return right if op == "add" else -right
    return left


def _hourly(op, left, right, label):
    fn = _OPS[op]
    if op in ("add", "sub"):
        unit = left.unit
        factor = _factor(right.unit, unit, op)
    else:
        unit = _product_unit(op, left.unit, right.unit)
        factor = 1.0
    if isinstance(left, ExplainableHourlyQuantities) and isinstance(right, ExplainableHourlyQuantities):
        a, b = align(left.data_array, right.data_array)
        data = fn(a, b * factor if factor != 1.0 else b)
    elif op == "mul" and isinstance(left, ExplainableHourlyQuantities):
        return _labelled(left.scaled(right.magnitude, unit), label)
    elif op == "mul":
        return _labelled(right.scaled(left.magnitude, unit), label)
    elif op == "div" and isinstance(left, ExplainableHourlyQuantities):
        return _labelled(left.divided(right.magnitude, unit), label)
    elif isinstance(left, ExplainableHourlyQuantities):
        data = fn(left.data_array, right.magnitude * factor)
    else:
        data = fn(left.magnitude, right.data_array * factor if factor != 1.0 else right.data_array)
    return ExplainableHourlyQuantities(data, unit, label=label)


@functools.lru_cache(maxsize=4096)
def _product_unit(op: str, left: pint.Unit, right: pint.Unit) -> pint.Unit:
    """The unit of ``left op right`` (mul or div): pint's unit arithmetic is slow, formulas repeat it."""
    return _OPS[op](1 * left, 1 * right).units


def _labelled(value, label):
    value.label = label
    return value


def total(values):
    """The sum of values, ``∅`` for an empty list (model.md §1: ``sum([]) = ∅``).

    Several hourly series are added into one buffer over the union of their spans (one allocation,
    however many terms); scalars and ``∅`` follow :func:`binary`'s rules.
    """
    values = list(values)
    series = [v for v in values if isinstance(v, ExplainableHourlyQuantities)]
    if len(series) < 2:
        result = EmptyExplainableObject()
        for value in values:
            result = binary("add", result, value)
        return result
    from efp.values.stacking import accumulate
    result = accumulate(series)
    for value in values:
        if not isinstance(value, ExplainableHourlyQuantities):
            result = binary("add", result, value)
    return result
