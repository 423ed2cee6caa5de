"""Hardware facts of cloud instances, from BoaviztAPI.

``BoaviztaCloudServer`` (``/work/shared/spec/model.md`` §5) takes four numbers of a cloud *instance*
from BoaviztAPI (https://github.com/Boavizta/boaviztapi, Boavizta, AGPL-3.0):

==================  ==============================  ==========================
CloudInstance       BoaviztAPI answer path          unit
==================  ==============================  ==========================
``gwp_embedded_kg`` ``impacts.gwp.embedded.value``  kgCO2eq, whole life
``avg_power_w``     ``verbose.avg_power.value``     W (API default: 50 % load)
``memory_gb``       ``verbose.memory.value``        GB
``vcpu``            ``verbose.vcpu.value``          vCPU
==================  ==============================  ==========================

Two backends answer the same three questions (``providers()``, ``instance_types(provider)``,
``instance(provider, instance_type)``):

* :class:`EmbeddedBoavizta` reads the table shipped in ``efp_builders/data`` (BoaviztAPI 2.5.0's
  answers for all of its 2,331 instances, see ``efp_builders/data/README.md``). No network, ever.
* :class:`LiveBoavizta` asks a running BoaviztAPI server over HTTP
  (``GET /v1/cloud/instance?provider=…&instance_type=…&verbose=true``), with timeouts, a bounded retry,
  a cache, and errors that name the URL and the cause.

Builders obtain a backend from :func:`default_backend` (embedded unless ``EFP_BOAVIZTA_BACKEND=live``)
or are handed one explicitly; :func:`using_backend` swaps it for a ``with`` block. Importing this
module touches neither the network nor the table, and does not import ``requests``.

Errors: an unknown provider or instance type raises :class:`~efp.errors.UnknownInstanceError`; a
server that is down, slow, failing or answering nonsense raises :class:`~efp.errors.ExternalDataError`.
"""
from __future__ import annotations

import contextlib
import csv
import difflib
import functools
import io
import math
import os
import time
import urllib.parse
from dataclasses import dataclass, field
from importlib import resources
from typing import Iterator, Protocol

from efp.errors import ExternalDataError, UnknownInstanceError

EMBEDDED_SOURCE = "embedded BoaviztAPI 2.5.0 table"
TABLE_FILE = "boavizta_cloud_instances.csv"
URL_ENV_VAR = "EFP_BOAVIZTAPI_URL"
BACKEND_ENV_VAR = "EFP_BOAVIZTA_BACKEND"


@dataclass(frozen=True)
class CloudInstance:
    """The hardware facts of one cloud instance, as BoaviztAPI gives them.

    Attributes
    ----------
    provider, instance_type : str
        As asked, e.g. ``"scaleway"``, ``"dev1-s"``.
    vcpu : float
        Virtual CPUs of the instance (``verbose.vcpu.value``).
    memory_gb : float
        Memory of the instance in GB (``verbose.memory.value``).
    gwp_embedded_kg : float
        Embodied climate-change impact over the whole life, kgCO2eq (``impacts.gwp.embedded.value``).
    avg_power_w : float
        Average electrical power at BoaviztAPI's default load, W (``verbose.avg_power.value``).
    response : dict
        The raw API answer (live), or a dict of the same shape holding the table's figures (embedded).
    source : str
        ``"embedded BoaviztAPI 2.5.0 table"`` or the full URL that was called.
    """

    provider: str
    instance_type: str
    vcpu: float
    memory_gb: float
    gwp_embedded_kg: float
    avg_power_w: float
    response: dict = field(repr=False, compare=False)
    source: str = EMBEDDED_SOURCE


class BoaviztaBackend(Protocol):
    """What a builder needs from a source of BoaviztAPI cloud figures."""

    def providers(self) -> list[str]: ...

    def instance_types(self, provider: str) -> list[str]: ...

    def instance(self, provider: str, instance_type: str) -> CloudInstance: ...


_PATHS = {
    "gwp_embedded_kg": ("impacts", "gwp", "embedded", "value"),
    "avg_power_w": ("verbose", "avg_power", "value"),
    "memory_gb": ("verbose", "memory", "value"),
    "vcpu": ("verbose", "vcpu", "value"),
}
_UNITS = {("verbose", "memory", "unit"): "GB", ("verbose", "avg_power", "unit"): "W"}


def instance_from_answer(provider: str, instance_type: str, answer, source: str) -> CloudInstance:
    """Read a :class:`CloudInstance` out of a verbose ``/v1/cloud/instance`` answer.

    Raises
    ------
    ExternalDataError
        If a field of ``_PATHS`` is missing or not a finite number, or a unit is not the expected
        one; the message names ``source`` and the path.
    """
    def lookup(path):
        node = answer
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    values = {}
    for name, path in _PATHS.items():
        value = lookup(path)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            found = "it is missing" if value is None else f"found {value!r}"
            raise ExternalDataError(
                f"BoaviztAPI answer from {source} lacks a number at {'.'.join(path)} ({found}); "
                f"cannot read {provider}/{instance_type}")
        values[name] = float(value)
    for path, unit in _UNITS.items():
        given = lookup(path)
        if given is not None and given != unit:
            raise ExternalDataError(f"BoaviztAPI answer from {source} gives {'.'.join(path)} = "
                                    f"{given!r}, expected {unit!r}")
    return CloudInstance(provider, instance_type, response=answer, source=source, **values)


def _unknown(what: str, value: str, allowed: list[str], where: str) -> UnknownInstanceError:
    """An UnknownInstanceError naming the value, the closest allowed values and a few others."""
    close = difflib.get_close_matches(value, allowed, n=3, cutoff=0.6)
    shown = close + [a for a in allowed if a not in close][: max(0, 5 - len(close))]
    more = f", … ({len(allowed)} in all)" if len(allowed) > len(shown) else ""
    hint = f"; closest: {close}" if close else ""
    return UnknownInstanceError(f"{what} {value!r} is unknown to {where}{hint}; allowed values "
                                f"include {', '.join(map(repr, shown))}{more}")


# --------------------------------------------------------------------------------------- embedded
@functools.lru_cache(maxsize=1)
def _embedded_table() -> dict[str, dict[str, dict[str, str]]]:
    """``{provider: {instance_type: row}}`` in table order, read once from the packaged CSV."""
    text = resources.files("efp_builders").joinpath("data", TABLE_FILE).read_text(encoding="utf-8")
    table: dict[str, dict[str, dict[str, str]]] = {}
    for row in csv.DictReader(io.StringIO(text, newline="")):
        table.setdefault(row["provider"], {})[row["instance_type"]] = row
    return table


def _embedded_answer(row: dict[str, str]) -> dict:
    """The figures of one table row placed at the paths BoaviztAPI's verbose answer uses."""
    def num(column):
        text = row[column]
        return None if text == "" else (int(text) if text.lstrip("-").isdigit() else float(text))

    gwp = num("gwp_embedded_kg")
    verbose = {
        "vcpu": {"value": num("vcpu")},
        "memory": {"value": num("memory_gb"), "unit": "GB"},
        "avg_power": {"value": num("avg_power_w"), "unit": row["avg_power_unit"]},
        "use_time_ratio": {"value": num("use_time_ratio"), "unit": "/1"},
        "hours_life_time": {"value": num("hours_life_time"), "unit": "hours"},
        "RAM-1": {"units": {"value": num("ram_units")},
                  "capacity": {"value": num("ram_capacity"), "unit": "GB"}},
        "CPU-1": {"units": {"value": num("cpu_units")}},
    }
    if row["cpu_core_units"]:
        verbose["CPU-1"]["core_units"] = {"value": num("cpu_core_units")}
    answer = {"impacts": {"gwp": {"unit": "kgCO2eq",
                                  "embedded": {"value": gwp, "unit": "kgCO2eq"}}},
              "verbose": verbose}
    if row["warnings"]:
        answer["warnings"] = row["warnings"].split(" | ")
    return answer


class EmbeddedBoavizta:
    """BoaviztAPI 2.5.0's cloud figures from the table shipped with efp: offline and deterministic.

    The CSV (``efp_builders/data/boavizta_cloud_instances.csv``) is read on first use and shared by
    every instance of this class. Providers and instance types keep BoaviztAPI's own order.
    """

    source = EMBEDDED_SOURCE

    def __repr__(self) -> str:
        return "EmbeddedBoavizta()"

    def providers(self) -> list[str]:
        """The providers of the table, e.g. ``['aws', 'azure', 'gcp', 'ovhcloud', 'scaleway']``."""
        return list(_embedded_table())

    def instance_types(self, provider: str) -> list[str]:
        """The instance types of ``provider`` in table order; UnknownInstanceError if unknown."""
        return list(self._provider_rows(provider))

    def instance(self, provider: str, instance_type: str) -> CloudInstance:
        """The figures of one instance; UnknownInstanceError for an unknown provider or type."""
        rows = self._provider_rows(provider)
        if instance_type not in rows:
            raise _unknown("instance_type", instance_type, list(rows),
                           f"the {EMBEDDED_SOURCE} for provider {provider!r}")
        return instance_from_answer(provider, instance_type, _embedded_answer(rows[instance_type]),
                                    EMBEDDED_SOURCE)

    def _provider_rows(self, provider: str) -> dict[str, dict[str, str]]:
        table = _embedded_table()
        if provider not in table:
            raise _unknown("provider", provider, list(table), f"the {EMBEDDED_SOURCE}")
        return table[provider]


# ------------------------------------------------------------------------------------------- live
class LiveBoavizta:
    """Ask a running BoaviztAPI server (e.g. ``uvicorn boaviztapi.main:app``) over HTTP.

    Parameters
    ----------
    url : str, optional
        Base URL such as ``http://127.0.0.1:5000``; defaults to the environment variable
        ``EFP_BOAVIZTAPI_URL``. Neither given: ExternalDataError explaining how to set it.
    timeout : float
        Seconds allowed to connect, and then to wait for each read (``requests``' timeout pair).
    retries : int
        Extra attempts after a connection error, a timeout or a 5xx answer, with a short exponential
        backoff (``backoff``, then twice that, …). A 4xx answer is never retried.
    session : requests.Session, optional
        Anything with ``requests.Session``'s ``get``; a new session is made on first use otherwise.
    backoff : float
        Seconds before the first retry.

    Notes
    -----
    Successful ``instance()`` answers are cached in memory per ``(provider, instance_type)``; failures
    are not. BoaviztAPI 2.5.0 answers 404 ``{"detail": "<type> at <provider> not found"}`` for an
    unknown instance type or provider, and 404 for ``all_instances`` of an unknown provider: these
    raise UnknownInstanceError. For a *near* miss it answers 200 with a fuzzy-matched substitute and a
    top-level warning ``"Instance 'x' not found; using closest match 'y' (fuzzy match)"``: efp refuses
    the substitute and raises UnknownInstanceError too, so a typo never silently picks other hardware.
    """

    def __init__(self, url: str | None = None, timeout: float = 5.0, retries: int = 2,
                 session=None, backoff: float = 0.1):
        url = url or os.environ.get(URL_ENV_VAR, "")
        if not url.strip():
            raise ExternalDataError(
                f"LiveBoavizta needs the base URL of a BoaviztAPI server: pass url='http://host:port' "
                f"or set the environment variable {URL_ENV_VAR} (for instance "
                f"{URL_ENV_VAR}=http://127.0.0.1:5000 after `uvicorn boaviztapi.main:app --port "
                f"5000`); EmbeddedBoavizta() needs no server")
        if retries < 0 or timeout <= 0:
            raise ValueError(f"LiveBoavizta needs timeout > 0 and retries >= 0, got {timeout}, {retries}")
        self.url = url.strip().rstrip("/")
        self.timeout, self.retries, self.backoff = float(timeout), int(retries), float(backoff)
        self._session = session
        self._cache: dict[tuple[str, str], CloudInstance] = {}

    def __repr__(self) -> str:
        return f"LiveBoavizta(url={self.url!r}, timeout={self.timeout}, retries={self.retries})"

    def providers(self) -> list[str]:
        """``GET /v1/cloud/instance/all_providers``."""
        return self._get_list("/v1/cloud/instance/all_providers", {})

    def instance_types(self, provider: str) -> list[str]:
        """``GET /v1/cloud/instance/all_instances?provider=…``; unknown provider: UnknownInstanceError."""
        return self._get_list("/v1/cloud/instance/all_instances", {"provider": provider})

    def instance(self, provider: str, instance_type: str) -> CloudInstance:
        """``GET /v1/cloud/instance?provider=…&instance_type=…&verbose=true``, cached on success."""
        key = (provider, instance_type)
        if key not in self._cache:
            full_url, answer = self._get_json(
                "/v1/cloud/instance",
                {"provider": provider, "instance_type": instance_type, "verbose": "true"})
            substitutions = [w for w in answer.get("warnings", []) if "closest match" in str(w)] \
                if isinstance(answer, dict) and isinstance(answer.get("warnings"), list) else []
            if substitutions:
                raise UnknownInstanceError(
                    f"BoaviztAPI at {full_url} does not know instance_type {instance_type!r} for "
                    f"provider {provider!r}: it offered a fuzzy substitute ({substitutions[0]}); "
                    f"ask for the exact name")
            self._cache[key] = instance_from_answer(provider, instance_type, answer, full_url)
        return self._cache[key]

    def _get_list(self, path: str, params: dict) -> list[str]:
        full_url, answer = self._get_json(path, params)
        if not isinstance(answer, list) or not all(isinstance(item, str) for item in answer):
            raise ExternalDataError(f"BoaviztAPI answer from {full_url} is not a list of names: "
                                    f"{str(answer)[:120]!r}")
        return answer

    def _get_json(self, path: str, params: dict):
        """GET with timeout and bounded retry; return ``(full_url, decoded JSON)`` or raise."""
        import requests  # lazily: importing efp_builders.boavizta must not need requests

        full_url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        if self._session is None:
            self._session = requests.Session()
        attempts = self.retries + 1
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                answer = self._session.get(full_url, timeout=(self.timeout, self.timeout))
            except requests.Timeout as exc:
                cause = f"no answer within the {self.timeout:g} s timeout ({type(exc).__name__})"
                continue
            except requests.ConnectionError as exc:
                cause = f"cannot connect: the server is down or refused the connection ({exc})"
                continue
            except requests.RequestException as exc:
                raise ExternalDataError(f"BoaviztAPI request GET {full_url} failed: {exc}") from exc
            if answer.status_code >= 500:
                cause = f"the server answered HTTP {answer.status_code}: {answer.text[:200]!r}"
                continue
            return full_url, self._decode(full_url, answer, params)
        raise ExternalDataError(f"BoaviztAPI request GET {full_url} failed after {attempts} "
                                f"attempt(s): {cause}")

    @staticmethod
    def _decode(full_url: str, answer, params: dict):
        """Turn a non-5xx answer into decoded JSON, or the right error."""
        if answer.status_code == 404:
            try:
                detail = answer.json().get("detail", answer.text)
            except (ValueError, AttributeError):
                detail = answer.text[:200]
            asked = ", ".join(f"{k}={v!r}" for k, v in params.items() if k != "verbose")
            raise UnknownInstanceError(f"BoaviztAPI at {full_url} does not know {asked}: "
                                       f"HTTP 404 {detail!r}")
        if answer.status_code != 200:
            raise ExternalDataError(f"BoaviztAPI request GET {full_url} was refused with HTTP "
                                    f"{answer.status_code}: {answer.text[:200]!r}")
        try:
            return answer.json()
        except ValueError as exc:
            raise ExternalDataError(f"BoaviztAPI answer from {full_url} is not JSON "
                                    f"(HTTP 200, body starts {answer.text[:80]!r})") from exc


# ---------------------------------------------------------------------------------- default backend
EMBEDDED = EmbeddedBoavizta()
_default: BoaviztaBackend | None = None


def default_backend() -> BoaviztaBackend:
    """The backend builders use when none is given.

    Chosen on first call: :class:`LiveBoavizta` (URL from ``EFP_BOAVIZTAPI_URL``) if the environment
    variable ``EFP_BOAVIZTA_BACKEND`` is ``live``, else the module-level :data:`EMBEDDED`.
    """
    global _default
    if _default is None:
        choice = os.environ.get(BACKEND_ENV_VAR, "embedded").strip().lower()
        if choice == "live":
            _default = LiveBoavizta()
        elif choice in ("", "embedded"):
            _default = EMBEDDED
        else:
            raise ExternalDataError(f"{BACKEND_ENV_VAR}={choice!r} is not allowed: use 'embedded' "
                                    f"(the default) or 'live' (with {URL_ENV_VAR})")
    return _default


def set_default_backend(backend: BoaviztaBackend | None) -> BoaviztaBackend | None:
    """Make ``backend`` the default and return the previous one; ``None`` re-reads the environment
    on the next :func:`default_backend` call."""
    global _default
    previous, _default = _default, backend
    return previous


@contextlib.contextmanager
def using_backend(backend: BoaviztaBackend) -> Iterator[BoaviztaBackend]:
    """``with using_backend(LiveBoavizta(url)):`` — the default backend inside the block only."""
    previous = set_default_backend(backend)
    try:
        yield backend
    finally:
        set_default_backend(previous)
