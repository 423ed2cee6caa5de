"""Job needs of reference web back-ends, from Boavizta's ecobenchmark load tests.

Source: Boavizta, *ecobenchmark-applicationweb-backend*
(https://github.com/Boavizta/ecobenchmark-applicationweb-backend), results of the 2022-06-28
campaign, file ``results/20220628-193500.csv``, as shipped inside the e-footprint 9.0.0 wheel. efp
ships a byte-identical copy as ``efp_builders/data/ecobenchmark_results__raw.csv`` (provenance in
``efp_builders/data/README.md``).

The file has 290 load-test runs, 10 per (``service``, ``use_case``) pair: five back-end technologies
(``go-pgx``, ``jvm-kotlin-spring``, ``node-express-sequelize``, ``php-symfony``, ``rust-actix-sqlx``)
and six implementation variants (``aggregation-code-side``, ``default``, ``mysql``, ``no-index``,
``no-pagination``, ``orm-loop``); ``rust-actix-sqlx`` has no ``mysql`` runs, so 29 pairs exist.
Each run is a 600 s load test on an 8-core machine.

Computation (``/work/shared/spec/model.md`` §5, WebApplicationJob). For each run of a pair
(technology = ``service`` column, implementation_details = ``use_case`` column):

* ``avg_cpu_cores = application_cpu_avg × 8 + database_cpu_avg × 8`` (cpu_core),
* ``avg_ram_in_MB = (application_ram_avg + database_ram_avg) / 1e6`` (MB),
* ``nb_requests_in_parallel = http_reqs × 1 s / 600 s`` (requests in progress at any time if each lasts 1 s).

Each of these three columns is averaged over the runs of the pair, then

* ``compute_needed = mean(avg_cpu_cores) / mean(nb_requests_in_parallel)`` (cpu_core per request),
* ``ram_needed = mean(avg_ram_in_MB) / mean(nb_requests_in_parallel)`` (MB per request).

Which runs count: only runs whose ``valid`` column is ``True``. In the shipped campaign every one of
the 290 runs is valid, so this filter changes nothing there (with or without it, php-symfony / default
gives 0.07551167722567287 cpu_core and 6.1497498690701375 MB, e-footprint 9's figures
0.0755116772256729 and 6.149749869070138 to within 3e-16 relative); it only guards against a future
results file that flags failed runs.

The table is computed once, on first use, with the :mod:`csv` module, and never written anywhere.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

from efp.errors import ValidationError

__all__ = [
    "EcobenchmarkNeeds", "technologies", "implementation_details", "implementation_details_for", "valid_pairs",
    "job_needs", "needs_from_csv_text",
]

_DATA_PACKAGE = "efp_builders"
_DATA_FILE = "data/ecobenchmark_results__raw.csv"

#: Cores of the machine the campaign ran on: the CPU columns are fractions of the whole machine.
CORES_PER_MACHINE = 8
#: Length of one load-test run, in seconds.
RUN_DURATION_S = 600.0
#: Duration given to one request, in seconds (a WebApplicationJob's request_duration).
REQUEST_DURATION_S = 1.0


@dataclass(frozen=True)
class EcobenchmarkNeeds:
    """Resource needs of one request of a (technology, implementation_details) pair."""

    compute_needed_cpu_core: float
    ram_needed_mb: float
    nb_runs: int


def _is_valid(flag: str) -> bool:
    value = flag.strip().lower()
    if value not in ("true", "false"):
        raise RuntimeError(f"ecobenchmark results: unexpected value {flag!r} in column 'valid'")
    return value == "true"


@functools.lru_cache(maxsize=1)
def _table() -> dict[tuple[str, str], EcobenchmarkNeeds]:
    text = resources.files(_DATA_PACKAGE).joinpath(_DATA_FILE).read_text(encoding="utf-8")
    return needs_from_csv_text(text)


def needs_from_csv_text(text: str) -> dict[tuple[str, str], EcobenchmarkNeeds]:
    """The needs of every pair of an ecobenchmark results CSV given as text (valid runs only), sorted by pair."""
    sums: dict[tuple[str, str], list[float]] = {}
    for run in csv.DictReader(io.StringIO(text)):
        if not _is_valid(run["valid"]):
            continue
        avg_cpu_cores = (float(run["application_cpu_avg"]) * CORES_PER_MACHINE
                         + float(run["database_cpu_avg"]) * CORES_PER_MACHINE)
        avg_ram_in_mb = (float(run["application_ram_avg"]) + float(run["database_ram_avg"])) / 1e6
        nb_requests_in_parallel = float(run["http_reqs"]) * REQUEST_DURATION_S / RUN_DURATION_S
        acc = sums.setdefault((run["service"], run["use_case"]), [0.0, 0.0, 0.0, 0])
        acc[0] += avg_cpu_cores
        acc[1] += avg_ram_in_mb
        acc[2] += nb_requests_in_parallel
        acc[3] += 1
    table = {}
    for pair, (cpu, ram, parallel, n) in sums.items():
        mean_parallel = parallel / n
        table[pair] = EcobenchmarkNeeds(
            compute_needed_cpu_core=(cpu / n) / mean_parallel,
            ram_needed_mb=(ram / n) / mean_parallel,
            nb_runs=int(n),
        )
    return dict(sorted(table.items()))


def technologies() -> list[str]:
    """The back-end technologies of the campaign (``service`` column), sorted."""
    return sorted({technology for technology, _ in _table()})


def implementation_details() -> list[str]:
    """The implementation variants of the campaign (``use_case`` column), sorted."""
    return sorted({details for _, details in _table()})


def valid_pairs() -> list[tuple[str, str]]:
    """Every (technology, implementation_details) pair that has at least one valid run, sorted."""
    return list(_table())


def _pairs_text() -> str:
    return "; ".join(f"{t} / {d}" for t, d in valid_pairs())


def job_needs(technology: str, implementation_details: str) -> EcobenchmarkNeeds:
    """CPU and RAM needed by one request of ``technology`` with ``implementation_details``.

    Raises :class:`~efp.errors.ValidationError` for an unknown technology or variant, or for a pair
    that the campaign did not measure (e.g. ``rust-actix-sqlx`` / ``mysql``), listing what is allowed.
    """
    table = _table()
    needs = table.get((technology, implementation_details))
    if needs is not None:
        return needs
    if technology not in technologies():
        raise ValidationError(
            f"WebApplication technology: {technology!r} is not one of the ecobenchmark technologies "
            f"{technologies()}. Valid pairs: {_pairs_text()}"
        )
    if implementation_details not in implementation_details_for(technology):
        raise ValidationError(
            f"WebApplicationJob implementation_details: {implementation_details!r} has no ecobenchmark runs "
            f"for technology {technology!r}; allowed for it: {implementation_details_for(technology)}. "
            f"Valid pairs: {_pairs_text()}"
        )
    raise AssertionError("unreachable")  # pragma: no cover


def implementation_details_for(technology: str) -> list[str]:
    """The implementation variants measured for ``technology`` (empty list if the technology is unknown)."""
    return [details for t, details in valid_pairs() if t == technology]
