"""Network: the energy of the data the usage patterns' jobs move (model.md §3)."""
from __future__ import annotations

from efp import Backlink, Input, ModelingObject, archetype, calculated, u
from efp.values import EmptyExplainableObject, SourceValue, Sources
from efp.values.stacking import weighted_row_sum

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

    @calculated(unit="kg", inputs={"usage_patterns": "usage_patterns",
                                   "intensities": "usage_patterns[].country.average_carbon_intensity",
                                   "data": "usage_patterns[].jobs[].hourly_data_transferred_per_usage_pattern"})
    def energy_footprint(bandwidth_energy_intensity, usage_patterns, intensities, data):
        """Σ over the usage patterns on this network of the data their jobs transfer each hour,
        times the energy per byte, times the usage pattern's country carbon intensity."""
        weights = {up.id: float(i.value.to(KG_PER_KWH).magnitude) for up, i in zip(usage_patterns, intensities)}
        result = EmptyExplainableObject()
        seen = set()
        for per_pattern in data:
            if id(per_pattern) in seen:  # a job shared by several usage patterns is listed once per pattern
                continue
            seen.add(id(per_pattern))
            result = result + weighted_row_sum(per_pattern, weights)
        return result * bandwidth_energy_intensity * KG_PER_KWH
