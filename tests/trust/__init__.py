"""Tests of the guarantees of docs/guarantees.md: bad input, faults and concurrent use lose nothing."""
