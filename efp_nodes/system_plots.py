"""System-level charts, and the history of footprints they compare.

History
-------
A :class:`FootprintHistory` holds :class:`FootprintSnapshot` s of a System's footprint summed over the
period, per category and object: one when the System is created, then one after every transaction
that recomputed the System's ``total_footprint`` (the model calls its ``change_listeners`` after
each successful transaction with the transaction's journal; the journal's ``nodes`` are the keys the
transaction touched). Nothing is computed for it: a snapshot sums its values when first read, and
only the footprints a transaction replaced are summed again (the others' sums are kept while their
values are the same objects).
A simulation (:class:`efp.ModelingUpdate` with a ``simulation_date``) is rolled back right after its
transaction; its snapshot is dropped as soon as that is visible (the model's ``simulation`` changed),
so the history holds only changes that stayed. The listener refers to its System weakly: a
discarded System is not kept alive by its model's listener list, and its listener leaves the list.

Charts (bokeh; ``.html`` self-contained or ``.png``, see :mod:`efp.plotting.html`)
----------------------------------------------------------------------------------
- :func:`plot_footprints_by_category_and_object`: per category, the fabrication and energy bars
  stacked by object, with totals and shares; data in the ColumnDataSources ``"footprints"`` (one row
  per object and phase) and ``"totals"`` (one row per bar);
- :func:`plot_emission_diffs`: per category and phase, the previous (or initial) and current
  footprints side by side with the change in kg and %; data in ``"emission_diffs"`` (one row per
  category, phase and state) and ``"changes"`` (one row per category and phase).

bokeh is imported inside the drawing functions only, so importing efp_nodes never loads it.
"""
from __future__ import annotations

import math
import weakref
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from efp.errors import EfpError
from efp.states import State
from efp.values import EmptyExplainableObject

PHASES = ("Fabrication", "Energy")
_NO_FABRICATION = EmptyExplainableObject()  # networks have none
DIFF_COLORS = {"before": "#a6a6a6", "Fabrication": "#4a7ebb", "Energy": "#e6550d"}


# ---------------------------------------------------------------------------------------- history
@dataclass(frozen=True)
class ObjectFootprint:
    """One object's footprints summed over the period, in kg."""

    category: str
    object_id: str
    name: str
    object_class: str
    fabrication_kg: float
    energy_kg: float

    def kg(self, phase: str) -> float:
        return self.fabrication_kg if phase == "Fabrication" else self.energy_kg

    @property
    def total_kg(self) -> float:
        return self.fabrication_kg + self.energy_kg


class FootprintSnapshot:
    """A System's footprints per category and object at one moment, and the inputs changed just before.

    Taking a snapshot costs nothing: it keeps the footprint values of that moment (values are never
    modified in place, so they stay as they were) and sums them over the period when first read.
    """

    def __init__(self, categories: tuple[str, ...], entries: tuple, changes: tuple[str, ...] = (),
                 sums_cache: dict | None = None):
        self.categories = categories
        self.changes = changes
        # (category, object id, name, class name, fabrication, energy): each footprint as ``(weak reference
        # to the model's value, a detached copy sharing its arrays)``, which does not keep the model alive
        self._entries = entries
        self._sums_cache = {} if sums_cache is None else sums_cache
        self._objects: tuple[ObjectFootprint, ...] | None = None

    @property
    def objects(self) -> tuple[ObjectFootprint, ...]:
        """Every object's footprints summed over the period, in kg (summed on first reading)."""
        if self._objects is None:
            cache = self._sums_cache
            self._objects = tuple(
                ObjectFootprint(category, object_id, name, object_class,
                                _kg(fabrication, (object_id, "Fabrication"), cache),
                                _kg(energy, (object_id, "Energy"), cache))
                for category, object_id, name, object_class, fabrication, energy in self._entries)
            self._entries = None  # the sums are all that is needed now
        return self._objects

    def kg(self, category: str, phase: str) -> float:
        return sum(o.kg(phase) for o in self.objects if o.category == category)

    @property
    def total_kg(self) -> float:
        return sum(o.fabrication_kg + o.energy_kg for o in self.objects)


def _kg(footprint, key, cache: dict) -> float:
    """A footprint summed over every hour, in kg; reused from ``cache`` while the model's value is the
    same object."""
    live, value = footprint
    entry = cache.get(key)
    current = live() if live is not None else None
    if entry is not None and current is not None and entry[0]() is current:
        return entry[1]
    kg = float(value.sum().to("kg").magnitude) if value else 0.0
    if live is not None:
        cache[key] = (live, kg)
    return kg


def _kept(value, key, kept: dict) -> tuple:
    """``(weak reference to value, detached copy)``; the copy of the previous snapshot while the value
    is the same object (a change replaces a few footprints: only those are copied)."""
    previous = kept.get(key)
    if previous is not None and previous[0] is not None and previous[0]() is value:
        return previous
    try:
        live = weakref.ref(value)
    except TypeError:
        live = None
    entry = (live, value.detached() if hasattr(value, "detached") else value)
    kept[key] = entry
    return entry


def snapshot(system, changes=(), cache: dict | None = None, kept: dict | None = None) -> FootprintSnapshot:
    """The System's footprints now (per category and object, in kg), as its ``*_sum_over_period`` give them.

    ``cache`` (``{(object id, phase): (weak reference to the value, kg)}``, shared by the snapshots of
    one history) spares summing again the hourly values a change did not replace; ``kept`` (the same
    keys, with the values' detached copies) spares copying them again.
    """
    kept = {} if kept is None else kept
    model = system._model
    with model.lock:  # one state for every value, read without a lock each (thousands of objects)
        by_category = system.objects_by_category()
        entries = tuple((category, obj.id, obj.name, type(obj).__name__,
                         _kept(_value(model, obj, "instances_fabrication_footprint") if category != "Network"
                               else _NO_FABRICATION, (obj.id, "Fabrication"), kept),
                         _kept(_value(model, obj, "energy_footprint"), (obj.id, "Energy"), kept))
                        for category, objects in by_category.items() for obj in objects)
    return FootprintSnapshot(tuple(by_category), entries, tuple(changes), cache)


def _value(model, obj, attr: str):
    """``obj.attr`` as the System's ``*_footprints`` read it (the node's value when fresh, else computed)."""
    node = model.nodes[f"{obj.id}.{attr}"]
    return node.value if node.state is State.FRESH else model.read(obj, attr)


def changed_inputs(model, journal) -> tuple[str, ...]:
    """The inputs and links a transaction set, as ``Class 'name'.attribute``."""
    return tuple(model.describe(model.nodes[key]) for key in journal.nodes
                 if key in model.nodes and model.nodes[key].decl.kind in ("input", "link", "list_link"))


class FootprintHistory:
    """The snapshots of one System: the initial one first (see the module docstring)."""

    def __init__(self):
        self.sums_cache: dict = {}
        self.kept: dict = {}  # the footprints' detached copies, shared by snapshots (see snapshot())
        self.snapshots: list[FootprintSnapshot] = []
        self._last_call_recorded = False
        self._simulation_seen = None

    def settle(self, model) -> None:
        """Drop the last snapshot if it was a simulation's, rolled back since it was taken."""
        current = getattr(model, "simulation", None)
        seen = self._simulation_seen() if self._simulation_seen is not None else None
        if current is not None and current is not seen and self._last_call_recorded:
            self.snapshots.pop()
        self._simulation_seen = weakref.ref(current) if current is not None else None
        self._last_call_recorded = False

    def record(self, system, changes=()) -> None:
        self.snapshots.append(snapshot(system, changes, self.sums_cache, self.kept))
        self._last_call_recorded = True

    def restart(self, system) -> None:
        """Make the System's footprints now the initial snapshot (the System has just been created)."""
        self.snapshots.clear()
        self.sums_cache.clear()
        self.kept.clear()
        self.snapshots.append(snapshot(system, (), self.sums_cache, self.kept))
        self._last_call_recorded = False

    @property
    def initial(self) -> FootprintSnapshot:
        return self.snapshots[0]

    @property
    def current(self) -> FootprintSnapshot:
        return self.snapshots[-1]

    def __len__(self) -> int:
        return len(self.snapshots)


class FootprintHistoryListener:
    """A model change listener that records a System's snapshots; it holds the System weakly."""

    def __init__(self, system, history: FootprintHistory):
        self.history = history
        self.system = weakref.ref(system)
        self.footprint_key = f"{system.id}.total_footprint"

    def __call__(self, model, journal) -> None:
        system = self.system()
        if system is None:
            with suppress(ValueError):
                model.change_listeners.remove(self)
            return
        self.history.settle(model)
        node = model.nodes.get(self.footprint_key)
        if node is None or node.state is not State.FRESH:
            return
        if self.footprint_key in journal.created_keys:  # the transaction that created the System ended
            self.history.restart(system)
        elif self.footprint_key in journal.nodes:
            self.history.record(system, changed_inputs(model, journal))


def _forget(model_ref, listener) -> None:
    model = model_ref()
    if model is not None:
        with suppress(ValueError):
            model.change_listeners.remove(listener)


def track_footprint_history(system) -> FootprintHistory:
    """Record the System's footprints now (if computed) and after every later change of it.

    A System created inside a transaction block (``with model.transaction():``), or loaded from a
    file, is computed when its transaction ends: its initial snapshot is taken then, by the listener.
    """
    history = FootprintHistory()
    history.settle(system._model)
    node = system._model.nodes.get(f"{system.id}.total_footprint")
    if node is not None and node.state is State.FRESH:
        history.restart(system)
    listener = FootprintHistoryListener(system, history)
    system._model.change_listeners.append(listener)
    weakref.finalize(system, _forget, weakref.ref(system._model), listener)
    return history


def history_of(system) -> FootprintHistory:
    history = getattr(system, "footprint_history", None)
    if history is None:
        raise EfpError(f"System '{system.name}' has no footprint history (it was created without System(...) "
                       f"or System._unregistered)")
    history.settle(system._model)
    if not history.snapshots:  # created in a transaction block still open: its values as they are now
        system.total_footprint  # noqa: B018 (reading computes what is stale)
        history.restart(system)
    return history


def emission_diff(system, from_start: bool = False) -> tuple[FootprintSnapshot, FootprintSnapshot, str]:
    """``(before, after, what)``: the snapshots a diff compares, and a description of the changes."""
    history = history_of(system)
    if len(history) < 2:
        raise EfpError(f"System '{system.name}': no change to compare yet; plot_emission_diffs compares the "
                       f"footprints before and after a change of an input or link the System depends on")
    after = history.current
    if from_start:
        before = history.initial
        count = len(history) - 1
        what = f"all changes since the System was created ({count} change{'s' if count > 1 else ''})"
    else:
        before = history.snapshots[-2]
        what = "; ".join(after.changes) or "the last change"
    return before, after, what


# ---------------------------------------------------------------------------------------- charts
def _kg_text(kg: float) -> str:
    """A compact mass: 950 kg, 12.3 t, 4.56 kt."""
    for factor, unit in ((1e9, "Mt"), (1e6, "kt"), (1e3, "t")):
        if abs(kg) >= factor:
            return f"{kg / factor:,.3g} {unit}"
    return f"{kg:,.3g} kg"


def _signed(text: str, value: float) -> str:
    return f"+{text}" if value > 0 else text


def footprints_figure(system, width: int = 960, height: int = 540):
    """The bar chart of :func:`plot_footprints_by_category_and_object`."""
    from bokeh.models import ColumnDataSource, FactorRange, HoverTool, LabelSet, NumeralTickFormatter, Title
    from bokeh.palettes import Category10, Category20
    from bokeh.plotting import figure as new_figure

    state = snapshot(system)
    total = state.total_kg
    palette = Category10[10] if len(state.objects) <= 10 else Category20[20]
    colors = {o.object_id: palette[i % len(palette)] for i, o in enumerate(state.objects)}
    rows = {name: [] for name in ("x", "category", "phase", "object", "object_id", "object_class", "legend", "kg",
                                  "bottom", "top", "share_of_total", "share_of_bar", "color")}
    totals = {name: [] for name in ("x", "category", "phase", "kg", "share_of_total", "text", "top")}
    factors = [(category, phase) for category in state.categories for phase in PHASES]
    for category, phase in factors:
        bar = state.kg(category, phase)
        bottom = 0.0
        for obj in (o for o in state.objects if o.category == category):
            kg = obj.kg(phase)
            for name, value in (("x", (category, phase)), ("category", category), ("phase", phase),
                                ("object", obj.name), ("object_id", obj.object_id), ("object_class", obj.object_class),
                                ("legend", f"{obj.name} ({obj.object_class})"), ("kg", kg), ("bottom", bottom),
                                ("top", bottom + kg), ("share_of_total", kg / total if total else 0.0),
                                ("share_of_bar", kg / bar if bar else 0.0), ("color", colors[obj.object_id])):
                rows[name].append(value)
            bottom += kg
        share = bar / total if total else 0.0
        for name, value in (("x", (category, phase)), ("category", category), ("phase", phase), ("kg", bar),
                            ("share_of_total", share), ("text", f"{_kg_text(bar)}\n{share:.1%}"), ("top", bar)):
            totals[name].append(value)
    figure = new_figure(x_range=FactorRange(*factors), y_range=_y_range(totals["top"]), width=width, height=height,
                        title=f"{system.name}: footprint by category and object — total {_kg_text(total)} CO2eq",
                        tools="pan,wheel_zoom,box_zoom,reset,save", toolbar_location="right")
    bars = figure.vbar(x="x", bottom="bottom", top="top", width=0.8, color="color", line_color="white",
                       source=ColumnDataSource(rows, name="footprints"), legend_field="legend")
    figure.add_layout(LabelSet(x="x", y="top", text="text", source=ColumnDataSource(totals, name="totals"),
                               text_align="center", y_offset=4, text_font_size="8pt"))
    figure.add_tools(HoverTool(renderers=[bars], tooltips=[
        ("object", "@object (@object_class)"), ("phase", "@category @phase"), ("footprint", "@kg{0,0.000} kg"),
        ("share of the total", "@share_of_total{0.00%}"), ("share of the bar", "@share_of_bar{0.00%}")]))
    figure.add_layout(Title(text=f"kg CO2eq summed over every hour; {_period(system)}", text_font_style="italic",
                            text_font_size="9pt"), "above")
    figure.yaxis.axis_label = "kg CO2eq"
    figure.yaxis.formatter = NumeralTickFormatter(format="0,0")
    figure.xaxis.major_label_orientation = 0.6
    figure.xgrid.grid_line_color = None
    figure.add_layout(figure.legend[0], "right")
    figure.legend.label_text_font_size = "8pt"
    return figure


def _y_range(tops):
    """From 0 to above the highest bar, with room for its two-line label."""
    from bokeh.models import Range1d

    highest = max(tops, default=0.0)
    return Range1d(0, highest * 1.2 if highest > 0 else 1.0)


def _period(system) -> str:
    total = system.total_footprint
    if not hasattr(total, "start_date"):
        return "no hour of use"
    return f"{total.start_date:%Y-%m-%d %H:%M} to {total.end_date:%Y-%m-%d %H:%M} UTC"


def diffs_figure(system, from_start: bool = False, width: int = 960, height: int = 540):
    """The chart of :func:`plot_emission_diffs`."""
    from bokeh.models import ColumnDataSource, FactorRange, HoverTool, LabelSet, NumeralTickFormatter, Title
    from bokeh.plotting import figure as new_figure

    before, after, what = emission_diff(system, from_start)
    states = ("initial", "current") if from_start else ("previous", "current")
    bars = {name: [] for name in ("x", "category", "phase", "state", "kg", "color", "before_kg", "after_kg",
                                  "change_kg", "change_pct")}
    changes = {name: [] for name in ("x", "category", "phase", "before_kg", "after_kg", "change_kg", "change_pct",
                                     "text", "top")}
    categories = list(dict.fromkeys(after.categories + before.categories))
    for category in categories:
        for phase in PHASES:
            old, new = before.kg(category, phase), after.kg(category, phase)
            change = new - old
            pct = change / old if old else (0.0 if change == 0 else math.nan)
            for state, kg in zip(states, (old, new)):
                for name, value in (("x", (category, phase, state)), ("category", category), ("phase", phase),
                                    ("state", state), ("kg", kg),
                                    ("color", DIFF_COLORS["before"] if state != "current" else DIFF_COLORS[phase]),
                                    ("before_kg", old), ("after_kg", new), ("change_kg", change), ("change_pct", pct)):
                    bars[name].append(value)
            text = ("no change" if abs(change) <= 1e-9 * max(abs(old), abs(new)) else
                    f"{_signed(_kg_text(change), change)}\n{'new' if math.isnan(pct) else f'{pct:+.1%}'}")
            for name, value in (("x", (category, phase)), ("category", category), ("phase", phase), ("before_kg", old),
                                ("after_kg", new), ("change_kg", change), ("change_pct", pct), ("text", text),
                                ("top", max(old, new))):
                changes[name].append(value)
    old_total, new_total = before.total_kg, after.total_kg
    delta = new_total - old_total
    ratio = f" ({delta / old_total:+.1%})" if old_total else ""
    title = (f"{system.name}: emissions {states[0]} vs current — total {_kg_text(old_total)} → "
             f"{_kg_text(new_total)}, {_signed(_kg_text(delta), delta)}{ratio}")
    factors = [(c, p, s) for c in categories for p in PHASES for s in states]
    figure = new_figure(x_range=FactorRange(*factors), y_range=_y_range(changes["top"]), width=width, height=height,
                        title=title,
                        tools="pan,wheel_zoom,box_zoom,reset,save", toolbar_location="right")
    renderer = figure.vbar(x="x", top="kg", width=0.85, color="color", line_color="white",
                           source=ColumnDataSource(bars, name="emission_diffs"))
    figure.add_layout(LabelSet(x="x", y="top", text="text", source=ColumnDataSource(changes, name="changes"),
                               text_align="center", y_offset=4, text_font_size="8pt"))
    figure.add_tools(HoverTool(renderers=[renderer], tooltips=[
        ("", "@category @phase, @state"), ("footprint", "@kg{0,0.000} kg"),
        (states[0], "@before_kg{0,0.000} kg"), ("current", "@after_kg{0,0.000} kg"),
        ("change", "@change_kg{+0,0.000} kg (@change_pct{+0.00%})")]))
    figure.add_layout(Title(text=f"Changes: {_shorten(what, 160)}", text_font_style="italic", text_font_size="9pt"),
                      "above")
    figure.yaxis.axis_label = "kg CO2eq over the period"
    figure.yaxis.formatter = NumeralTickFormatter(format="0,0")
    figure.xaxis.major_label_orientation = 0.9
    figure.xgrid.grid_line_color = None
    return figure


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def plot_footprints_by_category_and_object(system, filepath=None, notebook: bool | None = None) -> Path | None:
    """Write (or show, in a notebook) the footprint per category, phase and object; return the path."""
    from efp.plotting import html

    figure = footprints_figure(system)
    return html.output(figure, filepath, figure.title.text, html.default_path(f"{system.name} footprints"), notebook)


def plot_emission_diffs(system, filepath=None, from_start: bool = False, notebook: bool | None = None) -> Path | None:
    """Write (or show, in a notebook) the change of footprints by the last change, or since creation."""
    from efp.plotting import html

    figure = diffs_figure(system, from_start)
    return html.output(figure, filepath, figure.title.text, html.default_path(f"{system.name} emission diffs"),
                       notebook)
