"""UsagePattern: who runs a journey, on which devices, network and country, and how often (model.md §2).

A usage pattern's hourly starts are on its country's wall clock; everything downstream is in UTC.
Its devices' footprints live here, so that a usage pattern sits in the "Devices" category like any
hardware.
"""
from __future__ import annotations

from efp import Backlink, Input, Link, ListLink, ModelingObject, Via, calculated, u
from efp.values import EmptyExplainableObject
from efp.values.algebra import total
from efp.values.timeops import concurrency, local_to_utc

ONE_HOUR = 1 * u.hour


class UsagePattern(ModelingObject):
    """A population running a journey: devices, network, country and hourly journey starts."""

    input_order = ("user_journey", "devices", "network", "country", "hourly_user_journey_starts")

    user_journey = Link("UserJourney", aliases=("usage_journey",), doc="The journey run.")
    devices = ListLink("Device", doc="The devices a user runs the journey on.")
    network = Link("Network", doc="The network the journeys' data crosses.")
    country = Link("Country", doc="Where the users are: electricity and wall clock.")
    hourly_user_journey_starts = Input("dimensionless", hourly=True, ge=0,
                                       aliases=("hourly_usage_journey_starts",),
                                       doc="Journeys started each hour, on the country's wall clock.")
    jobs = Via("user_journey.uj_steps[].jobs[]", doc="Every job of the journey, once.")
    systems = Backlink(("System", "usage_patterns[]"))

    @calculated(unit="dimensionless", inputs={"timezone": "country.timezone"})
    def utc_hourly_user_journey_starts(hourly_user_journey_starts, timezone):
        """The starts moved from the country's wall clock to UTC, hour by hour (DST-aware)."""
        return local_to_utc(hourly_user_journey_starts, timezone.value)

    @calculated(unit="dimensionless", inputs={"duration": "user_journey.duration"})
    def nb_user_journeys_in_parallel(utc_hourly_user_journey_starts, duration):
        """Journeys in progress during each hour (the concurrency kernel with the journey's duration)."""
        if duration.magnitude <= 0:
            return EmptyExplainableObject()
        return concurrency(utc_hourly_user_journey_starts, duration)

    @calculated(unit="kWh", inputs={"powers": "devices[].power"})
    def devices_energy(nb_user_journeys_in_parallel, powers):
        """Energy of the devices in use each hour: journeys in progress times the devices' power."""
        return nb_user_journeys_in_parallel * (total(powers) * ONE_HOUR)  # one pass over the hours

    @calculated(unit="kg", inputs={"intensity": "country.average_carbon_intensity"})
    def devices_energy_footprint(devices_energy, intensity):
        """Device energy times the country's carbon intensity."""
        return devices_energy * intensity

    @calculated(unit="kg", inputs={"per_hour": "devices[].fabrication_footprint_per_hour_of_use"})
    def devices_fabrication_footprint(nb_user_journeys_in_parallel, per_hour):
        """Each device's fabrication spread over its hours of use, times the journeys in progress."""
        return nb_user_journeys_in_parallel * total(per_hour)

    @calculated(unit="kg")
    def energy_footprint(devices_energy_footprint):
        """The devices' energy footprint (the usage pattern's "Devices" energy)."""
        return devices_energy_footprint

    @calculated(unit="kg")
    def instances_fabrication_footprint(devices_fabrication_footprint):
        """The devices' fabrication footprint (the usage pattern's "Devices" fabrication)."""
        return devices_fabrication_footprint

    @property
    def utc_hourly_usage_journey_starts(self):
        """e-footprint 9's name of :attr:`utc_hourly_user_journey_starts`."""
        return self.utc_hourly_user_journey_starts

    @property
    def nb_usage_journeys_in_parallel(self):
        """e-footprint 9's name of :attr:`nb_user_journeys_in_parallel`."""
        return self.nb_user_journeys_in_parallel

    @property
    def usage_journey(self):
        """e-footprint 9's name of :attr:`user_journey`."""
        return self.user_journey
