"""Run-time settings: which dask scheduler runs plans, and whether long runs show progress.

- ``EFP_SCHEDULER`` = ``sync`` or ``threads`` (default ``threads`` for large plans, ``sync`` for
  small ones, where thread hand-offs cost more than they save).
- ``EFP_DASK_SCHEDULER_ADDRESS`` = ``tcp://host:port`` of a running dask scheduler: plans run there.
- :func:`use_client` (a context manager) or :func:`set_client` run plans on a
  ``dask.distributed.Client`` given by the caller.
- ``EFP_PROGRESS`` = ``1``/``0`` forces the progress bar on or off; by default it shows only on a
  terminal, and never under pytest.
"""
from __future__ import annotations

import contextlib
import os
import sys

THREADS_MIN_TASKS = 64
_client = None
_address_client = None


def scheduler() -> str:
    return os.environ.get("EFP_SCHEDULER", "sync")


def set_client(client) -> None:
    """Run every later plan on ``client`` (a ``dask.distributed.Client``), or locally with ``None``."""
    global _client
    _client = client


@contextlib.contextmanager
def use_client(client):
    """Within the block, plans run on ``client``."""
    global _client
    previous, _client = _client, client
    try:
        yield client
    finally:
        _client = previous


def active_client():
    """The configured distributed client, connecting once to ``EFP_DASK_SCHEDULER_ADDRESS`` if set."""
    global _address_client
    if _client is not None:
        return _client
    address = os.environ.get("EFP_DASK_SCHEDULER_ADDRESS")
    if not address:
        return None
    if _address_client is None:
        from distributed import Client
        _address_client = Client(address)
    return _address_client


def show_progress(n_tasks: int) -> bool:
    forced = os.environ.get("EFP_PROGRESS")
    if forced is not None:
        return forced == "1"
    if "pytest" in sys.modules:
        return False
    return n_tasks >= 500 and sys.stderr.isatty()
