"""Declarations: defaults, archetypes, allowed values, printing, constructor binding, and refusals
with messages a user can act on."""
from __future__ import annotations

import math

import numpy as np
import pytest

from efp import (EmptyExplainableObject, GraphCycleError, Input, Link, LinkError, ListLink, ModelingObject,
                 SourceHourlyValues, SourceObject, SourceValue, Sources, UnitDimensionError, ValidationError,
                 calculated, u)

import toy
from engine_checks import snapshot, snapshot_differences


class DeclHolder(ModelingObject):
    """A class with a required link, for the 'missing input' messages."""

    part = Link("Part", doc="The part it holds.")
    grip = Input("N", doc="Grip force; no default.")


# ---------------------------------------------------------------- defaults and archetypes
def test_default_values_read_the_declarations(model):
    defaults = toy.Part.default_values()
    assert set(defaults) == {"weight", "count"}
    assert defaults["weight"].value == 1 * u.kg and defaults["count"].magnitude == 1
    assert defaults["weight"].source == Sources.HYPOTHESIS
    assert toy.Part.default_values()["weight"] is not defaults["weight"]      # a fresh value each time
    gadget = toy.Gadget.default_values()
    assert gadget["material"] == "steel" and gadget["timezone"] == "Europe/Paris"
    assert gadget["lifespan"].value == 5 * u.year
    assert "extra" not in gadget                                                 # optional, no default


def test_from_defaults_and_overrides(model):
    part = toy.Part.from_defaults("p", count=SourceValue(4 * u.dimensionless))
    assert part.weight.value == 1 * u.kg
    assert part.count.magnitude == 4
    assert part.total_weight.value == 4 * u.kg
    assert isinstance(toy.Gadget.from_defaults("g").extra, EmptyExplainableObject)


def test_archetypes(model):
    assert toy.Part.archetypes() == [toy.Part.heavy]
    assert toy.Gadget.archetypes() == [toy.Gadget.wooden]
    assert toy.Assembly.archetypes() == []
    heavy = toy.Part.heavy()
    assert heavy.name == "heavy part" and heavy.weight.value == 50 * u.kg
    assert toy.Part.heavy("h2", count=2).total_weight.value == 100 * u.kg
    wooden = toy.Gadget.wooden()
    assert (wooden.material, wooden.finish) == ("wood", "varnished")


def test_list_values_and_conditional_list_values(model):
    assert toy.Gadget.list_values() == {"material": ["steel", "wood", "plastic"],
                                        "finish": ["raw", "polished", "varnished"]}
    assert toy.Gadget.conditional_list_values() == {
        "finish": {"depends_on": "material",
                   "conditional_list_values": {"steel": ["raw", "polished"], "wood": ["raw", "varnished"]}}}
    assert toy.Part.list_values() == {} and toy.Part.conditional_list_values() == {}


def test_conditional_choices_are_enforced(model):
    with pytest.raises(ValidationError) as error:
        toy.Gadget("g", material="wood", finish="polished")
    assert "Gadget 'g'.finish" in str(error.value) and "polished" in str(error.value)
    assert "['raw', 'varnished']" in str(error.value)
    toy.Gadget("plastic one", material="plastic", finish="polished")          # plastic is unrestricted
    wooden = toy.Gadget.wooden("w")
    with pytest.raises(ValidationError):
        wooden.finish = "polished"
    assert wooden.finish == "varnished"


def test_print_shows_id_inputs_and_calculated_attributes(model):
    part = toy.Part("bolt", 2 * u.kg, 3)
    assembly = toy.Assembly("frame", [part, part], 2)
    assert str(part) == (f"Part {part.id}\n \nname: bolt\nweight: 2 kilogram\ncount: 3 dimensionless\n \n"
                         "calculated_attributes:\n  total_weight: 6 kilogram\n  nb_assemblies: 1 dimensionless\n")
    assert str(assembly) == (f"Assembly {assembly.id}\n \nname: frame\nparts: [{part.id}, {part.id}]\n"
                             "factor: 2 dimensionless\nmachine: no value\n \n"
                             "calculated_attributes:\n  weight: 24 kilogram\n")
    empty = toy.Assembly("empty")
    assert "  weight: no value\n" in str(empty)


def test_print_shows_a_failing_formula_instead_of_stopping(model):
    assembly = toy.Assembly("cursed", [toy.Part("p")], 13)
    assert "weight: error: unlucky factor" in str(assembly)


# ---------------------------------------------------------------- constructor binding
def test_positional_inputs_in_declaration_order(model):
    part = toy.Part("p", 2 * u.kg, 5)
    assert part.weight.value == 2 * u.kg and part.count.magnitude == 5
    machine = toy.Machine("m")
    assembly = toy.Assembly("a", [part], 3, machine)
    assert list(assembly.parts) == [part] and assembly.factor.magnitude == 3 and assembly.machine is machine
    with pytest.raises(ValidationError, match=r"Part 'q': got 3 positional inputs; allowed: at most 2 \(weight, count\)"):
        toy.Part("q", 1 * u.kg, 1, 1)
    with pytest.raises(ValidationError, match="'weight' given twice"):
        toy.Part("q", 1 * u.kg, weight=2 * u.kg)


def test_aliases(model):
    assert toy.Gadget("g", weight_in_kg=3 * u.kg).mass.value == 3 * u.kg
    assert toy.Gadget("h", gadget_mass=4 * u.kg).mass.value == 4 * u.kg
    with pytest.raises(ValidationError, match="'mass' given twice"):
        toy.Gadget("i", mass=1 * u.kg, weight_in_kg=2 * u.kg)


def test_bare_values_are_wrapped_and_strings_become_choices(model):
    part = toy.Part("p", 2 * u.kg, 3)
    assert isinstance(part.weight, SourceValue) and part.weight.source == Sources.USER_DATA
    gadget = toy.Gadget("g", material=SourceObject("wood", Sources.HYPOTHESIS), finish="raw")
    assert gadget.material.source == Sources.HYPOTHESIS and gadget.finish.source == Sources.USER_DATA


def test_unknown_keyword_names_class_object_attribute_value_and_allowed(model):
    with pytest.raises(ValidationError) as error:
        toy.Part("bolt", wieght=3 * u.kg)
    message = str(error.value)
    for fragment in ("Part", "'bolt'", "'wieght'", "3, 'kilogram'", "allowed", "'weight'", "'count'"):
        assert fragment in message, (fragment, message)
    assert len(model.objects) == 0 and len(model.nodes) == 0


def test_missing_required_inputs_and_links(model):
    with pytest.raises(ValidationError) as error:
        toy.Feeder("feeder")
    message = str(error.value)
    assert "Feeder 'feeder'.starts: missing; allowed: an hourly series with the dimension of dimensionless" in message
    part = toy.Part("p")
    with pytest.raises(ValidationError, match=r"DeclHolder 'h'\.grip: missing; allowed: a quantity with the "
                                              r"dimension of newton"):
        DeclHolder("h", part=part)
    with pytest.raises(ValidationError, match=r"DeclHolder 'h'\.part: missing; allowed: a Part object"):
        DeclHolder("h", grip=3 * u.N)
    with pytest.raises(LinkError, match=r"DeclHolder 'h'\.part: got None; allowed: a Part object"):
        DeclHolder("h", part=None, grip=3 * u.N)


# ---------------------------------------------------------------- refused values
def refusal(make) -> str:
    with pytest.raises(ValidationError) as error:
        make()
    return str(error.value)


@pytest.mark.parametrize("make, fragments", [
    (lambda: toy.Part("bolt", -3 * u.kg), ["Part 'bolt'.weight", "got -3 kilogram", ">= 0 kilogram"]),
    (lambda: toy.Part("bolt", count=0), ["Part 'bolt'.count", "got 0 dimensionless", "> 0"]),
    (lambda: toy.Part("bolt", "3 kg"), ["Part 'bolt'.weight", "got '3 kg'", "a quantity with the dimension of kilogram"]),
    (lambda: toy.Part("bolt", True), ["Part 'bolt'.weight", "got True"]),
    (lambda: toy.Gadget("g", material="gold"), ["Gadget 'g'.material", "'gold'", "one of ['steel', 'wood', 'plastic']"]),
    (lambda: toy.Gadget("g", timezone="Mars/Olympus"), ["Gadget 'g'.timezone", "'Mars/Olympus'", "IANA time zone"]),
    (lambda: toy.Gadget("g", lifespan=0 * u.year), ["Gadget 'g'.lifespan", "got 0 year", "> 0 year"]),
    (lambda: toy.Assembly("a", toy.Part("p")), ["Assembly 'a'.parts", "allowed: a list of Part objects"]),
    (lambda: toy.Assembly("a", [toy.Machine("m")]), ["Assembly 'a'.parts", "Machine", "allowed: a Part object"]),
    (lambda: toy.Assembly("a", machine=toy.Part("p")), ["Assembly 'a'.machine", "Part", "allowed: a Machine object"]),
])
def test_refused_values_name_class_object_attribute_value_and_allowed(model, make, fragments):
    message = refusal(make)
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_a_refused_object_leaves_no_trace(model):
    part = toy.Part("p")
    before = snapshot(model)
    with pytest.raises(ValidationError):
        toy.Assembly("a", [part], machine=part)
    assert snapshot_differences(before, snapshot(model)) == []
    assert part.assemblies == [] and part.nb_assemblies.magnitude == 0


@pytest.mark.parametrize("make", [
    lambda: toy.Part("bolt", 3 * u.m),
    lambda: toy.Part("bolt", 3),                          # a bare number is dimensionless, not kg
    lambda: toy.Machine("m", speed=2 * u.kg),
    lambda: toy.Gadget("g", lifespan=3 * u.kg),
    lambda: toy.Feeder("f", SourceHourlyValues([1, 2], "2025-01-01", "kg")),
])
def test_wrong_unit_dimension(model, make):
    with pytest.raises(UnitDimensionError) as error:
        make()
    assert "allowed: " in str(error.value) and "dimension of" in str(error.value)


def test_other_units_of_the_right_dimension_are_accepted(model):
    part = toy.Part("p", 500 * u.g, 2)
    assert part.total_weight.value == 1 * u.kg and part.total_weight.unit == u.kg
    assert toy.Machine("m", speed=1 / u.minute).speed.value.to(1 / u.hour).magnitude == pytest.approx(60)
    with pytest.raises(ValidationError):
        toy.Part("light", -1 * u.g)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused(model, bad):
    with pytest.raises(ValidationError, match="finite numbers only"):
        toy.Part("p", bad * u.kg)
    with pytest.raises(ValidationError, match="finite numbers only"):
        toy.Gadget("g", mass=SourceValue(bad * u.kg))
    with pytest.raises(ValidationError, match="finite numbers only"):
        toy.Feeder("f", SourceHourlyValues([1.0, bad, 2.0], "2025-01-01"))
    part = toy.Part("ok")
    with pytest.raises(ValidationError, match="Part 'ok'.weight"):
        part.weight = bad * u.kg
    assert part.weight.value == 1 * u.kg


def test_setting_refused_values_after_creation_changes_nothing(model):
    part = toy.Part("p", 2 * u.kg)
    assembly = toy.Assembly("a", [part])
    _ = assembly.weight
    before = snapshot(model)
    for attr, value, error in [("weight", -1 * u.kg, ValidationError), ("weight", 1 * u.s, UnitDimensionError),
                               ("count", 0, ValidationError)]:
        with pytest.raises(error):
            setattr(part, attr, value)
    with pytest.raises(LinkError):
        assembly.machine = part
    with pytest.raises(LinkError):
        assembly.parts = [assembly]
    with pytest.raises(ValidationError, match="allowed: nothing, it is calculated"):
        assembly.weight = 3 * u.kg
    with pytest.raises(ValidationError, match="allowed: nothing, it is derived from links"):
        part.assemblies = []
    assert snapshot_differences(before, snapshot(model)) == []


def test_hourly_inputs(model):
    feeder = toy.Feeder("f", SourceHourlyValues([1, 2, 3], "2025-01-01 00:00"), 2 * u.hour)
    np.testing.assert_array_equal(feeder.in_progress.magnitude, [1, 3, 5, 3])
    with pytest.raises(ValidationError, match=r"Feeder 'g'\.starts: got .*; allowed: an hourly series"):
        toy.Feeder("g", SourceValue(3 * u.dimensionless))
    with pytest.raises(ValidationError, match=r"Feeder 'g'\.starts"):
        toy.Feeder("g", SourceHourlyValues([1, -2, 3], "2025-01-01 00:00"))


# ---------------------------------------------------------------- graph declarations
def test_a_formula_cycle_is_refused_at_class_creation():
    with pytest.raises(GraphCycleError, match="Circular"):
        class Circular(ModelingObject):
            seed = Input("kg", 1 * u.kg)

            @calculated(unit="kg")
            def a(b, seed):
                return b + seed

            @calculated(unit="kg")
            def b(c):
                return c

            @calculated(unit="kg")
            def c(a):
                return a


def test_a_cycle_through_links_is_refused_and_rolled_back(model):
    first = toy.Stage("first")
    second = toy.Stage("second", previous=first)
    assert second.y.magnitude == 2
    before = snapshot(model)
    with pytest.raises(GraphCycleError, match="cycle"):
        first.previous = second
    assert first.previous is None
    assert snapshot_differences(before, snapshot(model)) == []
    assert second.y.magnitude == 2


def test_a_bad_input_path_is_refused_with_a_clear_link_error(model):
    class UnknownAttribute(ModelingObject):
        part = Link("Part")

        @calculated(unit="kg", inputs={"w": "part.mass"})
        def w_of_part(w):
            return w

    class ThroughAValue(ModelingObject):
        part = Link("Part")

        @calculated(unit="kg", inputs={"w": "part.weight.value"})
        def deep(w):
            return w

    class ListWithoutBrackets(ModelingObject):
        parts = ListLink("Part")

        @calculated(unit="kg", inputs={"w": "parts.weight"})
        def flat(w):
            return w

    part = toy.Part("p")
    with pytest.raises(LinkError, match=r"UnknownAttribute 'u'\.w_of_part: input path part\.mass names 'mass', "
                                        r"which Part 'p' does not have"):
        UnknownAttribute("u", part=part)
    with pytest.raises(LinkError, match=r"ThroughAValue 't'\.deep: input path part\.weight\.value goes through "
                                        r"'weight', which is a value, not a link"):
        ThroughAValue("t", part=part)
    with pytest.raises(LinkError, match=r"'parts' is a list; write 'parts\[\]' in parts\.weight"):
        ListWithoutBrackets("l", parts=[part])
    assert [type(o).__name__ for o in model.objects.values()] == ["Part"]


def test_a_bad_path_behind_an_empty_link_is_refused_when_the_link_is_set(model):
    class LateCheck(ModelingObject):
        part = Link("Part", optional=True)

        @calculated(unit="kg", inputs={"w": "part.mass"})
        def late(w):
            return w if w is not None else EmptyExplainableObject()

    holder = LateCheck("holder")
    assert isinstance(holder.late, EmptyExplainableObject)
    part = toy.Part("p")
    before = snapshot(model)
    with pytest.raises(LinkError, match="names 'mass'"):
        holder.part = part
    assert holder.part is None
    assert snapshot_differences(before, snapshot(model)) == []


def test_a_malformed_path_is_refused_at_class_creation():
    with pytest.raises(LinkError, match="malformed input path 'parts..weight'"):
        class Malformed(ModelingObject):
            parts = ListLink("Part")

            @calculated(unit="kg", inputs={"w": "parts..weight"})
            def broken(w):
                return w
