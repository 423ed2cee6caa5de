"""A system of many usage patterns: a change to one of them redoes one block of each sum it enters
(efp.values.reuse, efp.values.rows.add_rows), the values equal a from-scratch rebuild bit for bit, and
what is kept for reuse goes with the model."""
from __future__ import annotations

import gc
import sys
import weakref
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from efp import SourceHourlyValues, SourceObject, SourceValue, new_model, u
from efp.values import reuse
from efp.values.rows import BLOCK
from efp_nodes import Country, Device, Job, Network, Server, System, UsagePattern, UserJourney, UserJourneyStep

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the trust checks
from trust.helpers import rebuild_differences  # noqa: E402  (compares ids inside values through names)

N_PATTERNS = 3 * BLOCK + 5  # the devices' sum over 2 × N footprints has two levels of blocks
ZONES = (("Europe/Paris", 56), ("America/New_York", 370), ("Asia/Kolkata", 710), ("UTC", 300))  # g/kWh


def build():
    rng = np.random.default_rng(7)
    server = Server.from_defaults("server")
    jobs = [Job(f"job {i}", server=server, data_transferred=SourceValue((1 + i) * u.MB),
                request_duration=SourceValue((1 + 40 * i) * u.s)) for i in range(3)]
    journeys = [UserJourney(f"journey {j}", uj_steps=[
        UserJourneyStep(f"journey {j} step {k}", user_time_spent=SourceValue((20 + 25 * k) * u.min),
                        jobs=[jobs[(j + k) % 3]]) for k in range(3)]) for j in range(2)]
    networks = [Network(f"network {i}", bandwidth_energy_intensity=SourceValue((0.05 + 0.07 * i) * u.kWh / u.GB))
                for i in range(2)]
    devices = [Device.laptop("laptop"), Device.smartphone("smartphone")]
    patterns = []
    for i in range(N_PATTERNS):
        zone, intensity = ZONES[i % len(ZONES)]
        country = Country(f"country {i}", average_carbon_intensity=SourceValue(intensity * u.g / u.kWh),
                          timezone=SourceObject(zone))
        patterns.append(UsagePattern(
            f"usage pattern {i}", user_journey=journeys[i % 2], devices=devices[:1 + i % 2], network=networks[i % 2],
            country=country,
            hourly_user_journey_starts=SourceHourlyValues(rng.uniform(0, 100, 24 * 4), datetime(2025, 3, 29))))
    return System("system", usage_patterns=patterns), patterns


@pytest.fixture
def model():
    with new_model() as model:
        yield model


def test_a_change_to_one_usage_pattern_redoes_a_block_per_level_and_equals_a_rebuild(model):
    system, patterns = build()
    changed = patterns[BLOCK + 2]
    before = dict(reuse.counts)
    changed.hourly_user_journey_starts = SourceHourlyValues(np.arange(96.0), datetime(2025, 3, 29))
    computed = reuse.counts["computed"] - before["computed"]
    found = reuse.counts["found"] - before["found"]
    # one block each of: the devices' sum over 2N footprints (the pattern's fabrication, then its energy),
    # its journey's starts, its network's starts of that journey; every other block is found again
    assert computed == 4
    blocks = -(-2 * N_PATTERNS // BLOCK) - 2 + (-(-N_PATTERNS // 2 // BLOCK) - 1) * 2  # every other block
    assert found == blocks
    assert rebuild_differences(model) == []


def test_a_change_to_a_job_redoes_no_sum_over_usage_patterns(model):
    system, patterns = build()
    before = dict(reuse.counts)
    job = patterns[0].user_journey.uj_steps[0].jobs[0]
    job.data_transferred = SourceValue(9 * u.MB)
    assert reuse.counts["computed"] == before["computed"]
    assert rebuild_differences(model) == []


def test_what_is_kept_for_reuse_goes_with_the_model():
    with new_model() as model:
        build()
        kept = [weakref.ref(item) for items in model.derived_arrays.values() for item in items]
        assert kept
    del model
    gc.collect()
    assert all(ref() is None for ref in kept)
