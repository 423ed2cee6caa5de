"""Server: a server whose hardware facts are given as inputs (model.md §3)."""
from __future__ import annotations

from efp import Input, u
from efp_nodes.server_base import ServerBase


class Server(ServerBase):
    """A server with given fabrication footprint, power, RAM and compute per instance."""

    input_order = ("server_type", "carbon_footprint_fabrication", "power", "lifespan", "idle_power", "ram",
                   "compute", "power_usage_effectiveness", "average_carbon_intensity", "server_utilization_rate",
                   "base_ram_consumption", "base_compute_consumption", "storage", "fixed_nb_of_instances")

    carbon_footprint_fabrication = Input("kg", 600 * u.kg, ge=0, doc="Embodied carbon of one instance.")
    power = Input("W", 300 * u.W, ge=0, doc="Power of one instance at full load.")
    idle_power = Input("W", 50 * u.W, ge=0, doc="Power of one provisioned instance without load.")
    ram = Input("GB", 128 * u.GB, gt=0, doc="RAM of one instance.")
    compute = Input("cpu_core", 24 * u.cpu_core, gt=0, aliases=("cpu_cores",), doc="CPU cores of one instance.")
