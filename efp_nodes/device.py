"""Device: an end-user device running the journeys (model.md §3).

A device's footprints live on the usage patterns that use it, which count the devices in use hour by
hour; the device itself spreads its fabrication footprint over its hours of use, once for all of them.
Archetype figures are e-footprint 9's (Base Carbone ADEME v19).
"""
from __future__ import annotations

from efp import Input, ModelingObject, archetype, calculated, u
from efp.values import SourceValue, Sources

_HOURS_PER_DAY = u.hour / u.day
_ONE_HOUR = 1 * u.hour


class Device(ModelingObject):
    """An end-user device: fabrication footprint, power, lifespan and daily hours of use."""

    carbon_footprint_fabrication = Input("kg", 150 * u.kg, ge=0, source=Sources.BASE_ADEME_V19,
                                         doc="Embodied carbon of one device.")
    power = Input("W", 50 * u.W, ge=0, source=Sources.BASE_ADEME_V19, doc="Power while in use.")
    lifespan = Input("year", 6 * u.year, gt=0, doc="How long a device is kept.")
    fraction_of_usage_time = Input("hour/day", 7 * _HOURS_PER_DAY, gt=0, le=24,
                                   doc="Hours of use per day over the device's life (fabrication is "
                                       "spread over those hours).")

    @calculated(unit="kg")
    def fabrication_footprint_per_hour_of_use(carbon_footprint_fabrication, lifespan, fraction_of_usage_time):
        """The fabrication footprint spread over the device's hours of use: fabrication × 1 h /
        (lifespan × hours of use per day)."""
        return carbon_footprint_fabrication * _ONE_HOUR / (lifespan * fraction_of_usage_time)

    @classmethod
    def _archetype(cls, name, fabrication_kg, power_w, lifespan_years, hours_per_day, overrides):
        values = dict(
            carbon_footprint_fabrication=SourceValue(fabrication_kg * u.kg, Sources.BASE_ADEME_V19),
            power=SourceValue(power_w * u.W, Sources.BASE_ADEME_V19),
            lifespan=SourceValue(lifespan_years * u.year, Sources.HYPOTHESIS),
            fraction_of_usage_time=SourceValue(hours_per_day * _HOURS_PER_DAY, Sources.HYPOTHESIS))
        values.update(overrides)
        return cls(name, **values)

    @archetype
    def smartphone(cls, name="Default smartphone", **overrides):
        """30 kg, 1 W, 3 years, 3.6 h a day."""
        return cls._archetype(name, 30, 1, 3, 3.6, overrides)

    @archetype
    def laptop(cls, name="Default laptop", **overrides):
        """156 kg, 50 W, 6 years, 7 h a day."""
        return cls._archetype(name, 156, 50, 6, 7, overrides)

    @archetype
    def box(cls, name="Default box", **overrides):
        """An internet box: 78 kg, 10 W, 6 years, 24 h a day."""
        return cls._archetype(name, 78, 10, 6, 24, overrides)

    @archetype
    def screen(cls, name="Default screen", **overrides):
        """222 kg, 30 W, 6 years, 7 h a day."""
        return cls._archetype(name, 222, 30, 6, 7, overrides)
