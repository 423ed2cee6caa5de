"""Fixtures of the trust tests: a fresh model per test, and the Boavizta peers of ``tests/builders``.

The misbehaving local HTTP peers (``FakePeer``, a closed port) and the real BoaviztAPI server are the
ones ``tests/builders/boavizta_server.py`` defines; this folder reuses that module rather than copying it.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
for _path in (REPO_ROOT, REPO_ROOT / "tests" / "builders"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import boavizta_server  # noqa: E402  (after the path set-up; tests/builders/boavizta_server.py)

from efp import new_model  # noqa: E402


@pytest.fixture
def model():
    """A fresh, empty model that new objects join for the duration of the test."""
    with new_model() as fresh:
        yield fresh


@pytest.fixture
def fake_peer():
    """Factory of misbehaving local servers (``boavizta_server.FakePeer``), all closed after the test."""
    peers = []

    def make(behaviour: str, **options) -> boavizta_server.FakePeer:
        peer = boavizta_server.FakePeer(behaviour, **options)
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.close()


@pytest.fixture
def closed_port_url() -> str:
    """``http://127.0.0.1:<port>`` where nothing listens."""
    return f"http://127.0.0.1:{boavizta_server.free_port()}"


@pytest.fixture(scope="session")
def boaviztapi_url():
    """Base URL of a real BoaviztAPI 2.5.0 server (``tests/builders/boavizta_server.py``), for this folder."""
    try:
        python = boavizta_server.ensure_boaviztapi_venv()
        server = boavizta_server.BoaviztapiServer(python)
        url = server.start()
    except boavizta_server.BoaviztapiSetupError as exc:
        pytest.fail(f"cannot run the real BoaviztAPI for the tests: {exc}", pytrace=False)
    try:
        yield url
    finally:
        server.stop()
