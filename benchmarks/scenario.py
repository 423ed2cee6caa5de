"""A scale scenario generator: N usage patterns sharing a handful of journeys, jobs and servers.

Each usage pattern has its own Country object (drawn from the packaged countries), a device mix, a
network (wifi or mobile) and three years of hourly starts (a growth trend times a daily cycle, with
its own level and phase). They share five journeys, eight jobs, three servers (autoscaling,
on-premise, serverless; each with its own storage) and a GPU server. Deterministic from ``seed``.
"""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import numpy as np

from efp import SourceHourlyValues, SourceValue, transaction, u
from efp_nodes import (Countries, Device, GPUJob, GPUServer, Job, Network, Server, ServerTypes, Storage, System,
                       UsagePattern, UserJourney, UserJourneyStep)
from efp_nodes.country_data import load_country_rows

HOURS = 3 * 8766
START = datetime(2025, 1, 1)


def _starts(rng, hours: int) -> np.ndarray:
    t = np.arange(hours)
    level = rng.uniform(50, 5000)
    growth = 1 + rng.uniform(0, 2) * t / hours
    daily = 1 + 0.8 * np.sin(2 * np.pi * ((t + rng.integers(0, 24)) % 24) / 24 - np.pi / 2)
    return level * growth * daily


def infrastructure():
    """The shared servers, jobs and journeys."""
    servers = [
        Server("autoscaling server", server_type=ServerTypes.autoscaling(), storage=Storage.ssd("storage A")),
        Server("on-premise server", server_type=ServerTypes.on_premise(), ram=SourceValue(256 * u.GB),
               compute=SourceValue(48 * u.cpu_core), storage=Storage.hdd("storage B")),
        Server("serverless server", server_type=ServerTypes.serverless(), storage=Storage.ssd("storage C")),
    ]
    gpu = GPUServer("GPU server", compute=SourceValue(8 * u.gpu), storage=Storage.ssd("storage D"))
    jobs = [Job(f"job {i}", server=servers[i % 3], data_transferred=SourceValue((1 + i) * u.MB),
                data_stored=SourceValue((i % 4 - 1) * 0.01 * u.MB) if i % 4 != 0 else SourceValue(0.2 * u.MB),
                request_duration=SourceValue((0.5 + i) * u.s), compute_needed=SourceValue(0.05 * u.cpu_core),
                ram_needed=SourceValue(20 * u.MB)) for i in range(7)]
    jobs.append(GPUJob("inference", server=gpu, data_transferred=SourceValue(50 * u.kB),
                       data_stored=SourceValue(10 * u.kB), request_duration=SourceValue(8 * u.s),
                       compute_needed=SourceValue(1 * u.gpu), ram_needed=SourceValue(0 * u.GB)))
    journeys = []
    for j in range(5):
        steps = [UserJourneyStep(f"journey {j} step {k}", user_time_spent=SourceValue((2 + 3 * k + j) * u.min),
                                 jobs=[jobs[(j + k) % 7], jobs[(j * 3 + k) % 7]] + ([jobs[7]] if (j + k) % 4 == 0 else []))
                 for k in range(3)]
        journeys.append(UserJourney(f"journey {j}", uj_steps=steps))
    networks = [Network.wifi_network(), Network.mobile_network()]
    return SimpleNamespace(servers=servers + [gpu], jobs=jobs, journeys=journeys, networks=networks)


def build(n_usage_patterns: int, seed: int = 0, hours: int = HOURS, system: bool = True) -> SimpleNamespace:
    """The scenario; ``system=False`` stops before creating the System (nothing computed yet)."""
    rng = np.random.default_rng(seed)
    with transaction():
        shared = _objects(rng, n_usage_patterns, hours)
    shared.system = System("scale system", usage_patterns=shared.usage_patterns) if system else None
    return shared


def _objects(rng, n_usage_patterns: int, hours: int) -> SimpleNamespace:
    shared = infrastructure()
    countries = load_country_rows()
    devices = [Device.laptop(), Device.smartphone(), Device.screen(), Device.box()]
    usage_patterns = []
    for i in range(n_usage_patterns):
        row = countries[int(rng.integers(0, len(countries)))]
        mix = [devices[k] for k in range(4) if rng.random() < 0.5] or [devices[0]]
        usage_patterns.append(UsagePattern(
            f"usage pattern {i}", user_journey=shared.journeys[i % 5], devices=mix,
            network=shared.networks[i % 2], country=getattr(Countries, row.short_name)(),
            hourly_user_journey_starts=SourceHourlyValues(_starts(rng, hours), START)))
    shared.usage_patterns = usage_patterns
    return shared
