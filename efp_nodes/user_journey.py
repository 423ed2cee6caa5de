"""UserJourney: an ordered list of steps (model.md §2)."""
from __future__ import annotations

from efp import Backlink, ListLink, ModelingObject, Via, calculated, u
from efp.values import ExplainableObject
from efp.values.algebra import total
from efp.values.timeops import whole_hours


class UserJourney(ModelingObject):
    """A journey: its steps in order (a step listed twice counts twice)."""

    uj_steps = ListLink("UserJourneyStep", doc="The steps, in order.")
    jobs = Via("uj_steps[].jobs[]", doc="Every job of the journey, once.")
    usage_patterns = Backlink(("UsagePattern", "user_journey"))

    @calculated(unit="min", inputs={"times": "uj_steps[].user_time_spent"})
    def duration(times):
        """Total time of the journey: the sum of its steps' times."""
        result = total(times)
        return result if result else 0 * u.min

    @calculated(inputs={"step_jobs": "uj_steps[].jobs", "times": "uj_steps[].user_time_spent"})
    def job_start_offsets(step_jobs, times):
        """For each job, the time (in hours) elapsed in the journey when each step listing it starts."""
        offsets: dict[str, list[float]] = {}
        elapsed = 0.0
        for jobs, time in zip(step_jobs, times):
            for job in jobs:
                offsets.setdefault(job.id, []).append(elapsed)
            elapsed += float(time.value.to(u.hour).magnitude)
        return ExplainableObject({job_id: tuple(hours) for job_id, hours in offsets.items()})

    @calculated(unit="dimensionless", inputs={"starts": "usage_patterns[].utc_hourly_user_journey_starts"})
    def utc_hourly_starts_across_usage_patterns(starts):
        """Journeys started each hour (UTC), all the usage patterns that run this journey together.

        Everything a journey's jobs do hour by hour is linear in these starts, so the jobs' totals
        across usage patterns start from this one sum rather than one series per usage pattern."""
        return total(starts)

    @calculated(inputs={"rates": "jobs[].data_transferred_per_hour_in_progress",
                        "durations": "jobs[].request_duration"})
    def jobs_traffic(jobs, job_start_offsets, rates, durations):
        """For each job of the journey: the whole hours elapsed before each step listing it, its request
        duration in hours and its traffic per hour in progress in GB; what a network needs to turn
        journey starts into traffic."""
        return ExplainableObject(tuple(
            (tuple(whole_hours(hours) for hours in job_start_offsets.value.get(job.id, ())),
             float(duration.value.to(u.hour).magnitude), float(rate.value.to(u.GB).magnitude))
            for job, duration, rate in zip(jobs, durations, rates)))
