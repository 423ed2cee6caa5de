"""System: the usage patterns of a service and its footprint in four categories (model.md §4).

Categories and their objects: ``Servers`` (every server a journey's job runs on), ``Storage`` (their
storages), ``Network`` (the usage patterns' networks, energy only) and ``Devices`` (the usage patterns).
Objects are keyed by identity, never by name: two servers that share a name both count.
Creating a System computes everything it needs, in one transaction.
"""
from __future__ import annotations

from efp import ListLink, ModelingObject, Via, calculated
from efp.values import EmptyExplainableObject
from efp.values.algebra import total
from efp_nodes import system_plots

_JOBS = "usage_patterns[].user_journey.uj_steps[].jobs[]"
CATEGORIES = ("Servers", "Storage", "Network", "Devices")


class System(ModelingObject):
    """A digital service: its usage patterns, and the footprints of everything they use."""

    compute_on_creation = True
    #: per-category and per-object sums after creation and after each change (:mod:`efp_nodes.system_plots`)
    footprint_history = None

    usage_patterns = ListLink("UsagePattern", doc="The usage patterns of the service.")
    servers = Via(f"{_JOBS}.server", f"{_JOBS}.service.server", doc="Servers the journeys' jobs run on.")
    storages = Via(f"{_JOBS}.server.storage", f"{_JOBS}.service.server.storage", doc="Those servers' storages.")
    networks = Via("usage_patterns[].network", doc="The usage patterns' networks.")

    def __init__(self, name: str, *args, **kwargs):
        super().__init__(name, *args, **kwargs)
        #: per-category and per-object sums after creation and after each change (:mod:`efp_nodes.system_plots`)
        self.footprint_history = system_plots.track_footprint_history(self)

    @classmethod
    def _unregistered(cls, name: str, object_id: str, model):
        """A System being loaded from a file: its footprint history starts when the load's transaction ends."""
        system = super()._unregistered(name, object_id, model)
        system.footprint_history = system_plots.track_footprint_history(system)
        return system

    @calculated(unit="kg", inputs={"fabrication": "servers[].instances_fabrication_footprint",
                                   "energy": "servers[].energy_footprint"})
    def servers_footprint(fabrication, energy):
        """The servers' fabrication and energy footprints, summed hour by hour."""
        return total([*fabrication, *energy])

    @calculated(unit="kg", inputs={"fabrication": "storages[].instances_fabrication_footprint",
                                   "energy": "storages[].energy_footprint"})
    def storage_footprint(fabrication, energy):
        """The storages' fabrication and energy footprints, summed hour by hour."""
        return total([*fabrication, *energy])

    @calculated(unit="kg", inputs={"energy": "networks[].energy_footprint"})
    def network_footprint(energy):
        """The networks' energy footprints, summed hour by hour (networks have no fabrication)."""
        return total(energy)

    @calculated(unit="kg", inputs={"fabrication": "usage_patterns[].instances_fabrication_footprint",
                                   "energy": "usage_patterns[].energy_footprint"})
    def devices_footprint(fabrication, energy):
        """The usage patterns' device fabrication and energy footprints, summed hour by hour."""
        return total([*fabrication, *energy])

    @calculated(unit="kg")
    def total_footprint(servers_footprint, storage_footprint, network_footprint, devices_footprint):
        """The four categories' footprints, summed hour by hour (a change to one category's objects
        recomputes that category and this sum, not the others)."""
        return total([servers_footprint, storage_footprint, network_footprint, devices_footprint])

    # ------------------------------------------------------------------ per category and object
    def objects_by_category(self) -> dict[str, list]:
        return {"Servers": self.servers, "Storage": self.storages, "Network": self.networks,
                "Devices": list(self.usage_patterns)}

    @property
    def fabrication_footprints(self) -> dict:
        """Category → object → hourly fabrication footprint (networks: ∅)."""
        return {category: {obj: (EmptyExplainableObject() if category == "Network"
                                 else obj.instances_fabrication_footprint) for obj in objects}
                for category, objects in self.objects_by_category().items()}

    @property
    def energy_footprints(self) -> dict:
        """Category → object → hourly energy footprint."""
        return {category: {obj: obj.energy_footprint for obj in objects}
                for category, objects in self.objects_by_category().items()}

    @staticmethod
    def _sums(footprints: dict) -> dict:
        return {category: {obj: value.sum().to("kg") if value else _zero_kg() for obj, value in by_object.items()}
                for category, by_object in footprints.items()}

    @property
    def fabrication_footprint_sum_over_period(self) -> dict:
        """Category → object → fabrication footprint summed over every hour (kg)."""
        return self._sums(self.fabrication_footprints)

    @property
    def energy_footprint_sum_over_period(self) -> dict:
        """Category → object → energy footprint summed over every hour (kg)."""
        return self._sums(self.energy_footprints)

    @property
    def total_fabrication_footprint_sum_over_period(self) -> dict:
        """Category → fabrication footprint summed over objects and hours (kg)."""
        return {c: sum(by_object.values(), _zero_kg()).set_label(f"{c} fabrication footprint over the period")
                for c, by_object in self.fabrication_footprint_sum_over_period.items()}

    @property
    def total_energy_footprint_sum_over_period(self) -> dict:
        """Category → energy footprint summed over objects and hours (kg)."""
        return {c: sum(by_object.values(), _zero_kg()).set_label(f"{c} energy footprint over the period")
                for c, by_object in self.energy_footprint_sum_over_period.items()}

    # ------------------------------------------------------------------ charts (bokeh, loaded when drawing)
    def plot_footprints_by_category_and_object(self, filepath=None, notebook=None):
        """Fabrication and energy per category, stacked by object, with totals and shares (.html or .png)."""
        return system_plots.plot_footprints_by_category_and_object(self, filepath, notebook=notebook)

    def plot_emission_diffs(self, filepath=None, from_start: bool = False, notebook=None):
        """Footprints per category and phase before and after the last change (or all changes: ``from_start``)."""
        return system_plots.plot_emission_diffs(self, filepath, from_start=from_start, notebook=notebook)


def _zero_kg():
    from efp import ExplainableQuantity, u
    return ExplainableQuantity(0 * u.kg, label="no footprint")
