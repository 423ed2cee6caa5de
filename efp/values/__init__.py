"""Values efp computes with: scalars, hourly series, ``∅``, choices, and their sources."""
from efp.values.base import EmptyExplainableObject, ExplainableObject, ExplainableValue, SourceObject
from efp.values.hourly import ExplainableHourlyQuantities, SourceHourlyValues
from efp.values.quantity import ExplainableQuantity, SourceValue
from efp.values.sources import Source, Sources

__all__ = ["EmptyExplainableObject", "ExplainableObject", "ExplainableValue", "SourceObject",
           "ExplainableHourlyQuantities", "SourceHourlyValues", "ExplainableQuantity", "SourceValue",
           "Source", "Sources"]
