"""Plans run on a real dask.distributed cluster (a LocalCluster of two worker processes started here)
and give bit-for-bit the numbers of the local scheduler, with a client given by
:func:`efp.config.use_client`, :func:`efp.config.set_client` or ``EFP_DASK_SCHEDULER_ADDRESS``."""
from __future__ import annotations

import os

import numpy as np
import pytest

from efp import SourceHourlyValues, SourceValue, config, new_model, scheduling, u

import toy
from engine_checks import calculated_keys, computed_values, same_value

distributed = pytest.importorskip("distributed")

N_FEEDERS, N_PLANTS, HOURS = 120, 12, 24 * 60


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes; they import ``toy`` through the ``sys.path`` they inherit
    (set by conftest.py), and ``PYTHONPATH`` for good measure."""
    paths = [os.path.dirname(os.path.abspath(__file__)), os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))]
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(paths + ([previous] if previous else []))
    try:
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=50)
    finally:
        if previous is None:
            os.environ.pop("PYTHONPATH")
        else:
            os.environ["PYTHONPATH"] = previous
    client = distributed.Client(cluster)
    try:
        yield cluster, client
    finally:
        client.close()
        cluster.close()


def build_grid():
    """``N_FEEDERS`` feeders over ``HOURS`` hours and ``N_PLANTS`` plants, each plant summing 20 feeders."""
    rng = np.random.default_rng(11)
    feeders = [toy.Feeder(f"f{i}", SourceHourlyValues(rng.uniform(0, 100, HOURS), "2025-01-01 00:00"),
                          float(rng.choice([0.5, 1, 2.5, 61.25])) * u.hour, float(rng.uniform(1, 50)) * u.W)
               for i in range(N_FEEDERS)]
    plants = [toy.Plant(f"plant{j}", [feeders[(j * 10 + k) % N_FEEDERS] for k in range(20)],
                        float(rng.uniform(0.01, 0.5)) * u.kg / u.kWh) for j in range(N_PLANTS)]
    return feeders, plants


def edit_grid(feeders, plants):
    feeders[3].power = SourceValue(17 * u.W)
    feeders[50].starts = SourceHourlyValues(np.linspace(0, 30, HOURS + 5), "2024-12-31 22:00")
    plants[2].feeders.append(feeders[77])


def reference():
    """Values and recomputed values of the grid on the local (synchronous) scheduler."""
    assert config.active_client() is None
    with new_model() as local:
        feeders, plants = build_grid()
        first = computed_values(local)
        edit_grid(feeders, plants)
        return first, computed_values(local)


@pytest.fixture(scope="module")
def local_values():
    return reference()


def assert_identical(values: dict, expected: dict):
    assert set(values) == set(expected)
    for name, value in values.items():
        assert same_value(value, expected[name]), name
        assert np.array_equal(value.magnitude, expected[name].magnitude), name


def formula_tasks(stream, model) -> set[str]:
    """Node keys of the formulas the cluster ran in the model's last plan (its other tasks are the plan's
    known inputs; a batch task ran each of its nodes)."""
    keys = {task["key"][0] if isinstance(task["key"], tuple) else task["key"] for task in stream.data}
    batches = scheduling._batches(model.nodes, model.last_plan)
    ran = set()
    for key in keys:
        if key in batches:
            ran.update(batches[key])
        elif model.nodes[key].calculated:
            ran.add(key)
    return ran


def run_on_cluster(client, expected_first, expected_after):
    """Build, compute, edit and recompute the grid with plans going to ``client``; check every task ran
    there and every number equals the local scheduler's."""
    with new_model() as model:
        feeders, plants = build_grid()
        with distributed.get_task_stream(client) as stream:
            first = computed_values(model)
        calculated = set(calculated_keys(model))
        assert len(calculated) == N_FEEDERS * 2 + N_PLANTS * 2
        assert formula_tasks(stream, model) == calculated
        assert_identical(first, expected_first)
        with distributed.get_task_stream(client) as stream:
            edit_grid(feeders, plants)
        assert formula_tasks(stream, model) >= {plants[2].node("energy").key, feeders[50].node("energy").key}
        after = computed_values(model)
        assert_identical(after, expected_after)
        assert not np.array_equal(after[("plant2", "energy")].magnitude, first[("plant2", "energy")].magnitude)


def test_workers_are_separate_processes_that_import_the_toy_model(cluster):
    _, client = cluster
    where = client.run(lambda: (os.getpid(), __import__("toy").__file__))
    assert len(where) == 2
    assert all(pid != os.getpid() for pid, _ in where.values())
    assert {path for _, path in where.values()} == {toy.__file__}


def test_use_client_gives_the_local_numbers_bit_for_bit(cluster, local_values):
    _, client = cluster
    with config.use_client(client):
        assert config.active_client() is client
        run_on_cluster(client, *local_values)
    assert config.active_client() is None


def test_set_client(cluster, local_values):
    _, client = cluster
    config.set_client(client)
    try:
        run_on_cluster(client, *local_values)
    finally:
        config.set_client(None)
    assert config.active_client() is None


def test_scheduler_address_from_the_environment(cluster, local_values, monkeypatch):
    cluster, client = cluster
    monkeypatch.setenv("EFP_DASK_SCHEDULER_ADDRESS", cluster.scheduler_address)
    monkeypatch.setattr(config, "_address_client", None)
    connected = config.active_client()
    try:
        assert connected is not None and connected is not client
        assert connected.scheduler.address == cluster.scheduler_address
        assert config.active_client() is connected                          # connects once
        run_on_cluster(connected, *local_values)
    finally:
        connected.close()


def test_a_formula_error_on_the_cluster_is_an_efp_error_and_rolls_back(cluster):
    _, client = cluster
    from efp import FormulaError
    from engine_checks import snapshot, snapshot_differences
    with config.use_client(client), new_model() as model:
        parts = [toy.Part(f"p{i}") for i in range(3)]
        assembly = toy.Assembly("a", parts)
        assert assembly.weight.value == 3 * u.kg
        before = snapshot(model)
        with pytest.raises(FormulaError, match="unlucky"):
            assembly.factor = 13
        assert snapshot_differences(before, snapshot(model)) == []


def test_regression_cluster_returned_stale_results_for_stable_node_keys(cluster):
    """Bug: plans went to the cluster under the bare node keys; a recomputation sent right after the
    previous one got the previous results back (the scheduler still knew the keys), so values did not
    change and a failing formula was not even run."""
    _, client = cluster
    with config.use_client(client), new_model():
        parts = [toy.Part(f"p{i}") for i in range(3)]
        assembly = toy.Assembly("a", parts)
        assert assembly.weight.value == 3 * u.kg
        first_weight = 1
        for factor in (2, 5, 0.5, 7):
            assembly.factor = factor
            assert assembly.weight.value == (2 + first_weight) * factor * u.kg
            first_weight = factor + 1
            parts[0].weight = first_weight * u.kg
            assert assembly.weight.value == (2 + first_weight) * factor * u.kg
