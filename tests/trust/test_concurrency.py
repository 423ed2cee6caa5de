"""Guarantee 5 (docs/guarantees.md): concurrent readers and writers of one model.

A transaction (a setter, a list mutation, a ``ModelingUpdate``, an ``efp.transaction()`` block) holds
``model.lock`` from its first write to its last stored result, and while its change listeners run; so a
reader that holds ``model.lock`` while it reads several values sees them all from one committed state.

The regression tests pause one thread at the exact point where a race was possible (an event the other
thread waits for, with a timeout that only expires when the code is right, because then the other thread
is blocked on the lock): deterministic, no sleep used to order threads.

The stress test runs writers (setters, ``ModelingUpdate`` batches, simulations, transaction blocks, list
mutations, and transactions that fail and roll back) and readers on a 50-usage-pattern scenario
(``benchmarks/scenario.py``) for a bounded number of operations, and checks invariants that any mix of two
states would break, plus that no value of a rolled-back or simulated transaction is ever read.
"""
from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta

import pytest

import efp
from efp import CapacityError, EfpError, ModelingUpdate, SourceHourlyValues, SourceValue, new_model, u
from efp_nodes import (Countries, Device, Job, Network, Server, Storage, System, UsagePattern, UserJourney,
                       UserJourneyStep)

from benchmarks import scenario

WAIT_S = 0.5  # how long a paused thread waits for the other one; only expires when the other one is (rightly) blocked


@pytest.fixture
def small(model):
    server = Server("server", storage=Storage("storage"))
    job = Job("job", server=server, data_transferred=SourceValue(10 * u.MB))
    journey = UserJourney("journey", uj_steps=[UserJourneyStep("step", jobs=[job])])
    network = Network("network")
    devices = [Device.laptop("laptop"), Device.smartphone("phone"), Device.screen("screen")]
    usage = UsagePattern("usage", user_journey=journey, devices=devices[:2], network=network,
                         country=Countries.FRANCE(),
                         hourly_user_journey_starts=SourceHourlyValues([1, 2, 3, 4], datetime(2025, 1, 1)))
    system = System("system", usage_patterns=[usage])
    return model, system, server, job, network, usage, devices


def run_threads(*targets, timeout=30.0) -> None:
    errors = []

    def guarded(target):
        def run():
            try:
                target()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
        return run

    threads = [threading.Thread(target=guarded(target), daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    if errors:
        raise errors[0]


# ---------------------------------------------------------------------------------------------- regressions
def test_regression_simulation_state_was_visible_to_readers(small, monkeypatch):
    """ModelingUpdate(simulation_date=...) applied the change, then captured and rolled it back *after* releasing
    the lock: a reader holding ``model.lock`` in between read the simulated value, a state never committed.
    The writer pauses right there (in ``_capture``) until the reader has read, or for WAIT_S when the reader
    cannot read because the writer still holds the lock (the fixed behaviour)."""
    model, system, server, job, network, usage, devices = small
    applied, read = threading.Event(), threading.Event()
    seen = []
    capture = ModelingUpdate._capture

    def paused_capture(update, journal):
        applied.set()
        read.wait(WAIT_S)
        return capture(update, journal)

    def reader():
        applied.wait(10)
        with model.lock:
            seen.append((job.data_transferred.value, system.total_footprint.sum().value))
        read.set()

    baseline = (job.data_transferred.value, system.total_footprint.sum().value)
    monkeypatch.setattr(ModelingUpdate, "_capture", paused_capture)
    run_threads(reader, lambda: ModelingUpdate([[job.data_transferred, SourceValue(777 * u.MB)]],
                                               simulation_date=datetime(2025, 1, 1, 2)))
    assert seen == [baseline]


def test_regression_concurrent_list_mutations_lost_an_update(small):
    """A list mutator copied the list, changed the copy, then wrote it: another thread's append in between was
    lost. (A sort key is user code that runs between the copy and the write.)"""
    model, system, server, job, network, usage, devices = small
    in_key, appended = threading.Event(), threading.Event()
    calls = []

    def key(device):
        if not calls:
            in_key.set()
            appended.wait(WAIT_S)
        calls.append(device)
        return device.name

    def appender():
        in_key.wait(10)
        usage.devices.append(devices[2])
        appended.set()

    run_threads(lambda: usage.devices.sort(key=key), appender)
    assert sorted(d.name for d in usage.devices) == ["laptop", "phone", "screen"]
    assert usage.devices[-1] is devices[2]  # the append came after the sort
    assert system.total_footprint is model.nodes[f"{system.id}.total_footprint"].value


def test_regression_change_listeners_saw_a_later_transaction(small):
    """Change listeners ran after the lock was released: the System's footprint history recorded, for one change,
    the state after another thread's later change (and the two snapshots out of order)."""
    model, system, server, job, network, usage, devices = small
    first_done, second_done = threading.Event(), threading.Event()

    def pause(model, journal):
        if not first_done.is_set():
            first_done.set()
            second_done.wait(WAIT_S)

    def second():
        first_done.wait(10)
        network.bandwidth_energy_intensity = SourceValue(10 * u.kWh / u.GB)
        second_done.set()

    network_before = network.energy_footprint.sum().to(u.kg).magnitude
    model.change_listeners.insert(0, pause)
    try:
        run_threads(lambda: setattr(server, "average_carbon_intensity", SourceValue(500 * u.g / u.kWh)), second)
    finally:
        model.change_listeners.remove(pause)
    snapshots = system.footprint_history.snapshots
    assert [s.changes for s in snapshots[1:]] == [("Server 'server'.average_carbon_intensity",),
                                                  ("Network 'network'.bandwidth_energy_intensity",)]
    assert snapshots[1].kg("Network", "Energy") == pytest.approx(network_before, rel=1e-12)
    assert snapshots[2].kg("Network", "Energy") == pytest.approx(network_before * 100, rel=1e-12)


def test_a_reader_never_sees_a_transaction_block_that_rolls_back(small):
    """An open ``efp.transaction()`` block holds the lock: a reader waits for its end, then sees the old state."""
    model, system, server, job, network, usage, devices = small
    written, read = threading.Event(), threading.Event()
    seen = []
    baseline = (network.bandwidth_energy_intensity.value, network.energy_footprint.sum().value)

    def writer():
        with pytest.raises(CapacityError):
            with model.transaction():
                network.bandwidth_energy_intensity = SourceValue(0.777 * u.kWh / u.GB)
                written.set()
                read.wait(WAIT_S)  # the reader cannot read now: it waits for the lock
                server.base_ram_consumption = SourceValue(1e6 * u.GB)  # fails when the block computes

    def reader():
        written.wait(10)
        with model.lock:
            seen.append((network.bandwidth_energy_intensity.value, network.energy_footprint.sum().value))
        read.set()

    run_threads(writer, reader)
    assert seen == [baseline]


def test_regression_efp_transaction_in_another_thread_did_not_group_the_changes(small):
    """``efp.transaction()`` opens a block on the calling thread's current model; in a worker thread that is the
    default model, so changes to the objects' model were neither grouped nor rolled back together. Now such a
    change is refused with a clear error, and ``model.transaction()`` groups them."""
    model, system, server, job, network, usage, devices = small
    before = network.bandwidth_energy_intensity
    errors = []

    def wrong_block():
        try:
            with efp.transaction():
                network.bandwidth_energy_intensity = SourceValue(1 * u.kWh / u.GB)
        except EfpError as error:
            errors.append(error)

    def right_block():
        with pytest.raises(CapacityError):
            with model.transaction():
                network.bandwidth_energy_intensity = SourceValue(2 * u.kWh / u.GB)
                server.base_ram_consumption = SourceValue(1e6 * u.GB)

    run_threads(wrong_block)
    assert len(errors) == 1 and "Network 'network'.bandwidth_energy_intensity" in str(errors[0])
    assert "model.transaction()" in str(errors[0])
    run_threads(right_block)
    assert network.bandwidth_energy_intensity is before


# ---------------------------------------------------------------------------------------------- stress
N_PATTERNS, HOURS = 50, 24 * 28
WRITER_OPERATIONS = 40
READER_MAX_READS = 150
#: Committed values are rows of these tables; poison values belong to transactions that roll back (or to
#: simulations): a reader must never see one.
NETWORK_LEVELS = [0.5 + 0.05 * k for k in range(40)]
SERVER_LEVELS = [30 + 7.0 * k for k in range(40)]
POISON_LEVELS = [13.13, 17.17]


class Stress:
    """The scenario, the writers' bookkeeping and the readers' findings."""

    def __init__(self):
        self.shared = scenario.build(N_PATTERNS, seed=7, hours=HOURS)
        self.system = self.shared.system
        self.model = self.system._model
        self.networks = self.shared.networks
        self.servers = [s for s in self.shared.servers if type(s).__name__ == "Server"]
        self.base_network = [n.bandwidth_energy_intensity.value for n in self.networks]
        self.base_server = [s.average_carbon_intensity.value for s in self.servers]
        # energy footprint per unit of intensity: constant while only intensities change (writers keep it so)
        self.network_ratio = [n.energy_footprint.sum().to(u.kg).magnitude / n.bandwidth_energy_intensity.value.magnitude
                              for n in self.networks]
        self.extra = {"A": Device.box("writer A's box"), "B": Device.screen("writer B's screen")}
        self.present = {name: {up.id: False for up in self.shared.usage_patterns} for name in self.extra}
        self.committed = {"network": [], "server": []}
        self.problems: list[str] = []
        self.reads = 0
        self.writers_done = threading.Event()
        self.counts = {"committed": 0, "rolled back": 0, "simulations": 0, "list mutations": 0}
        self.count_lock = threading.Lock()

    def count(self, what):
        with self.count_lock:
            self.counts[what] += 1

    # -------------------------------------------------------------------------------- writers
    def network_pairs(self, level: float):
        return [[n.bandwidth_energy_intensity, SourceValue(level * base)] for n, base in zip(self.networks,
                                                                                             self.base_network)]

    def server_pairs(self, level: float):
        return [[s.average_carbon_intensity, SourceValue(level * base / base.magnitude)]
                for s, base in zip(self.servers, self.base_server)]

    def toggle_device(self, rng, writer: str):
        usage = rng.choice(self.shared.usage_patterns)
        device = self.extra[writer]
        if self.present[writer][usage.id]:
            usage.devices.remove(device)
        else:
            usage.devices.append(device)
        self.present[writer][usage.id] = not self.present[writer][usage.id]
        self.count("list mutations")

    def writer_a(self):
        """Networks: paired levels by setters in a block or by batches; poison batches; simulations; lists."""
        rng = random.Random(1)
        for _ in range(WRITER_OPERATIONS):
            kind = rng.choice(["block", "batch", "poison", "simulation", "list"])
            level = rng.choice(NETWORK_LEVELS)
            if kind == "block":
                with self.model.transaction():  # efp.transaction() would be the thread's own current model
                    for network, base in zip(self.networks, self.base_network):
                        network.bandwidth_energy_intensity = SourceValue(level * base)
                self.count("committed")
            elif kind == "batch":
                ModelingUpdate(self.network_pairs(level))
                self.count("committed")
            elif kind == "poison":
                storage = self.shared.servers[0].storage
                with pytest.raises(CapacityError):
                    ModelingUpdate(self.network_pairs(rng.choice(POISON_LEVELS))
                                   + [[storage.fixed_nb_of_instances, SourceValue(0 * u.dimensionless)]])
                self.count("rolled back")
            elif kind == "simulation":
                start = self.system.total_footprint.start_date
                update = ModelingUpdate(self.network_pairs(rng.choice(POISON_LEVELS)),
                                        simulation_date=start + timedelta(hours=rng.randrange(HOURS)))
                assert not update._active
                self.count("simulations")
            else:
                self.toggle_device(rng, "A")

    def writer_b(self):
        """Servers: paired levels (batches), job compute (setters), poison batches, lists."""
        rng = random.Random(2)
        jobs = [j for j in self.shared.jobs if type(j).__name__ == "Job"]
        for _ in range(WRITER_OPERATIONS):
            kind = rng.choice(["batch", "job", "poison", "list"])
            if kind == "batch":
                ModelingUpdate(self.server_pairs(rng.choice(SERVER_LEVELS)))
                self.count("committed")
            elif kind == "job":
                rng.choice(jobs).compute_needed = SourceValue(rng.choice([0.02, 0.05, 0.1]) * u.cpu_core)
                self.count("committed")
            elif kind == "poison":
                with pytest.raises(CapacityError):
                    ModelingUpdate(self.server_pairs(rng.choice(POISON_LEVELS))
                                   + [[self.servers[0].base_ram_consumption, SourceValue(1e6 * u.GB)]])
                self.count("rolled back")
            else:
                self.toggle_device(rng, "B")

    # -------------------------------------------------------------------------------- readers
    def level_of_networks(self) -> list[float]:
        return [n.bandwidth_energy_intensity.value.magnitude / base.magnitude
                for n, base in zip(self.networks, self.base_network)]

    def check_state(self, where: str) -> None:
        """Invariants of one committed state (call with ``model.lock`` held)."""
        system = self.system
        total = system.total_footprint.sum().to(u.kg).magnitude
        by_category = sum(q.to(u.kg).magnitude for q in system.total_fabrication_footprint_sum_over_period.values()) \
            + sum(q.to(u.kg).magnitude for q in system.total_energy_footprint_sum_over_period.values())
        if abs(total - by_category) > 1e-9 * abs(total):
            self.problems.append(f"{where}: total {total!r} != sum of categories {by_category!r}")
        levels = self.level_of_networks()
        if len({round(level, 9) for level in levels}) != 1:
            self.problems.append(f"{where}: networks at levels {levels} (a mix of two batches)")
        if any(abs(level - poison) < 1e-9 for level in levels for poison in POISON_LEVELS):
            self.problems.append(f"{where}: a network at a poison level {levels}")
        for network, ratio in zip(self.networks, self.network_ratio):
            intensity = network.bandwidth_energy_intensity.value.magnitude
            energy = network.energy_footprint.sum().to(u.kg).magnitude
            if abs(energy - ratio * intensity) > 1e-9 * abs(energy):
                self.problems.append(f"{where}: {network.name} energy {energy!r} is not of intensity {intensity!r}")
        intensities = {round(s.average_carbon_intensity.value.to("g/kWh").magnitude, 9) for s in self.servers}
        if len(intensities) != 1 or intensities & {round(p, 9) for p in POISON_LEVELS}:
            self.problems.append(f"{where}: server intensities {intensities}")
        for server in self.servers:
            energy = server.energy_footprint.sum().to(u.kg).magnitude
            expected = (server.instances_energy.sum().value * server.average_carbon_intensity.value).to(u.kg).magnitude
            if abs(energy - expected) > 1e-9 * max(abs(energy), 1e-300):
                self.problems.append(f"{where}: {server.name} energy footprint {energy!r} != {expected!r}")

    def reader(self):
        for _ in range(READER_MAX_READS):
            if self.writers_done.is_set():
                break
            with self.model.lock:
                self.check_state("reader")
            with self.count_lock:
                self.reads += 1


def test_stress_concurrent_writers_and_readers():
    with new_model():
        stress = Stress()
        with stress.model.lock:
            stress.check_state("initial state")

        def writers():
            try:
                run_threads(stress.writer_a, stress.writer_b, timeout=120)
            finally:
                stress.writers_done.set()

        run_threads(writers, stress.reader, stress.reader, timeout=150)
        print(f"\nstress: {stress.counts}, {stress.reads} consistent reads, problems: {len(stress.problems)}")
        assert stress.problems == [], stress.problems[:5]
        assert stress.reads >= 10 and stress.counts["rolled back"] > 0 and stress.counts["simulations"] > 0

        with stress.model.lock:
            stress.check_state("final state")
        for usage in stress.shared.usage_patterns:  # no list mutation was lost
            for name, device in stress.extra.items():
                assert (device in usage.devices) == stress.present[name][usage.id], (usage.name, name)
        for snapshot in stress.system.footprint_history.snapshots:  # listeners saw whole transactions
            energies = [o.energy_kg for o in snapshot.objects if o.category == "Network"]
            levels = [energy / ratio / base.magnitude for energy, ratio, base in
                      zip(energies, stress.network_ratio, stress.base_network)]
            assert max(levels) - min(levels) <= 1e-9 * max(levels), snapshot.changes
