"""The value kinds a node can hold, apart from quantities and hourly series.

Every value is an :class:`ExplainableValue`: it carries a ``label``, a ``source`` for inputs, and,
once stored in a model, the key of its node. The arithmetic of all kinds lives in one place,
:mod:`efp.values.algebra`, so that ``∅`` (:class:`EmptyExplainableObject`), scalars and hourly
series combine with the same rules whatever the order of the operands.
"""
from __future__ import annotations

import html

from efp.values.sources import Source, Sources


class ExplainableValue:
    """Base of every value efp stores: a label, a source, and the node it sits in.

    ``node_key`` is set by the model when the value is stored in a node; ``_model`` lets
    :meth:`explain` reach the graph. Neither is pickled: values travel to dask workers bare.
    """

    _kind = "value"

    def __init__(self, label: str | None = None, source: Source | None = None):
        self.label = label
        self.source = source
        self.node_key: str | None = None
        self._model = None

    def set_label(self, label: str):
        """Set the label and return the value itself, so that it chains."""
        self.label = label
        return self

    def detached(self):
        """A shallow copy that belongs to no node (array data is shared, not copied)."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)  # not copy.copy: pickling state drops what a value remembers
        clone.node_key = None
        clone._model = None
        return clone

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_model"] = None
        return state

    # Arithmetic: every operator goes through the one algebra module.
    def _binary(self, op, other, reflected=False):
        from efp.values.algebra import binary
        return binary(op, other, self) if reflected else binary(op, self, other)

    def __add__(self, other):
        return self._binary("add", other)

    def __radd__(self, other):
        return self._binary("add", other, reflected=True)

    def __sub__(self, other):
        return self._binary("sub", other)

    def __rsub__(self, other):
        return self._binary("sub", other, reflected=True)

    def __mul__(self, other):
        return self._binary("mul", other)

    def __rmul__(self, other):
        return self._binary("mul", other, reflected=True)

    def __truediv__(self, other):
        return self._binary("div", other)

    def __rtruediv__(self, other):
        return self._binary("div", other, reflected=True)

    def explain(self) -> str:
        """A readable account of this value: label, formula, inputs with values and sources, result."""
        from efp.explanation import explain
        return explain(self)

    def ancestors_graph(self):
        """The calculus graph of this value: its ancestor subgraph, as a networkx DiGraph."""
        from efp.explanation import ancestors_graph
        return ancestors_graph(self)

    def plot(self, filepath=None, xlims=None, cumsum: bool = False, **options):
        """Draw this hourly series with bokeh (see :mod:`efp.plotting.hourly`).

        Long spans show the daily min–max band and daily mean, short spans and ``xlims`` windows every
        hour, ``cumsum=True`` the cumulative sum; a simulation that changed the value adds its curve.
        In a notebook the plot is shown inline; otherwise it is written to ``filepath`` (``.html``,
        self-contained, or ``.png``; by default a file named after the label) and the path returned.
        """
        from efp.plotting.hourly import plot_hourly
        return plot_hourly(self, filepath=filepath, xlims=xlims, cumsum=cumsum, **options)

    def calculus_graph_to_file(self, filepath, width="800px", height="500px", notebook: bool = False, **options):
        """Write the calculus graph of this value: its ancestors, laid out by depth, with hover details.

        ``.html`` is interactive and self-contained; ``.svg`` and ``.dot`` are graphviz output; see
        :func:`efp.plotting.graphs.calculus_graph_to_file`.
        """
        from efp.plotting.graphs import calculus_graph_to_file
        return calculus_graph_to_file(self, filepath, width=width, height=height, notebook=notebook, **options)

    def _repr_html_(self) -> str:
        """A small table for Jupyter: label, value (with its unit, or the hourly summary) and source."""
        rows = (("label", self.label or self.node_key or ""), ("value", str(self)),
                ("source", "" if self.source is None else str(self.source)))
        cells = "".join(f"<tr><th>{name}</th><td>{html.escape(text)}</td></tr>" for name, text in rows)
        return f"<table>{cells}</table>"

    def __bool__(self):  # "is there a value": only ∅ is falsy
        return True


class EmptyExplainableObject(ExplainableValue):
    """``∅``, "no value": what a calculated attribute holds when nothing feeds it.

    ``∅ + x = x``, ``∅ - x = -x``, ``∅ * x = ∅``, ``∅ / x = ∅``; summed over time it is 0.
    """

    _kind = "empty"

    def __init__(self, label: str | None = "no value", source: Source | None = None):
        super().__init__(label, source)

    def sum(self):
        from efp.units import u
        from efp.values.quantity import ExplainableQuantity
        return ExplainableQuantity(0 * u.dimensionless, label=f"sum of {self.label}")

    def max(self):
        return self.sum()

    def mean(self):
        return self.sum()

    def to(self, unit):
        return self

    def copy(self):
        return EmptyExplainableObject(self.label, self.source)

    def __neg__(self):
        return self

    def __bool__(self):
        return False

    def __eq__(self, other):
        return isinstance(other, EmptyExplainableObject)

    __hash__ = object.__hash__

    def __str__(self):
        return "no value"

    def __repr__(self):
        return "EmptyExplainableObject()"


class ExplainableObject(ExplainableValue):
    """A non-numeric value: a choice from a list (server type, resolution) or a time zone name."""

    _kind = "object"

    def __init__(self, value, label: str | None = None, source: Source | None = None):
        super().__init__(label, source)
        self.value = value

    def __eq__(self, other):
        if isinstance(other, ExplainableObject):
            return self.value == other.value
        return self.value == other

    def __hash__(self):
        return hash(self.value)

    def __str__(self):
        return str(self.value)

    def __repr__(self):
        return f"{type(self).__name__}({self.value!r})"


class SourceObject(ExplainableObject):
    """A user-given non-numeric input: ``SourceObject("1080p (1920 x 1080)", Sources.USER_DATA)``."""

    def __init__(self, value, source: Source = Sources.USER_DATA, label: str | None = None):
        super().__init__(value, label=label, source=source)
