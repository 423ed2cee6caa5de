"""Network: the energy of the data the usage patterns' jobs move (model.md §3)."""
from __future__ import annotations

from efp import Backlink, Input, ModelingObject, archetype, calculated, u
from efp.values import SourceValue, Sources
from efp.values.algebra import total
from efp.values.stacking import weighted_total
from efp.values.timeops import concurrency, shift

KG_PER_KWH = u.kg / u.kWh


class Network(ModelingObject):
    """A network: energy per byte carried, charged at each usage pattern's country intensity."""

    bandwidth_energy_intensity = Input("kWh/GB", 0.1 * u.kWh / u.GB, ge=0, source=Sources.TRAFICOM_STUDY,
                                       doc="Energy to carry one gigabyte.")
    usage_patterns = Backlink(("UsagePattern", "network"))

    @archetype
    def wifi_network(cls, name="Default wifi network", **overrides):
        """A fixed-line (wifi) network: 0.05 kWh/GB."""
        values = dict(bandwidth_energy_intensity=SourceValue(0.05 * u.kWh / u.GB, Sources.TRAFICOM_STUDY))
        values.update(overrides)
        return cls(name, **values)

    @archetype
    def mobile_network(cls, name="Default mobile network", **overrides):
        """A mobile network: 0.12 kWh/GB."""
        values = dict(bandwidth_energy_intensity=SourceValue(0.12 * u.kWh / u.GB, Sources.TRAFICOM_STUDY))
        values.update(overrides)
        return cls(name, **values)

    @calculated(unit="kg", inputs={
        "starts": "usage_patterns[].utc_hourly_user_journey_starts",
        "intensities": "usage_patterns[].country.average_carbon_intensity",
        "journeys": "usage_patterns[].user_journey", "traffic": "usage_patterns[].user_journey.jobs_traffic"})
    def energy_footprint(bandwidth_energy_intensity, starts, intensities, journeys, traffic):
        """Σ over the usage patterns on this network of the data their jobs transfer each hour, times
        the energy per byte, times the usage pattern's country carbon intensity.

        Computed journey by journey: a job's traffic is linear in its journey's starts, so the usage
        patterns of one journey enter as one sum of their starts weighted by their intensities, whose
        jobs' traffic then follows as for a single usage pattern (shifted by each step's offset,
        averaged over the request duration, times the traffic per hour of a request in progress)."""
        groups: dict[int, tuple] = {}  # journey → (its jobs' traffic, its usage patterns' starts, weights)
        for series, intensity, journey, jobs_traffic in zip(starts, intensities, journeys, traffic):
            group = groups.setdefault(id(journey), (jobs_traffic.value, [], []))
            group[1].append(series)
            group[2].append(intensity.magnitude_in(KG_PER_KWH))
        traffic_by_job = []
        for jobs_traffic, journey_starts, weights in groups.values():
            weighted_starts = weighted_total(journey_starts, weights)
            for shifts, duration_hours, rate_gb in jobs_traffic:
                occurrences = total(shift(weighted_starts, hours) for hours in shifts)
                traffic_by_job.append(concurrency(occurrences, duration_hours * u.hour) * (rate_gb * u.GB))
        return total(traffic_by_job) * bandwidth_energy_intensity * KG_PER_KWH
