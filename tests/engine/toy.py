"""A small toy model for the engine tests (not the footprint model)."""
from efp import Backlink, Input, Link, ListLink, ModelingObject, Via, calculated, u, FormulaError
from efp.values import EmptyExplainableObject


class Part(ModelingObject):
    weight = Input("kg", 1 * u.kg, ge=0, doc="Weight of the part.")
    count = Input("dimensionless", 1, gt=0, doc="How many.")
    assemblies = Backlink(("Assembly", "parts[]"))

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
        return sum(weights) * speed


class Line(ModelingObject):
    """A production line: its assemblies, and (derived) every part they use."""

    assemblies = ListLink("Assembly")
    parts = Via("assemblies[].parts[]")

    @calculated(unit="kg", inputs={"weights": "parts[].total_weight"})
    def distinct_parts_weight(weights):
        """Total weight of the distinct parts of the line."""
        return sum(weights)
