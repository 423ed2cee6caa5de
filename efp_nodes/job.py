"""Jobs: the server requests a journey step makes, hour by hour and per usage pattern (model.md §2).

Per-usage-pattern quantities are one hourly array with a ``usage_pattern`` dimension (rows labelled by
usage pattern id): ``job.hourly_occurrences_per_usage_pattern[usage_pattern]`` is one row, a view.
"""
from __future__ import annotations

from efp import Backlink, Input, Link, ModelingObject, calculated, u
from efp.values.algebra import total
from efp.values.stacking import stack_shifted
from efp.values.timeops import concurrency, shift, whole_hours

ONE_HOUR = 1 * u.hour


class JobBase(ModelingObject):
    """What every job shares: how its requests spread over hours and usage patterns."""

    data_download = Input("MB", 0 * u.MB, ge=0,
                          doc="Traffic the network carries on top of data_transferred (the seed's spelling).")
    steps = Backlink(("UserJourneyStep", "jobs[]"))
    journeys = Backlink(("UserJourney", "uj_steps[].jobs[]"))
    usage_patterns = Backlink(("UsagePattern", "user_journey.uj_steps[].jobs[]"))

    @calculated(unit="dimensionless", inputs={
        "job": "self", "usage_patterns": "usage_patterns",
        "starts": "usage_patterns[].utc_hourly_user_journey_starts",
        "offsets": "usage_patterns[].user_journey.job_start_offsets"})
    def hourly_occurrences_per_usage_pattern(job, usage_patterns, starts, offsets):
        """Requests started each hour, per usage pattern: the journeys' starts shifted by the whole
        hours elapsed in the journey before each step that lists the job (once per listing)."""
        shifts = [[whole_hours(hours) for hours in up_offsets.value.get(job.id, ())] for up_offsets in offsets]
        return stack_shifted([up.id for up in usage_patterns], starts, shifts)

    @calculated(unit="GB")
    def data_transferred_per_hour_in_progress(data_transferred, data_download, request_duration):
        """Traffic of one request per hour it is in progress: a long request spreads its data like its
        load, (data transferred + data download) × 1 h / request duration."""
        return _transfer_rate(data_transferred, data_download, request_duration)

    @calculated(unit="dimensionless")
    def hourly_avg_occurrences_per_usage_pattern(hourly_occurrences_per_usage_pattern, request_duration):
        """Requests in progress during each hour, per usage pattern (the concurrency kernel)."""
        return concurrency(hourly_occurrences_per_usage_pattern, request_duration)

    @calculated(unit="GB")
    def hourly_data_transferred_per_usage_pattern(hourly_avg_occurrences_per_usage_pattern,
                                                  data_transferred_per_hour_in_progress):
        """Network traffic each hour, per usage pattern: requests in progress times their traffic
        per hour in progress."""
        return hourly_avg_occurrences_per_usage_pattern * data_transferred_per_hour_in_progress

    @calculated(unit="GB")
    def hourly_data_stored_per_usage_pattern(hourly_avg_occurrences_per_usage_pattern, data_stored,
                                             request_duration):
        """Data written (or deleted, if negative) each hour, per usage pattern, at the requests' rate."""
        return hourly_avg_occurrences_per_usage_pattern * _storage_rate(data_stored, request_duration)

    @calculated(unit="dimensionless", inputs={
        "job": "self", "starts": "journeys[].utc_hourly_starts_across_usage_patterns",
        "offsets": "journeys[].job_start_offsets"})
    def hourly_occurrences_across_usage_patterns(job, starts, offsets):
        """Requests started each hour, all usage patterns together: each journey's starts across its
        usage patterns, shifted by the whole hours elapsed before each step that lists the job (the
        sum over usage patterns of the per-usage-pattern occurrences, grouped by journey)."""
        return occurrences_of(job, starts, offsets)

    @calculated(unit="dimensionless")
    def hourly_avg_occurrences_across_usage_patterns(hourly_occurrences_across_usage_patterns, request_duration):
        """Requests in progress each hour, all usage patterns together (the concurrency kernel is linear:
        the sum of the per-usage-pattern averages)."""
        return concurrency(hourly_occurrences_across_usage_patterns, request_duration)

    @calculated(unit="GB")
    def hourly_data_transferred_across_usage_patterns(hourly_avg_occurrences_across_usage_patterns,
                                                      data_transferred_per_hour_in_progress):
        """Network traffic each hour, all usage patterns together: the requests in progress across
        usage patterns times their traffic per hour in progress (the sum of the per-usage-pattern
        traffic, in one multiplication instead of one per usage pattern)."""
        return hourly_avg_occurrences_across_usage_patterns * data_transferred_per_hour_in_progress

    @calculated(unit="GB")
    def hourly_data_stored_across_usage_patterns(hourly_avg_occurrences_across_usage_patterns, data_stored,
                                                 request_duration):
        """Data written each hour, all usage patterns together: the requests in progress across usage
        patterns times the storage rate (the sum of the per-usage-pattern data stored)."""
        return hourly_avg_occurrences_across_usage_patterns * _storage_rate(data_stored, request_duration)


def occurrences_of(job, journey_starts, journey_offsets):
    """``Σ`` over journeys and over the steps listing ``job`` of the journey's starts shifted by the
    whole hours elapsed before the step (``∅`` when no journey with starts lists it)."""
    return total(shift(starts, whole_hours(hours))
                 for starts, offsets in zip(journey_starts, journey_offsets)
                 for hours in offsets.value.get(job.id, ()))


def _transfer_rate(data_transferred, data_download, request_duration):
    """Traffic per hour of one request in progress (a long request spreads its data like its load)."""
    return ((data_transferred + data_download) * ONE_HOUR / request_duration).to(u.GB)


def _storage_rate(data_stored, request_duration):
    """Data stored per hour of one request in progress."""
    return (data_stored * ONE_HOUR / request_duration).to(u.GB)


class Job(JobBase):
    """A request to a server: its traffic, stored data, duration, compute and RAM."""

    input_order = ("server", "data_transferred", "data_download", "data_stored", "request_duration",
                   "compute_needed", "ram_needed")

    server = Link("ServerBase", doc="The server that answers the request.")
    data_transferred = Input("MB", 150 * u.kB, ge=0, doc="Everything one request moves over the network.")
    data_stored = Input("MB", 100 * u.kB, doc="Data one request stores (negative: deletes).")
    request_duration = Input("s", 1 * u.s, gt=0, doc="How long one request keeps the server busy.")
    compute_needed = Input("cpu_core", 0.1 * u.cpu_core, ge=0, aliases=("cpu_needed",),
                           doc="Compute one request uses while it runs.")
    ram_needed = Input("MB", 50 * u.MB, ge=0, doc="RAM one request uses while it runs.")


class GPUJob(Job):
    """A job on a GPU server: its compute is counted in GPUs."""

    server = Link("GPUServer", doc="The GPU server that answers the request.")
    compute_needed = Input("gpu", 1 * u.gpu, ge=0, aliases=("cpu_needed", "gpu_needed"),
                           doc="GPUs one request uses while it runs.")
