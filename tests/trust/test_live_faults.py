"""Guarantee 4 (docs/guarantees.md) at model level: BoaviztaCloudServer with a live BoaviztAPI that fails.

The peers are real local HTTP servers on 127.0.0.1 (``tests/builders/boavizta_server.py``): a closed port,
a server that accepts and then says nothing past the timeout, HTTP 500 and 400 answers, a non-JSON body,
JSON lacking a figure; and the same misbehaviours behind a server whose list endpoints answer like
BoaviztAPI (so that validation passes the provider check and the *instance* lookup, or the formula that
fetches the figures, meets the fault). For each:

- creating a BoaviztaCloudServer, changing one (setter or ``ModelingUpdate``) or computing one with the
  live backend pointed at the peer raises :class:`efp.ExternalDataError` (never a plain ``requests``,
  ``ValueError`` or ``KeyError``; never :class:`efp.UnknownInstanceError`, which would blame the user's
  instance type), within a bounded time, with a message naming the URL called and what went wrong;
- the model is exactly as before (no object, not even a default storage, is left from a refused
  creation; a refused change restores every value, state and edge);
- the embedded default backend is untouched and still computes the same objects afterwards.
"""
from __future__ import annotations

import json
import time
from datetime import datetime

import pytest

from efp import (ExternalDataError, ModelingUpdate, SourceHourlyValues, SourceObject, SourceValue, State,
                 UnknownInstanceError, u)
from efp_builders import BoaviztaCloudServer, boavizta
from efp_builders.boavizta import EmbeddedBoavizta, LiveBoavizta, using_backend
from efp_nodes import Countries, Device, Job, Network, System, UsagePattern, UserJourney, UserJourneyStep

import boavizta_server  # tests/builders/boavizta_server.py (on the path: tests/conftest.py)
from .helpers import snapshot, snapshot_differences

TIMEOUT, RETRIES, BACKOFF = 0.5, 1, 0.05
#: Each failing request takes at most (RETRIES + 1) x TIMEOUT + backoffs; one operation makes at most two.
BOUND_S = 2 * ((RETRIES + 1) * TIMEOUT + BACKOFF) + 1.5
FAULTS = {  # fault: (FakePeer behaviour and options, what the message must say)
    "closed port": (None, "refused"),
    "stall": (("stall", {"stall_s": 10}), "timeout"),
    "HTTP 500": (("status", {"status": 500}), "HTTP 500"),
    "HTTP 400": (("status", {"status": 400}), "HTTP 400"),
    "not JSON": (("garbage", {}), "not JSON"),
    "missing figure": (("missing", {}), ""),
}
EMBEDDED = EmbeddedBoavizta()


class ListsThenFault(boavizta_server.FakePeer):
    """Answers the list endpoints like BoaviztAPI 2.5.0 (the embedded table's lists), and every instance
    request with ``behaviour``: the fault meets the instance lookup, not the provider check."""

    def answer(self, handler, count):
        path = handler.path
        if path.startswith("/v1/cloud/instance/all_providers"):
            return self._json(handler, EMBEDDED.providers())
        if path.startswith("/v1/cloud/instance/all_instances"):
            provider = path.split("provider=", 1)[1].split("&")[0]
            return self._json(handler, EMBEDDED.instance_types(provider))
        return super().answer(handler, count)

    @staticmethod
    def _json(handler, data):
        body = json.dumps(data).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


@pytest.fixture(autouse=True)
def embedded_default():
    """Every test starts and ends with the embedded table as the default backend."""
    previous = boavizta.set_default_backend(boavizta.EMBEDDED)
    yield
    assert boavizta.default_backend() is boavizta.EMBEDDED, "a failing live backend stayed the default"
    boavizta.set_default_backend(previous)


@pytest.fixture(params=sorted(FAULTS))
def fault(request, closed_port_url):
    """``(name, base URL of the misbehaving peer, text the error must hold, peer or None)``."""
    behaviour, text = FAULTS[request.param]
    if behaviour is None:
        yield request.param, closed_port_url, text, None
        return
    peer = boavizta_server.FakePeer(behaviour[0], **behaviour[1])
    try:
        yield request.param, peer.url, text, peer
    finally:
        peer.close()


@pytest.fixture(params=sorted(set(FAULTS) - {"closed port"}))
def instance_fault(request):
    """A peer whose lists work and whose instance endpoint has the fault: ``(name, url, text)``."""
    behaviour, text = FAULTS[request.param]
    peer = ListsThenFault(behaviour[0], **behaviour[1])
    try:
        yield request.param, peer.url, text
    finally:
        peer.close()


def live(url: str) -> LiveBoavizta:
    return LiveBoavizta(url, timeout=TIMEOUT, retries=RETRIES, backoff=BACKOFF)


def small_system(server, name="system"):
    job = Job(f"{name} job", server=server, ram_needed=SourceValue(900 * u.MB), request_duration=SourceValue(1 * u.hour))
    step = UserJourneyStep(f"{name} step", user_time_spent=SourceValue(5 * u.min), jobs=[job])
    usage = UsagePattern(f"{name} usage", user_journey=UserJourney(f"{name} journey", uj_steps=[step]),
                         devices=[Device.laptop(f"{name} laptop")], network=Network.wifi_network(f"{name} wifi"),
                         country=Countries.FRANCE(), hourly_user_journey_starts=SourceHourlyValues([1, 4, 10],
                                                                                                   datetime(2025, 1, 1)))
    return System(name, usage_patterns=[usage])


def refused(model, change, url: str, text: str) -> ExternalDataError:
    """Run ``change``: an ExternalDataError naming ``url`` and ``text`` within the bound; the model unchanged."""
    before = snapshot(model)
    started = time.monotonic()
    with pytest.raises(ExternalDataError) as raised:
        change()
    elapsed = time.monotonic() - started
    assert elapsed < BOUND_S, f"took {elapsed:.2f} s (bound {BOUND_S:.2f} s)"
    assert not isinstance(raised.value, UnknownInstanceError), raised.value
    message = str(raised.value)
    assert url in message and text in message, message
    assert snapshot_differences(before, snapshot(model)) == []
    return raised.value


def assert_embedded_still_works(model, server=None):
    """The default backend is the embedded table and computes (a new server, and ``server`` if given)."""
    assert boavizta.default_backend() is boavizta.EMBEDDED
    fresh = BoaviztaCloudServer.from_defaults("after the fault", instance_type="dev1-m")
    small_system(fresh, "system after the fault")
    expected = EMBEDDED.instance("scaleway", "dev1-m")
    assert fresh.ram.value == expected.memory_gb * u.GB and fresh.power.value == expected.avg_power_w * u.W
    if server is not None:
        server.instance_type = SourceObject("dev1-l")
        assert server.compute.value == EMBEDDED.instance("scaleway", "dev1-l").vcpu * u.cpu_core


# ---------------------------------------------------------------------------------------------- creating
def test_creating_with_a_failing_peer_builds_nothing(model, fault):
    name, url, text, _ = fault
    with using_backend(live(url)):
        refused(model, lambda: BoaviztaCloudServer.from_defaults("cloud"), url, text)
        refused(model, lambda: BoaviztaCloudServer("cloud", provider="aws", instance_type="a1.medium"), url, text)
    assert not model.objects, f"{list(model.objects.values())} left behind"
    assert_embedded_still_works(model)


def test_creating_when_only_the_instance_lookup_fails_builds_nothing(model, instance_fault):
    name, url, text = instance_fault
    with using_backend(live(url)):
        refused(model, lambda: BoaviztaCloudServer.from_defaults("cloud"), url + "/v1/cloud/instance?", text)
    assert not model.objects
    assert_embedded_still_works(model)


# ---------------------------------------------------------------------------------------------- changing
def test_changing_with_a_failing_peer_leaves_the_model_as_it_was(model, fault):
    name, url, text, _ = fault
    server = BoaviztaCloudServer.from_defaults("cloud")
    system = small_system(server)
    footprint = system.total_footprint
    with using_backend(live(url)):
        refused(model, lambda: setattr(server, "instance_type", SourceObject("dev1-m")), url, text)
        refused(model, lambda: ModelingUpdate([[server.provider, SourceObject("aws")],
                                               [server.instance_type, SourceObject("m5.xlarge")]]), url, text)
        refused(model, lambda: setattr(server, "lifespan", SourceValue(4 * u.year)), url, text)
    assert system.total_footprint is footprint
    assert server.instance_type.value == "dev1-s"
    assert_embedded_still_works(model, server)


def test_changing_when_only_the_instance_lookup_fails(model, instance_fault):
    name, url, text = instance_fault
    server = BoaviztaCloudServer.from_defaults("cloud")
    system = small_system(server)
    footprint = system.total_footprint
    with using_backend(live(url)):
        refused(model, lambda: setattr(server, "instance_type", SourceObject("dev1-m")),
                url + "/v1/cloud/instance?provider=scaleway&instance_type=dev1-m", text)
        refused(model, lambda: ModelingUpdate([[server.lifespan, SourceValue(4 * u.year)],
                                               [server.instance_type, SourceObject("dev1-l")]]), url, text)
    assert system.total_footprint is footprint
    assert_embedded_still_works(model, server)


# ---------------------------------------------------------------------------------------------- computing
def test_computing_with_a_failing_peer_then_again_with_the_embedded_table(model, instance_fault):
    """A server validated by the embedded table but computed (lazily) while the live peer fails: the read
    raises ExternalDataError, nothing is stored, and the same read succeeds once the backend is back."""
    name, url, text = instance_fault
    server = BoaviztaCloudServer.from_defaults("cloud", instance_type="dev1-m")  # nothing computed yet
    assert server.node("power").state is State.STALE
    with using_backend(live(url)):
        before = snapshot(model)
        started = time.monotonic()
        with pytest.raises(ExternalDataError) as raised:
            server.power  # noqa: B018 - reading computes
        assert time.monotonic() - started < BOUND_S
        assert url in str(raised.value) and text in str(raised.value)
        after = snapshot(model)
        changed = [key for key in before["nodes"] if before["nodes"][key] != after["nodes"][key]]
        assert changed == [server.node("api_call_response").key]  # only the failed node, marked FAILED
        assert server.node("api_call_response").state is State.FAILED
        assert all(model.nodes[key].state is State.STALE for key in model.nodes
                   if model.nodes[key].calculated and key != changed[0])
    assert server.power.value == EMBEDDED.instance("scaleway", "dev1-m").avg_power_w * u.W  # tried again
    assert_embedded_still_works(model, server)


def test_a_system_computed_while_the_peer_fails_is_not_created(model, instance_fault):
    name, url, text = instance_fault
    server = BoaviztaCloudServer.from_defaults("cloud")
    with using_backend(live(url)):
        before_ids = set(model.objects)
        with pytest.raises(ExternalDataError):
            small_system(server)
        system_like = [o for o in model.objects.values() if type(o).__name__ == "System"]
        assert system_like == []
        assert set(model.objects) >= before_ids
    system = small_system(server, "system once the peer is gone")
    assert system.total_footprint.sum().magnitude > 0


# ---------------------------------------------------------------------------------------------- with the real API
def test_real_boaviztapi_then_a_fault_then_the_real_api_again(model, boaviztapi_url, fake_peer):
    """A system computed from a real BoaviztAPI 2.5.0; a change while the backend is a failing peer is refused;
    the same change through the real API again gives the embedded table's figures."""
    with using_backend(live(boaviztapi_url)):
        server = BoaviztaCloudServer.from_defaults("cloud")
        system = small_system(server)
        assert boaviztapi_url in str(server.api_call_response.source)
    peer = fake_peer("status", status=503)
    with using_backend(live(peer.url)):
        refused(model, lambda: setattr(server, "instance_type", SourceObject("dev1-m")), peer.url, "HTTP 503")
    with using_backend(live(boaviztapi_url)):
        server.instance_type = SourceObject("dev1-m")
        expected = EMBEDDED.instance("scaleway", "dev1-m")
        assert server.ram.value.to(u.GB).magnitude == pytest.approx(expected.memory_gb, rel=1e-12)
        assert system.total_footprint.sum().magnitude > 0
    assert_embedded_still_works(model, server)
