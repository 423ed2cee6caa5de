"""GPUServer: a server sized in GPUs, whose hardware facts follow from per-GPU figures (model.md §3)."""
from __future__ import annotations

from efp import Input, calculated, u
from efp_nodes.server_base import ServerBase
from efp_nodes.server_types import SERVER_TYPES, SERVERLESS


class GPUServer(ServerBase):
    """A GPU server: ``compute`` counts GPUs; power, idle power, RAM and fabrication scale with them."""

    input_order = ("server_type", "gpu_power", "gpu_idle_power", "ram_per_gpu",
                   "carbon_footprint_fabrication_per_gpu", "average_carbon_intensity", "compute",
                   "carbon_footprint_fabrication_without_gpu", "lifespan", "power_usage_effectiveness",
                   "server_utilization_rate", "base_compute_consumption", "base_ram_consumption", "storage",
                   "fixed_nb_of_instances")

    server_type = Input(choices=SERVER_TYPES, default=SERVERLESS, doc="How instances are provisioned.")
    gpu_power = Input("W/gpu", 400 * u.W / u.gpu, ge=0, doc="Power of one GPU at full load.")
    gpu_idle_power = Input("W/gpu", 50 * u.W / u.gpu, ge=0, doc="Power of one idle GPU.")
    ram_per_gpu = Input("GB/gpu", 80 * u.GB / u.gpu, gt=0, doc="Memory of one GPU.")
    carbon_footprint_fabrication_per_gpu = Input("kg/gpu", 150 * u.kg / u.gpu, ge=0,
                                                 doc="Embodied carbon of one GPU.")
    compute = Input("gpu", 4 * u.gpu, gt=0, doc="GPUs per instance.")
    carbon_footprint_fabrication_without_gpu = Input("kg", 2500 * u.kg, ge=0,
                                                     doc="Embodied carbon of an instance without its GPUs.")
    server_utilization_rate = Input("dimensionless", 1, gt=0, le=1, doc="Share of an instance's capacity jobs may use.")
    base_compute_consumption = Input("gpu", 0 * u.gpu, ge=0, doc="GPUs the server itself occupies.")

    @calculated(unit="kg")
    def carbon_footprint_fabrication(carbon_footprint_fabrication_without_gpu, compute,
                                     carbon_footprint_fabrication_per_gpu):
        """Embodied carbon of one instance: the chassis plus each GPU."""
        return carbon_footprint_fabrication_without_gpu + compute * carbon_footprint_fabrication_per_gpu

    @calculated(unit="W")
    def power(gpu_power, compute):
        """Power of one instance at full load: per-GPU power times GPUs."""
        return gpu_power * compute

    @calculated(unit="W")
    def idle_power(gpu_idle_power, compute):
        """Power of one idle instance: per-GPU idle power times GPUs."""
        return gpu_idle_power * compute

    @calculated(unit="GB")
    def ram(ram_per_gpu, compute):
        """Memory of one instance: per-GPU memory times GPUs."""
        return ram_per_gpu * compute
