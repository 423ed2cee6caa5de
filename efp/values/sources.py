"""Where a value comes from: :class:`Source` and the catalogue :class:`Sources`."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """A named origin of an input value, with an optional link to the document behind it."""

    name: str
    link: str | None = None

    def __str__(self) -> str:
        return self.name if not self.link else f"{self.name} ({self.link})"


class Sources:
    """The sources the footprint model's defaults and the seed quickstart cite."""

    USER_DATA = Source("user data")
    HYPOTHESIS = Source("hypothesis")
    BASE_ADEME_V19 = Source("Base Carbone ADEME v19", "https://base-empreinte.ademe.fr/")
    TRAFICOM_STUDY = Source(
        "Traficom study on the energy consumption of Finnish communications networks",
        "https://www.traficom.fi/en/")
    STORAGE_EMBODIED_CARBON_STUDY = Source(
        "Tannu & Nair, The dirty secret of SSDs: embodied carbon (HotCarbon 2022)",
        "https://arxiv.org/abs/2207.10793")
    ARCEP_2022_MOBILE_NETWORK_STUDY = Source(
        "ARCEP 2022, Pour un numérique soutenable (mobile network energy intensity)",
        "https://www.arcep.fr/")
    BOAVIZTAPI = Source("BoaviztAPI", "https://github.com/Boavizta/boaviztapi")
    ECOBENCHMARK = Source(
        "Boavizta ecobenchmark-applicationweb-backend, 2022-06-28 campaign",
        "https://github.com/Boavizta/ecobenchmark-applicationweb-backend")
    ECOLOGITS = Source("EcoLogits model repository and methodology", "https://ecologits.ai/")
    EFOOTPRINT = Source("e-footprint 9.0.0 (Boavizta)", "https://github.com/Boavizta/e-footprint")

    @classmethod
    def all(cls) -> list[Source]:
        """Every source of the catalogue, in declaration order."""
        return [value for value in vars(cls).values() if isinstance(value, Source)]

    @classmethod
    def by_name(cls, name: str, link: str | None = None) -> Source:
        """The catalogue source with that name, or a new :class:`Source`."""
        for source in cls.all():
            if source.name == name:
                return source
        return Source(name, link)
