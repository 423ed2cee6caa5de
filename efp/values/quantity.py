"""Scalar quantities with a unit: :class:`ExplainableQuantity` and the user-facing :class:`SourceValue`."""
from __future__ import annotations

import math
import numbers

import pint

from efp.units import as_unit, conversion_factor, u
from efp.values.base import ExplainableValue
from efp.values.sources import Source, Sources


def to_quantity(value) -> pint.Quantity:
    """A float pint Quantity of efp's registry from a Quantity or a plain number."""
    if isinstance(value, pint.Quantity):
        if not isinstance(value, u.Quantity):  # a quantity of another registry
            value = u.Quantity(value.magnitude, str(value.units))
        magnitude = value.magnitude
        if isinstance(magnitude, numbers.Real) and not isinstance(magnitude, float):
            value = u.Quantity(float(magnitude), value.units)
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return u.Quantity(float(value), u.dimensionless)
    raise TypeError(f"expected a pint quantity or a number, got {type(value).__name__} {value!r}")


def format_magnitude(magnitude: float) -> str:
    """A short human form: integers without decimals, others rounded to two decimals or 3 digits."""
    if not math.isfinite(magnitude):  # NaN and infinities have no int(); error messages print them
        return str(magnitude)
    if magnitude == int(magnitude) and abs(magnitude) < 1e15:
        return str(int(magnitude))
    if abs(magnitude) >= 0.01:
        return f"{round(magnitude, 2)}"
    return f"{magnitude:.3g}"


class ExplainableQuantity(ExplainableValue):
    """A scalar pint quantity that knows its label, its source and its node."""

    _kind = "quantity"

    def __init__(self, value, label: str | None = None, source: Source | None = None):
        super().__init__(label, source)
        self.value: pint.Quantity = to_quantity(value)

    @property
    def magnitude(self) -> float:
        return self.value.magnitude

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_unit", None)  # remembered conveniences, made again where needed
        state.pop("_magnitudes", None)
        return state

    @property
    def unit(self) -> pint.Unit:
        unit = self.__dict__.get("_unit")
        if unit is None:  # pint makes a new Unit object on each read of .units: remembered (values never change)
            unit = self._unit = self.value.units
        return unit

    units = unit

    def to(self, unit) -> "ExplainableQuantity":
        """The same quantity in another unit of the same dimension."""
        return ExplainableQuantity(self.value.to(as_unit(unit)), self.label, self.source)

    def magnitude_in(self, unit) -> float:
        """The number this quantity is in ``unit`` (a multiplicative unit of the same dimension), by a
        cached conversion factor: much cheaper than ``to`` where thousands of quantities are read."""
        made = self.__dict__.get("_magnitudes")
        if made is None:  # remembered per unit: values never change
            made = self._magnitudes = {}
        magnitude = made.get(unit)
        if magnitude is None:
            magnitude = made[unit] = float(self.value.magnitude) * conversion_factor(self.unit, as_unit(unit))
        return magnitude

    def sum(self) -> "ExplainableQuantity":
        return self

    max = mean = min = sum

    def copy(self) -> "ExplainableQuantity":
        return ExplainableQuantity(self.value, self.label, self.source)

    def __neg__(self):
        return ExplainableQuantity(-self.value, self.label)

    def __abs__(self):
        return ExplainableQuantity(abs(self.value), self.label)

    def _compare(self, other, op):
        other_value = other.value if isinstance(other, ExplainableQuantity) else to_quantity(other)
        if other_value.dimensionless and other_value.magnitude == 0:
            return op(self.value.magnitude, 0.0)
        return op(self.value, other_value)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    def __eq__(self, other):
        if isinstance(other, ExplainableQuantity):
            other = other.value
        if isinstance(other, (pint.Quantity, numbers.Real)):
            try:
                return bool(self._compare(other, lambda a, b: a == b))
            except pint.DimensionalityError:
                return False
        return NotImplemented

    __hash__ = ExplainableValue.__hash__

    def __float__(self):
        return float(self.value.to(u.dimensionless).magnitude)

    def __str__(self):
        return f"{format_magnitude(self.magnitude)} {self.unit}".rstrip()

    def __format__(self, spec: str) -> str:
        """``f"{q:,.0f}"`` formats the magnitude and keeps the unit."""
        if not spec:
            return str(self)
        return f"{format(self.magnitude, spec)} {self.unit}".rstrip()

    def __repr__(self):
        return f"<{self} ({self.label})>" if self.label else f"<{self}>"


class SourceValue(ExplainableQuantity):
    """A user-given scalar input: ``SourceValue(300 * u.W, Sources.HYPOTHESIS)``."""

    def __init__(self, value, source: Source = Sources.HYPOTHESIS, label: str | None = None):
        super().__init__(value, label=label, source=source)
