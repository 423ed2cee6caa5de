"""A small toy model for the engine tests (not the footprint model).

- ``Part``, ``Assembly``, ``Machine``, ``Line``: scalar formulas over links, list links, a backlink and
  a via list; ``Assembly.factor = 13`` makes a formula fail.
- ``Gadget``: choices, conditional choices, aliases and an archetype (declaration tests).
- ``Stage``: a chain of cheap scalar formulas (``y = x + previous.y``); ``Collector`` sums stages.
- ``Feeder``, ``Plant``: hourly series (an hourly input, the concurrency kernel, a fan-in), for
  simulations and the distributed scheduler.

Empty fan-ins sum to ``∅`` (model.md §1): ``sum(values, EmptyExplainableObject())``, since Python's
``sum([])`` is the plain number 0, which has no unit.
"""
from efp import (Backlink, ConditionalChoices, Input, Link, ListLink, ModelingObject, Via, archetype, calculated,
                 u, FormulaError)
from efp.values import EmptyExplainableObject
from efp.values.timeops import concurrency

NOTHING = EmptyExplainableObject


class Part(ModelingObject):
    weight = Input("kg", 1 * u.kg, ge=0, doc="Weight of the part.")
    count = Input("dimensionless", 1, gt=0, doc="How many.")
    assemblies = Backlink(("Assembly", "parts[]"))

    @archetype
    def heavy(cls, name="heavy part", **overrides):
        """A 50 kg part."""
        return cls.from_defaults(name, **{"weight": 50 * u.kg, **overrides})

    @calculated(unit="kg")
    def total_weight(weight, count):
        """Weight times count."""
        return weight * count

    @calculated(unit="dimensionless", inputs={"users": "assemblies"})
    def nb_assemblies(users):
        """How many assemblies use the part."""
        return len(users)


class Assembly(ModelingObject):
    parts = ListLink("Part", doc="Parts, in order.")
    factor = Input("dimensionless", 1, doc="A multiplier that fails the formula when set to 13.")
    machine = Link("Machine", optional=True)

    @calculated(unit="kg", inputs={"weights": "parts[].total_weight"})
    def weight(weights, factor):
        """Sum of part weights times the factor."""
        if float(factor) == 13:
            raise FormulaError("unlucky factor")
        return sum(weights) * factor if weights else EmptyExplainableObject()


class Machine(ModelingObject):
    assemblies = Backlink(("Assembly", "machine"))
    speed = Input("1/hour", 2 / u.hour)

    @calculated(unit="kg/hour", inputs={"weights": "assemblies[].weight"})
    def throughput(weights, speed):
        """Weight handled per hour."""
        return sum(weights, NOTHING()) * speed


class Line(ModelingObject):
    """A production line: its assemblies, and (derived) every part they use."""

    assemblies = ListLink("Assembly")
    parts = Via("assemblies[].parts[]")

    @calculated(unit="kg", inputs={"weights": "parts[].total_weight"})
    def distinct_parts_weight(weights):
        """Total weight of the distinct parts of the line."""
        return sum(weights, NOTHING())


class Gadget(ModelingObject):
    """Inputs with choices, conditional choices, an alias, a time zone and an optional value."""

    material = Input(choices=["steel", "wood", "plastic"], default="steel", doc="What it is made of.")
    finish = Input(choices=["raw", "polished", "varnished"], default="raw",
                   conditional_choices=ConditionalChoices("material", {"steel": ["raw", "polished"],
                                                                       "wood": ["raw", "varnished"]}),
                   doc="Surface finish; allowed finishes depend on the material.")
    mass = Input("kg", 2 * u.kg, ge=0, aliases=("weight_in_kg", "gadget_mass"), doc="Mass of the gadget.")
    lifespan = Input("year", 5 * u.year, gt=0, doc="How long it lasts.")
    timezone = Input(timezone=True, default="Europe/Paris", doc="Where it is used.")
    extra = Input("kg", optional=True, doc="Optional extra mass.")

    @archetype
    def wooden(cls, name="wooden gadget", **overrides):
        """A varnished wooden gadget."""
        return cls.from_defaults(name, **{"material": "wood", "finish": "varnished", **overrides})

    @calculated(unit="kg/year")
    def mass_per_year(mass, extra, lifespan):
        """Mass spread over the lifespan."""
        return (mass + extra) / lifespan


class Stage(ModelingObject):
    """One step of a chain of cheap scalar formulas: ``y = x + previous.y``."""

    previous = Link("Stage", optional=True, doc="The stage before, if any.")
    x = Input("dimensionless", 1, doc="This stage's own contribution.")

    @calculated(unit="dimensionless", inputs={"before": "previous.y"})
    def y(x, before):
        """Running total along the chain."""
        return x + before if before is not None else x


class Collector(ModelingObject):
    """A fan-in over stages."""

    stages = ListLink("Stage")

    @calculated(unit="dimensionless", inputs={"ys": "stages[].y"})
    def total(ys):
        """Sum of the stages' totals."""
        return sum(ys, NOTHING())


class Feeder(ModelingObject):
    """Events starting each hour (an hourly input), lasting ``duration``, each drawing ``power``."""

    starts = Input("dimensionless", hourly=True, ge=0, doc="Events starting each hour (UTC).")
    duration = Input("hour", 1 * u.hour, gt=0, doc="How long one event lasts.")
    power = Input("W", 10 * u.W, ge=0, doc="Power drawn by one event in progress.")

    @calculated(unit="dimensionless")
    def in_progress(starts, duration):
        """Average number of events in progress each hour (the concurrency kernel)."""
        return concurrency(starts, duration)

    @calculated(unit="kWh")
    def energy(in_progress, power):
        """Energy drawn each hour."""
        return in_progress * power * (1 * u.hour)


class Plant(ModelingObject):
    """A fan-in over feeders, and a footprint."""

    feeders = ListLink("Feeder")
    intensity = Input("kg/kWh", 0.1 * u.kg / u.kWh, ge=0, doc="Carbon intensity of the energy.")

    @calculated(unit="kWh", inputs={"energies": "feeders[].energy"})
    def energy(energies):
        """Energy of every feeder, hour by hour."""
        return sum(energies, NOTHING())

    @calculated(unit="kg")
    def footprint(energy, intensity):
        """Energy times carbon intensity."""
        return energy * intensity
