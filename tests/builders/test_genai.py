"""GenAIModel and GenAIJob: EcoLogits parameter counts and the formulas of efp_builders.genai_data.

Figures (EcoLogits 0.11.3 table shipped with efp, e-footprint 9's constants):

* default model mistralai / ministral-8b-2512, dense, 8.02e9 parameters: base RAM 1.2 × 8.02e9 × 2 B
  = 19.248 GB; 1000 tokens: 1000 × (8.02e-13 × 8.02e9 + 0.0223) s = 28.73204 s and, on 80 GB GPUs,
  1.2 × 8.02e9 × 2 B / 80 GB = 0.2406 gpu;
* openai / gpt-4o, 440e9 total and 88e9 active (the midpoint of 44–132): base RAM 1056 GB (as
  e-footprint 9 prints), 92.876 s and 2.64 gpu (e-footprint 9 printed 132.575 s and 4.125 gpu with
  EcoLogits 0.7.3's 137.5e9 active parameters);
* every job: 1000 tokens × 24 bits = 3 kB of text, 103 kB stored and transferred.
"""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from efp import (LinkError, ModelingUpdate, SourceHourlyValues, SourceObject, SourceValue, ValidationError,
                 new_model, u)
from efp_builders import GenAIJob, GenAIModel
from efp_builders import genai_data
from efp_nodes import (Countries, Device, GPUServer, Network, Server, Storage, System, UsagePattern, UserJourney,
                       UserJourneyStep)

ONE_HOUR_S = 3600.0


@pytest.fixture
def model():
    with new_model() as fresh:
        yield fresh


def magnitude(value, unit) -> float:
    return float(value.value.to(unit).magnitude)


def snapshot(model) -> dict:
    nodes = {key: (node.state, id(node.value), tuple(node.value) if isinstance(node.value, list) else None)
             for key, node in model.nodes.items()}
    return {"nodes": nodes, "objects": dict(model.objects), "edges": set(model.graph.edges)}


def gpu_server(name="GPU server", gpus=16):
    return GPUServer.from_defaults(name, compute=SourceValue(gpus * u.gpu), storage=Storage.ssd(f"{name} SSD"))


def test_defaults_and_lists():
    defaults = {name: value.value for name, value in GenAIModel.default_values().items()}
    assert defaults == {"provider": "mistralai", "model_name": "ministral-8b-2512",
                        "nb_of_bits_per_parameter": 16 * u.dimensionless, "llm_memory_factor": 1.2 * u.dimensionless,
                        "gpu_latency_alpha": 8.02e-13 * u.s, "gpu_latency_beta": 0.0223 * u.s,
                        "bits_per_token": 24 * u.dimensionless}
    assert "ministral-8b-2512" in genai_data.model_names("mistralai")  # the default exists in the shipped table
    assert {name: value.value for name, value in GenAIJob.default_values().items()
            if name != "data_download"} == {"output_token_count": 1000 * u.dimensionless}
    assert GenAIModel.list_values() == {"provider": genai_data.providers()}
    conditional = GenAIModel.conditional_list_values()["model_name"]
    assert conditional["depends_on"] == "provider"
    assert conditional["conditional_list_values"] == {p: genai_data.model_names(p) for p in genai_data.providers()}
    assert GenAIModel.compatible_jobs() == [GenAIJob]


def test_default_model_and_job_figures(model):
    service = GenAIModel.from_defaults("LLM", server=gpu_server())
    job = GenAIJob.from_defaults("LLM API call", service=service)
    assert magnitude(service.active_params, u.dimensionless) == 8.02e9
    assert magnitude(service.total_params, u.dimensionless) == 8.02e9
    assert magnitude(service.base_ram_consumption, u.GB) == pytest.approx(19.248, rel=1e-12)
    assert magnitude(service.base_compute_consumption, u.gpu) == 0
    assert magnitude(job.output_token_weights, u.kB) == pytest.approx(3)
    assert magnitude(job.data_stored, u.kB) == pytest.approx(103)
    assert magnitude(job.data_transferred, u.kB) == pytest.approx(103)
    assert magnitude(job.request_duration, u.s) == pytest.approx(28.73204, rel=1e-12)
    assert magnitude(job.ram_needed, u.GB) == 0
    assert magnitude(job.compute_needed, u.gpu) == pytest.approx(0.2406, rel=1e-12)


def test_gpt_4o_figures(model):
    service = GenAIModel("gpt-4o", provider=SourceObject("openai"), model_name=SourceObject("gpt-4o"),
                         server=gpu_server())
    job = GenAIJob("LLM API call", service=service, output_token_count=SourceValue(1000 * u.dimensionless))
    assert magnitude(service.total_params, u.dimensionless) == 440e9
    assert magnitude(service.active_params, u.dimensionless) == 88e9
    assert magnitude(service.base_ram_consumption, u.GB) == pytest.approx(1056, rel=1e-12)
    assert magnitude(job.request_duration, u.s) == pytest.approx(92.876, rel=1e-12)
    assert magnitude(job.compute_needed, u.gpu) == pytest.approx(2.64, rel=1e-12)
    params = genai_data.model_params("openai", "gpt-4o")  # the same functions, called directly
    assert magnitude(job.request_duration, u.s) == genai_data.request_duration_s(1000, params.active_params)
    server = service.server
    assert magnitude(server.occupied_ram_per_instance, u.GB) == pytest.approx(1056)
    assert magnitude(server.available_ram_per_instance, u.GB) == pytest.approx(224)


def test_formulas_follow_their_inputs(model):
    server = gpu_server()
    service = GenAIModel.from_defaults("LLM", server=server, nb_of_bits_per_parameter=SourceValue(8 * u.dimensionless),
                                       bits_per_token=SourceValue(32 * u.dimensionless))
    job = GenAIJob.from_defaults("call", service=service, output_token_count=SourceValue(500 * u.dimensionless))
    assert magnitude(service.base_ram_consumption, u.GB) == pytest.approx(1.2 * 8.02e9 * 1 / 1e9, rel=1e-12)
    assert magnitude(job.output_token_weights, u.kB) == pytest.approx(2)
    assert magnitude(job.request_duration, u.s) == pytest.approx(500 * (8.02e-13 * 8.02e9 + 0.0223), rel=1e-12)
    server.ram_per_gpu = SourceValue(40 * u.GB / u.gpu)
    assert magnitude(job.compute_needed, u.gpu) == pytest.approx(1.2 * 8.02e9 * 1 / 40e9, rel=1e-12)


def test_unknown_model_and_provider_are_refused(model):
    server = gpu_server()
    with pytest.raises(ValidationError, match="open-mistral-7b"):
        GenAIModel.from_defaults("old", server=server, model_name="open-mistral-7b")
    with pytest.raises(ValidationError, match="mistral"):
        GenAIModel.from_defaults("typo", server=server, provider="mistral")
    with pytest.raises(LinkError):
        GenAIModel.from_defaults("cpu", server=Server.from_defaults("cpu server"))


def test_provider_changes_with_its_model_in_one_batch(model):
    service = GenAIModel.from_defaults("LLM", server=gpu_server())
    job = GenAIJob.from_defaults("call", service=service)
    job.compute_needed  # computed: a change recomputes it
    before = snapshot(model)
    with pytest.raises(ValidationError, match="provider = openai"):
        service.provider = SourceObject("openai")
    assert snapshot(model) == before
    ModelingUpdate([[service.provider, SourceObject("openai")], [service.model_name, SourceObject("gpt-4o")]])
    assert magnitude(job.compute_needed, u.gpu) == pytest.approx(2.64, rel=1e-12)


def test_genai_job_in_a_small_system(model):
    server = gpu_server()
    service = GenAIModel("gpt-4o", provider="openai", model_name="gpt-4o", server=server)
    job = GenAIJob.from_defaults("LLM API call", service=service)
    step = UserJourneyStep("chat", user_time_spent=SourceValue(1 * u.min), jobs=[job])
    starts = [100.0, 250.0, 40.0]
    usage = UsagePattern("usage", user_journey=UserJourney("journey", uj_steps=[step]), devices=[Device.laptop()],
                         network=Network.wifi_network(), country=Countries.FRANCE(),
                         hourly_user_journey_starts=SourceHourlyValues(starts, datetime(2025, 1, 1)))
    system = System("system", usage_patterns=[usage])
    assert system.servers == [server] and server.jobs == [job] and server.installed_services == [service]
    # 92.876 s requests each hold 2.64 of the 16 GPUs; serverless: fractional instances
    fraction_of_hour = 92.876 / ONE_HOUR_S
    expected_raw = [n * fraction_of_hour * 2.64 / 16 for n in starts]
    assert np.allclose(server.raw_nb_of_instances.magnitude, expected_raw, rtol=1e-12)
    assert np.allclose(server.nb_of_instances.magnitude, expected_raw, rtol=1e-12)
    stored_tb = sum(starts) * 103e3 / 1e12 * 3  # replicated three times
    assert server.storage.storage_needed.sum().to(u.TB).magnitude == pytest.approx(stored_tb, rel=1e-9)
    assert server.energy_footprint.sum().to(u.kg).magnitude > 0
    assert system.total_footprint.sum().to(u.kg).magnitude > 0

    job.output_token_count = SourceValue(2000 * u.dimensionless)  # longer answers: longer requests
    assert np.allclose(server.raw_nb_of_instances.magnitude, [2 * r for r in expected_raw], rtol=1e-12)
