"""Systems as JSON: :func:`system_to_json` writes efp's versioned format; :func:`json_to_system` reads it,
and reads e-footprint 9 files too.

The format itself is documented in ``docs/json-format.md``; the generic encoding of values and objects
from their declarations lives in :mod:`efp.serialization`. This module adds what is specific to the
footprint model:

- the efp format's top level: ``"format_version"`` (the layout version this efp reads and writes) and
  ``"efp_version"`` (for information), then ``{class name: {id: object}}`` groups;
- e-footprint 9's files: its class names (``UsageJourney``, ``UsageJourneyStep``, ``Hardware``), its
  attribute names (``usage_journey``, ``hourly_usage_journey_starts``: aliases the classes declare), the
  ``"efootprint_version"`` key, and the attributes e-footprint itself ignores when loading (older files'
  ``fraction_of_usage_time`` on servers and storages, …) or recomputes (saved calculated attributes);
- class names are looked up in the engine's class registry, so builder classes (``BoaviztaCloudServer``,
  services) load once their module is imported; loading never imports a module named by a file.
"""
from __future__ import annotations

import json
import os
import re

from efp.errors import SerializationError
from efp.modeling_object import registered_classes
from efp.serialization import (FORMAT_VERSION, Dialect, Where, dump_objects, efp_version, load_objects,
                               reachable_objects)
from efp_nodes.system import System

EFOOTPRINT_VERSION_KEY = "efootprint_version"
#: The newest e-footprint major version whose files efp reads.
EFOOTPRINT_MAJOR = 9
METADATA_KEYS = ("format_version", "efp_version")

#: e-footprint 9 class names that efp spells differently.
EFOOTPRINT_CLASS_NAMES = {"UsageJourney": "UserJourney", "UsageJourneyStep": "UserJourneyStep", "Hardware": "Device"}

#: Classes that builder modules provide (not registered until their module is imported).
BUILDER_MODULES = {
    "BoaviztaCloudServer": "efp_builders.boavizta_cloud_server",
    "VideoStreaming": "efp_builders.services", "VideoStreamingJob": "efp_builders.services",
    "WebApplication": "efp_builders.services", "WebApplicationJob": "efp_builders.services",
    "GenAIModel": "efp_builders.services", "GenAIJob": "efp_builders.services",
}

#: e-footprint classes efp has no counterpart for.
UNSUPPORTED_EFOOTPRINT_CLASSES = {
    "BoaviztaServerFromConfig": "efp has no counterpart (use BoaviztaCloudServer, or a Server with the figures)",
}

#: Attributes of older e-footprint files that e-footprint 9 itself ignores when loading, by efp class
#: (subclasses included).
EFOOTPRINT_IGNORED_ATTRIBUTES = {
    "ServerBase": {"fraction_of_usage_time"},
    "Storage": {"fraction_of_usage_time", "average_carbon_intensity", "power_usage_effectiveness"},
    "JobBase": {"job_type", "description"},
    "Device": {"idle_power"},
    "Country": {"year"},
}

#: e-footprint 9's calculated attributes (spec/efootprint9-classes.md), which files saved with
#: ``save_calculated_attributes=True`` carry: efp recomputes them.
_SERVER_CALCULATED = {"hour_by_hour_ram_need", "hour_by_hour_compute_need", "occupied_ram_per_instance",
                      "occupied_compute_per_instance", "available_ram_per_instance",
                      "available_compute_per_instance", "raw_nb_of_instances", "nb_of_instances",
                      "instances_fabrication_footprint", "instances_energy", "energy_footprint"}
_JOB_CALCULATED = {"hourly_occurrences_per_usage_pattern", "hourly_avg_occurrences_per_usage_pattern",
                   "hourly_data_transferred_per_usage_pattern", "hourly_data_stored_per_usage_pattern",
                   "hourly_occurrences_across_usage_patterns", "hourly_avg_occurrences_across_usage_patterns",
                   "hourly_data_transferred_across_usage_patterns", "hourly_data_stored_across_usage_patterns"}
EFOOTPRINT_CALCULATED = {
    "UsageJourney": {"duration"},
    "UsagePattern": {"utc_hourly_usage_journey_starts", "nb_usage_journeys_in_parallel", "devices_energy",
                     "devices_energy_footprint", "devices_fabrication_footprint", "energy_footprint",
                     "instances_fabrication_footprint"},
    "Job": _JOB_CALCULATED,
    "WebApplicationJob": _JOB_CALCULATED | {"request_duration", "compute_needed", "ram_needed"},
    "VideoStreamingJob": _JOB_CALCULATED | {"request_duration", "dynamic_bitrate", "data_transferred",
                                            "compute_needed", "ram_needed"},
    "GenAIJob": _JOB_CALCULATED | {"output_token_weights", "data_stored", "data_transferred", "request_duration",
                                   "ram_needed", "compute_needed"},
    "GenAIModel": {"active_params", "total_params", "base_ram_consumption"},
    "Network": {"energy_footprint"},
    "Server": _SERVER_CALCULATED,
    "GPUServer": _SERVER_CALCULATED | {"carbon_footprint_fabrication", "power", "idle_power", "ram"},
    "BoaviztaCloudServer": _SERVER_CALCULATED | {"api_call_response", "carbon_footprint_fabrication", "power",
                                                 "ram", "compute"},
    "Storage": {"carbon_footprint_fabrication", "power", "storage_needed", "storage_freed",
                "automatic_storage_dumps_after_storage_duration", "storage_delta", "full_cumulative_storage_need",
                "raw_nb_of_instances", "nb_of_instances", "nb_of_active_instances", "instances_fabrication_footprint",
                "instances_energy", "energy_footprint"},
    "System": {"total_footprint"},
}
#: Keys e-footprint adds to values saved with their calculation graph.
EFOOTPRINT_VALUE_KEYS = frozenset({"id", "direct_ancestors_with_id", "direct_children_with_id"})


# ---------------------------------------------------------------------------------------------- saving
def system_to_json(system: System, save_calculated_attributes: bool = False, output_filepath=None) -> dict:
    """The system and every object its links reach, in efp's JSON format (``docs/json-format.md``).

    Parameters
    ----------
    system : the System to save.
    save_calculated_attributes : also save every calculated value that is computed (FRESH), so that
        loading does not recompute them.
    output_filepath : if given, the document is also written there (UTF-8 JSON).

    Returns
    -------
    dict : the document, ready for ``json.dump``.
    """
    if not isinstance(system, System):
        raise SerializationError(f"system_to_json saves a System; got {type(system).__name__} {system!r}")
    document = {"format_version": FORMAT_VERSION, "efp_version": efp_version()}
    document.update(dump_objects(reachable_objects([system]), save_calculated_attributes))
    if output_filepath is not None:
        text = json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False)  # one write: much faster
        with open(output_filepath, "w", encoding="utf-8") as file:
            file.write(text)
    return document


# ---------------------------------------------------------------------------------------------- loading
def json_to_system(data) -> System:
    """The System of a JSON document, created in the current model with everything it links to.

    Parameters
    ----------
    data : the document as a dict (what :func:`system_to_json` returns, or ``json.load`` gives), or the
        path of a JSON file (str or ``os.PathLike``). Both efp's format (``"format_version"``) and
        e-footprint 9's (``"efootprint_version"``, or no version key in older files) are read.

    Without saved calculated values, the System is computed as its creation would; with them, nothing
    is recomputed. On any problem a :class:`efp.errors.SerializationError` names the object id, class,
    attribute and what is wrong, and the model holds nothing of the document.
    """
    groups, dialect = _prepare(data)
    systems = [object_id for class_name, objects in groups.items()
               if issubclass(dialect.resolve_class(class_name), System) for object_id in objects]
    if len(systems) != 1:
        raise SerializationError(f"{dialect.name} JSON: the document holds {len(systems)} System objects "
                                 f"{systems}; json_to_system needs exactly one (json_to_objects reads any document)")
    return load_objects(groups, dialect)[systems[0]]


def json_to_objects(data) -> dict:
    """Every object of a JSON document (see :func:`json_to_system`), as ``{id in the document: object}``."""
    return load_objects(*_prepare(data))


def _prepare(data) -> tuple[dict, Dialect]:
    document = _read(data)
    if "format_version" in document or "efp_version" in document:
        return _efp_groups(document), EFP_DIALECT
    return _efootprint_groups(document), EFOOTPRINT_DIALECT


def _read(data) -> dict:
    if isinstance(data, (str, os.PathLike)):
        try:
            with open(data, encoding="utf-8") as file:
                data = json.load(file, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
        except OSError as error:
            raise SerializationError(f"cannot read the JSON file {str(data)!r}: {error}") from None
        except (ValueError, RecursionError) as error:  # json.JSONDecodeError is a ValueError
            raise SerializationError(f"{str(data)!r} is not a valid JSON document (truncated or corrupted?): "
                                     f"{error}") from None
    if not isinstance(data, dict):
        raise SerializationError(f"a JSON document is an object {{class name: {{id: object}}}}; got "
                                 f"{type(data).__name__}")
    return data


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _unique_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one JSON object")
        result[key] = value
    return result


def _efp_groups(document: dict) -> dict:
    version = document.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise SerializationError(f"efp JSON: 'format_version' is {version!r}; expected an integer "
                                 f"(this efp reads format_version {FORMAT_VERSION})")
    if version != FORMAT_VERSION:
        newer = " (written by a newer efp: upgrade efp)" if version > FORMAT_VERSION else ""
        raise SerializationError(f"efp JSON: format_version {version} is not supported{newer}; this efp reads "
                                 f"format_version {FORMAT_VERSION}")
    return _class_groups(document, METADATA_KEYS, "efp")


def _efootprint_groups(document: dict) -> dict:
    version = document.get(EFOOTPRINT_VERSION_KEY)
    if version is not None:
        match = re.fullmatch(r"(\d+)\.\d+\.\d+\S*", version) if isinstance(version, str) else None
        if match is None:
            raise SerializationError(f"e-footprint JSON: {EFOOTPRINT_VERSION_KEY} is {version!r}; expected a "
                                     f"version such as '9.0.0'")
        if int(match.group(1)) > EFOOTPRINT_MAJOR:
            raise SerializationError(f"e-footprint JSON: version {version} is not supported; efp reads the files "
                                     f"of e-footprint {EFOOTPRINT_MAJOR} and older")
    return _class_groups(document, (EFOOTPRINT_VERSION_KEY,), "e-footprint 9")


def _class_groups(document: dict, metadata: tuple, dialect: str) -> dict:
    groups = {}
    for key, value in document.items():
        if key in metadata:
            continue
        if not isinstance(value, dict):
            raise SerializationError(f"{dialect} JSON: the top-level key {key!r} holds {type(value).__name__}; "
                                     f"expected a class name with {{id: object}} (or one of {list(metadata)})")
        groups[key] = value
    return groups


def _registered(class_name: str, dialect: str, efp_name: str | None = None) -> type:
    name = efp_name or class_name
    cls = registered_classes().get(name)
    if cls is not None:
        return cls
    where = Where(dialect, class_name=class_name)
    if class_name in UNSUPPORTED_EFOOTPRINT_CLASSES:
        raise where.error(f"the class {class_name!r} cannot be loaded: {UNSUPPORTED_EFOOTPRINT_CLASSES[class_name]}")
    module = BUILDER_MODULES.get(name)
    if module is not None:
        raise where.error(f"the class {class_name!r} is not registered: it is provided by {module}; "
                          f"import it (e.g. `import {module}`) before loading")
    raise where.error(f"unknown class {class_name!r}; known classes: {sorted(registered_classes())}")


def _efootprint_class(class_name: str) -> type:
    return _registered(class_name, "e-footprint 9", EFOOTPRINT_CLASS_NAMES.get(class_name))


def _efootprint_ignored(class_name: str, cls: type, attribute: str, raw) -> bool:
    if any(attribute in EFOOTPRINT_IGNORED_ATTRIBUTES.get(base.__name__, ()) for base in cls.__mro__):
        return True
    if attribute in EFOOTPRINT_CALCULATED.get(class_name, ()) or attribute in cls.calculated_attributes():
        return True
    return isinstance(raw, dict) and "direct_ancestors_with_id" in raw


EFP_DIALECT = Dialect(name="efp", resolve_class=lambda name: _registered(name, "efp"))
EFOOTPRINT_DIALECT = Dialect(name="e-footprint 9", resolve_class=_efootprint_class, ignored=_efootprint_ignored,
                             value_keys=EFOOTPRINT_VALUE_KEYS, calculated=False)
