"""Fixtures of the footprint-model tests: a fresh model per test (helpers live in ``nodes_helpers``)."""
import pytest

from efp import new_model


@pytest.fixture
def model():
    """A fresh, empty model that new objects join for the duration of the test."""
    with new_model() as fresh:
        yield fresh
