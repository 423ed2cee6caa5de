"""Storage: the disks behind a server, sized hour by hour by the data its jobs keep (model.md §3)."""
from __future__ import annotations

import math

import numpy as np

from efp import Backlink, Input, ModelingObject, archetype, calculated, u
from efp.errors import CapacityError, StorageError
from efp.values import EmptyExplainableObject, SourceValue, Sources
from efp.values.algebra import total
from efp.values.timeops import ceil, constant_like, cumsum, maximum, minimum, shift

ONE_HOUR = 1 * u.hour


def _first(values):
    """The one value a storage takes from its server, ``∅`` when it has none."""
    return values[0] if values else EmptyExplainableObject()


def _absolute(series):
    return series if isinstance(series, EmptyExplainableObject) else abs(series)


class Storage(ModelingObject):
    """Disks of one server: fabrication per capacity, power per capacity, retention of stored data."""

    input_order = ("carbon_footprint_fabrication_per_storage_capacity", "power_per_storage_capacity",
                   "lifespan", "idle_power", "storage_capacity", "data_replication_factor",
                   "data_storage_duration", "base_storage_need", "fixed_nb_of_instances")

    carbon_footprint_fabrication_per_storage_capacity = Input(
        "kg/TB", 160 * u.kg / u.TB, ge=0, source=Sources.STORAGE_EMBODIED_CARBON_STUDY,
        doc="Embodied carbon of the disks per unit of capacity.")
    power_per_storage_capacity = Input(
        "W/TB", 1.3 * u.W / u.TB, ge=0, source=Sources.STORAGE_EMBODIED_CARBON_STUDY,
        doc="Power drawn by an active disk per unit of capacity.")
    lifespan = Input("year", 6 * u.year, gt=0, doc="How long a disk is used before it is replaced.")
    idle_power = Input("W", 0 * u.W, ge=0, doc="Power drawn by a provisioned disk that is not active.")
    storage_capacity = Input("TB", 1 * u.TB, gt=0, source=Sources.STORAGE_EMBODIED_CARBON_STUDY,
                             doc="Capacity of one storage instance (one disk).")
    data_replication_factor = Input("dimensionless", 3, ge=1, doc="How many copies of each byte are kept.")
    data_storage_duration = Input("year", 5 * u.year, gt=0,
                                  doc="Retention: data written at hour h is deleted at h + this duration.")
    base_storage_need = Input("TB", 0 * u.TB, ge=0, doc="Data already stored before the modelled period.")
    fixed_nb_of_instances = Input("dimensionless", None, ge=0, optional=True,
                                  doc="A fixed number of disks; by default the need decides.")

    server = Backlink(("ServerBase", "storage"), at_most=1,
                      doc="a storage belongs to exactly one server; give each server its own storage")

    @archetype
    def ssd(cls, name="Default SSD storage", **overrides):
        """A solid-state disk with the defaults above (Tannu & Nair's embodied carbon figures)."""
        return cls.from_defaults(name, **overrides)

    @archetype
    def hdd(cls, name="Default HDD storage", **overrides):
        """A hard disk: lower embodied carbon per TB, higher power, shorter life (e-footprint 9's HDD;
        the seed prints these figures "per gigabyte", a unit slip: they are per terabyte)."""
        defaults = dict(
            carbon_footprint_fabrication_per_storage_capacity=SourceValue(20 * u.kg / u.TB, Sources.HYPOTHESIS),
            power_per_storage_capacity=SourceValue(4.2 * u.W / u.TB, Sources.HYPOTHESIS),
            lifespan=SourceValue(4 * u.year, Sources.HYPOTHESIS))
        defaults.update(overrides)
        return cls.from_defaults(name, **defaults)

    @calculated(unit="kg")
    def carbon_footprint_fabrication(carbon_footprint_fabrication_per_storage_capacity, storage_capacity):
        """Embodied carbon of one storage instance: per-capacity figure times capacity."""
        return carbon_footprint_fabrication_per_storage_capacity * storage_capacity

    @calculated(unit="W")
    def power(power_per_storage_capacity, storage_capacity):
        """Power of one active storage instance: per-capacity figure times capacity."""
        return power_per_storage_capacity * storage_capacity

    @calculated(unit="TB", inputs={"stored": "server[].jobs[].hourly_data_stored_across_usage_patterns",
                                   "per_request": "server[].jobs[].data_stored"})
    def storage_needed(stored, per_request, data_replication_factor):
        """Replicated data written per hour by the jobs that store data (data_stored >= 0)."""
        written = total(s for s, amount in zip(stored, per_request) if amount >= 0)
        return written * data_replication_factor

    @calculated(unit="TB", inputs={"stored": "server[].jobs[].hourly_data_stored_across_usage_patterns",
                                   "per_request": "server[].jobs[].data_stored"})
    def storage_freed(stored, per_request, data_replication_factor):
        """Replicated data deleted per hour by the jobs that delete data (data_stored < 0); <= 0."""
        deleted = total(s for s, amount in zip(stored, per_request) if amount < 0)
        return deleted * data_replication_factor

    @calculated(unit="TB")
    def automatic_storage_dumps_after_storage_duration(storage_needed, data_storage_duration):
        """Data written at hour h is deleted at h + ceil(retention in hours), within the need's span."""
        if isinstance(storage_needed, EmptyExplainableObject):
            return storage_needed
        hours = math.ceil(data_storage_duration.value.to(u.hour).magnitude - 1e-9)
        dumps = -shift(storage_needed, hours)
        span = constant_like(storage_needed, 0.0, storage_needed.unit)
        values = span.magnitude.copy()
        if hours < len(storage_needed):
            values[..., hours:] = dumps.magnitude[..., :len(storage_needed) - hours]
        return span._with(span.data_array.copy(deep=False, data=values), unit=storage_needed.unit)

    @calculated(unit="TB")
    def storage_delta(storage_needed, storage_freed, automatic_storage_dumps_after_storage_duration):
        """Net change of the stored data each hour: written, deleted by jobs, dumped after retention."""
        return storage_needed + storage_freed + automatic_storage_dumps_after_storage_duration

    @calculated(unit="TB", inputs={"storage": "self"})
    def full_cumulative_storage_need(storage_delta, base_storage_need, storage):
        """Data stored at each hour: the running total of the deltas plus the base need."""
        if isinstance(storage_delta, EmptyExplainableObject):
            return storage_delta
        need = cumsum(storage_delta) + base_storage_need
        values = need.magnitude
        lowest = float(values.min())
        if lowest < -1e-9 * max(float(np.abs(values).max()), 1.0):
            hour = need.data_array["time"].values[int(values.argmin())]
            raise StorageError(f"{storage}: more data deleted than stored: the cumulative need reaches "
                               f"{lowest:.6g} {need.unit} at {str(hour)[:16]} UTC; check the jobs that delete "
                               f"data (negative data_stored) and base_storage_need")
        return need

    @calculated(unit="dimensionless")
    def raw_nb_of_instances(full_cumulative_storage_need, storage_capacity):
        """Storage instances needed, fractional: stored data over the capacity of one instance."""
        return full_cumulative_storage_need / storage_capacity

    @calculated(unit="dimensionless", inputs={"storage": "self"})
    def nb_of_instances(raw_nb_of_instances, fixed_nb_of_instances, storage):
        """Whole storage instances each hour, or the fixed number when one is given."""
        if isinstance(raw_nb_of_instances, EmptyExplainableObject):
            return raw_nb_of_instances
        needed = ceil(raw_nb_of_instances.to(u.dimensionless))
        if isinstance(fixed_nb_of_instances, EmptyExplainableObject):
            return needed
        fixed = float(fixed_nb_of_instances)
        peak = float(needed.magnitude.max())
        if peak > fixed:
            raise CapacityError(f"{storage}: needs {peak:.0f} instances at its peak hour but "
                                f"fixed_nb_of_instances is {fixed:g}; raise it or leave it empty")
        return constant_like(needed, fixed, u.dimensionless)

    @calculated(unit="dimensionless")
    def nb_of_active_instances(storage_needed, storage_freed, automatic_storage_dumps_after_storage_duration,
                               storage_capacity, nb_of_instances):
        """Instances busy writing or deleting each hour, at most every instance."""
        if isinstance(nb_of_instances, EmptyExplainableObject):
            return nb_of_instances
        needed, freed = _absolute(storage_needed), _absolute(storage_freed)
        dumps = _absolute(automatic_storage_dumps_after_storage_duration)
        if isinstance(needed, EmptyExplainableObject) or isinstance(freed, EmptyExplainableObject):
            busiest = needed + freed  # one of them is ∅: the other one
        else:
            busiest = maximum(needed, freed)
        active = (busiest + dumps) / storage_capacity
        return minimum(active.to(u.dimensionless), nb_of_instances)

    @calculated(unit="kg")
    def instances_fabrication_footprint(carbon_footprint_fabrication, nb_of_instances, lifespan):
        """Embodied carbon of the instances, spread evenly over their lifespan, hour by hour."""
        return carbon_footprint_fabrication * nb_of_instances * ONE_HOUR / lifespan

    @calculated(unit="kWh", inputs={"pue": "server[].power_usage_effectiveness"})
    def instances_energy(nb_of_active_instances, nb_of_instances, power, idle_power, pue):
        """Active instances draw full power, the others idle power; times the server's PUE."""
        if isinstance(nb_of_instances, EmptyExplainableObject):
            return nb_of_instances
        draw = nb_of_active_instances * power + (nb_of_instances - nb_of_active_instances) * idle_power
        return draw * _first(pue) * ONE_HOUR

    @calculated(unit="kg", inputs={"intensity": "server[].average_carbon_intensity"})
    def energy_footprint(instances_energy, intensity):
        """Energy times the carbon intensity of the server's electricity."""
        return instances_energy * _first(intensity)
