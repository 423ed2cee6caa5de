"""Device (model.md §3): its inputs, and its fabrication spread over its hours of use (its footprints live
on the usage patterns that use it)."""
import numpy as np
import pytest

from efp import ValidationError
from efp_nodes import Device, System

from nodes_helpers import T0, assert_hourly, assert_quantity, q, usage_pattern_of

ARCHETYPES = {  # name: (kg, W, years, hours a day)
    "smartphone": (30, 1, 3, 3.6), "laptop": (156, 50, 6, 7), "box": (78, 10, 6, 24), "screen": (222, 30, 6, 7)}


def test_inputs_and_the_fabrication_per_hour_of_use():
    assert Device.calculated_attributes() == ["fabrication_footprint_per_hour_of_use"]
    assert [n for n in Device.settable()] == ["carbon_footprint_fabrication", "power", "lifespan",
                                              "fraction_of_usage_time"]


def test_fabrication_per_hour_of_use_spreads_fabrication_over_the_hours_of_use(model):
    laptop = Device.laptop()
    per_hour = laptop.fabrication_footprint_per_hour_of_use  # 156 kg over 6 years of 7 hours a day
    assert per_hour.value.to("kg").magnitude == pytest.approx(156 / (6 * 365.25 * 7), rel=1e-12)


def test_default_values():
    defaults = Device.default_values()
    assert_quantity(defaults["carbon_footprint_fabrication"], 150, "kg")
    assert_quantity(defaults["power"], 50, "W")
    assert_quantity(defaults["lifespan"], 6, "year")
    assert_quantity(defaults["fraction_of_usage_time"], 7, "hour/day")


@pytest.mark.parametrize("name", list(ARCHETYPES))
def test_archetypes(model, name):
    kg, watts, years, hours = ARCHETYPES[name]
    device = getattr(Device, name)()
    assert device.name == f"Default {name}"
    assert_quantity(device.carbon_footprint_fabrication, kg, "kg")
    assert_quantity(device.power, watts, "W")
    assert_quantity(device.lifespan, years, "year")
    assert_quantity(device.fraction_of_usage_time, hours, "hour/day")


def test_archetype_list_and_overrides(model):
    assert Device.archetypes() == [Device.smartphone, Device.laptop, Device.box, Device.screen]
    device = Device.laptop("My laptop", power=q(30, "W"))
    assert device.name == "My laptop"
    assert_quantity(device.power, 30, "W")
    assert_quantity(device.carbon_footprint_fabrication, 156, "kg")


def test_fraction_of_usage_time_is_at_most_a_day(model):
    with pytest.raises(ValidationError, match="fraction_of_usage_time"):
        Device("phone", fraction_of_usage_time=q(25, "hour/day"))


def test_footprint_of_a_device_lives_on_its_usage_pattern(model):
    laptop = Device.laptop()
    up = usage_pattern_of("up", [(60, [])], [2, 4], devices=[laptop])
    System("system", usage_patterns=[up])
    per_hour_kg = 156 / (6 * 365.25 * 7)  # fabrication spread over the hours of use
    assert_hourly(up.devices_fabrication_footprint, np.array([2, 4]) * per_hour_kg, T0, "kg")
    laptop.power = q(20, "W")
    assert_hourly(up.devices_energy, np.array([2, 4]) * 20 / 1000, T0, "kWh")


def test_print_shows_the_inputs(model):
    lines = str(Device.smartphone()).splitlines()
    assert lines[0].startswith("Device ")
    assert "name: Default smartphone" in lines
    assert "power: 1 watt" in lines
    assert "lifespan: 3 year" in lines
