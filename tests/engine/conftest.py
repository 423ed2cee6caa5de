"""Fixtures of the engine tests: a fresh model per test, and the toy model module on ``sys.path``.

The toy model (``toy.py``) and the shared checks (``engine_checks.py``) are plain modules imported as
``toy`` and ``engine_checks``. Their folder is put on ``sys.path`` here so that every process importing
them by name finds them, including the dask workers of ``test_distributed.py`` (spawned processes
inherit ``sys.path``) and ``benchmarks/engine_*.py``.
"""
from __future__ import annotations

import os
import sys

import pytest

ENGINE_TESTS = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(ENGINE_TESTS))
for _path in (REPO_ROOT, ENGINE_TESTS):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from efp import new_model  # noqa: E402  (after the path set-up)


@pytest.fixture
def model():
    """A fresh, empty model that new objects join for the duration of the test."""
    with new_model() as fresh:
        yield fresh
