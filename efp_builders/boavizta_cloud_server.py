"""BoaviztaCloudServer: a cloud server whose hardware facts come from BoaviztAPI (model.md §5).

The user names a provider and an instance type; the instance's embodied carbon, power, RAM and vCPUs
are read from BoaviztAPI's answer for it (``GET /v1/cloud/instance?provider=…&instance_type=…``):

==================================  ===================================  =========
attribute                           answer path                          unit
==================================  ===================================  =========
``carbon_footprint_fabrication``    ``impacts.gwp.embedded.value``       kg
``power``                           ``verbose.avg_power.value``          W
``ram``                             ``verbose.memory.value``             GB
``compute``                         ``verbose.vcpu.value``               cpu_core
==================================  ===================================  =========

**[efp]** These are the figures of the *instance* (e-footprint 9 read the host machine's RAM and
cores, which sized a 2-vCPU instance as a 16-core, 256 GB one). Everything else a server needs
(server type, lifespan, idle power, PUE, carbon intensity, utilization rate, base consumption,
storage) is an ordinary input, with e-footprint 9's defaults.

Where the answers come from
---------------------------
The ``api_call_response`` formula asks the *module-level default backend* of
:mod:`efp_builders.boavizta` (:func:`~efp_builders.boavizta.default_backend`): the BoaviztAPI 2.5.0
table shipped with efp unless configured otherwise. Switch it for a block with
``with using_backend(LiveBoavizta("http://127.0.0.1:5000")): ...`` or for the session with
:func:`~efp_builders.boavizta.set_default_backend`. A value is fetched by the backend in force when the
formula runs (the ``source`` of ``api_call_response`` says which: the table, or the URL called); values
already computed are kept when the backend changes, until an input of the server changes.

The same backend validates ``provider`` (one of its providers) and ``instance_type`` (a lookup of the
instance when the object is created or changed), so that an unknown instance raises
:class:`~efp.errors.UnknownInstanceError` naming it, and an unreachable API raises
:class:`~efp.errors.ExternalDataError`, before anything is written: the model stays as it was.

On a dask cluster formulas run on the workers, each of which has its own default backend. The
embedded backend needs nothing (every worker reads the packaged table on first use). To use a live
BoaviztAPI there, set ``EFP_BOAVIZTA_BACKEND=live`` and ``EFP_BOAVIZTAPI_URL=http://host:port`` in the
workers' environment: a ``using_backend`` block in the client process does not reach them.
"""
from __future__ import annotations

import weakref

from efp import ConditionalChoices, Input, calculated, u
from efp.errors import UnknownInstanceError
from efp.values import ExplainableObject, ExplainableQuantity, Source, Sources
from efp_builders.boavizta import default_backend
from efp_nodes.server_base import ServerBase

#: Answer paths of the four hardware facts (see the module docstring).
EMBEDDED_GWP = ("impacts", "gwp", "embedded", "value")
AVG_POWER = ("verbose", "avg_power", "value")
MEMORY = ("verbose", "memory", "value")
VCPU = ("verbose", "vcpu", "value")

_lists: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


def _cached(key: tuple, fetch):
    """A list asked of the default backend once per backend object (a live one answers over HTTP)."""
    lists = _lists.setdefault(default_backend(), {})
    if key not in lists:
        lists[key] = list(fetch())
    return lists[key]


def providers() -> list[str]:
    """The providers known to the default backend, in its order."""
    return _cached(("providers",), lambda: default_backend().providers())


def instance_types(provider: str) -> list[str]:
    """The instance types of ``provider`` known to the default backend, in its order."""
    return _cached(("instance_types", provider), lambda: default_backend().instance_types(provider))


class InstanceTypesByProvider(ConditionalChoices):
    """``instance_type``'s allowed values per provider, asked of the default backend when needed
    (never at import): ``conditional_list_values()`` lists every provider's, validation one provider's."""

    def __init__(self):
        super().__init__("provider", lambda provider: instance_types(provider) if provider in providers() else None)

    def as_dict(self) -> dict:
        return {provider: instance_types(provider) for provider in providers()}


class BoaviztaAnswer(ExplainableObject):
    """A BoaviztAPI answer (a dict) that prints shortened, as the seed shows it."""

    def __str__(self):
        text = str(self.value)
        return text if len(text) <= 80 else text[:77] + "..."


def _figure(answer: ExplainableObject, path: tuple[str, ...], unit) -> ExplainableQuantity:
    node = answer.value
    for key in path:
        node = node[key]
    return ExplainableQuantity(float(node) * unit, source=answer.source)


class BoaviztaCloudServer(ServerBase):
    """A cloud instance of ``provider`` / ``instance_type``, its hardware facts from BoaviztAPI."""

    input_order = ("provider", "instance_type", "server_type", "lifespan", "idle_power",
                   "power_usage_effectiveness", "average_carbon_intensity", "server_utilization_rate",
                   "base_ram_consumption", "base_compute_consumption", "storage", "fixed_nb_of_instances")

    provider = Input(choices=providers, default="scaleway",
                     doc="Cloud provider, as BoaviztAPI names it.")
    instance_type = Input(text=True, default="dev1-s", conditional_choices=InstanceTypesByProvider(),
                          doc="Instance type of the provider, as BoaviztAPI names it.")
    idle_power = Input("W", 0 * u.W, ge=0, doc="Power of one provisioned instance without load.")
    average_carbon_intensity = Input("kg/kWh", 0.233 * u.kg / u.kWh, ge=0,
                                     doc="Carbon intensity of the electricity the server uses.")

    @classmethod
    def default_values(cls) -> dict:
        """The defaults, in the order of the inputs (provider and instance type first, as the seed prints)."""
        values = super().default_values()
        return {name: values[name] for name in cls.settable() if name in values}

    @classmethod
    def calculated_attributes(cls) -> list[str]:
        """The hardware facts first (they come first in the computation), then the shared server formulas."""
        names = super().calculated_attributes()
        facts = ["api_call_response", "carbon_footprint_fabrication", "power", "ram", "compute"]
        return facts + [name for name in names if name not in facts]

    @classmethod
    def check_inputs(cls, describe: str, values: dict) -> None:
        """The instance must be known to the default backend (one lookup), then the shared rules."""
        provider, instance_type = values.get("provider"), values.get("instance_type")
        if provider is not None and instance_type is not None:
            try:
                default_backend().instance(provider.value, instance_type.value)
            except UnknownInstanceError as error:
                raise UnknownInstanceError(f"{describe}.instance_type: {error}") from None
        super().check_inputs(describe, values)

    @calculated()
    def api_call_response(provider, instance_type):
        """BoaviztAPI's verbose answer for the instance, from the default backend where the formula runs
        (the packaged BoaviztAPI 2.5.0 table unless configured otherwise; see the module docstring)."""
        instance = default_backend().instance(provider.value, instance_type.value)
        return BoaviztaAnswer(instance.response,
                              source=Source(f"BoaviztAPI: {instance.source}", Sources.BOAVIZTAPI.link))

    @calculated(unit="kg")
    def carbon_footprint_fabrication(api_call_response):
        """Embodied carbon of one instance over its whole life: ``impacts.gwp.embedded.value``."""
        return _figure(api_call_response, EMBEDDED_GWP, u.kg)

    @calculated(unit="W")
    def power(api_call_response):
        """Average power of one instance at BoaviztAPI's default load: ``verbose.avg_power.value``."""
        return _figure(api_call_response, AVG_POWER, u.W)

    @calculated(unit="GB")
    def ram(api_call_response):
        """Memory of one instance: ``verbose.memory.value``."""
        return _figure(api_call_response, MEMORY, u.GB)

    @calculated(unit="cpu_core")
    def compute(api_call_response):
        """vCPUs of one instance: ``verbose.vcpu.value``."""
        return _figure(api_call_response, VCPU, u.cpu_core)


__all__ = ["BoaviztaCloudServer", "BoaviztaAnswer", "InstanceTypesByProvider", "instance_types", "providers"]
