"""WebApplication and WebApplicationJob: a web back-end whose request needs come from Boavizta's
ecobenchmark load tests (model.md §5).

The campaign (2022-06-28, :mod:`efp_builders.ecobenchmark`) measured five back-end technologies in six
implementation variants. For the pair (``technology`` of the service, ``implementation_details`` of the
job), a request of ``request_duration = 1 s`` needs

* ``compute_needed = mean(avg_cpu_cores) / mean(nb_requests_in_parallel)`` (cpu_core) and
* ``ram_needed = mean(avg_ram_in_MB) / mean(nb_requests_in_parallel)`` (MB),

averages over the pair's runs (:func:`efp_builders.ecobenchmark.job_needs` has the per-run columns).
php-symfony / default: 0.0755 cpu_core and 6.15 MB per request (the seed prints 0.08 and 6.15).

A pair the campaign did not measure (``rust-actix-sqlx`` / ``mysql``) is a
:class:`~efp.errors.ValidationError` listing the valid pairs. A job computes its needs when it is
created (``compute_on_creation``), so such a pair is refused on construction, and any later change
that forms one (the job's variant, or its service's technology) is refused too: the model stays as it
was. The service occupies no base RAM or compute of its own: the measured per-request figures include
the back-end's resident memory.
"""
from __future__ import annotations

from efp import Input, Link, calculated, u
from efp.errors import ValidationError
from efp.values import ExplainableQuantity, Sources
from efp_builders import ecobenchmark
from efp_builders.services.service import Service, ServiceJob


def _needs(job, technology, implementation_details) -> ecobenchmark.EcobenchmarkNeeds:
    """The ecobenchmark needs of the pair, or a ValidationError naming the job and the valid pairs."""
    try:
        return ecobenchmark.job_needs(technology.value, implementation_details.value)
    except ValidationError as error:
        raise ValidationError(f"{job}: {error}") from None


class WebApplication(Service):
    """A web back-end built with one of the ecobenchmark technologies."""

    input_order = ("server", "technology")

    technology = Input(choices=ecobenchmark.technologies, default="php-symfony", source=Sources.ECOBENCHMARK,
                       doc="Back-end technology, as the ecobenchmark campaign names it.")

    @calculated(unit="GB")
    def base_ram_consumption():
        """No base RAM: the ecobenchmark per-request RAM already includes the back-end's resident memory."""
        return 0 * u.GB

    @calculated(unit="cpu_core")
    def base_compute_consumption():
        """No base compute: the ecobenchmark per-request CPU already includes the back-end's idle load."""
        return 0 * u.cpu_core


class WebApplicationJob(ServiceJob):
    """One request to a web application: its traffic, stored data and implementation variant."""

    input_order = ("service", "data_transferred", "data_stored", "implementation_details", "data_download")
    compute_on_creation = True  # a pair without runs is refused at once, not when first read

    service = Link(WebApplication, doc="The web application that answers the request.")
    data_transferred = Input("MB", 2.2 * u.MB, ge=0, doc="Everything one request moves over the network.")
    data_stored = Input("MB", 100 * u.kB, doc="Data one request stores (negative: deletes).")
    implementation_details = Input(choices=ecobenchmark.implementation_details, default="default",
                                   source=Sources.ECOBENCHMARK,
                                   doc="Implementation variant, as the ecobenchmark campaign names it.")

    @calculated(unit="s")
    def request_duration():
        """One second: the ecobenchmark figures are per request of one second."""
        return ecobenchmark.REQUEST_DURATION_S * u.s

    @calculated(unit="cpu_core", inputs={"technology": "service.technology", "job": "self"})
    def compute_needed(technology, implementation_details, job):
        """Mean CPU cores of the pair's runs over their mean requests in progress (ecobenchmark)."""
        needs = _needs(job, technology, implementation_details)
        return ExplainableQuantity(needs.compute_needed_cpu_core * u.cpu_core, source=Sources.ECOBENCHMARK)

    @calculated(unit="MB", inputs={"technology": "service.technology", "job": "self"})
    def ram_needed(technology, implementation_details, job):
        """Mean RAM (MB) of the pair's runs over their mean requests in progress (ecobenchmark)."""
        needs = _needs(job, technology, implementation_details)
        return ExplainableQuantity(needs.ram_needed_mb * u.MB, source=Sources.ECOBENCHMARK)


__all__ = ["WebApplication", "WebApplicationJob"]
