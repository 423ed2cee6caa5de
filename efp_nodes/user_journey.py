"""UserJourney: an ordered list of steps (model.md §2)."""
from __future__ import annotations

from efp import ListLink, ModelingObject, Via, calculated, u
from efp.values import ExplainableObject
from efp.values.algebra import total


class UserJourney(ModelingObject):
    """A journey: its steps in order (a step listed twice counts twice)."""

    uj_steps = ListLink("UserJourneyStep", doc="The steps, in order.")
    jobs = Via("uj_steps[].jobs[]", doc="Every job of the journey, once.")

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
