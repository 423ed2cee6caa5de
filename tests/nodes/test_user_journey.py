"""UserJourney (model.md §2): ordered steps, duration, and where each job starts in the journey."""
import pytest

from efp_nodes import Server, UserJourney, UserJourneyStep

from nodes_helpers import assert_quantity, q, simple_job


@pytest.fixture
def journey(model):
    server = Server.from_defaults("srv")
    jobs = {name: simple_job(name, server) for name in ("streaming", "upload", "twice")}
    streaming = UserJourneyStep("20 min streaming", user_time_spent=q(20, "min"),
                                jobs=[jobs["streaming"], jobs["twice"], jobs["twice"]])
    upload = UserJourneyStep("upload", user_time_spent=q(70, "s"), jobs=[jobs["upload"], jobs["twice"]])
    return UserJourney("journey", uj_steps=[streaming, upload]), jobs, (streaming, upload)


def test_duration_is_the_sum_of_the_steps(journey):
    uj, _, _ = journey
    assert_quantity(uj.duration, 20 + 70 / 60, "min")  # 21.1667 min, as e-footprint 9 prints it


def test_jobs_once_each_in_order(journey):
    uj, jobs, _ = journey
    assert uj.jobs == [jobs["streaming"], jobs["twice"], jobs["upload"]]


def test_job_start_offsets(journey):
    uj, jobs, _ = journey
    offsets = uj.job_start_offsets.value
    assert offsets[jobs["streaming"].id] == (0.0,)
    assert offsets[jobs["twice"].id] == pytest.approx((0.0, 0.0, 20 / 60))
    assert offsets[jobs["upload"].id] == pytest.approx((20 / 60,))


def test_a_step_listed_twice_counts_twice(journey):
    uj, _, (streaming, upload) = journey
    uj.uj_steps.append(streaming)
    assert_quantity(uj.duration, 40 + 70 / 60, "min")
    assert uj.job_start_offsets.value[streaming.jobs[0].id] == pytest.approx((0.0, (20 + 70 / 60) / 60))


def test_appending_and_removing_steps_updates_the_duration(journey):
    uj, _, (streaming, upload) = journey
    chat = UserJourneyStep("chat", user_time_spent=q(1, "min"))
    uj.uj_steps.append(chat)
    assert_quantity(uj.duration, 20 + 70 / 60 + 1, "min")
    uj.uj_steps.remove(streaming)
    assert_quantity(uj.duration, 1 + 70 / 60, "min")
    assert uj.uj_steps == [upload, chat]


def test_empty_journey(model):
    uj = UserJourney("empty")
    assert uj.uj_steps == []
    assert_quantity(uj.duration, 0, "min")
    assert uj.job_start_offsets.value == {}


def test_print_like_the_seed(journey):
    uj, _, (streaming, upload) = journey
    lines = str(uj).splitlines()
    assert lines[0] == f"UserJourney {uj.id}"
    assert f"uj_steps: [{streaming.id}, {upload.id}]" in lines
    calculated = lines[lines.index("calculated_attributes:") + 1:]
    assert "  duration: 21.17 minute" in calculated
