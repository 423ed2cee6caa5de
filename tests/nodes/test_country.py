"""Country and Countries (model.md §3): e-footprint 9's sixteen countries, their intensities and zones."""
import zoneinfo

import pytest

from efp import ValidationError
from efp_nodes import Countries, Country

from nodes_helpers import assert_quantity

SIXTEEN = [  # accessor, name, alpha-3, g CO2eq/kWh, IANA zone
    ("FRANCE", "France", "FRA", 85, "Europe/Paris"),
    ("GERMANY", "Germany", "DEU", 386, "Europe/Berlin"),
    ("FINLAND", "Finland", "FIN", 132, "Europe/Helsinki"),
    ("AUSTRIA", "Austria", "AUT", 158, "Europe/Vienna"),
    ("POLAND", "Poland", "POL", 635, "Europe/Warsaw"),
    ("NORWAY", "Norway", "NOR", 26, "Europe/Oslo"),
    ("HUNGARY", "Hungary", "HUN", 223, "Europe/Budapest"),
    ("UNITED_KINGDOM", "United Kingdom", "GBR", 268, "Europe/London"),
    ("BELGIUM", "Belgium", "BEL", 165, "Europe/Brussels"),
    ("ITALY", "Italy", "ITA", 371, "Europe/Rome"),
    ("ROMANIA", "Romania", "ROU", 264, "Europe/Bucharest"),
    ("MALAYSIA", "Malaysia", "MYS", 549, "Asia/Kuala_Lumpur"),
    ("MOROCCO", "Morocco", "MAR", 610, "Africa/Casablanca"),
    ("TUNISIA", "Tunisia", "TUN", 468, "Africa/Tunis"),
    ("ALGERIA", "Algeria", "DZA", 488, "Africa/Algiers"),
    ("SENEGAL", "Senegal", "SEN", 503, "Africa/Dakar"),
]


@pytest.mark.parametrize("accessor, name, code, intensity, zone", SIXTEEN)
def test_the_sixteen_efootprint_countries(model, accessor, name, code, intensity, zone):
    country = getattr(Countries, accessor)()
    assert isinstance(country, Country)
    assert country.name == name
    assert country.short_name.value == code
    assert_quantity(country.average_carbon_intensity, intensity, "g/kWh")
    assert country.timezone.value == zone
    zoneinfo.ZoneInfo(country.timezone.value)


def test_names_start_with_the_sixteen():
    assert Countries.names()[:16] == [accessor for accessor, *_ in SIXTEEN]


def test_each_call_makes_a_new_object(model):
    first, second = Countries.FRANCE(), Countries.FRANCE()
    assert first is not second and first.id != second.id


def test_inputs_only_and_defaults():
    assert Country.calculated_attributes() == []
    assert Country.default_values()["timezone"].value == "UTC"


def test_unknown_country_and_unknown_time_zone(model):
    with pytest.raises((AttributeError, ValidationError)):
        Countries.ATLANTIS()
    with pytest.raises(ValidationError) as error:
        Country("Nowhere", timezone="Mars/Olympus_Mons")
    message = str(error.value)
    assert "Country 'Nowhere'" in message and "timezone" in message and "Mars/Olympus_Mons" in message
    assert "IANA" in message
