"""What every kind of server shares: capacity, instance counts and footprints (model.md §3).

A server's jobs are the jobs that name it plus the jobs of the services installed on it. Hour by hour
their concurrent requests need RAM and compute; each instance offers its capacity times the
utilization rate, minus what the server and its services occupy. Concrete classes (:class:`Server`,
:class:`GPUServer`, builders' cloud servers) give the hardware facts: ``carbon_footprint_fabrication``,
``power``, ``idle_power``, ``ram`` and ``compute``, as inputs or as calculated attributes.
"""
from __future__ import annotations

from efp import Backlink, ConditionalChoices, Input, Link, ModelingObject, calculated, u
from efp.errors import CapacityError
from efp.values import EmptyExplainableObject
from efp.values.algebra import total
from efp.values.timeops import ceil, constant_like, maximum
from efp_nodes.server_types import AUTOSCALING, ON_PREMISE, SERVER_TYPES, SERVERLESS
from efp_nodes.storage import Storage

ONE_HOUR = 1 * u.hour

FIXED_INSTANCES_ONLY_ON_PREMISE = ConditionalChoices(
    "server_type", {AUTOSCALING: [EmptyExplainableObject()], SERVERLESS: [EmptyExplainableObject()]})


def _available(capacity, rate, occupied, server, resource):
    available = capacity * rate - occupied
    if available <= 0:
        raise CapacityError(
            f"{server}: no {resource} left for jobs: {resource} {capacity} x utilization rate {rate} "
            f"= {capacity * rate} per instance, but the server and its services occupy {occupied}; "
            f"raise {resource} or the utilization rate, or lower the base consumption")
    return available


class ServerBase(ModelingObject):
    """Shared inputs and formulas of servers (see the module docstring)."""

    server_type = Input(choices=SERVER_TYPES, default=AUTOSCALING, doc="How instances are provisioned.")
    lifespan = Input("year", 6 * u.year, gt=0, doc="How long a server is used before it is replaced.")
    power_usage_effectiveness = Input("dimensionless", 1.2, ge=1,
                                      doc="Data centre energy over IT energy (PUE).")
    average_carbon_intensity = Input("g/kWh", 100 * u.g / u.kWh, ge=0,
                                     doc="Carbon intensity of the electricity the server uses.")
    server_utilization_rate = Input("dimensionless", 0.9, gt=0, le=1,
                                    doc="Share of an instance's capacity jobs may use.")
    base_ram_consumption = Input("GB", 0 * u.GB, ge=0, doc="RAM the server itself occupies on each instance.")
    base_compute_consumption = Input("cpu_core", 0 * u.cpu_core, ge=0, aliases=("base_cpu_consumption",),
                                     doc="Compute the server itself occupies on each instance.")
    storage = Link(Storage, default_factory=lambda: Storage.ssd(), doc="The server's own storage.")
    fixed_nb_of_instances = Input("dimensionless", None, ge=0, optional=True,
                                  conditional_choices=FIXED_INSTANCES_ONLY_ON_PREMISE,
                                  doc="On-premise only: the number of instances of the fleet.")

    installed_services = Backlink(("Service", "server"))
    jobs = Backlink(("Job", "server"), ("ServiceJob", "service.server"))

    @calculated(unit="GB", inputs={"occurrences": "jobs[].hourly_avg_occurrences_across_usage_patterns",
                                   "ram_needed": "jobs[].ram_needed"})
    def hour_by_hour_ram_need(occurrences, ram_needed):
        """RAM the jobs need each hour: concurrent requests times each request's RAM."""
        return total(o * r for o, r in zip(occurrences, ram_needed))

    @calculated(inputs={"occurrences": "jobs[].hourly_avg_occurrences_across_usage_patterns",
                        "compute_needed": "jobs[].compute_needed"})
    def hour_by_hour_compute_need(occurrences, compute_needed, compute):
        """Compute the jobs need each hour: concurrent requests times each request's compute (in the
        unit of the server's compute: cpu_core, or gpu for a GPU server)."""
        return total(o * c for o, c in zip(occurrences, compute_needed)).to(compute.unit)

    @calculated(unit="GB", inputs={"services": "installed_services[].base_ram_consumption"})
    def occupied_ram_per_instance(base_ram_consumption, services):
        """RAM taken on each instance before any job: the server's own and its services'."""
        return base_ram_consumption + total(services)

    @calculated(inputs={"services": "installed_services[].base_compute_consumption"})
    def occupied_compute_per_instance(base_compute_consumption, services, compute):
        """Compute taken on each instance before any job: the server's own and its services'."""
        return (base_compute_consumption + total(services)).to(compute.unit)

    @calculated(unit="GB", inputs={"server": "self"})
    def available_ram_per_instance(ram, server_utilization_rate, occupied_ram_per_instance, server):
        """RAM left for jobs on each instance; a capacity error when none is left."""
        return _available(ram, server_utilization_rate, occupied_ram_per_instance, server, "ram")

    @calculated(inputs={"server": "self"})
    def available_compute_per_instance(compute, server_utilization_rate, occupied_compute_per_instance, server):
        """Compute left for jobs on each instance; a capacity error when none is left."""
        return _available(compute, server_utilization_rate, occupied_compute_per_instance, server,
                          "compute").to(compute.unit)

    @calculated(unit="dimensionless")
    def raw_nb_of_instances(hour_by_hour_ram_need, available_ram_per_instance, hour_by_hour_compute_need,
                            available_compute_per_instance):
        """Fractional instances the jobs need each hour: the larger of the RAM and compute ratios."""
        by_ram = hour_by_hour_ram_need / available_ram_per_instance
        by_compute = hour_by_hour_compute_need / available_compute_per_instance
        if isinstance(by_ram, EmptyExplainableObject) or isinstance(by_compute, EmptyExplainableObject):
            return by_compute if isinstance(by_ram, EmptyExplainableObject) else by_ram
        return maximum(by_ram.to(u.dimensionless), by_compute.to(u.dimensionless))

    @calculated(unit="dimensionless", inputs={"server": "self"})
    def nb_of_instances(raw_nb_of_instances, server_type, fixed_nb_of_instances, server):
        """Instances provisioned each hour: autoscaling rounds up, serverless keeps the fraction,
        on-premise keeps a constant fleet sized for the peak (or the fixed number given)."""
        if isinstance(raw_nb_of_instances, EmptyExplainableObject):
            return raw_nb_of_instances
        raw = raw_nb_of_instances.to(u.dimensionless)
        if server_type.value == AUTOSCALING:
            return ceil(raw)
        if server_type.value == SERVERLESS:
            return raw
        peak = float(ceil(raw).magnitude.max())
        if isinstance(fixed_nb_of_instances, EmptyExplainableObject):
            return constant_like(raw, peak, u.dimensionless)
        fixed = float(fixed_nb_of_instances)
        if peak > fixed:
            raise CapacityError(f"{server}: needs {peak:.0f} instances at its peak hour but "
                                f"fixed_nb_of_instances is {fixed:g}; raise it or leave it empty")
        return constant_like(raw, fixed, u.dimensionless)

    @calculated(unit="kg")
    def instances_fabrication_footprint(carbon_footprint_fabrication, nb_of_instances, lifespan):
        """Embodied carbon of the instances, spread evenly over their lifespan, hour by hour."""
        return carbon_footprint_fabrication * nb_of_instances * ONE_HOUR / lifespan

    @calculated(unit="kWh")
    def instances_energy(idle_power, power, power_usage_effectiveness, nb_of_instances, raw_nb_of_instances):
        """Every provisioned instance idles; load draws in proportion to demand; times the PUE."""
        return (idle_power * nb_of_instances + (power - idle_power) * raw_nb_of_instances) \
            * power_usage_effectiveness * ONE_HOUR

    @calculated(unit="kg")
    def energy_footprint(instances_energy, average_carbon_intensity):
        """Energy times the carbon intensity of the server's own electricity."""
        return instances_energy * average_carbon_intensity


__all__ = ["ServerBase", "ON_PREMISE"]
