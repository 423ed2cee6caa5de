"""Services and their jobs: VideoStreaming and WebApplication, alone and installed on a server in a System.

The figures are the seed's printouts (model.md §5): a 1080p, 1 h video at 30 frames/s streams
0.7776 MB/s (printed 0.78 MB/s), 2.79936 GB (printed 2.8 GB) and buffers 50 MB; a php-symfony / default
request needs 0.0755 cpu_core (printed 0.08) and 6.15 MB.
"""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from efp import (LinkError, ModelingUpdate, SourceHourlyValues, SourceObject, SourceValue, ValidationError,
                 new_model, u)
from efp.values import EmptyExplainableObject
from efp_builders import (Service, ServiceJob, VideoStreaming, VideoStreamingJob, WebApplication,
                          WebApplicationJob)
from efp_builders.ecobenchmark import job_needs
from efp_nodes import (Countries, Device, Job, Network, Server, Storage, System, UsagePattern, UserJourney,
                       UserJourneyStep)

RESOLUTIONS = ["480p (640 x 480)", "720p (1280 x 720)", "1080p (1920 x 1080)", "1440p (2560 x 1440)",
               "2K (2048 x 1080)", "4K (3840 x 2160)", "8K (7680 x 4320)"]
PHP_SYMFONY_DEFAULT = (0.07551167722567287, 6.1497498690701375)


@pytest.fixture
def model():
    with new_model() as fresh:
        yield fresh


def magnitude(value, unit) -> float:
    return float(value.value.to(unit).magnitude)


def snapshot(model) -> dict:
    """Every node's state and value identity, and the objects: what a refused change must not touch."""
    nodes = {key: (node.state, id(node.value), tuple(node.value) if isinstance(node.value, list) else None)
             for key, node in model.nodes.items()}
    return {"nodes": nodes, "objects": dict(model.objects), "edges": set(model.graph.edges)}


def calculated_values(model) -> dict:
    """Every calculated value, computed, keyed by (object name, attribute): comparable across models
    (``job_start_offsets`` is keyed by job ids, which differ between models)."""
    keys = [key for key, node in model.nodes.items() if node.calculated and node.attr != "job_start_offsets"]
    model.pull(keys)
    return {(model.nodes[key].obj.name, model.nodes[key].attr): model.nodes[key].value for key in keys}


def same(a, b) -> bool:
    if isinstance(a, EmptyExplainableObject) or isinstance(b, EmptyExplainableObject):
        return type(a) is type(b)
    if hasattr(a, "data_array"):
        return (a.unit == b.unit and a.data_array.dims == b.data_array.dims
                and np.array_equal(a.data_array["time"].values, b.data_array["time"].values)
                and np.array_equal(a.magnitude, b.magnitude))
    return a.value == b.value


def build(resolution="1080p (1920 x 1080)", starts=(1000, 2000, 500)):
    """A server hosting a streaming service, a web application and a plain job, used by one journey."""
    server = Server.from_defaults("server", base_ram_consumption=SourceValue(300 * u.MB),
                                  storage=Storage.ssd("server SSD"))
    streaming = VideoStreaming.from_defaults("streaming service", server=server)
    web_app = WebApplication("web app", server=server, technology=SourceObject("php-symfony"))
    video = VideoStreamingJob.from_defaults("video", service=streaming, resolution=SourceObject(resolution),
                                            video_duration=SourceValue(20 * u.min))
    page = WebApplicationJob.from_defaults("page", service=web_app)
    upload = Job("upload", server=server, data_transferred=SourceValue(20 * u.MB),
                 data_stored=SourceValue(20 * u.MB), request_duration=SourceValue(2 * u.s),
                 compute_needed=SourceValue(1 * u.cpu_core), ram_needed=SourceValue(50 * u.MB))
    steps = [UserJourneyStep("browse", user_time_spent=SourceValue(1 * u.min), jobs=[page]),
             UserJourneyStep("watch", user_time_spent=SourceValue(20 * u.min), jobs=[video]),
             UserJourneyStep("upload", user_time_spent=SourceValue(1 * u.min), jobs=[upload])]
    usage = UsagePattern("usage", user_journey=UserJourney("journey", uj_steps=steps), devices=[Device.laptop()],
                         network=Network.wifi_network(), country=Countries.FRANCE(),
                         hourly_user_journey_starts=SourceHourlyValues(list(starts), datetime(2025, 1, 1)))
    system = System("system", usage_patterns=[usage])
    return dict(server=server, streaming=streaming, web_app=web_app, video=video, page=page, upload=upload,
                usage=usage, system=system)


# ------------------------------------------------------------------------------------ video streaming
def test_video_streaming_defaults_and_lists():
    assert {name: value.value for name, value in VideoStreaming.default_values().items()} == {
        "base_ram_consumption": 2 * u.GB, "bits_per_pixel": 0.1 * u.dimensionless,
        "static_delivery_cpu_cost": 4 * u.cpu_core * u.s / u.GB, "ram_buffer_per_user": 50 * u.MB}
    job_defaults = VideoStreamingJob.default_values()
    assert job_defaults["resolution"].value == "1080p (1920 x 1080)"
    assert job_defaults["video_duration"].value == 1 * u.hour
    assert job_defaults["refresh_rate"].value == 30 / u.s
    assert job_defaults["data_stored"].value == 0 * u.MB
    assert VideoStreamingJob.list_values() == {"resolution": RESOLUTIONS}
    assert VideoStreaming.compatible_jobs() == [VideoStreamingJob]


def test_seed_streaming_job_figures(model):
    service = VideoStreaming.from_defaults("Video streaming service", server=Server.from_defaults("server"))
    job = VideoStreamingJob("streaming job", service=service, resolution=SourceObject("1080p (1920 x 1080)"),
                            video_duration=SourceValue(1 * u.hour), refresh_rate=SourceValue(30 / u.s))
    assert magnitude(job.dynamic_bitrate, u.MB / u.s) == pytest.approx(0.7776, rel=1e-12)
    assert magnitude(job.data_transferred, u.GB) == pytest.approx(2.79936, rel=1e-12)
    assert magnitude(job.request_duration, u.hour) == 1
    assert magnitude(job.ram_needed, u.MB) == 50
    assert magnitude(job.compute_needed, u.cpu_core) == pytest.approx(4 * 0.7776e-3, rel=1e-12)
    assert magnitude(service.base_compute_consumption, u.cpu_core) == 0
    text = str(job)
    for line in ("dynamic_bitrate: 0.78 megabyte / second", "data_transferred: 2.8 gigabyte",
                 "ram_needed: 50 megabyte", "request_duration: 1 hour"):
        assert line in text


@pytest.mark.parametrize("resolution, pixels", [("480p (640 x 480)", 640 * 480), ("4K (3840 x 2160)", 3840 * 2160),
                                                ("8K (7680 x 4320)", 7680 * 4320)])
def test_bitrate_follows_the_resolution(model, resolution, pixels):
    service = VideoStreaming.from_defaults("service", server=Server.from_defaults("server"),
                                           bits_per_pixel=SourceValue(0.2 * u.dimensionless))
    job = VideoStreamingJob.from_defaults("job", service=service, resolution=resolution,
                                          refresh_rate=SourceValue(60 / u.s), video_duration=SourceValue(30 * u.min))
    bits_per_second = pixels * 0.2 * 60
    assert magnitude(job.dynamic_bitrate, u.bit / u.s) == pytest.approx(bits_per_second, rel=1e-12)
    assert magnitude(job.data_transferred, u.bit) == pytest.approx(bits_per_second * 1800, rel=1e-12)


def test_unknown_resolution_is_refused(model):
    service = VideoStreaming.from_defaults("service", server=Server.from_defaults("server"))
    with pytest.raises(ValidationError, match="1080i"):
        VideoStreamingJob.from_defaults("job", service=service, resolution="1080i")


# ------------------------------------------------------------------------------------ web application
def test_web_application_defaults_and_lists():
    assert WebApplication.default_values()["technology"].value == "php-symfony"
    assert WebApplication.list_values() == {"technology": ["go-pgx", "jvm-kotlin-spring", "node-express-sequelize",
                                                           "php-symfony", "rust-actix-sqlx"]}
    assert {name: value.value for name, value in WebApplicationJob.default_values().items()
            if name != "data_download"} == {"data_transferred": 2.2 * u.MB, "data_stored": 100 * u.kB,
                                            "implementation_details": "default"}
    assert WebApplicationJob.list_values() == {"implementation_details": [
        "aggregation-code-side", "default", "mysql", "no-index", "no-pagination", "orm-loop"]}


def test_seed_web_application_job_figures(model):
    service = WebApplication("Web app", server=Server.from_defaults("server"), technology=SourceObject("php-symfony"))
    job = WebApplicationJob.from_defaults("fetching web view", service=service)
    cpu, ram = PHP_SYMFONY_DEFAULT
    assert magnitude(job.compute_needed, u.cpu_core) == pytest.approx(cpu, rel=1e-12)
    assert magnitude(job.ram_needed, u.MB) == pytest.approx(ram, rel=1e-12)
    assert magnitude(job.request_duration, u.s) == 1
    assert magnitude(job.data_transferred, u.MB) == pytest.approx(2.2)
    assert magnitude(job.data_stored, u.kB) == pytest.approx(100)
    text = str(job)
    assert "compute_needed: 0.08 cpu_core" in text and "ram_needed: 6.15 megabyte" in text


@pytest.mark.parametrize("technology, details", [("go-pgx", "orm-loop"), ("rust-actix-sqlx", "no-index"),
                                                 ("node-express-sequelize", "mysql")])
def test_every_measured_pair_gives_its_ecobenchmark_needs(model, technology, details):
    service = WebApplication("app", server=Server.from_defaults("server"), technology=technology)
    job = WebApplicationJob.from_defaults("job", service=service, implementation_details=details)
    needs = job_needs(technology, details)
    assert magnitude(job.compute_needed, u.cpu_core) == needs.compute_needed_cpu_core
    assert magnitude(job.ram_needed, u.MB) == needs.ram_needed_mb


def test_pair_without_runs_is_refused_on_construction(model):
    service = WebApplication("rust app", server=Server.from_defaults("server"), technology="rust-actix-sqlx")
    before = snapshot(model)
    with pytest.raises(ValidationError) as info:
        WebApplicationJob.from_defaults("query", service=service, implementation_details="mysql")
    message = str(info.value)
    assert "WebApplicationJob 'query'" in message and "'mysql'" in message and "rust-actix-sqlx" in message
    assert "Valid pairs:" in message and "php-symfony / default" in message
    assert snapshot(model) == before


def test_change_forming_a_pair_without_runs_leaves_the_model_unchanged(model):
    objects = build()
    objects["page"].implementation_details = SourceObject("mysql")  # php-symfony / mysql exists
    footprint = objects["system"].total_footprint
    before = snapshot(model)
    with pytest.raises(ValidationError, match="no ecobenchmark runs"):
        objects["web_app"].technology = SourceObject("rust-actix-sqlx")
    assert snapshot(model) == before
    assert objects["web_app"].technology.value == "php-symfony"
    assert objects["system"].total_footprint is footprint

    lone = WebApplication("lone app", server=Server.from_defaults("other server"), technology="rust-actix-sqlx")
    job = WebApplicationJob.from_defaults("lone job", service=lone)  # not in any System: still checked
    before = snapshot(model)
    with pytest.raises(ValidationError, match="mysql"):
        job.implementation_details = SourceObject("mysql")
    assert snapshot(model) == before


# ------------------------------------------------------------------------------------ installation
def test_installing_services_adds_base_consumption_and_jobs(model):
    server = Server.from_defaults("server", base_ram_consumption=SourceValue(300 * u.MB))
    assert magnitude(server.occupied_ram_per_instance, u.GB) == pytest.approx(0.3)
    streaming = VideoStreaming.from_defaults("streaming", server=server)
    web_app = WebApplication("web app", server=server)
    assert server.installed_services == [streaming, web_app]
    assert magnitude(server.occupied_ram_per_instance, u.GB) == pytest.approx(2.3)
    assert magnitude(server.occupied_compute_per_instance, u.cpu_core) == 0
    video = VideoStreamingJob.from_defaults("video", service=streaming)
    page = WebApplicationJob.from_defaults("page", service=web_app)
    plain = Job.from_defaults("plain", server=server)
    assert server.jobs == [video, page, plain]
    assert video.server is server and streaming.jobs == [video]
    assert WebApplication.compatible_jobs() == [WebApplicationJob]

    other = Server.from_defaults("other")
    streaming.server = other  # moving a service moves its base consumption and its jobs
    assert server.jobs == [page, plain] and other.jobs == [video]
    assert server.installed_services == [web_app] and other.installed_services == [streaming]
    assert magnitude(server.occupied_ram_per_instance, u.GB) == pytest.approx(0.3)
    assert magnitude(other.occupied_ram_per_instance, u.GB) == pytest.approx(2)


def test_service_links_are_checked(model):
    server = Server.from_defaults("server")
    web_app = WebApplication("web app", server=server)
    with pytest.raises(LinkError):
        VideoStreamingJob.from_defaults("video", service=web_app)
    assert issubclass(VideoStreaming, Service) and issubclass(VideoStreamingJob, ServiceJob)


def test_services_in_a_small_system(model):
    objects = build()
    server, system = objects["server"], objects["system"]
    assert system.servers == [server]
    assert system.storages == [server.storage]
    assert magnitude(server.occupied_ram_per_instance, u.GB) == pytest.approx(2.3)
    available_ram = 128 * 0.9 - 2.3
    assert magnitude(server.available_ram_per_instance, u.GB) == pytest.approx(available_ram)
    video, page, upload = objects["video"], objects["page"], objects["upload"]
    need = sum(job.hourly_avg_occurrences_across_usage_patterns * job.ram_needed for job in (video, page, upload))
    assert np.allclose(server.hour_by_hour_ram_need.to(u.GB).magnitude, need.to(u.GB).magnitude, rtol=1e-12)
    assert server.nb_of_instances.magnitude.max() >= 1
    # 1000 + 2000 + 500 journeys, each streaming 20 min of 1080p: 1/3 of 2.79936 GB each
    assert video.hourly_data_transferred_across_usage_patterns.sum().to(u.GB).magnitude == pytest.approx(
        3500 * 2.79936 / 3, rel=1e-9)
    for attribute in ("instances_fabrication_footprint", "energy_footprint"):
        assert getattr(server, attribute).sum().to(u.kg).magnitude > 0
    assert server.storage.energy_footprint.sum().to(u.kg).magnitude > 0
    network = objects["usage"].network
    assert network.energy_footprint.sum().to(u.kg).magnitude == pytest.approx(
        0.05 * 0.085 * 3500 * (2.79936 / 3 + 0.0022 + 0.02), rel=1e-9)
    assert system.total_footprint.sum().to(u.kg).magnitude > 0


def test_resolution_change_recomputes_the_job_and_the_server_like_a_rebuild(model):
    objects = build()
    video, server = objects["video"], objects["server"]
    before_energy = server.energy_footprint.sum().to(u.kg).magnitude
    video.resolution = SourceObject("4K (3840 x 2160)")
    recomputed = set(model.last_plan)
    for obj, attribute in [(video, "dynamic_bitrate"), (video, "data_transferred"), (video, "compute_needed"),
                           (server, "hour_by_hour_compute_need"), (server, "raw_nb_of_instances"),
                           (server, "energy_footprint"), (objects["usage"].network, "energy_footprint"),
                           (objects["system"], "total_footprint")]:
        assert f"{obj.id}.{attribute}" in recomputed
    for obj, attribute in [(objects["page"], "compute_needed"), (video, "ram_needed"),
                           (server, "hour_by_hour_ram_need"), (server.storage, "storage_needed"),
                           (objects["usage"], "devices_energy")]:
        assert f"{obj.id}.{attribute}" not in recomputed, attribute
    assert magnitude(video.dynamic_bitrate, u.MB / u.s) == pytest.approx(0.7776 * 4, rel=1e-12)
    assert server.energy_footprint.sum().to(u.kg).magnitude > before_energy
    live = calculated_values(model)
    with new_model() as fresh:
        build(resolution="4K (3840 x 2160)")
        rebuilt = calculated_values(fresh)
    assert set(live) == set(rebuilt)
    assert [key for key in live if not same(live[key], rebuilt[key])] == []


def test_batch_change_of_a_service_input(model):
    objects = build()
    streaming, video = objects["streaming"], objects["video"]
    ModelingUpdate([[streaming.bits_per_pixel, SourceValue(0.05 * u.dimensionless)],
                    [streaming.base_ram_consumption, SourceValue(1 * u.GB)]])
    assert magnitude(video.dynamic_bitrate, u.MB / u.s) == pytest.approx(0.3888, rel=1e-12)
    assert magnitude(objects["server"].occupied_ram_per_instance, u.GB) == pytest.approx(1.3)
