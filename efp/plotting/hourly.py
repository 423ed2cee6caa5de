"""Plots of hourly series: ``value.plot(filepath=None, xlims=None, cumsum=False)``.

What is drawn, for a series summed over its usage patterns:

- over a long window (more than :data:`BAND_THRESHOLD_HOURS`), the area between each day's minimum
  and maximum hour and the line of the daily mean (the seed: "over 3 years the daily fluctuations
  color the area between daily min and max");
- over a short window (or an ``xlims`` window), every hour as a point on a line;
- with ``cumsum=True``, the cumulative sum from the series' first hour (daily end-of-day values over
  long windows, hourly values over short ones);
- when the model holds a simulation (:class:`efp.ModelingUpdate` with a ``simulation_date``) that
  changed this value, the baseline and the simulated curves, and the simulation date.

Each curve's data is one ColumnDataSource named ``"<kind>:<curve>"``, kind ``daily``, ``hourly`` or
``cumulative`` and curve ``series`` (no simulation), ``baseline`` or ``simulation``: hover tooltips
read them, and so can tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from efp.errors import EfpError
from efp.plotting import html, number_text, unit_text
from efp.values import EmptyExplainableObject, ExplainableHourlyQuantities

#: Windows longer than this (three weeks of hours) are drawn as daily min–max bands and means.
BAND_THRESHOLD_HOURS = 21 * 24
COLORS = {"series": "#1f77b4", "baseline": "#1f77b4", "simulation": "#e6550d"}
NUMBER = "%.6g"


@dataclass(frozen=True)
class Curve:
    """One series to draw: its name, hours (datetime64[ns]) and values (summed over usage patterns)."""

    name: str
    times: np.ndarray
    values: np.ndarray

    def window(self, xlims) -> "Curve":
        if xlims is None:
            return self
        start, end = xlims
        keep = (self.times >= start) & (self.times <= end)
        return Curve(self.name, self.times[keep], self.values[keep])

    def cumulative(self) -> "Curve":
        return Curve(self.name, self.times, np.cumsum(self.values))


def _series_curve(name: str, series: ExplainableHourlyQuantities) -> Curve:
    data = series.sum_over_usage_patterns().data_array
    return Curve(name, data["time"].values.astype("datetime64[ns]"), np.asarray(data.values, dtype=np.float64))


def _baseline_of_active_simulation(simulation, key):
    """The baseline value of a node while a simulation's updated values are set (its saved state)."""
    saved = getattr(getattr(simulation, "_baseline", None), "nodes", {}).get(key)
    return saved[1] if saved is not None else None


def baseline_and_simulation(value):
    """``(baseline, simulated, simulation_date)``: the simulated value is ``None`` without a simulation.

    A simulation is the model's ``simulation`` attribute (set by :class:`efp.ModelingUpdate` with a
    ``simulation_date``); it concerns this value when it changed the value's node.
    """
    model, key = getattr(value, "_model", None), getattr(value, "node_key", None)
    simulation = getattr(model, "simulation", None)
    if simulation is None or key is None:
        return value, None, None
    updated = simulation.updated_value(key)
    if updated is None:
        return value, None, None
    if updated is value:  # the model is in the simulated state: the baseline is the saved one
        return _baseline_of_active_simulation(simulation, key), value, simulation.simulation_date
    return value, updated, simulation.simulation_date


def curves_of(value) -> tuple[list[Curve], str, object, np.datetime64 | None]:
    """The curves to draw for a value, its label, its unit and the simulation date (if any)."""
    baseline, simulated, date = baseline_and_simulation(value)
    hourly = [v for v in (baseline, simulated) if isinstance(v, ExplainableHourlyQuantities)]
    label = getattr(value, "label", None) or getattr(simulated, "label", None) or "hourly values"
    if not hourly:
        kind = "no value" if isinstance(value, EmptyExplainableObject) else f"the scalar {value}"
        raise EfpError(f"cannot plot {label!r}: plot draws hourly series and this is {kind}")
    unit = hourly[0].unit
    if simulated is None:
        return [_series_curve("series", baseline)], label, unit, None
    curves = []
    for name, series in (("baseline", baseline), ("simulation", simulated)):
        if isinstance(series, ExplainableHourlyQuantities):
            curves.append(_series_curve(name, series.to(unit)))
    if len(curves) == 1:  # one side is ∅ ("no value"): draw it as zero over the other's hours
        other = curves[0]
        missing = "simulation" if other.name == "baseline" else "baseline"
        curves.append(Curve(missing, other.times, np.zeros_like(other.values)))
        curves.sort(key=lambda curve: curve.name != "baseline")
    return curves, label, unit, date


def daily_statistics(times: np.ndarray, values: np.ndarray) -> dict[str, np.ndarray]:
    """Per calendar day of ``times`` (contiguous hours): the day, and the min, max, mean and last value."""
    if len(times) == 0:
        return {key: np.array([]) for key in ("day", "min", "max", "mean", "last")}
    days = times.astype("datetime64[D]")
    starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
    counts = np.diff(np.r_[starts, len(values)])
    return {"day": days[starts].astype("datetime64[ns]"),
            "min": np.minimum.reduceat(values, starts), "max": np.maximum.reduceat(values, starts),
            "mean": np.add.reduceat(values, starts) / counts, "last": values[starts + counts - 1]}


def _as_datetime64(moment) -> np.datetime64:
    return np.datetime64(moment, "ns") if not isinstance(moment, np.datetime64) else moment.astype("datetime64[ns]")


def _unit_label(unit) -> str:
    return unit_text(unit) or "dimensionless"


def _draw_band(figure, curve: Curve, unit_label: str, cumsum: bool):
    from bokeh.models import ColumnDataSource, HoverTool

    stats = daily_statistics(curve.times, curve.values)
    color = COLORS[curve.name]
    suffix = "" if curve.name == "series" else f" ({curve.name})"
    if cumsum:
        source = ColumnDataSource({"day": stats["day"], "cumulative": stats["last"]}, name=f"cumulative:{curve.name}")
        line = figure.line("day", "cumulative", source=source, color=color, line_width=2,
                           legend_label=f"cumulative at the end of each day{suffix}")
        tooltips = [("day", "@day{%F}"), ("cumulative", f"@cumulative{{{NUMBER}}} {unit_label}")]
        figure.add_tools(HoverTool(renderers=[line], tooltips=tooltips, mode="vline",
                                   formatters={"@day": "datetime", "@cumulative": "printf"}))
        return
    source = ColumnDataSource({key: stats[key] for key in ("day", "min", "max", "mean")}, name=f"daily:{curve.name}")
    figure.varea("day", "min", "max", source=source, color=color, fill_alpha=0.25,
                 legend_label=f"daily min–max{suffix}")
    line = figure.line("day", "mean", source=source, color=color, line_width=2, legend_label=f"daily mean{suffix}")
    tooltips = [("day", "@day{%F}"), ("min", f"@min{{{NUMBER}}} {unit_label}"),
                ("mean", f"@mean{{{NUMBER}}} {unit_label}"), ("max", f"@max{{{NUMBER}}} {unit_label}")]
    figure.add_tools(HoverTool(renderers=[line], tooltips=tooltips, mode="vline",
                               formatters={"@day": "datetime", "@min": "printf", "@mean": "printf",
                                           "@max": "printf"}))


def _draw_hours(figure, curve: Curve, unit_label: str, cumsum: bool):
    from bokeh.models import ColumnDataSource, HoverTool

    kind = "cumulative" if cumsum else "hourly"
    color = COLORS[curve.name]
    source = ColumnDataSource({"time": curve.times, "value": curve.values}, name=f"{kind}:{curve.name}")
    legend = ("cumulative" if cumsum else "hourly values") + ("" if curve.name == "series" else f" ({curve.name})")
    figure.line("time", "value", source=source, color=color, line_width=1.5, legend_label=legend)
    points = figure.scatter("time", "value", source=source, color=color, size=4, legend_label=legend)
    figure.add_tools(HoverTool(renderers=[points], tooltips=[("hour", "@time{%F %H:%M}"),
                                                             (kind, f"@value{{{NUMBER}}} {unit_label}")],
                               formatters={"@time": "datetime", "@value": "printf"}))


def hourly_figure(value, xlims=None, cumsum: bool = False, width: int = 900, height: int = 420):
    """The bokeh figure of a value (see the module docstring)."""
    from bokeh.models import Label, NumeralTickFormatter, Range1d, Span, Title
    from bokeh.plotting import figure as new_figure

    curves, label, unit, simulation_date = curves_of(value)
    window = None if xlims is None else tuple(_as_datetime64(moment) for moment in xlims)
    if cumsum:
        curves = [curve.cumulative() for curve in curves]
    shown = [curve.window(window) for curve in curves]
    if not any(len(curve.times) for curve in shown):
        raise EfpError(f"cannot plot {label!r}: no hour of the series falls within xlims {list(xlims)}")
    unit_label = _unit_label(unit)
    title = f"Cumulative {label}" if cumsum else label
    figure = new_figure(width=width, height=height, x_axis_type="datetime", title=title,
                        tools="pan,xwheel_zoom,box_zoom,reset,save", active_scroll="xwheel_zoom")
    figure.yaxis.axis_label = unit_label + (" (cumulative)" if cumsum else "")
    figure.xaxis.axis_label = "time"
    band = max(len(curve.times) for curve in shown) > BAND_THRESHOLD_HOURS
    for curve in shown:
        (_draw_band if band else _draw_hours)(figure, curve, unit_label, cumsum)
    if window is not None:
        figure.x_range = Range1d(window[0], window[1])
    if max(float(np.abs(curve.values).max(initial=0)) for curve in shown) >= 1:
        figure.yaxis.formatter = NumeralTickFormatter(format="0,0.[00]")
    figure.add_layout(Title(text=_summary(curves if window is None else shown, cumsum, window is not None, unit_label),
                            text_font_style="italic", text_font_size="9pt"), "above")
    if simulation_date is not None:
        moment = simulation_date.astype("datetime64[ms]").astype(datetime)
        figure.add_layout(Span(location=moment, dimension="height", line_dash="dashed", line_color="#555555"))
        figure.add_layout(Label(x=moment, y=0, y_units="screen", text=" simulation starts", text_font_size="8pt",
                                x_offset=2, y_offset=4))
    figure.legend.location = "top_left"
    figure.legend.click_policy = "hide"
    return figure


def _day(moment: np.datetime64) -> str:
    return str(moment.astype("datetime64[m]")).replace("T", " ")


def _summary(curves: list[Curve], cumsum: bool, windowed: bool, unit_label: str) -> str:
    """The subtitle: the span drawn, and the sum (or the cumulative value reached) per curve."""
    drawn = [curve for curve in curves if len(curve.times)]
    first, last = min(c.times[0] for c in drawn), max(c.times[-1] for c in drawn)
    what = ("cumulative at the last hour" + (" shown" if windowed else "") if cumsum
            else "sum over the hours shown" if windowed else "sum over all hours")
    totals = ", ".join(f"{curve.name + ': ' if curve.name != 'series' else ''}"
                       f"{number_text(curve.values[-1] if cumsum else curve.values.sum())} {unit_label}"
                       for curve in drawn)
    return f"{_day(first)} to {_day(last)} — {what}: {totals}"


def plot_hourly(value, filepath=None, xlims=None, cumsum: bool = False, width: int = 900, height: int = 420,
                notebook: bool | None = None) -> Path | None:
    """Draw a value; show it inline in a notebook, else write it (see :func:`efp.plotting.html.output`).

    The default file is named after the value's label, in the current directory.
    """
    if isinstance(filepath, (list, tuple)):  # api.md's positional order: plot(xlims, cumsum, filepath)
        given_cumsum = xlims if isinstance(xlims, bool) else cumsum if isinstance(cumsum, bool) else False
        filepath, xlims, cumsum = (None if isinstance(cumsum, bool) else cumsum), filepath, given_cumsum
    figure = hourly_figure(value, xlims=xlims, cumsum=cumsum, width=width, height=height)
    label = figure.title.text
    default = html.default_path(label, ".html")
    return html.output(figure, filepath, label, default, notebook)
