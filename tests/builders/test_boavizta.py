"""efp_builders.boavizta against the shipped table and against a real BoaviztAPI 2.5.0 server.

Live tests use the session fixture ``boaviztapi_url`` (a real ``uvicorn boaviztapi.main:app`` on
127.0.0.1); failure modes use local misbehaving peers (``fake_peer``, ``closed_port_url``), never any
other address.
"""
from __future__ import annotations

import csv
import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from efp.errors import ExternalDataError, UnknownInstanceError
from efp_builders import boavizta
from efp_builders.boavizta import CloudInstance, EmbeddedBoavizta, LiveBoavizta

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLE = REPO_ROOT / "efp_builders" / "data" / "boavizta_cloud_instances.csv"
PROVIDERS = ["aws", "azure", "gcp", "ovhcloud", "scaleway"]
FIELDS = ("vcpu", "memory_gb", "gwp_embedded_kg", "avg_power_w")
DEV1_S = {"vcpu": 2.0, "memory_gb": 2.0, "gwp_embedded_kg": 19.0, "avg_power_w": 10.990959713114755}


def table_rows() -> list[dict[str, str]]:
    with open(TABLE, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def spread(items: list[str], k: int = 5) -> list[str]:
    """``k`` items evenly spread over ``items`` (first and last included), deterministic."""
    picks = sorted({round(i * (len(items) - 1) / (k - 1)) for i in range(k)})
    return [items[i] for i in picks]


@pytest.fixture
def fresh_default():
    """Forget the default backend before the test and restore it after."""
    previous = boavizta.set_default_backend(None)
    yield
    boavizta.set_default_backend(previous)


# ------------------------------------------------------------------------------------ embedded
def test_embedded_providers_are_the_tables():
    assert EmbeddedBoavizta().providers() == PROVIDERS
    assert sorted({r["provider"] for r in table_rows()}) == PROVIDERS


def test_embedded_instance_types_keep_table_order():
    rows = table_rows()
    embedded = EmbeddedBoavizta()
    for provider in PROVIDERS:
        assert embedded.instance_types(provider) == [r["instance_type"] for r in rows
                                                     if r["provider"] == provider]
    assert embedded.instance_types("aws")[:3] == ["a1.medium", "a1.large", "a1.xlarge"]
    assert sum(len(embedded.instance_types(p)) for p in PROVIDERS) == len(rows) == 2331


def test_embedded_scaleway_dev1_s():
    dev1_s = EmbeddedBoavizta().instance("scaleway", "dev1-s")
    assert {f: getattr(dev1_s, f) for f in FIELDS} == DEV1_S
    assert dev1_s.source == "embedded BoaviztAPI 2.5.0 table"
    answer = dev1_s.response
    assert answer["impacts"]["gwp"]["embedded"]["value"] == 19.0
    assert answer["verbose"]["vcpu"]["value"] == 2.0
    assert answer["verbose"]["memory"] == {"value": 2.0, "unit": "GB"}
    assert answer["verbose"]["avg_power"] == {"value": 10.990959713114755, "unit": "W"}


def test_embedded_unknown_provider_names_value_and_allowed():
    with pytest.raises(UnknownInstanceError) as info:
        EmbeddedBoavizta().instance("azur", "d2ads_v5")
    message = str(info.value)
    assert "'azur'" in message and "'azure'" in message and "'aws'" in message
    with pytest.raises(UnknownInstanceError, match="provider 'nope'"):
        EmbeddedBoavizta().instance_types("nope")


def test_embedded_unknown_instance_type_names_provider_value_and_close_matches():
    with pytest.raises(UnknownInstanceError) as info:
        EmbeddedBoavizta().instance("scaleway", "dev1-ss")
    message = str(info.value)
    assert "'dev1-ss'" in message and "'scaleway'" in message and "'dev1-s'" in message
    assert "69 in all" in message


def test_cloud_instance_is_frozen():
    dev1_s = EmbeddedBoavizta().instance("scaleway", "dev1-s")
    with pytest.raises(dataclasses.FrozenInstanceError):
        dev1_s.vcpu = 4.0  # type: ignore[misc]


def test_import_does_not_import_requests():
    probe = "import sys, efp_builders.boavizta; print('requests' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


# ------------------------------------------------------------------------------- default backend
def test_default_backend_is_embedded(fresh_default, monkeypatch):
    monkeypatch.delenv("EFP_BOAVIZTA_BACKEND", raising=False)
    assert boavizta.default_backend() is boavizta.EMBEDDED
    assert boavizta.default_backend() is boavizta.default_backend()


def test_env_selects_live_backend(fresh_default, monkeypatch, closed_port_url):
    monkeypatch.setenv("EFP_BOAVIZTA_BACKEND", "live")
    monkeypatch.setenv("EFP_BOAVIZTAPI_URL", closed_port_url + "/")
    backend = boavizta.default_backend()  # no request is made here
    assert isinstance(backend, LiveBoavizta) and backend.url == closed_port_url


def test_env_with_unknown_backend_is_refused(fresh_default, monkeypatch):
    monkeypatch.setenv("EFP_BOAVIZTA_BACKEND", "cloudy")
    with pytest.raises(ExternalDataError, match="EFP_BOAVIZTA_BACKEND='cloudy'"):
        boavizta.default_backend()


def test_using_backend_swaps_then_restores(fresh_default, closed_port_url):
    live = LiveBoavizta(closed_port_url)
    before = boavizta.default_backend()
    with boavizta.using_backend(live) as inside:
        assert inside is live and boavizta.default_backend() is live
    assert boavizta.default_backend() is before


def test_live_without_url_explains_how_to_set_it(monkeypatch):
    monkeypatch.delenv("EFP_BOAVIZTAPI_URL", raising=False)
    with pytest.raises(ExternalDataError, match="EFP_BOAVIZTAPI_URL"):
        LiveBoavizta()


# ---------------------------------------------------------------------- live, real BoaviztAPI
def test_live_matches_embedded_on_a_spread_of_every_provider(boaviztapi_url):
    """The server's JSON floats are the table's, digit for digit (the table holds their repr)."""
    live, embedded = LiveBoavizta(boaviztapi_url), EmbeddedBoavizta()
    checked = 0
    for provider in PROVIDERS:
        for instance_type in spread(embedded.instance_types(provider)):
            got, expected = live.instance(provider, instance_type), embedded.instance(provider,
                                                                                      instance_type)
            for name in FIELDS:
                assert getattr(got, name) == pytest.approx(getattr(expected, name), rel=1e-9), \
                    (provider, instance_type, name)
            checked += 1
    assert checked == 5 * len(PROVIDERS)


def test_live_scaleway_dev1_s(boaviztapi_url):
    dev1_s = LiveBoavizta(boaviztapi_url).instance("scaleway", "dev1-s")
    for name, value in DEV1_S.items():
        assert getattr(dev1_s, name) == pytest.approx(value, rel=1e-9)
    assert dev1_s.source == (f"{boaviztapi_url}/v1/cloud/instance?provider=scaleway"
                             f"&instance_type=dev1-s&verbose=true")
    assert dev1_s.response["verbose"]["avg_power"]["unit"] == "W"
    assert dev1_s.response["impacts"]["gwp"]["unit"] == "kgCO2eq"


def test_live_lists_agree_with_embedded(boaviztapi_url):
    live, embedded = LiveBoavizta(boaviztapi_url), EmbeddedBoavizta()
    assert live.providers() == embedded.providers() == PROVIDERS
    for provider in PROVIDERS:
        assert live.instance_types(provider) == embedded.instance_types(provider)


def test_live_unknown_instance_is_a_real_404(boaviztapi_url):
    with pytest.raises(UnknownInstanceError) as info:
        LiveBoavizta(boaviztapi_url).instance("scaleway", "no-such-instance")
    message = str(info.value)
    assert f"{boaviztapi_url}/v1/cloud/instance?provider=scaleway&instance_type=no-such-instance" \
        in message
    assert "404" in message and "no-such-instance at scaleway not found" in message


def test_live_refuses_fuzzy_substitute(boaviztapi_url):
    """BoaviztAPI answers 200 with 'dev1-s' for 'dev1-ss'; efp must not take other hardware."""
    with pytest.raises(UnknownInstanceError, match="closest match 'dev1-s'"):
        LiveBoavizta(boaviztapi_url).instance("scaleway", "dev1-ss")


def test_live_unknown_provider(boaviztapi_url):
    with pytest.raises(UnknownInstanceError, match="all_instances\\?provider=nope.*404"):
        LiveBoavizta(boaviztapi_url).instance_types("nope")


# ----------------------------------------------------------------- live, misbehaving local peers
def test_closed_port_is_external_data_error(closed_port_url):
    start = time.monotonic()
    with pytest.raises(ExternalDataError) as info:
        LiveBoavizta(closed_port_url, timeout=0.5, retries=1).instance("scaleway", "dev1-s")
    assert time.monotonic() - start < 5
    message = str(info.value)
    assert not isinstance(info.value, UnknownInstanceError)
    assert f"{closed_port_url}/v1/cloud/instance?provider=scaleway&instance_type=dev1-s" in message
    assert "refused" in message and "2 attempt" in message


def test_stalled_server_times_out_within_bounds(fake_peer):
    peer = fake_peer("stall", stall_s=10)
    start = time.monotonic()
    with pytest.raises(ExternalDataError) as info:
        LiveBoavizta(peer.url, timeout=0.5, retries=1).instance("scaleway", "dev1-s")
    elapsed = time.monotonic() - start
    assert 1.0 <= elapsed < 4.0  # two attempts of 0.5 s and one 0.1 s backoff, never the 10 s stall
    assert len(peer.hits) == 2
    message = str(info.value)
    assert peer.url + "/v1/cloud/instance?provider=scaleway" in message and "timeout" in message


def test_5xx_is_retried_a_bounded_number_of_times(fake_peer):
    peer = fake_peer("status", status=500)
    with pytest.raises(ExternalDataError) as info:
        LiveBoavizta(peer.url, retries=2, backoff=0.01).instance("aws", "a1.medium")
    assert len(peer.hits) == 3
    message = str(info.value)
    assert peer.url + "/v1/cloud/instance?provider=aws&instance_type=a1.medium" in message
    assert "HTTP 500" in message and "3 attempt" in message


def test_5xx_then_success_recovers(fake_peer):
    peer = fake_peer("flaky", failures=2)
    answer = LiveBoavizta(peer.url, retries=2, backoff=0.01).instance("scaleway", "dev1-s")
    assert answer.avg_power_w == 10.5 and len(peer.hits) == 3


@pytest.mark.parametrize("status", [400, 422])
def test_4xx_is_never_retried(fake_peer, status):
    peer = fake_peer("status", status=status)
    with pytest.raises(ExternalDataError) as info:
        LiveBoavizta(peer.url, retries=3, backoff=0.01).instance("scaleway", "dev1-s")
    assert len(peer.hits) == 1
    assert not isinstance(info.value, UnknownInstanceError)
    assert peer.url in str(info.value) and f"HTTP {status}" in str(info.value)


def test_404_from_a_peer_is_unknown_instance_without_retry(fake_peer):
    peer = fake_peer("status", status=404)
    with pytest.raises(UnknownInstanceError, match="fake failure 404"):
        LiveBoavizta(peer.url, retries=3).instance("scaleway", "dev1-s")
    assert len(peer.hits) == 1


def test_non_json_body(fake_peer):
    peer = fake_peer("garbage")
    with pytest.raises(ExternalDataError) as info:
        LiveBoavizta(peer.url).instance("scaleway", "dev1-s")
    message = str(info.value)
    assert peer.url + "/v1/cloud/instance?provider=scaleway" in message
    assert "not JSON" in message and "Bad gateway" in message
    assert len(peer.hits) == 1


def test_json_missing_fields(fake_peer):
    peer = fake_peer("missing")
    with pytest.raises(ExternalDataError) as info:
        LiveBoavizta(peer.url).instance("scaleway", "dev1-s")
    message = str(info.value)
    assert peer.url + "/v1/cloud/instance?provider=scaleway" in message
    assert "verbose.avg_power.value" in message and "missing" in message


def test_lists_that_are_not_lists(fake_peer):
    peer = fake_peer("ok")
    with pytest.raises(ExternalDataError, match="all_providers is not a list"):
        LiveBoavizta(peer.url).providers()


def test_second_identical_call_hits_the_cache(fake_peer):
    peer = fake_peer("ok")
    live = LiveBoavizta(peer.url)
    first = live.instance("scaleway", "dev1-s")
    assert live.instance("scaleway", "dev1-s") is first
    assert len(peer.hits) == 1
    live.instance("scaleway", "dev1-m")
    assert len(peer.hits) == 2


def test_failures_are_not_cached(fake_peer):
    peer = fake_peer("flaky", failures=1)
    live = LiveBoavizta(peer.url, retries=0)
    with pytest.raises(ExternalDataError, match="HTTP 500"):
        live.instance("scaleway", "dev1-s")
    assert live.instance("scaleway", "dev1-s").gwp_embedded_kg == 19.0
    assert len(peer.hits) == 2


def test_live_instance_is_a_cloud_instance_with_raw_response(fake_peer):
    peer = fake_peer("ok")
    got = LiveBoavizta(peer.url).instance("scaleway", "dev1-s")
    assert isinstance(got, CloudInstance)
    assert got.response == peer.valid_answer
    assert got.source.startswith(peer.url + "/v1/cloud/instance?")
