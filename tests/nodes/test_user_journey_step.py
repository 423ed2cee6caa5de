"""UserJourneyStep (model.md §2): time spent and the jobs a step triggers."""
import numpy as np

from efp_nodes import Server, System, UserJourneyStep

from nodes_helpers import HOUR, T0, assert_empty, assert_hourly, assert_quantity, q, simple_job, usage_pattern_of


def test_inputs_only_and_defaults(model):
    assert UserJourneyStep.calculated_attributes() == []
    step = UserJourneyStep("step")
    assert_quantity(step.user_time_spent, 1, "min")
    assert step.jobs == []


def test_the_step_lists_its_jobs_in_order_and_jobs_know_their_steps(model):
    server = Server.from_defaults("srv")
    a, b = simple_job("a", server), simple_job("b", server)
    step = UserJourneyStep("step", user_time_spent=q(5, "min"), jobs=[b, a, b])
    assert step.jobs == [b, a, b]
    assert a.steps == [step] and b.steps == [step]


def test_appending_and_removing_a_job(model):
    server = Server.from_defaults("srv")
    a, b = simple_job("a", server, ram_gb=1), simple_job("b", server, ram_gb=2)
    up = usage_pattern_of("up", [(5, [a])], [1, 2])
    System("system", usage_patterns=[up])
    step = up.user_journey.uj_steps[0]
    assert_empty(b.hourly_occurrences_across_usage_patterns)
    step.jobs.append(b)
    assert_hourly(b.hourly_occurrences_across_usage_patterns, [1, 2], T0, "dimensionless")
    assert_hourly(server.hour_by_hour_ram_need, np.array([1, 2]) * (1 + 2), T0, "GB")
    step.jobs.remove(a)
    assert_empty(a.hourly_occurrences_across_usage_patterns)
    assert_hourly(server.hour_by_hour_ram_need, np.array([1, 2]) * 2, T0, "GB")


def test_a_step_listed_twice_in_a_journey_counts_twice(model):
    server = Server.from_defaults("srv")
    job = simple_job("job", server)
    up = usage_pattern_of("up", [(60, [job])], [1, 2])
    journey = up.user_journey
    step = journey.uj_steps[0]
    journey.uj_steps.append(step)
    System("system", usage_patterns=[up])
    assert_quantity(journey.duration, 120, "min")
    # at 0 min and at 60 min into the journey
    assert_hourly(job.hourly_occurrences_across_usage_patterns, [1, 2 + 1, 2], T0, "dimensionless")


def test_user_time_spent_moves_the_later_steps(model):
    server = Server.from_defaults("srv")
    later = simple_job("later", server)
    up = usage_pattern_of("up", [(30, []), (1, [later])], [1, 2])
    System("system", usage_patterns=[up])
    assert_hourly(later.hourly_occurrences_across_usage_patterns, [1, 2], T0, "dimensionless")
    up.user_journey.uj_steps[0].user_time_spent = q(90, "min")
    assert_hourly(later.hourly_occurrences_across_usage_patterns, [1, 2], T0 + HOUR, "dimensionless")


def test_print_shows_inputs(model):
    step = UserJourneyStep("20 min streaming", user_time_spent=q(20, "min"))
    lines = str(step).splitlines()
    assert lines[0] == f"UserJourneyStep {step.id}"
    assert "user_time_spent: 20 minute" in lines
    assert "jobs: []" in lines
