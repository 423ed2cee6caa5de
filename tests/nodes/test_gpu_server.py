"""GPUServer (model.md §3): hardware facts from per-GPU figures, then the Server formulas in gpu."""
import numpy as np

from efp import u
from efp_nodes import GPUJob, GPUServer, ServerTypes, System

from nodes_helpers import HOURS_PER_YEAR, T0, assert_hourly, assert_quantity, q, usage_pattern_of


def test_calculated_hardware_facts_with_16_gpus(model):
    server = GPUServer("gpu", compute=q(16, "gpu"))
    assert_quantity(server.power, 6400, "W")               # 400 W/gpu x 16
    assert_quantity(server.idle_power, 800, "W")           # 50 W/gpu x 16
    assert_quantity(server.ram, 1280, "GB")                # 80 GB/gpu x 16
    assert_quantity(server.carbon_footprint_fabrication, 4900, "kg")  # 2500 kg + 150 kg/gpu x 16


def test_hardware_facts_follow_the_gpu_count(model):
    server = GPUServer("gpu", compute=q(16, "gpu"))
    assert_quantity(server.power, 6400, "W")
    server.compute = q(2, "gpu")
    server.gpu_power = q(300, "W/gpu")
    assert_quantity(server.power, 600, "W")
    assert_quantity(server.idle_power, 100, "W")
    assert_quantity(server.ram, 160, "GB")
    assert_quantity(server.carbon_footprint_fabrication, 2800, "kg")


def test_default_values():
    defaults = GPUServer.default_values()
    expected = {"gpu_power": (400, "W/gpu"), "gpu_idle_power": (50, "W/gpu"), "ram_per_gpu": (80, "GB/gpu"),
                "carbon_footprint_fabrication_per_gpu": (150, "kg/gpu"), "average_carbon_intensity": (100, "g/kWh"),
                "compute": (4, "gpu"), "carbon_footprint_fabrication_without_gpu": (2500, "kg"),
                "lifespan": (6, "year"), "power_usage_effectiveness": (1.2, "dimensionless"),
                "server_utilization_rate": (1, "dimensionless"), "base_compute_consumption": (0, "gpu"),
                "base_ram_consumption": (0, "GB")}
    for name, (magnitude, unit) in expected.items():
        assert_quantity(defaults[name], magnitude, unit)
    assert defaults["server_type"].value == "serverless"
    for calculated in ("power", "idle_power", "ram", "carbon_footprint_fabrication"):
        assert calculated not in defaults


def build(server_type, starts):
    """4 GPUs (320 GB, 20 GB taken by the server: 300 GB and 4 gpu left per instance); one job of 2 gpu and
    100 GB lasting an hour."""
    server = GPUServer("gpu", server_type=server_type, base_ram_consumption=q(20, "GB"))
    job = GPUJob("inference", server=server, compute_needed=q(2, "gpu"), ram_needed=q(100, "GB"),
                 request_duration=q(1, "hour"), data_transferred=q(0, "MB"), data_stored=q(0, "MB"))
    System("system", usage_patterns=[usage_pattern_of("up", [(1, [job])], starts)])
    return server


def test_needs_and_instances_in_gpu(model):
    server = build(ServerTypes.autoscaling(), [3, 8, 2])
    assert_hourly(server.hour_by_hour_ram_need, [300, 800, 200], T0, "GB")
    assert_hourly(server.hour_by_hour_compute_need, [6, 16, 4], T0, "gpu")
    assert_quantity(server.occupied_compute_per_instance, 0, "gpu")
    assert_quantity(server.available_ram_per_instance, 300, "GB")
    assert_quantity(server.available_compute_per_instance, 4, "gpu")
    # RAM ratio [1, 2.67, 0.67], GPU ratio [1.5, 4, 1]
    assert_hourly(server.raw_nb_of_instances, [1.5, 4, 1], T0, "dimensionless")
    assert_hourly(server.nb_of_instances, [2, 4, 1], T0, "dimensionless", rtol=0)


def test_serverless_footprints(model):
    server = build(ServerTypes.serverless(), [4, 8, 2])
    raw = np.array([2, 4, 1.0])
    assert_hourly(server.nb_of_instances, raw, T0, "dimensionless")
    energy_kwh = (200 * raw + (1600 - 200) * raw) * 1.2 / 1000
    assert_hourly(server.instances_fabrication_footprint, 3100 * raw / (6 * HOURS_PER_YEAR), T0, "kg")
    assert_hourly(server.instances_energy, energy_kwh, T0, "kWh")
    assert_hourly(server.energy_footprint, energy_kwh * 0.1, T0, "kg")


def test_gpu_job_compute_is_counted_in_gpu(model):
    server = GPUServer("gpu")
    job = GPUJob("job", server=server, gpu_needed=q(3, "gpu"))
    assert_quantity(job.compute_needed, 3, "gpu")
    assert GPUJob.default_values()["compute_needed"].value == 1 * u.gpu
