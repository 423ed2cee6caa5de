"""The seed's and e-footprint 9's spellings (api.md): aliases of classes, functions and keywords."""
import numpy as np

from efp import SourceValue, Sources, u
from efp_nodes import (USAGE_PATTERN_VIEW_CLASSES_TO_IGNORE, Autoscaling, Device, Hardware, Job, OnPremise, Server,
                       Serverless, ServerTypes, Storage, System, UsageJourney, UsageJourneyStep, UsagePattern,
                       UserJourney, UserJourneyStep, default_box, default_hdd, default_laptop, default_screen,
                       default_smartphone, default_ssd)

from nodes_helpers import T0, assert_hourly, assert_quantity, hourly, q, simple_job, usage_pattern_of, utc_country


def test_autoscaling_with_the_seed_spellings(model):
    server = Autoscaling(
        "Inference GPU server", carbon_footprint_fabrication=SourceValue(4900 * u.kg, Sources.HYPOTHESIS),
        power=q(6400, "W"), lifespan=q(5, "year"), idle_power=q(500, "W"), ram=q(128, "GB"),
        cpu_cores=SourceValue(16 * u.core, Sources.HYPOTHESIS), power_usage_effectiveness=q(1.2, "dimensionless"),
        average_carbon_intensity=SourceValue(300 * u.g / u.kWh), server_utilization_rate=q(1, "dimensionless"),
        base_ram_consumption=q(0, "MB"), base_cpu_consumption=SourceValue(0 * u.core), storage=default_ssd())
    assert type(server) is Server
    assert server.server_type.value == "autoscaling"
    assert_quantity(server.compute, 16, "cpu_core")
    assert_quantity(server.base_compute_consumption, 0, "cpu_core")
    assert server.storage.name == "Default SSD storage"


def test_on_premise_and_serverless(model):
    assert OnPremise("a").server_type.value == "on-premise"
    assert Serverless("b").server_type.value == "serverless"


def test_server_types():
    assert [t.value for t in (ServerTypes.autoscaling(), ServerTypes.on_premise(), ServerTypes.serverless())] == \
        ["autoscaling", "on-premise", "serverless"]
    assert [t.value for t in ServerTypes.all()] == ["autoscaling", "on-premise", "serverless"]


def test_core_is_cpu_core():
    assert (1 * u.core).to(u.cpu_core).magnitude == 1


def test_default_devices_and_storages(model):
    laptop = default_laptop()
    assert isinstance(laptop, Device) and laptop.name == "Default laptop"
    assert_quantity(laptop.carbon_footprint_fabrication, 156, "kg")
    assert_quantity(laptop.fraction_of_usage_time, 7, "hour/day")
    assert default_smartphone().name == "Default smartphone"
    assert_quantity(default_box().fraction_of_usage_time, 24, "hour/day")
    assert_quantity(default_screen().power, 30, "W")
    ssd, hdd = default_ssd(), default_hdd()
    assert isinstance(ssd, Storage) and ssd.name == "Default SSD storage"
    assert_quantity(ssd.storage_capacity, 1, "TB")
    assert hdd.name == "Default HDD storage"


def test_efootprint_class_names():
    assert UsageJourney is UserJourney
    assert UsageJourneyStep is UserJourneyStep
    assert Hardware is Device
    assert set(USAGE_PATTERN_VIEW_CLASSES_TO_IGNORE) >= {"Network", "Device", "Country", "Storage"}


def test_usage_journey_keywords(model):
    step = UsageJourneyStep("step", user_time_spent=q(60, "min"), jobs=[])
    journey = UsageJourney("journey", uj_steps=[step])
    up = UsagePattern("up", usage_journey=journey, devices=[Hardware.laptop()],
                      network=usage_pattern_of("other", [], [1]).network, country=utc_country(),
                      hourly_usage_journey_starts=hourly([1, 2]))
    assert up.user_journey is journey
    assert_hourly(up.nb_user_journeys_in_parallel, [1, 2], T0, "dimensionless")


def test_job_with_cpu_needed_and_data_download(model):
    server = Server.from_defaults("srv")
    job = Job("streaming", server=server, data_transferred=q(0.05, "MB"), data_download=q(800, "MB"),
              data_stored=q(0.05, "MB"), request_duration=q(4, "min"), cpu_needed=SourceValue(1 * u.core),
              ram_needed=q(50, "MB"))
    assert_quantity(job.compute_needed, 1, "cpu_core")
    assert_quantity(job.data_download, 800, "MB")
    up = usage_pattern_of("up", [(1, [job])], [15])
    System("system", usage_patterns=[up])
    # 15 requests of 4 min: 1 in progress on average during the hour, moving 800.05 MB each
    assert_hourly(job.hourly_data_transferred_across_usage_patterns, [15 * 800.05], T0, "MB")
    job.data_download = SourceValue(500 * u.MB, Sources.USER_DATA)  # changed later, as the seed does
    assert_hourly(job.hourly_data_transferred_across_usage_patterns, [15 * 500.05], T0, "MB")
    assert_hourly(up.network.energy_footprint, np.array([15 * 500.05 / 1000]) * 0.1 * 0.1, T0, "kg")


def test_job_defaults_data_download_to_zero(model):
    job = simple_job("job", Server.from_defaults("srv"))
    assert_quantity(Job("plain", server=job.server).data_download, 0, "MB")


def test_seed_positional_job(model):
    server = Server.from_defaults("srv")
    job = Job("LLM API call", server, SourceValue(300 * u.kB), SourceValue(300 * u.kB), SourceValue(300 * u.kB),
              request_duration=q(5, "s"), cpu_needed=SourceValue(16 * u.core), ram_needed=q(128, "GB"))
    assert job.server is server
    for attr in ("data_transferred", "data_download", "data_stored"):
        assert_quantity(getattr(job, attr), 300, "kB")
    assert_quantity(job.compute_needed, 16, "cpu_core")
