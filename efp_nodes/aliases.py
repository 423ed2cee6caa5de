"""The seed's and e-footprint 9's spellings of efp_nodes names.

- ``Autoscaling(...)``, ``OnPremise(...)``, ``Serverless(...)``: a :class:`Server` of that type (the seed's
  last cells, with ``cpu_cores`` and ``base_cpu_consumption``).
- ``default_laptop()``, ``default_ssd()``, ...: the archetypes.
- ``UsageJourney``, ``UsageJourneyStep``, ``Hardware``: e-footprint 9's class names (the same classes).
"""
from __future__ import annotations

from efp_nodes.device import Device
from efp_nodes.server import Server
from efp_nodes.server_types import ServerTypes
from efp_nodes.storage import Storage
from efp_nodes.user_journey import UserJourney
from efp_nodes.user_journey_step import UserJourneyStep

UsageJourney = UserJourney
UsageJourneyStep = UserJourneyStep
Hardware = Device

#: Classes left out of a usage pattern's object relationship graph, as the seed draws it.
USAGE_PATTERN_VIEW_CLASSES_TO_IGNORE = ("Network", "Device", "Country", "Storage")


def Autoscaling(name: str, *args, **kwargs) -> Server:  # noqa: N802 (the seed's class-like name)
    """An autoscaling :class:`Server`."""
    return Server(name, ServerTypes.autoscaling(), *args, **kwargs)


def OnPremise(name: str, *args, **kwargs) -> Server:  # noqa: N802
    """An on-premise :class:`Server`."""
    return Server(name, ServerTypes.on_premise(), *args, **kwargs)


def Serverless(name: str, *args, **kwargs) -> Server:  # noqa: N802
    """A serverless :class:`Server`."""
    return Server(name, ServerTypes.serverless(), *args, **kwargs)


def default_laptop(name: str = "Default laptop", **overrides) -> Device:
    return Device.laptop(name, **overrides)


def default_smartphone(name: str = "Default smartphone", **overrides) -> Device:
    return Device.smartphone(name, **overrides)


def default_box(name: str = "Default box", **overrides) -> Device:
    return Device.box(name, **overrides)


def default_screen(name: str = "Default screen", **overrides) -> Device:
    return Device.screen(name, **overrides)


def default_ssd(name: str = "Default SSD storage", **overrides) -> Storage:
    return Storage.ssd(name, **overrides)


def default_hdd(name: str = "Default HDD storage", **overrides) -> Storage:
    return Storage.hdd(name, **overrides)
