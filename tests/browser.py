"""A tiny driver of headless Chromium for the tests: the DevTools protocol over a pipe.

Chromium started with ``--remote-debugging-pipe`` reads DevTools commands on its file descriptor 3
and writes answers and events on its file descriptor 4, each a JSON message ended by a NUL byte. That
needs no websocket library and no port. :class:`Browser` opens pages (``file://`` URLs), and for each
:class:`Page` records what the tests check:

- console errors and warnings (``Runtime.consoleAPICalled``), uncaught exceptions
  (``Runtime.exceptionThrown``) and browser log errors (``Log.entryAdded``: failed loads, CSP...);
- every URL the page requested (``Network.requestWillBeSent``), so that a test can prove a page is
  self-contained (nothing but ``file:``, ``data:`` and ``blob:``);
- and it evaluates JavaScript in the page (``Runtime.evaluate``) to read the DOM or Bokeh's models,
  and moves the mouse (``Input.dispatchMouseEvent``) to show a hover tooltip.

:class:`BokehPage` adds what a bokeh page needs: waiting until a canvas is painted, reading a named
ColumnDataSource of the live document, and hovering a data point to read its tooltip.

:func:`chromium_or_skip` finds the browser, or skips the test with a reason, or fails it under CI
(``CI=true``), where a missing browser means the set-up is broken.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from efp.plotting.html import CHROMIUM_FLAGS, CHROMIUM_NAMES, find_chromium


class BrowserError(RuntimeError):
    """The browser failed, timed out, or a command returned an error."""


def chromium_or_skip() -> str:
    """The Chromium executable; skip the test without one, or fail it under CI."""
    import pytest

    found = find_chromium()
    if found:
        return found
    message = ("headless Chromium is needed to check the HTML outputs and was not found (looked for "
               f"$EFP_CHROMIUM, {', '.join(CHROMIUM_NAMES)}); install the Debian package: "
               "`apt-get install chromium` (make test does it as root)")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _high_fd(fd: int) -> int:
    """A copy of ``fd`` numbered 10 or more (so that it cannot collide with 3 and 4 in the child)."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class Browser:
    """One headless Chromium, driven over its DevTools pipe (see the module docstring)."""

    def __init__(self, executable: str, timeout: float = 30.0):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="efp-chromium-")
        to_browser_r, self._to_browser = (_high_fd(fd) for fd in os.pipe())
        self._from_browser, from_browser_w = (_high_fd(fd) for fd in os.pipe())

        def plumb():  # in the child, before exec: the pipe ends become its fds 3 and 4
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=plumb, close_fds=False)  # fds 3 and 4 are inherited; Python's own fds are close-on-exec
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next_id = 0
        self._lock = threading.Lock()
        self._answers: dict[int, queue.Queue] = {}
        self._events: dict[str | None, queue.Queue] = {}
        self._stderr: list[bytes] = []
        threading.Thread(target=self._read_loop, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.send("Browser.getVersion")

    # ------------------------------------------------------------------ protocol
    def _drain_stderr(self):
        for line in self.process.stderr:
            self._stderr.append(line)

    def _read_loop(self):
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                for waiting in list(self._answers.values()):
                    waiting.put({"error": {"message": "the browser closed its pipe"}})
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message:
                    answer = self._answers.get(message["id"])
                    if answer is not None:
                        answer.put(message)
                else:
                    self._event_queue(message.get("sessionId")).put(message)

    def _event_queue(self, session_id) -> queue.Queue:
        with self._lock:
            return self._events.setdefault(session_id, queue.Queue())

    def send(self, method: str, params: dict | None = None, session_id: str | None = None,
             timeout: float | None = None) -> dict:
        """Send one command and wait for its result (raise :class:`BrowserError` on an error)."""
        with self._lock:
            self._next_id += 1
            message_id = self._next_id
            self._answers[message_id] = answer = queue.Queue()
        message = {"id": message_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        try:
            reply = answer.get(timeout=timeout or self.timeout)
        except queue.Empty:
            raise BrowserError(f"{method}: no answer within {timeout or self.timeout} s; "
                               f"browser stderr: {self.stderr_tail()}") from None
        finally:
            self._answers.pop(message_id, None)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error'].get('message')} {reply['error'].get('data', '')}")
        return reply.get("result", {})

    def stderr_tail(self, lines: int = 20) -> str:
        return b"".join(self._stderr[-lines:]).decode(errors="replace")

    # ------------------------------------------------------------------ pages
    def open(self, path_or_url, width: int = 1200, height: int = 900) -> "Page":
        """Open a page in a new tab, wait for its load event, and return it."""
        url = path_or_url if "://" in str(path_or_url) else Path(path_or_url).resolve().as_uri()
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, target, session)
        for domain in ("Runtime", "Log", "Page", "Network"):
            page.send(f"{domain}.enable")
        page.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        page.send("Page.navigate", {"url": url})
        page.wait_for_event("Page.loadEventFired")
        return page

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except BrowserError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(OSError):
            self.process.stderr.close()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One tab: what it logged, what it requested, and JavaScript evaluation in it."""

    def __init__(self, browser: Browser, target_id: str, session_id: str):
        self.browser, self.target_id, self.session_id = browser, target_id, session_id
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, timeout: float | None = None) -> dict:
        result = self.browser.send(method, params, self.session_id, timeout)
        self._collect()
        return result

    def _collect(self):
        events = self.browser._event_queue(self.session_id)
        while True:
            try:
                self.events.append(events.get_nowait())
            except queue.Empty:
                return

    def wait_for_event(self, method: str, timeout: float | None = None) -> dict:
        deadline = time.monotonic() + (timeout or self.browser.timeout)
        seen = len(self.events)
        events = self.browser._event_queue(self.session_id)
        while True:
            for event in self.events[seen:]:
                if event["method"] == method:
                    return event
            seen = len(self.events)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError(f"no {method} within the timeout")
            try:
                self.events.append(events.get(timeout=remaining))
            except queue.Empty:
                pass

    def evaluate(self, expression: str, timeout: float | None = None):
        """The value of a JavaScript expression (awaited if a promise), as JSON-compatible data."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"JavaScript error: {text}")
        return result["result"].get("value")

    def wait_until(self, expression: str, timeout: float = 15.0, interval: float = 0.05):
        """Poll a JavaScript expression until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"still false after {timeout} s: {expression}")
            time.sleep(interval)

    def mouse_move(self, x: float, y: float):
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})

    # ------------------------------------------------------------------ what the page reported
    def console_errors(self) -> list[str]:
        """Console errors and assertions, uncaught exceptions and browser log errors, as text."""
        self._collect()
        errors = []
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append("console." + params["type"] + ": " + " ".join(
                    str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])))
            elif event["method"] == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                errors.append("exception: " + (details.get("exception", {}).get("description")
                                               or details.get("text", "")))
            elif event["method"] == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                errors.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}")
        return errors

    def console_warnings(self) -> list[str]:
        self._collect()
        return [" ".join(str(arg.get("value", "")) for arg in e["params"].get("args", []))
                for e in self.events
                if e["method"] == "Runtime.consoleAPICalled" and e["params"].get("type") == "warning"]

    def requested_urls(self) -> list[str]:
        self._collect()
        return [e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]

    def screenshot(self) -> bytes:
        import base64
        return base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])

    def close(self):
        try:
            self.browser.send("Target.closeTarget", {"targetId": self.target_id})
        except BrowserError:
            pass


# ---------------------------------------------------------------------------------------- bokeh pages
DEEP_QUERY = """function efpDeep(root, selector, found = []) {
  root.querySelectorAll(selector).forEach(e => found.push(e));
  root.querySelectorAll('*').forEach(e => { if (e.shadowRoot) efpDeep(e.shadowRoot, selector, found); });
  return found;
}"""


class BokehPage:
    """A page holding one bokeh document: wait for it, read its data sources, hover its glyphs."""

    def __init__(self, page: Page):
        self.page = page

    def wait_rendered(self, timeout: float = 20.0) -> int:
        """Wait until bokeh has drawn something on a canvas; return the number of painted pixels."""
        self.page.wait_until("window.Bokeh !== undefined && Bokeh.documents.length > 0 && "
                             "[...Bokeh.index].length > 0", timeout)
        return self.page.wait_until(f"({self.PAINTED})()", timeout)

    PAINTED = DEEP_QUERY + """
      let painted = 0;
      for (const canvas of efpDeep(document, 'canvas')) {
        if (!canvas.width || !canvas.height) continue;
        const context = canvas.getContext('2d');
        if (!context) continue;
        const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < pixels.length; i += 4)
          if (pixels[i + 3] > 0 && (pixels[i] < 235 || pixels[i + 1] < 235 || pixels[i + 2] < 235)) painted++;
      }
      return painted;"""
    PAINTED = "() => {" + PAINTED + "}"

    def source(self, name: str) -> dict[str, list]:
        """The columns of the ColumnDataSource named ``name``, as lists (NaN reads as None)."""
        return self.page.evaluate(f"""(() => {{
          const source = Bokeh.documents[0].get_model_by_name({json.dumps(name)});
          if (source === null) return null;
          const data = source.data instanceof Map ? Object.fromEntries(source.data) : source.data;
          const out = {{}};
          for (const [key, column] of Object.entries(data)) out[key] = Array.from(column, v =>
            ArrayBuffer.isView(v) ? Array.from(v) : v);
          return out;
        }})()""")

    def model_names(self, type_name: str | None = None) -> list[str]:
        """Names of the document's models (of one bokeh type, e.g. ``ColumnDataSource``)."""
        condition = "true" if type_name is None else f"m.type === {json.dumps(type_name)}"
        return self.page.evaluate(f"""[...Bokeh.documents[0].all_models].filter(m => m.name && ({condition}))
                                      .map(m => m.name)""")

    def screen_position(self, x, y) -> tuple[float, float]:
        """Page coordinates of the data point ``(x, y)`` of the document's first plot."""
        return tuple(self.page.evaluate(f"""(() => {{
          const plot = [...Bokeh.documents[0].all_models].find(m => m.x_range !== undefined && m.renderers);
          const view = Bokeh.index.get(plot);
          const x = {json.dumps(x)}, y = {json.dumps(y)};
          const sx = view.frame.x_scale.compute(typeof x === 'number' ? x : plot.x_range.synthetic(x));
          const sy = view.frame.y_scale.compute(y);
          const box = view.canvas_view.el.getBoundingClientRect();
          return [box.left + sx, box.top + sy];
        }})()"""))

    def hover(self, x, y, timeout: float = 5.0) -> str:
        """Move the mouse over the data point ``(x, y)``; return the text of the tooltip shown."""
        self.page.mouse_move(*self.screen_position(x, y))
        return self.page.wait_until(f"""(() => {{ {DEEP_QUERY}
          return efpDeep(document, '.bk-tooltip-content').map(e => e.innerText).join('\\n'); }})()""", timeout)

    def titles(self) -> list[str]:
        """The texts of the document's titles (drawn on the canvas, so not in the DOM)."""
        return self.page.evaluate("[...Bokeh.documents[0].all_models].filter(m => m.type === 'Title')"
                                  ".map(m => m.text)")
