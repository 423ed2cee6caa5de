"""efp: the engine of the efp footprint modeller.

Values with units and sources, modeling objects whose attributes are nodes of one graph, and the
machinery that recomputes exactly what a change affects. The footprint model lives in ``efp_nodes``
and builders in ``efp_builders``; the engine knows nothing of servers or jobs.
"""
from efp.declarations import Backlink, ConditionalChoices, Input, Link, ListLink, Via, calculated
from efp.errors import (CapacityError, EfpError, ExternalDataError, FormulaError, GraphCycleError, LinkError,
                        SerializationError, StorageError, UnitDimensionError, UnknownInstanceError,
                        ValidationError)
from efp.model import Model, current_model, new_model, transaction
from efp.modeling_object import ModelingObject, archetype
from efp.modeling_update import ModelingUpdate
from efp.states import ObjectRef, RefList, State
from efp.units import u
from efp.values import (EmptyExplainableObject, ExplainableHourlyQuantities, ExplainableObject,
                        ExplainableQuantity, Source, SourceHourlyValues, SourceObject, Sources, SourceValue)

__all__ = [
    "Backlink", "ConditionalChoices", "Input", "Link", "ListLink", "Via", "calculated",
    "CapacityError", "EfpError", "ExternalDataError", "FormulaError", "GraphCycleError", "LinkError",
    "SerializationError", "StorageError", "UnitDimensionError", "UnknownInstanceError", "ValidationError",
    "Model", "current_model", "new_model", "transaction", "ModelingObject", "archetype", "ModelingUpdate",
    "ObjectRef", "RefList", "State", "u",
    "EmptyExplainableObject", "ExplainableHourlyQuantities", "ExplainableObject", "ExplainableQuantity",
    "Source", "SourceHourlyValues", "SourceObject", "Sources", "SourceValue",
]
