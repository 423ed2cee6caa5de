"""The one exception hierarchy of efp.

Every error efp raises on purpose derives from :class:`EfpError`, so a caller can catch them all with
one ``except``. Messages name the object, the attribute, the value given and what is allowed, so that
a user can act on them without reading efp's source.
"""


class EfpError(Exception):
    """Base class of every error efp raises on purpose."""


class ValidationError(EfpError, ValueError):
    """An input was refused: wrong type, unit dimension, bound or list value."""


class UnitDimensionError(ValidationError):
    """A quantity has the wrong physical dimension for the attribute it is given to."""


class LinkError(ValidationError):
    """A link points to an object of the wrong class, or a link structure is not allowed."""


class GraphCycleError(EfpError):
    """The declared dependencies of the calculated attributes form a cycle."""


class FormulaError(EfpError):
    """A formula failed while computing a calculated attribute; the message names the node."""


class CapacityError(FormulaError):
    """A server or storage cannot hold what it is asked to hold."""


class StorageError(FormulaError):
    """The storage balance is impossible (more data deleted than stored)."""


class SerializationError(EfpError):
    """A JSON document is malformed, of an unknown version, or names unknown classes or attributes."""


class ExternalDataError(EfpError):
    """An external data source (e.g. a BoaviztAPI server) is unreachable or answered badly."""


class UnknownInstanceError(ExternalDataError, ValidationError):
    """A data source does not know the requested item (e.g. a cloud instance type)."""
