"""Property test of guarantees 1, 2 and 6 (docs/guarantees.md) on random footprint models.

Each example builds a random small system in a fresh model: servers of the three types (and a GPU
server), each on its own storage, jobs, steps, journeys, usage patterns with short hourly series
(some across a daylight-saving change), countries, devices and networks. Then it applies a random
sequence of edits: input setters, link changes, every list mutation, new objects, ``ModelingUpdate``
batches, simulations, ``efp.transaction()`` blocks, and invalid edits of every kind (wrong units,
negatives, NaN, infinity, zero lifespan, unknown server type, fixed instances on autoscaling, links
to objects of the wrong class or of another model, a storage shared by two servers, a server too
small for its base consumption, more data deleted than stored, a fleet too small for its peak,
malformed batches, refused constructions...).

After every step:

- guarantee 1: an invalid edit raises the expected :class:`efp.EfpError` subclass, whose message names
  the object, the attribute, the value and what is allowed (formula errors: the object at fault), and
  every node's state, value, error and edges, every list, the objects and the referrer index are
  exactly as before (:func:`helpers.snapshot`);
- guarantee 2: after an accepted edit, every calculated value, link, derived list and edge equals a
  from-scratch build of the same inputs in a fresh model, bit for bit (``np.array_equal``);
- guarantee 6: no calculated value holds NaN or infinity.

Some edits may or may not be accepted depending on the model (``MAYBE``: e.g. shrinking a server may
leave no room for its base consumption); they must then either pass the accepted-edit checks or be
refused like an invalid edit. Deterministic (``derandomize=True``); ``EFP_TRUST_EXAMPLES`` sets the
number of examples. ``test_statistics`` (run last) reports what ran; see it with ``-s``.
"""
from __future__ import annotations

import itertools
import math
import os
from collections import Counter
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import efp
from efp import (CapacityError, EfpError, EmptyExplainableObject, ExplainableHourlyQuantities,
                 LinkError, ModelingUpdate, SourceHourlyValues, SourceObject, SourceValue, StorageError,
                 UnitDimensionError, ValidationError, new_model, u)
from efp.declarations import Input
from efp_nodes import (Country, Device, GPUJob, GPUServer, Job, Network, Server, ServerBase, ServerTypes, Storage,
                       System, UsagePattern, UserJourney, UserJourneyStep)

from .helpers import non_finite, rebuild_differences, round_trip_differences, snapshot, snapshot_differences

MAX_EXAMPLES = int(os.environ.get("EFP_TRUST_EXAMPLES", 120))
#: Deterministic by default; ``EFP_TRUST_SEED=<n>`` explores other examples (for bug hunts, not for CI).
SEED = os.environ.get("EFP_TRUST_SEED")
STATS: Counter = Counter()
VALID, MAYBE = "valid", "maybe"
#: No shrinking by default: each step rebuilds the model, so shrinking a failure takes many minutes; the
#: failing example's draws are printed all the same. ``EFP_TRUST_SHRINK=1`` shrinks.
PHASES = tuple(Phase) if os.environ.get("EFP_TRUST_SHRINK") else (Phase.explicit, Phase.generate)

T0 = datetime(2025, 3, 29, 22)  # Paris and New York clocks change within a day of it (2025-03-30)
STARTS = [T0, datetime(2025, 1, 1), datetime(2025, 10, 26)]
TIMEZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]
START_VALUES = st.sampled_from([0.0, 1.0, 4.0, 30.0, 250.0])
SERVER_KINDS = ["autoscaling", "on-premise", "serverless", "gpu"]

#: Valid values where a default-based pool would not exercise enough (long requests, zero step time...).
CUSTOM_VALUES = {
    "request_duration": [0.5 * u.s, 1 * u.s, 40 * u.min, 3 * u.hour],
    "user_time_spent": [0 * u.min, 1 * u.min, 20 * u.min, 75 * u.min],
    "data_storage_duration": [1 * u.hour, 3 * u.hour, 5 * u.year],
    "data_stored": [0 * u.MB, 0.1 * u.MB, 20 * u.MB],
    "timezone": TIMEZONES,
}
#: Inputs whose valid-looking values may still leave a server no room (a CapacityError is then right).
CAPACITY_SENSITIVE = {"ram", "compute", "server_utilization_rate", "base_ram_consumption",
                      "base_compute_consumption", "ram_per_gpu"}

with new_model():
    FOREIGN = {"server": Server("foreign server", storage=Storage("foreign storage")),
               "gpu server": GPUServer("foreign gpu server", storage=Storage("foreign gpu storage"))}


# ---------------------------------------------------------------------------------------------- values
def magnitude_text(magnitude: float) -> str:
    from efp.values.quantity import format_magnitude
    return format_magnitude(magnitude)


def numeric_inputs(cls) -> dict[str, Input]:
    return {name: decl for name, decl in cls.declarations().items()
            if isinstance(decl, Input) and decl.unit is not None and not decl.hourly
            and name != "fixed_nb_of_instances"}


def valid_values(decl: Input) -> list:
    if decl.name in CUSTOM_VALUES:
        return CUSTOM_VALUES[decl.name]
    default = decl.default_value().value.to(decl.unit).magnitude
    magnitudes = [0.0, 1.0, 2.0] if default == 0 else [default * 0.5, default, default * 2]
    return [m * decl.unit for m in magnitudes
            if (decl.ge is None or m >= decl.ge) and (decl.gt is None or m > decl.gt)
            and (decl.le is None or m <= decl.le)]


def invalid_values(decl: Input) -> list[tuple[object, type, str]]:
    """``(value, expected error, text of the value the message must show)`` for a numeric input."""
    unit = decl.unit
    wrong = u.m if (1 * unit).dimensionality == (1 * u.kg).dimensionality else u.kg
    found = [(SourceValue(3 * wrong), UnitDimensionError, str(wrong)),
             (SourceValue(math.nan * unit), ValidationError, "nan"),
             (SourceValue(math.inf * unit), ValidationError, "inf"),
             ("12", ValidationError, "'12'")]
    if decl.ge is not None or decl.gt is not None:
        low = decl.ge if decl.ge is not None else decl.gt
        found.append((SourceValue((low - 1.5) * unit), ValidationError, magnitude_text(low - 1.5)))
    if decl.gt is not None:
        found.append((SourceValue(decl.gt * unit), ValidationError, magnitude_text(decl.gt)))
    if decl.le is not None:
        found.append((SourceValue((decl.le + 1) * unit), ValidationError, magnitude_text(decl.le + 1)))
    return found


def starts_series(data) -> SourceHourlyValues:
    length = data.draw(st.integers(1, 10), label="series length")
    values = data.draw(st.lists(START_VALUES, min_size=length, max_size=length), label="series values")
    if not any(values):
        values[0] = 5.0
    return SourceHourlyValues(values, data.draw(st.sampled_from(STARTS), label="series start"))


def describe(obj) -> str:
    return f"{type(obj).__name__} '{obj.name}'"


# ---------------------------------------------------------------------------------------------- the world
class World:
    """The random model of one example and its objects by role (new objects join once accepted)."""

    def __init__(self, data):
        self.data = data
        self.names = itertools.count()
        draw = data.draw
        self.countries = [Country(self.name("country"), short_name=SourceObject(f"C{i}"),
                                  average_carbon_intensity=SourceValue(draw(st.sampled_from([30, 85, 400])) * u.g / u.kWh),
                                  timezone=SourceObject(draw(st.sampled_from(TIMEZONES))))
                          for i in range(draw(st.integers(1, 2)))]
        archetypes = [Device.laptop, Device.smartphone, Device.box, Device.screen]
        self.devices = [draw(st.sampled_from(archetypes))(self.name("device")) for _ in range(draw(st.integers(1, 3)))]
        self.networks = [Network(self.name("network"), bandwidth_energy_intensity=SourceValue(
            draw(st.sampled_from([0.05, 0.12])) * u.kWh / u.GB)) for _ in range(draw(st.integers(1, 2)))]
        self.storages, self.servers = [], []
        for _ in range(draw(st.integers(1, 3))):
            self.servers.append(self.new_server(draw(st.sampled_from(SERVER_KINDS), label="server kind")))
        self.jobs = [self.new_job(draw(st.sampled_from(self.servers))) for _ in range(draw(st.integers(1, 4)))]
        self.steps = [UserJourneyStep(self.name("step"), user_time_spent=SourceValue(draw(st.sampled_from(
            CUSTOM_VALUES["user_time_spent"]))), jobs=draw(st.lists(st.sampled_from(self.jobs), max_size=3)))
            for _ in range(draw(st.integers(1, 3)))]
        self.journeys = [UserJourney(self.name("journey"), uj_steps=draw(st.lists(st.sampled_from(self.steps),
                                                                                  min_size=1, max_size=3)))
                         for _ in range(draw(st.integers(1, 2)))]
        self.usage_patterns = [self.new_usage_pattern() for _ in range(draw(st.integers(1, 3)))]
        self.system = System("system", usage_patterns=draw(st.lists(st.sampled_from(self.usage_patterns),
                                                                    min_size=1, max_size=3, unique=True)))

    def name(self, kind: str) -> str:
        return f"{kind} {next(self.names)}"

    def new_storage(self) -> Storage:
        draw = self.data.draw
        return Storage(self.name("storage"),
                       data_storage_duration=SourceValue(draw(st.sampled_from(CUSTOM_VALUES["data_storage_duration"]))),
                       base_storage_need=SourceValue(draw(st.sampled_from([0, 0.5, 2])) * u.TB),
                       data_replication_factor=SourceValue(draw(st.sampled_from([1, 3])) * u.dimensionless))

    def new_server(self, kind: str):
        storage = self.new_storage()
        self.storages.append(storage)
        if kind == "gpu":
            return GPUServer(self.name("gpu server"), storage=storage)
        fixed = EmptyExplainableObject()
        if kind == "on-premise" and self.data.draw(st.booleans(), label="fixed fleet"):
            fixed = SourceValue(10_000 * u.dimensionless)
        return Server(self.name(f"{kind} server"), server_type=SourceObject(kind), storage=storage,
                      fixed_nb_of_instances=fixed)

    def new_job(self, server):
        draw = self.data.draw
        values = dict(data_transferred=SourceValue(draw(st.sampled_from([0, 0.15, 5])) * u.MB),
                      data_stored=SourceValue(draw(st.sampled_from(CUSTOM_VALUES["data_stored"]))),
                      request_duration=SourceValue(draw(st.sampled_from(CUSTOM_VALUES["request_duration"]))),
                      ram_needed=SourceValue(draw(st.sampled_from([0, 50, 500])) * u.MB))
        if isinstance(server, GPUServer):
            return GPUJob(self.name("gpu job"), server=server,
                          compute_needed=SourceValue(draw(st.sampled_from([0.5, 1])) * u.gpu), **values)
        return Job(self.name("job"), server=server,
                   compute_needed=SourceValue(draw(st.sampled_from([0, 0.1, 1])) * u.cpu_core), **values)

    def new_usage_pattern(self) -> UsagePattern:
        draw = self.data.draw
        return UsagePattern(self.name("usage pattern"), user_journey=draw(st.sampled_from(self.journeys)),
                            devices=draw(st.lists(st.sampled_from(self.devices), max_size=2)),
                            network=draw(st.sampled_from(self.networks)), country=draw(st.sampled_from(self.countries)),
                            hourly_user_journey_starts=starts_series(self.data))

    def objects(self) -> list:
        return (self.countries + self.devices + self.networks + self.storages + self.servers + self.jobs
                + self.steps + self.journeys + self.usage_patterns)

    def list_owners(self) -> list[tuple[object, str, list]]:
        """``(owner, list attribute, objects it may hold)``."""
        return ([(s, "jobs", self.jobs) for s in self.steps] + [(j, "uj_steps", self.steps) for j in self.journeys]
                + [(p, "devices", self.devices) for p in self.usage_patterns]
                + [(self.system, "usage_patterns", self.usage_patterns)])


class Edit:
    """One step: ``action()`` returns the new objects to add to the world (or None)."""

    def __init__(self, label, action, expect, tokens=(), joins=None):
        self.label, self.action, self.expect, self.tokens, self.joins = label, action, expect, tuple(tokens), joins


# ---------------------------------------------------------------------------------------------- drawing edits
def draw(data, strategy, label=None):
    return data.draw(strategy, label=label)


def input_pair(data, world, valid: bool):
    """``(object, attribute, value, expectation, tokens)`` for a numeric input, valid or not."""
    obj = draw(data, st.sampled_from([o for o in world.objects() if numeric_inputs(type(o))]), "object")
    attr = draw(data, st.sampled_from(sorted(numeric_inputs(type(obj)))), "attribute")
    decl = numeric_inputs(type(obj))[attr]
    if valid:
        value = draw(data, st.sampled_from(valid_values(decl)), "value")
        expect = MAYBE if attr in CAPACITY_SENSITIVE and isinstance(obj, ServerBase) else VALID
        return obj, attr, SourceValue(value), expect, ()
    value, error, shown = draw(data, st.sampled_from(invalid_values(decl)), "invalid value")
    return obj, attr, value, error, (describe(obj), attr, shown, "allowed")


def failing_formula_pair(data, world):
    """A valid input that makes a formula fail: ``(object, attribute, value, error, tokens)`` or None."""
    options, deleting = [], []
    for server in world.servers:
        compute_unit = u.gpu if isinstance(server, GPUServer) else u.cpu_core
        options.append((server, "base_ram_consumption", SourceValue(1e6 * u.GB), CapacityError, (describe(server),)))
        options.append((server, "base_compute_consumption", SourceValue(1e6 * compute_unit), CapacityError,
                        (describe(server),)))
        if server.server_type.value == "on-premise" and needs_instances(server):
            options.append((server, "fixed_nb_of_instances", SourceValue(0 * u.dimensionless), CapacityError,
                            (describe(server), "fixed_nb_of_instances")))
    for storage in world.storages:
        if storage.server and needs_instances(storage):
            options.append((storage, "fixed_nb_of_instances", SourceValue(0 * u.dimensionless), CapacityError,
                            (describe(storage), "fixed_nb_of_instances")))
    for job in world.jobs:
        occurrences = job.hourly_avg_occurrences_across_usage_patterns
        if isinstance(occurrences, ExplainableHourlyQuantities) and occurrences.magnitude.sum() > 0:
            storage = job.server.storage
            deleting.append((job, "data_stored", SourceValue(-1e12 * u.MB), StorageError,
                             (describe(storage), "more data deleted than stored")))
    if deleting and draw(data, st.booleans(), "more data deleted than stored"):
        options = deleting
    return draw(data, st.sampled_from(options), "failing formula") if options else None


def needs_instances(obj) -> bool:
    raw = obj.raw_nb_of_instances
    return isinstance(raw, ExplainableHourlyQuantities) and float(np.ceil(raw.magnitude.max())) >= 1


def setter(obj, attr, value):
    return lambda: setattr(obj, attr, value)


def list_edit(data, world, bad: bool):
    owner, attr, pool = draw(data, st.sampled_from(world.list_owners()), "list")
    the_list = getattr(owner, attr)
    if bad:
        target = type(owner).declarations()[attr].target
        wrong = [o for o in world.objects() if not isinstance(o, target)]
        item = draw(data, st.sampled_from(wrong), "wrong item")
        operation = draw(data, st.sampled_from(["append", "insert", "setitem", "extend", "replace", "iadd"]), "op")
    else:
        item = draw(data, st.sampled_from(pool), "item")
        operation = draw(data, st.sampled_from(["append", "insert", "setitem", "delitem", "extend", "replace", "pop",
                                                "remove", "clear", "iadd", "reverse", "sort", "slice"]), "op")
    if not the_list and operation in ("setitem", "delitem", "pop", "remove", "slice"):
        operation = "append"
    position = draw(data, st.integers(0, max(len(the_list) - 1, 0)), "position")
    if operation == "remove":
        item = the_list[position]

    def iadd():
        current = getattr(owner, attr)
        current += [item]
        setattr(owner, attr, current)

    actions = {
        "append": lambda: the_list.append(item),
        "insert": lambda: the_list.insert(position, item),
        "setitem": lambda: the_list.__setitem__(position, item),
        "delitem": lambda: the_list.__delitem__(position),
        "extend": lambda: the_list.extend([item, item]),
        "replace": lambda: setattr(owner, attr, [item] + list(the_list)[:position]),
        "pop": lambda: the_list.pop(position),
        "remove": lambda: the_list.remove(item),
        "clear": lambda: the_list.clear(),
        "iadd": iadd,
        "reverse": lambda: the_list.reverse(),
        "sort": lambda: the_list.sort(key=lambda o: o.name),
        "slice": lambda: the_list.__setitem__(slice(0, position + 1), [item]),
    }
    if bad:
        return Edit(f"bad list {attr}.{operation}", actions[operation], LinkError,
                    (describe(owner), attr, type(item).__name__, "allowed"))
    return Edit(f"list {attr}.{operation}", actions[operation], VALID)


def link_edit(data, world, bad: bool):
    draw_ = lambda strategy, label: draw(data, strategy, label)  # noqa: E731
    if not bad:
        kind = draw_(st.sampled_from(["job server", "journey", "network", "country", "orphan storage"]), "link")
        if kind == "job server":
            job, server = draw_(st.sampled_from(world.jobs), "job"), draw_(st.sampled_from(world.servers), "server")
            if isinstance(job, GPUJob) and not isinstance(server, GPUServer):
                return Edit("gpu job on a cpu server", setter(job, "server", server), LinkError,
                            (describe(job), "server", "allowed", "GPUServer"))
            expect = MAYBE if isinstance(server, GPUServer) and not isinstance(job, GPUJob) else VALID
            return Edit("link job.server", setter(job, "server", server), expect)
        if kind == "orphan storage":
            orphans = [s for s in world.storages if not s.server]
            if not orphans:
                return None
            server = draw_(st.sampled_from(world.servers), "server")
            return Edit("link server.storage (unused storage)", setter(server, "storage",
                                                                       draw_(st.sampled_from(orphans), "storage")), VALID)
        up = draw_(st.sampled_from(world.usage_patterns), "usage pattern")
        attr, pool = {"journey": ("user_journey", world.journeys), "network": ("network", world.networks),
                      "country": ("country", world.countries)}[kind]
        return Edit(f"link usage_pattern.{attr}", setter(up, attr, draw_(st.sampled_from(pool), "target")), VALID)
    kind = draw_(st.sampled_from(["wrong class", "none", "foreign", "shared storage"]), "bad link")
    if kind == "shared storage":
        if len(world.servers) < 2:
            return None
        first, second = draw_(st.permutations(world.servers), "servers")[:2]
        storage = first.storage
        return Edit("storage shared by two servers", setter(second, "storage", storage), LinkError,
                    (describe(storage), "server", "allowed", "at most 1"))
    owner, attr, target_class = draw_(st.sampled_from(
        [(j, "server", ServerBase) for j in world.jobs] + [(s, "storage", Storage) for s in world.servers]
        + [(p, a, c) for p in world.usage_patterns for a, c in (("user_journey", UserJourney), ("network", Network),
                                                                ("country", Country))]), "link owner")
    if kind == "none":
        return Edit(f"link {attr} = None", setter(owner, attr, None), LinkError, (describe(owner), attr, "None", "allowed"))
    if kind == "foreign":
        server = FOREIGN["gpu server" if isinstance(owner, GPUJob) else "server"]
        target = server if target_class is ServerBase else server.storage if target_class is Storage else None
        if target is None:
            return None
        return Edit(f"link {attr} to another model", setter(owner, attr, target), LinkError,
                    (describe(owner), attr, "another model", "allowed"))
    wrong = draw_(st.sampled_from([o for o in world.objects() if not isinstance(o, target_class)]), "wrong target")
    return Edit(f"link {attr} to a {type(wrong).__name__}", setter(owner, attr, wrong), LinkError,
                (describe(owner), attr, type(wrong).__name__, "allowed"))


def construction(data, world, bad: bool):
    draw_ = lambda strategy, label: draw(data, strategy, label)  # noqa: E731
    name = world.name("new")
    if not bad:
        kind = draw_(st.sampled_from(["job", "device", "storage", "server", "usage pattern", "step", "journey"]), "new")
        if kind == "job":
            server = draw_(st.sampled_from(world.servers), "server")
            return Edit("new job", lambda: [world.new_job(server)], VALID, joins="jobs")
        if kind == "device":
            return Edit("new device", lambda: [Device.smartphone(name)], VALID, joins="devices")
        if kind == "storage":
            return Edit("new storage", lambda: [world.new_storage()], VALID, joins="storages")
        if kind == "server":
            server_kind = draw_(st.sampled_from(SERVER_KINDS), "server kind")

            def new_server():
                with efp.transaction():
                    server = world.new_server(server_kind)
                return [server]
            return Edit("new server (and its storage)", new_server, VALID, joins="servers")
        if kind == "step":
            jobs = draw_(st.lists(st.sampled_from(world.jobs), max_size=3), "jobs")
            return Edit("new step", lambda: [UserJourneyStep(name, user_time_spent=SourceValue(2 * u.min), jobs=jobs)],
                        VALID, joins="steps")
        if kind == "journey":
            steps = draw_(st.lists(st.sampled_from(world.steps), min_size=1, max_size=3), "steps")
            return Edit("new journey", lambda: [UserJourney(name, uj_steps=steps)], VALID, joins="journeys")

        def new_usage_pattern():
            with efp.transaction():
                pattern = world.new_usage_pattern()
                world.system.usage_patterns.append(pattern)
            return [pattern]
        return Edit("new usage pattern in the system", new_usage_pattern, VALID, joins="usage_patterns")
    server = draw_(st.sampled_from(world.servers), "server")
    options = [
        ("Job", lambda: Job(name, server=server, data_transferred=SourceValue(-1 * u.MB)), ValidationError,
         ("data_transferred", "-1", "allowed")),
        ("Job", lambda: Job(name, server=server.storage), LinkError, ("server", "Storage", "allowed")),
        ("Job", lambda: Job(name, server=server, cpu_neded=SourceValue(1 * u.cpu_core)), ValidationError,
         ("cpu_neded", "allowed")),
        ("Server", lambda: Server(name, power=SourceValue(3 * u.kg)), UnitDimensionError,
         ("power", "kilogram", "allowed")),
        ("Server", lambda: Server(name, server_type=ServerTypes.autoscaling(),
                                  fixed_nb_of_instances=SourceValue(3 * u.dimensionless)), ValidationError,
         ("fixed_nb_of_instances", "autoscaling", "allowed")),
        ("Server", lambda: Server(name, storage=server.storage), LinkError, ("server", "at most 1", "allowed")),
        ("Storage", lambda: Storage(name, lifespan=SourceValue(0 * u.year)), ValidationError,
         ("lifespan", "0 year", "allowed")),
        ("Country", lambda: Country(name, timezone=SourceObject("Mars/Olympus")), ValidationError,
         ("timezone", "Mars/Olympus", "allowed")),
        ("Device", lambda: Device(name, fraction_of_usage_time=SourceValue(25 * u.hour / u.day)), ValidationError,
         ("fraction_of_usage_time", "25", "allowed")),
        ("UsagePattern", lambda: UsagePattern(name, user_journey=world.steps[0], devices=[], network=world.networks[0],
                                              country=world.countries[0],
                                              hourly_user_journey_starts=SourceHourlyValues([1], T0)), LinkError,
         ("user_journey", "UserJourneyStep", "allowed")),
        ("UsagePattern", lambda: UsagePattern(name, user_journey=world.journeys[0], devices=[], network=world.networks[0],
                                              country=world.countries[0],
                                              hourly_user_journey_starts=SourceHourlyValues([1, math.nan], T0)),
         ValidationError, ("hourly_user_journey_starts", "allowed", "finite")),
        ("UsagePattern", lambda: UsagePattern(name, user_journey=world.journeys[0], devices=[], network=world.networks[0],
                                              country=world.countries[0],
                                              hourly_user_journey_starts=SourceHourlyValues([], T0)),
         ValidationError, ("hourly_user_journey_starts", "empty", "allowed")),
    ]
    class_name, action, error, tokens = draw_(st.sampled_from(options), "bad construction")
    named = f"'{name}'" if "at most 1" in tokens else f"{class_name} '{name}'"
    return Edit(f"bad construction {class_name}", action, error, (named,) + tokens)


def batch(data, world, bad: bool):
    pairs, expect, used = [], VALID, set()
    for _ in range(draw(data, st.integers(1, 3), "pairs")):
        obj, attr, value, expectation, _ = input_pair(data, world, valid=True)
        if (obj.id, attr) in used:
            continue
        used.add((obj.id, attr))
        pairs.append((obj, attr, value))
        expect = MAYBE if expectation is MAYBE else expect
    if draw(data, st.booleans(), "with a list"):
        owner, attr, pool = draw(data, st.sampled_from(world.list_owners()), "list")
        pairs.append((owner, attr, draw(data, st.lists(st.sampled_from(pool), max_size=3), "new list")))
    label, tokens = "batch", ()
    if bad:
        kind = draw(data, st.sampled_from(["invalid input", "failing formula", "malformed"]), "bad batch")
        if kind == "malformed":
            junk = draw(data, st.sampled_from([[], [[1, 2]], [[1]], ["not a pair"], "a date"]), "junk")
            if junk == "a date":
                date = draw(data, st.sampled_from(["garbage", datetime(2025, 1, 1, 0, 30), 42,
                                                   datetime(2025, 1, 1, tzinfo=timezone.utc)]), "date")
                return Edit("malformed batch (simulation date)", lambda: ModelingUpdate(
                    [[getattr(o, a), v] for o, a, v in pairs], simulation_date=date), ValidationError,
                    ("ModelingUpdate", "simulation_date", "allowed"))
            return Edit("malformed batch", lambda: ModelingUpdate(junk), ValidationError, ("ModelingUpdate", "allowed"))
        bad_pair = input_pair(data, world, valid=False) if kind == "invalid input" else failing_formula_pair(data, world)
        if bad_pair is None:
            return None
        obj, attr, value, expect, tokens = bad_pair
        pairs = [p for p in pairs if (p[0].id, p[1]) != (obj.id, attr)]
        pairs.insert(draw(data, st.integers(0, len(pairs)), "where"), (obj, attr, value))
        label = f"bad batch ({kind})"
    return Edit(label, lambda: ModelingUpdate([[getattr(o, a), v] for o, a, v in pairs]), expect, tokens)


def block(data, world, bad: bool):
    obj, attr, value, expect, _ = input_pair(data, world, valid=True)
    other = input_pair(data, world, valid=True)
    if (other[0].id, other[1]) == (obj.id, attr):
        return None
    expect = MAYBE if MAYBE in (expect, other[3]) else VALID
    tokens = ()
    last = other
    if bad:
        last = input_pair(data, world, valid=False) if data.draw(st.booleans()) else failing_formula_pair(data, world)
        if last is None or (last[0].id, last[1]) == (obj.id, attr):
            return None
        expect, tokens = last[3], last[4]

    def action():
        with efp.transaction():
            setattr(obj, attr, value)
            setattr(last[0], last[1], last[2])
    return Edit("bad transaction block" if bad else "transaction block", action, expect, tokens)


def simulation(data, world):
    up = draw(data, st.sampled_from(world.usage_patterns), "usage pattern")
    series = starts_series(data)
    first = up.utc_hourly_user_journey_starts.start_date
    date = first + timedelta(hours=draw(data, st.integers(0, 3), "hours in"))
    return Edit("simulation", lambda: ModelingUpdate([[up.hourly_user_journey_starts, series]], simulation_date=date),
                "simulation")


def draw_edit(data, world) -> Edit | None:
    kind = draw(data, st.sampled_from(
        ["input"] * 4 + ["list"] * 3 + ["link", "server type", "fixed fleet", "starts", "new object", "batch",
                                        "block", "simulation", "timezone"]
        + ["bad input"] * 3 + ["bad list", "bad link", "bad server type", "failing formula", "bad starts",
                               "bad construction", "bad batch", "bad block", "calculated", "bad timezone",
                               "shared storage"]), "edit kind")
    if kind in ("input", "bad input"):
        obj, attr, value, expect, tokens = input_pair(data, world, valid=kind == "input")
        label = f"{'bad ' if kind == 'bad input' else ''}{type(obj).__name__}.{attr}"
        return Edit(label, setter(obj, attr, value), expect, tokens)
    if kind in ("list", "bad list"):
        return list_edit(data, world, bad=kind == "bad list")
    if kind in ("link", "bad link"):
        return link_edit(data, world, bad=kind == "bad link")
    if kind == "shared storage":
        if len(world.servers) < 2:
            return None
        first, second = draw(data, st.permutations(world.servers), "servers")[:2]
        return Edit("storage shared by two servers", setter(second, "storage", first.storage), LinkError,
                    (describe(first.storage), "server", "allowed", "at most 1"))
    if kind in ("new object", "bad construction"):
        return construction(data, world, bad=kind == "bad construction")
    if kind in ("batch", "bad batch"):
        return batch(data, world, bad=kind == "bad batch")
    if kind in ("block", "bad block"):
        return block(data, world, bad=kind == "bad block")
    if kind == "simulation":
        return simulation(data, world)
    if kind == "failing formula":
        found = failing_formula_pair(data, world)
        if found is None:
            return None
        obj, attr, value, error, tokens = found
        return Edit(f"failing formula ({error.__name__}, {attr})", setter(obj, attr, value), error, tokens)
    if kind in ("server type", "bad server type"):
        server = draw(data, st.sampled_from([s for s in world.servers]), "server")
        if kind == "bad server type":
            name = draw(data, st.sampled_from(["cloud", "Autoscaling", ""]), "unknown type")
            return Edit("unknown server type", setter(server, "server_type", SourceObject(name) if name else name),
                        ValidationError, (describe(server), "server_type", repr(name), "allowed"))
        new_type = draw(data, st.sampled_from(["autoscaling", "on-premise", "serverless"]), "type")
        if server.fixed_nb_of_instances and new_type != "on-premise":
            return Edit("server type with a fixed fleet", setter(server, "server_type", SourceObject(new_type)),
                        ValidationError, (describe(server), "fixed_nb_of_instances", new_type, "allowed"))
        return Edit("server type", setter(server, "server_type", SourceObject(new_type)), VALID)
    if kind == "fixed fleet":
        server = draw(data, st.sampled_from(world.servers), "server")
        if server.server_type.value != "on-premise":
            return Edit("fixed fleet on a server that is not on-premise", setter(
                server, "fixed_nb_of_instances", SourceValue(5 * u.dimensionless)), ValidationError,
                (describe(server), "fixed_nb_of_instances", server.server_type.value, "allowed"))
        value = draw(data, st.sampled_from([EmptyExplainableObject(), SourceValue(10_000 * u.dimensionless)]), "fleet")
        return Edit("fixed fleet", setter(server, "fixed_nb_of_instances", value), VALID)
    if kind in ("timezone", "bad timezone"):
        country = draw(data, st.sampled_from(world.countries), "country")
        if kind == "timezone":
            return Edit("timezone", setter(country, "timezone", draw(data, st.sampled_from(TIMEZONES), "zone")), VALID)
        zone = draw(data, st.sampled_from(["Mars/Olympus", "../../etc/passwd", "", "Europe/Paris "]), "bad zone")
        return Edit("bad timezone", setter(country, "timezone", SourceObject(zone)), ValidationError,
                    (describe(country), "timezone", repr(zone), "allowed"))
    if kind in ("starts", "bad starts"):
        up = draw(data, st.sampled_from(world.usage_patterns), "usage pattern")
        if kind == "starts":
            return Edit("starts", setter(up, "hourly_user_journey_starts", starts_series(data)), VALID)
        bad_starts = [  # made when applied: an empty series cannot even be printed
            ("negative", lambda: SourceHourlyValues([1, -2, 3], T0), ValidationError, ">= 0"),
            ("NaN", lambda: SourceHourlyValues([1, math.nan], T0), ValidationError, "finite"),
            ("infinite", lambda: SourceHourlyValues([math.inf], T0), ValidationError, "finite"),
            ("in kg", lambda: SourceHourlyValues([1, 2], T0, u.kg), UnitDimensionError, "kilogram"),
            ("empty", lambda: SourceHourlyValues([], T0), ValidationError, "empty"),
            ("scalar", lambda: SourceValue(3 * u.dimensionless), ValidationError, "3 dimensionless"),
        ]
        index = draw(data, st.integers(0, len(bad_starts) - 1), "bad starts")
        what, make, error, shown = bad_starts[index]
        return Edit(f"bad starts ({what})", lambda: setattr(up, "hourly_user_journey_starts", make()), error,
                    (describe(up), "hourly_user_journey_starts", shown, "allowed"))
    # a calculated or derived attribute
    server = draw(data, st.sampled_from(world.servers), "server")
    attr = draw(data, st.sampled_from(["nb_of_instances", "energy_footprint", "jobs"]), "attribute")
    return Edit(f"set calculated {attr}", setter(server, attr, SourceValue(3 * u.dimensionless)), ValidationError,
                (describe(server), attr, "allowed: nothing"))


# ---------------------------------------------------------------------------------------------- the property
def check_refused(edit: Edit, error: EfpError, before: dict, model) -> None:
    assert snapshot_differences(before, snapshot(model)) == [], edit.label
    message = str(error)
    for token in edit.tokens:
        assert token in message, f"{edit.label}: {token!r} not in the message {message!r}"


def check_accepted(edit: Edit, model) -> None:
    assert rebuild_differences(model) == [], edit.label
    assert non_finite(model) == [], edit.label


def run_simulation(edit: Edit, before: dict, model) -> None:
    update = edit.action()
    assert snapshot_differences(before, snapshot(model)) == [], "a simulation left the baseline changed"
    update.set_updated_values()
    assert non_finite(model) == []
    update.reset_values()
    assert snapshot_differences(before, snapshot(model)) == [], "reset_values() did not restore the baseline"


@settings(max_examples=MAX_EXAMPLES, derandomize=SEED is None, deadline=None, database=None, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@seed(int(SEED or 0))
@given(data=st.data())
def random_edits_of_footprint_models(data):
    with new_model() as model:
        world = World(data)
        assert rebuild_differences(model) == [], "initial build"   # computes every node
        assert non_finite(model) == []
        STATS["examples"] += 1
        STATS["objects"] += len(model.objects)
        for _ in range(draw(data, st.integers(6, 14), "steps")):
            edit = draw_edit(data, world)
            if edit is None:
                continue
            STATS["steps"] += 1
            before = snapshot(model)
            if edit.expect == "simulation":
                try:
                    run_simulation(edit, before, model)
                    STATS["accepted: simulation"] += 1
                except EfpError as error:
                    check_refused(edit, error, before, model)
                    STATS["refused: simulation"] += 1
                continue
            try:
                created = edit.action()
            except EfpError as error:
                assert edit.expect is not VALID, f"{edit.label}: a valid edit was refused: {error!r}"
                if edit.expect is not MAYBE:
                    assert isinstance(error, edit.expect), f"{edit.label}: expected {edit.expect.__name__}, got {error!r}"
                check_refused(edit, error, before, model)
                STATS[f"refused: {edit.label}"] += 1
                STATS["refused"] += 1
                continue
            except Exception as error:  # noqa: BLE001 - the point: nothing but an efp error may escape
                pytest.fail(f"{edit.label}: {type(error).__name__} escaped instead of an efp error: {error}")
            assert edit.expect in (VALID, MAYBE), f"{edit.label}: accepted, expected {edit.expect.__name__}"
            if edit.joins and created:
                getattr(world, edit.joins).extend(created)
            check_accepted(edit, model)
            STATS[f"accepted: {edit.label}"] += 1
            STATS["accepted"] += 1
        assert round_trip_differences(model) == [], "JSON round trip after the edits"
        STATS["round trips"] += 1


def test_random_edits_of_footprint_models():
    """Random edit sequences keep guarantees 1, 2 and 6, exploring many accepted and refused edits of each kind."""
    STATS.clear()
    random_edits_of_footprint_models()
    summary = ", ".join(f"{key}={value}" for key, value in sorted(STATS.items()))
    print(f"\nfootprint model property test: {summary}")
    assert STATS["examples"] >= MAX_EXAMPLES and STATS["round trips"] >= 0.9 * MAX_EXAMPLES  # some draws end early
    assert STATS["accepted"] >= 3 * MAX_EXAMPLES and STATS["refused"] >= 3 * MAX_EXAMPLES
    kinds = ("list ", "link ", "new ", "batch", "transaction block", "starts", "server type")
    for kind in kinds:
        assert any(k.startswith(f"accepted: {kind}") and v for k, v in STATS.items()), kind
    for kind in ("bad list", "link ", "storage shared", "bad construction", "bad batch", "bad transaction block",
                 "failing formula (CapacityError", "failing formula (StorageError", "bad starts", "set calculated"):
        assert any(k.startswith(f"refused: {kind}") and v for k, v in STATS.items()), kind


# ---------------------------------------------------------------------------------------------- regressions
@pytest.fixture
def computed(model):
    """A small computed system: ``(model, server, step, usage pattern)``."""
    server = Server("server", storage=Storage("storage"))
    jobs = [Job(f"job {i}", server=server) for i in range(6)]
    step = UserJourneyStep("step with a long name", jobs=jobs)
    usage = UsagePattern("usage", user_journey=UserJourney("journey", uj_steps=[step]), devices=[Device.laptop("laptop")],
                         network=Network("network"), country=Country("country"),
                         hourly_user_journey_starts=SourceHourlyValues([1, 2, 3], T0))
    System("system", usage_patterns=[usage])
    model.pull([key for key, node in model.nodes.items() if node.calculated])
    return model, server, step, usage


def refused_cleanly(model, change, error_class, *tokens) -> str:
    before = snapshot(model)
    with pytest.raises(error_class) as raised:
        change()
    message = str(raised.value)
    assert all(token in message for token in tokens), message
    assert snapshot_differences(before, snapshot(model)) == []
    return message


def test_regression_empty_hourly_series_was_accepted_then_failed_in_a_formula(computed):
    model, server, step, usage = computed
    refused_cleanly(model, lambda: setattr(usage, "hourly_user_journey_starts", SourceHourlyValues([], T0)),
                    ValidationError, "UsagePattern 'usage'.hourly_user_journey_starts", "empty", "allowed")


def test_regression_complex_quantity_escaped_as_a_type_error(computed):
    model, server, step, usage = computed
    refused_cleanly(model, lambda: setattr(server, "power", (1 + 2j) * u.W), ValidationError,
                    "Server 'server'.power", "(1+2j)", "allowed: a real number")


def test_regression_huge_integer_quantity_escaped_as_an_overflow_error(computed):
    model, server, step, usage = computed
    refused_cleanly(model, lambda: setattr(server, "power", 10 ** 400 * u.W), ValidationError, "Server 'server'.power",
                    "allowed")


def test_regression_link_to_another_model_did_not_name_the_attribute(computed):
    model, server, step, usage = computed
    job = step.jobs[0]
    refused_cleanly(model, lambda: setattr(job, "server", FOREIGN["server"]), LinkError, "Job 'job 0'.server",
                    "Server 'foreign server'", "another model", "allowed")


def test_regression_refused_list_item_was_hidden_in_a_shortened_message(computed):
    model, server, step, usage = computed
    refused_cleanly(model, lambda: step.jobs.append(server.storage), LinkError,
                    "UserJourneyStep 'step with a long name'.jobs", "Storage", "position 6", "allowed")


def test_regression_simulation_date_escaped_as_a_value_error(computed):
    model, server, step, usage = computed
    refused_cleanly(model, lambda: ModelingUpdate([[server.power, SourceValue(200 * u.W)]], simulation_date="soon"),
                    ValidationError, "ModelingUpdate", "simulation_date", "'soon'", "allowed")
