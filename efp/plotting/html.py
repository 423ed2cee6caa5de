"""Self-contained outputs of bokeh layouts: HTML files, PNG files, notebook display.

Guarantees:

- an HTML file written here embeds BokehJS itself (``bokeh.resources.INLINE``): it opens offline
  and requests nothing but ``data:`` URLs;
- a path ending in ``.png`` is rendered by headless Chromium (``--screenshot``) from the same HTML,
  without the toolbar; when Chromium is missing, the interactive HTML is written next to the PNG's
  path instead and a :class:`PlotExportWarning` says so (a notebook keeps running);
- :func:`in_notebook` is true only inside an IPython kernel (Jupyter), never in a plain interpreter
  or under pytest.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from efp.errors import EfpError

#: Flags of every headless Chromium run: no sandbox (root in containers), no GPU, and no background
#: network traffic (the machines efp runs on may have a closed network).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--mute-audio", "--hide-scrollbars")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
HTML_SUFFIXES = (".html", ".htm")


class PlotExportError(EfpError):
    """An output could not be written: unknown file type, or a renderer failed."""


class PlotExportWarning(UserWarning):
    """A PNG could not be rendered (no Chromium): the interactive HTML was written instead."""


def in_notebook() -> bool:
    """True inside a running IPython kernel (a Jupyter notebook), without importing IPython."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def pixels(size) -> int:
    """``"800px"``, ``"800"`` or ``800`` as a number of pixels."""
    if isinstance(size, (int, float)) and not isinstance(size, bool):
        return int(size)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(px)?\s*", str(size))
    if not match:
        raise PlotExportError(f"got the size {size!r}; allowed: a number of pixels such as 800 or '800px'")
    return int(float(match.group(1)))


def default_path(label: str | None, suffix: str = ".html", qualifier: str = "") -> Path:
    """A file name in the current directory made from a label: ``"Hourly starts" -> Hourly_starts.html``."""
    stem = re.sub(r"[^\w\-]+", "_", label or "efp plot").strip("_") or "efp_plot"
    return Path.cwd() / f"{stem}{qualifier}{suffix}"


def standalone_html(layout, title: str) -> str:
    """The layout as one HTML document with BokehJS inlined (no CDN, works offline)."""
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    owned = layout.document is not None
    page = file_html(layout, resources=INLINE, title=title)
    if not owned and layout.document is not None:  # release the temporary document: the layout may be shown next
        layout.document.remove_root(layout)
    return page


def find_chromium() -> str | None:
    """Chromium's executable: ``$EFP_CHROMIUM``, else ``chromium`` (Debian's package) or a Chrome on PATH."""
    configured = os.environ.get("EFP_CHROMIUM")
    if configured:
        return shutil.which(configured)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def html_to_png(html_path: Path, png_path: Path, width: int, height: int, chromium: str | None = None,
                timeout: float = 60.0) -> Path:
    """Render an HTML file to a PNG of ``width`` x ``height`` pixels with headless Chromium."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise PlotExportError("headless Chromium is needed to write PNG files and was not found; install "
                              "the Debian package `chromium` (or set $EFP_CHROMIUM), or write .html instead")
    png_path = Path(png_path).resolve()
    png_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="efp-chromium-") as profile:
        command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={png_path}",
                   f"--window-size={width},{height}", "--virtual-time-budget=10000",
                   Path(html_path).resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise PlotExportError(f"Chromium did not render {html_path} within {timeout:.0f} s") from None
    if not png_path.is_file() or png_path.stat().st_size == 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise PlotExportError(f"Chromium wrote no PNG for {html_path} (exit code {done.returncode}): "
                              + " / ".join(tail))
    return png_path


def _layout_size(layout) -> tuple[int, int]:
    width = getattr(layout, "width", None) or 900
    height = getattr(layout, "height", None) or 500
    return int(width), int(height)


def _png_page(layout, title: str) -> str:
    """The HTML a PNG is rendered from: no toolbars, no page margin (the layout is left unchanged)."""
    from bokeh.models import Plot

    plots = list(layout.select({"type": Plot}))
    locations = [plot.toolbar_location for plot in plots]
    try:
        for plot in plots:
            plot.toolbar_location = None
        page = standalone_html(layout, title)
    finally:
        for plot, location in zip(plots, locations):
            plot.toolbar_location = location
    return page.replace("<head>", "<head><style>html, body { margin: 0; padding: 0; background: white; }"
                                  "</style>", 1)


def save(layout, path, title: str) -> Path:
    """Write the layout to ``path``: ``.html``/``.htm`` self-contained, or ``.png`` through Chromium.

    Returns the path written; when a PNG cannot be rendered for lack of Chromium, the path of the
    HTML written next to it instead (with a :class:`PlotExportWarning`).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        path.write_text(standalone_html(layout, title), encoding="utf-8")
        return path
    if suffix != ".png":
        raise PlotExportError(f"cannot write {path.name!r}: allowed: a path ending in .html or .png")
    chromium = find_chromium()
    if chromium is None:
        fallback = path.with_suffix(".html")
        fallback.write_text(standalone_html(layout, title), encoding="utf-8")
        warnings.warn(f"no headless Chromium to render {path.name}: wrote the interactive {fallback.name} "
                      f"instead; install the Debian package `chromium` (or set $EFP_CHROMIUM) for PNG files",
                      PlotExportWarning, stacklevel=3)
        return fallback
    width, height = _layout_size(layout)
    page = _png_page(layout, title)
    with tempfile.TemporaryDirectory(prefix="efp-png-") as folder:
        html_path = Path(folder) / "plot.html"
        html_path.write_text(page, encoding="utf-8")
        html_to_png(html_path, path, width, height, chromium)
    return path


_notebook_ready = False


def show(layout) -> None:
    """Display the layout inline in a notebook, with BokehJS inlined (no CDN).

    BokehJS (about 1.3 MB) goes into the notebook once per kernel, with the first plot, not with every
    plot (as bokeh's ``output_notebook`` does when called again).
    """
    global _notebook_ready
    from bokeh.io import output_notebook
    from bokeh.io import show as bokeh_show
    from bokeh.resources import INLINE

    if not _notebook_ready:
        output_notebook(INLINE, hide_banner=True)
        _notebook_ready = True
    bokeh_show(layout)


def output(layout, filepath, title: str, default: Path, notebook: bool | None = None) -> Path | None:
    """Show or write a layout the way ``plot`` methods do.

    In a notebook (``notebook`` true, or by default when a kernel runs) the layout is shown inline;
    it is written to ``filepath`` when one is given, or to ``default`` outside a notebook. Returns
    the path written, or ``None`` when it was only shown.
    """
    inline = in_notebook() if notebook is None else (notebook and in_notebook())
    written = None
    if filepath is not None or not inline:
        written = save(layout, filepath if filepath is not None else default, title)
    if inline:
        show(layout)
    return written
