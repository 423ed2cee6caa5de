"""Fixtures shared by every test folder: the real BoaviztAPI server and misbehaving local peers.

The servers themselves live in ``tests/builders/boavizta_server.py``; one BoaviztAPI server serves
the whole session, whichever folders use it.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

_BUILDERS = Path(__file__).resolve().parent / "builders"
if str(_BUILDERS) not in sys.path:
    sys.path.insert(0, str(_BUILDERS))

import boavizta_server  # noqa: E402  (tests/builders/boavizta_server.py, after the path set-up)


@pytest.fixture(scope="session")
def boaviztapi_url():
    """Base URL of a real BoaviztAPI 2.5.0 server for the whole session (built and started once).

    Setup fails, never skips, when the venv cannot be built (e.g. PyPI unreachable): CI has PyPI.
    """
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


@pytest.fixture
def fake_peer():
    """Factory of misbehaving local servers (``FakePeer``), all closed after the test."""
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
    """``http://127.0.0.1:<port>`` where nothing listens: the port was bound, read, then released."""
    return f"http://127.0.0.1:{boavizta_server.free_port()}"
