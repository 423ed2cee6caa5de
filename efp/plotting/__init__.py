"""Plots and graphs of efp values and objects: bokeh HTML that works offline, PNG, graphviz SVG/DOT.

- :mod:`efp.plotting.hourly`: an hourly series (daily min–max band over long spans, hourly points over
  short ones, cumulative curves, baseline versus simulation);
- :mod:`efp.plotting.graphs`: the object relationship graph and the calculus graph of a value
  (bokeh graph renderer on the networkx graph, or graphviz);
- :mod:`efp.plotting.html`: writing a bokeh layout as self-contained HTML (BokehJS inlined, no CDN),
  as PNG through headless Chromium, or showing it inline in a notebook.

Nothing here is imported by ``import efp``: values and objects import these modules inside their
``plot`` / ``*_to_file`` methods, so bokeh and graphviz load only when something is drawn.
"""
from __future__ import annotations

import re


def unit_text(unit) -> str:
    """A unit as plots print it: pint's short form (``kg``, ``g/kWh``), but ``year`` rather than ``a``."""
    return re.sub(r"\ba\b", "year", format(unit, "~P"))


def number_text(number: float) -> str:
    """A number as hover texts print it: ``4,955,397``, ``1,234.57``, ``0.0123``, ``1.2e-05``."""
    size = abs(number)
    if number == 0 or size >= 1e4:
        return f"{number:,.0f}"
    if size >= 1e-3:
        return f"{number:,.6g}"
    return f"{number:.4g}"
