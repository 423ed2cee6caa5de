"""Fixtures of the Boavizta tests (the servers themselves live in ``boavizta_server.py``)."""
from __future__ import annotations

import pytest

try:  # tests/ may become a package one day; today its folders are plain rootdirs
    from . import boavizta_server
except ImportError:
    import boavizta_server


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
