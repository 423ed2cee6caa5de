"""Fixtures of the trust tests: a fresh model per test (the Boavizta peers are in ``tests/conftest.py``)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from efp import new_model  # noqa: E402


@pytest.fixture
def model():
    """A fresh, empty model that new objects join for the duration of the test."""
    with new_model() as fresh:
        yield fresh
