"""Service and ServiceJob: software installed on a server, and the jobs that call it (model.md §5).

A service sits on one server (``server``). Installing it adds its base consumption to what each
instance of the server occupies before any job (``ServerBase.occupied_ram_per_instance`` sums its
``installed_services[].base_ram_consumption``), and adds its jobs to the server's jobs
(``ServerBase.jobs`` follows ``service.server`` from every :class:`ServiceJob`). Both names are part of
the model's declarations: the classes must be called ``Service`` and ``ServiceJob``, their links
``server`` and ``service``.

A service job computes what a :class:`~efp_nodes.job.Job` is given (``data_transferred``,
``data_stored``, ``request_duration``, ``compute_needed``, ``ram_needed``) from a few higher-level
inputs and its service's; each concrete class declares them, as inputs or formulas. Everything else
(hourly occurrences, data per hour) is the shared :class:`~efp_nodes.job.JobBase`.
"""
from __future__ import annotations

from efp import Backlink, Input, Link, ModelingObject, u
from efp_nodes.job import JobBase


class Service(ModelingObject):
    """Software installed on a server; concrete services replace the base consumption by their own
    defaults or formulas."""

    server = Link("ServerBase", doc="The server the service is installed on.")
    base_ram_consumption = Input("GB", 0 * u.GB, ge=0, doc="RAM the service occupies on each instance.")
    base_compute_consumption = Input("cpu_core", 0 * u.cpu_core, ge=0,
                                     doc="Compute the service occupies on each instance.")
    jobs = Backlink(("ServiceJob", "service"), doc="The jobs that call the service.")

    @classmethod
    def compatible_jobs(cls) -> list[type]:
        """The job classes whose ``service`` may be this service (``VideoStreaming.compatible_jobs()``)."""
        from efp.modeling_object import registered_classes
        return [job_cls for job_cls in registered_classes().values()
                if issubclass(job_cls, ServiceJob) and job_cls is not ServiceJob
                and issubclass(cls, job_cls.declarations()["service"].target)]


class ServiceJob(JobBase):
    """A request to a service; it runs on the service's server."""

    service = Link(Service, doc="The service the request calls.")

    @classmethod
    def calculated_attributes(cls) -> list[str]:
        """The job's own needs first (they feed the rest), then the hourly formulas every job shares."""
        names = super().calculated_attributes()
        shared = set(JobBase.calculated_attributes())
        return [name for name in names if name not in shared] + [name for name in names if name in shared]

    @property
    def server(self):
        """The server the request runs on: its service's (a convenience, e-footprint 9's ``job.server``)."""
        return self.service.server


__all__ = ["Service", "ServiceJob"]
