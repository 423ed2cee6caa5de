"""Scalar factors kept beside an array and applied in order, exactly as eager arithmetic would.

``x * a * b`` computed eagerly rounds after each operation: ``(x*a)*b``. Folding the factors first
(``x*(a*b)``) can differ in the last bit. A chain of ``("mul", a)`` / ``("div", b)`` operations,
applied in order when the numbers are needed, gives the eager result to the bit, so results do not
depend on whether a value was kept lazy or formed early (loaded from a file, say).
"""
from __future__ import annotations

import numpy as np

Ops = tuple  # of ("mul" | "div", float)


def then(ops: Ops, op: str, value: float) -> Ops:
    """``ops`` followed by one more operation (multiplying or dividing by 1 is dropped)."""
    value = float(value)
    if value == 1.0:
        return ops
    return ops + ((op, value),)


def apply(values: np.ndarray, ops: Ops, out: np.ndarray | None = None) -> np.ndarray:
    """The values after the operations, in order: ``values`` itself when there are none, else a new
    array (or ``out``, a buffer of the same shape, reused to spare an allocation)."""
    if not ops:
        return values
    source, result = values, out
    for op, value in ops:
        result = (np.multiply if op == "mul" else np.divide)(source, value, out=result)
        source = result
    return result


def finite(ops: Ops) -> bool:
    return all(np.isfinite(value) for _, value in ops)
