"""UserJourneyStep: one step of a journey, its time and the jobs it triggers (model.md §2)."""
from __future__ import annotations

from efp import Input, ListLink, ModelingObject, u


class UserJourneyStep(ModelingObject):
    """A step: the time a user spends on it and the jobs it triggers (a job listed twice runs twice)."""

    user_time_spent = Input("min", 1 * u.min, ge=0, doc="Time the user spends on the step.")
    jobs = ListLink("JobBase", doc="The jobs the step triggers, in order.")
