"""Country and the catalogue ``Countries`` (model.md §3; data in ``efp_nodes/data/countries.csv``)."""
from __future__ import annotations

from efp import Input, ModelingObject, u
from efp.values import SourceObject, SourceValue, Source
from efp_nodes.country_data import attribute_name, country_row, load_country_rows


class Country(ModelingObject):
    """A country: the carbon intensity of its electricity and its time zone."""

    short_name = Input(text=True, default="", doc="ISO 3166-1 alpha-3 code.")
    average_carbon_intensity = Input("g/kWh", 50 * u.g / u.kWh, ge=0,
                                     doc="Average carbon intensity of the country's electricity.")
    timezone = Input(timezone=True, default="UTC", doc="IANA time zone of the country's wall clock.")


def country(name_or_code: str) -> Country:
    """A new :class:`Country` from the packaged table, by name, accessor name or ISO code."""
    row = country_row(name_or_code)
    source = Source(row.source)
    return Country(row.name, short_name=SourceObject(row.short_name, source),
                   average_carbon_intensity=SourceValue(row.average_carbon_intensity_g_per_kwh * u.g / u.kWh,
                                                        source),
                   timezone=SourceObject(row.timezone, source))


class _CountriesMeta(type):
    def __getattr__(cls, name):
        if name.startswith("_"):
            raise AttributeError(name)
        row = country_row(name)
        factory = lambda: country(row.short_name)  # noqa: E731  a new object per call, like e-footprint
        factory.__name__ = attribute_name(row)
        factory.__doc__ = f"{row.name}: {row.average_carbon_intensity_g_per_kwh:g} g/kWh, {row.timezone}."
        return factory

    def __dir__(cls):
        return sorted(attribute_name(row) for row in load_country_rows())


class Countries(metaclass=_CountriesMeta):
    """Every country of the packaged table: ``Countries.FRANCE()`` makes a new France object.

    e-footprint 9's sixteen countries keep its intensities; the others come from a cited dataset
    (see ``efp_nodes/data/README.md``).
    """

    @staticmethod
    def names() -> list[str]:
        return [attribute_name(row) for row in load_country_rows()]
