"""Servers for the Boavizta tests: a real BoaviztAPI, and small misbehaving peers on 127.0.0.1.

The real one is BoaviztAPI 2.5.0 (PyPI ``boaviztapi``, AGPL-3.0) run by uvicorn from its own venv at
``<repo root>/.venv-boaviztapi``: its dependency pins clash with efp's, so it cannot share efp's venv.
The venv is created on first use with the tests' base interpreter and ``pip install boaviztapi==2.5.0``
(this needs PyPI access; without it setup fails loudly, it is never skipped).

The peers are ``http.server.ThreadingHTTPServer`` instances bound to 127.0.0.1 only, each counting the
requests it receives so that tests can prove how often a client retried or hit its cache.
"""
from __future__ import annotations

import fcntl
import hashlib
import http.server
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

BOAVIZTAPI_VERSION = "2.5.0"
REPO_ROOT = Path(__file__).resolve().parents[2]
VENV = REPO_ROOT / ".venv-boaviztapi"


class BoaviztapiSetupError(RuntimeError):
    """The BoaviztAPI venv could not be made, or the server did not come up."""


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _has_boaviztapi(python: Path) -> bool:
    if not python.exists():
        return False
    check = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m, uvicorn; print(m.version('boaviztapi'))"],
        capture_output=True, text=True, timeout=120)
    return check.returncode == 0 and check.stdout.strip() == BOAVIZTAPI_VERSION


def ensure_boaviztapi_venv(venv: Path = VENV, install_timeout: float = 900.0) -> Path:
    """Return the python of a venv holding ``boaviztapi==2.5.0``, creating or repairing it if needed.

    A lock file in the temporary directory keeps parallel test runs from building it twice.
    """
    lock_path = Path(tempfile.gettempdir()) / (
        "efp-boaviztapi-venv-" + hashlib.sha1(str(venv).encode()).hexdigest()[:12] + ".lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        python = _venv_python(venv)
        if _has_boaviztapi(python):
            return python
        steps = []
        if not python.exists():
            steps.append([sys._base_executable, "-m", "venv", str(venv)])
        steps.append([str(python), "-m", "pip", "install", "--disable-pip-version-check",
                      f"boaviztapi=={BOAVIZTAPI_VERSION}"])
        for step in steps:
            try:
                done = subprocess.run(step, capture_output=True, text=True, timeout=install_timeout)
            except subprocess.TimeoutExpired as exc:
                raise BoaviztapiSetupError(f"`{' '.join(step)}` took over {install_timeout:g} s") from exc
            if done.returncode != 0:
                tail = (done.stdout + done.stderr)[-2000:]
                raise BoaviztapiSetupError(
                    f"could not build the BoaviztAPI venv at {venv}: `{' '.join(step)}` exited "
                    f"{done.returncode}. Installing boaviztapi=={BOAVIZTAPI_VERSION} needs access to "
                    f"PyPI (is the network down?). Output ends with:\n{tail}")
        if not _has_boaviztapi(python):
            raise BoaviztapiSetupError(f"{venv} still lacks boaviztapi=={BOAVIZTAPI_VERSION}")
        return python


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listened on a moment ago (bound, read, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BoaviztapiServer:
    """``python -m uvicorn boaviztapi.main:app`` on 127.0.0.1 and a free port, as a subprocess."""

    def __init__(self, python: Path, startup_timeout: float = 120.0):
        self.python, self.startup_timeout = python, startup_timeout
        self.process: subprocess.Popen | None = None
        self.url = ""
        self._log = tempfile.TemporaryFile()

    def start(self) -> str:
        """Start the server and wait until ``/v1/cloud/instance/all_providers`` answers 200."""
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [str(self.python), "-m", "uvicorn", "boaviztapi.main:app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            stdout=self._log, stderr=subprocess.STDOUT, cwd=tempfile.gettempdir())
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise BoaviztapiSetupError(f"uvicorn exited with {self.process.returncode} before "
                                           f"answering:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/v1/cloud/instance/all_providers",
                                            timeout=2) as answer:
                    if answer.status == 200:
                        return self.url
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise BoaviztapiSetupError(f"BoaviztAPI at {self.url} did not answer within "
                                   f"{self.startup_timeout:g} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_tail(self, size: int = 3000) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-size:]


# ------------------------------------------------------------------------------ misbehaving peers
VALID_ANSWER = {
    "impacts": {"gwp": {"unit": "kgCO2eq", "embedded": {"value": 19.0}}},
    "verbose": {"vcpu": {"value": 2.0}, "memory": {"value": 2.0, "unit": "GB"},
                "avg_power": {"value": 10.5, "unit": "W"}},
}


class FakePeer:
    """A local HTTP server answering every GET according to ``behaviour``.

    Behaviours: ``"stall"`` (accept, then say nothing for ``stall_s`` seconds), ``"status"`` (answer
    ``status`` with a short JSON body), ``"garbage"`` (200 with an HTML body), ``"missing"`` (200 with
    JSON lacking ``verbose.avg_power``), ``"ok"`` (200 with :data:`VALID_ANSWER`), ``"flaky"`` (500
    for the first ``failures`` requests, then like ``"ok"``). ``hits`` lists the paths received.
    """

    def __init__(self, behaviour: str, status: int = 500, stall_s: float = 5.0, failures: int = 1):
        self.behaviour, self.status, self.stall_s, self.failures = behaviour, status, stall_s, failures
        self.hits: list[str] = []
        self.valid_answer = json.loads(json.dumps(VALID_ANSWER))
        self._release = threading.Event()
        self._lock = threading.Lock()
        peer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                with peer._lock:
                    peer.hits.append(self.path)
                    count = len(peer.hits)
                peer.answer(self, count)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, handler, count: int) -> None:
        behaviour = self.behaviour
        if behaviour == "flaky":
            behaviour = "status" if count <= self.failures else "ok"
        if behaviour == "stall":
            self._release.wait(self.stall_s)
            return
        status, body, kind = 200, json.dumps(VALID_ANSWER).encode(), "application/json"
        if behaviour == "status":
            status, body = self.status, json.dumps({"detail": f"fake failure {self.status}"}).encode()
        elif behaviour == "garbage":
            body, kind = b"<html><body>Bad gateway, try later</body></html>", "text/html"
        elif behaviour == "missing":
            answer = json.loads(body)
            del answer["verbose"]["avg_power"]
            body = json.dumps(answer).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", kind)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            pass  # the client gave up first

    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()
