"""Tests of the GenAI model table (EcoLogits 0.11.3) and the GenAI job formulas (efp_builders/genai_data.py)."""

import csv
import io
import math
from importlib import resources

import pytest

from efp.errors import ValidationError
from efp_builders import genai_data as g
from efp_builders.genai_data import GenAIModelParams

# e-footprint 9.0.0's printed values for gpt-4o (EcoLogits data of its time: MoE 440 B total, 55-220 B active).
GPT4O_EFOOTPRINT_TOTAL = 440e9
GPT4O_EFOOTPRINT_ACTIVE = 137.5e9
GB = 1e9
KB = 1e3


def test_providers():
    assert g.providers() == ["anthropic", "cohere", "google_genai", "huggingface_hub", "mistralai", "openai"]


def test_table_shape():
    text = resources.files("efp_builders").joinpath("data/genai_models.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 351  # 342 models + 9 aliases of EcoLogits 0.11.3
    assert len({(r["provider"], r["model_name"]) for r in rows}) == len(rows)
    for row in rows:
        assert row["source"].startswith("ecologits 0.11.3 ecologits/data/models.json: ")
        total, active = float(row["total_params_billion"]), float(row["active_params_billion"])
        assert 0 < active <= total
    assert sum(len(g.model_names(p)) for p in g.providers()) == len(rows)


def test_gpt4o_current_release():
    params = g.model_params("openai", "gpt-4o")
    assert params == GenAIModelParams(total_params=440e9, active_params=88e9)  # 44-132 B active -> midpoint 88
    assert "active 44-132 (midpoint)" in g.model_source("openai", "gpt-4o")


def test_dense_model_and_range_midpoint():
    params = g.model_params("openai", "gpt-4o-mini")  # dense, 8-28 B in EcoLogits 0.11.3
    assert params.total_params == params.active_params == 18e9
    assert "dense, 8-28 (midpoint)" in g.model_source("openai", "gpt-4o-mini")
    exact = g.model_params("mistralai", "ministral-8b-2512")
    assert exact.total_params == exact.active_params == pytest.approx(8.02e9, rel=1e-15)


def test_alias_gets_the_parameters_of_its_model():
    assert g.model_params("anthropic", "claude-sonnet-4-5") == g.model_params("anthropic", "claude-sonnet-4-5-20250929")
    assert "alias of claude-sonnet-4-5-20250929" in g.model_source("anthropic", "claude-sonnet-4-5")


def test_model_names_sorted_and_known():
    names = g.model_names("openai")
    assert names == sorted(names)
    assert "gpt-4o" in names


def test_errors_list_allowed_values():
    with pytest.raises(ValidationError) as info:
        g.model_params("closedai", "gpt-4o")
    assert "'closedai'" in str(info.value) and "openai" in str(info.value) and "mistralai" in str(info.value)
    with pytest.raises(ValidationError) as info:
        g.model_names("google")
    assert "google_genai" in str(info.value)
    with pytest.raises(ValidationError) as info:
        g.model_params("openai", "gpt-4oo")
    message = str(info.value)
    assert "'gpt-4oo'" in message and "Closest" in message and "'gpt-4o'" in message and "Allowed" in message
    with pytest.raises(ValidationError):
        g.model_params("mistralai", "open-mistral-7b")  # in EcoLogits <= 0.7.3, gone in 0.11.3


# ------------------------------------------------------------------ formulas, e-footprint 9's gpt-4o figures


def test_base_ram_consumption_gpt4o():
    assert g.gpu_memory_need_bytes(GPT4O_EFOOTPRINT_TOTAL) / GB == pytest.approx(1056.0, rel=1e-12)
    assert g.gpu_memory_need_bytes(GPT4O_EFOOTPRINT_TOTAL, 16, 1.2) == pytest.approx(1056e9, rel=1e-12)


def test_request_duration_gpt4o():
    assert g.request_duration_s(1000, GPT4O_EFOOTPRINT_ACTIVE) == pytest.approx(132.575, rel=1e-12)
    assert g.request_duration_s(1000, GPT4O_EFOOTPRINT_ACTIVE, 8.02e-13, 0.0223) == pytest.approx(132.575, rel=1e-12)


def test_compute_needed_gpt4o():
    assert g.compute_needed_gpu(GPT4O_EFOOTPRINT_ACTIVE, 80 * GB) == pytest.approx(4.125, rel=1e-12)


def test_output_token_weights():
    assert g.output_token_weights_bytes(1000) / KB == pytest.approx(3.0, rel=1e-12)
    assert g.output_token_weights_bytes(1000, 24) == pytest.approx(3000.0, rel=1e-15)


def test_defaults_are_efootprint9s():
    assert g.DEFAULT_LLM_MEMORY_FACTOR == 1.2
    assert g.DEFAULT_NB_OF_BITS_PER_PARAMETER == 16
    assert g.DEFAULT_GPU_LATENCY_ALPHA_S == 8.02e-13
    assert g.DEFAULT_GPU_LATENCY_BETA_S == 0.0223
    assert g.DEFAULT_BITS_PER_TOKEN == 24


def test_gpu_required_count():
    memory = g.gpu_memory_need_bytes(GPT4O_EFOOTPRINT_TOTAL)
    assert g.gpu_required_count(memory, 80 * GB, power_of_two=False) == 14  # ceil(13.2)
    assert g.gpu_required_count(memory, 80 * GB) == 16  # EcoLogits 0.11.3 rounds up to a power of two
    assert g.gpu_required_count(160 * GB * (1 + 1e-12), 80 * GB, power_of_two=False) == 2  # float noise
    assert g.gpu_required_count(1.0, 80 * GB) == 1
    assert [g.gpu_required_count(n * 80 * GB, 80 * GB) for n in (1, 2, 3, 4, 5, 8, 9)] == [1, 2, 4, 4, 8, 8, 16]
    with pytest.raises(ValidationError):
        g.gpu_required_count(1.0, 0.0)


def test_request_duration_ecologits_0_11():
    # Values computed with ecologits 0.11.3's own generation_latency (active 88 B, 1000 tokens).
    assert g.request_duration_ecologits_0_11_s(1000, 88e9) == pytest.approx(99.14607880459047, rel=1e-12)
    assert g.request_duration_ecologits_0_11_s(1000, 88e9, tps=74, ttft_s=0.61) == pytest.approx(
        14.123513513513513, rel=1e-12)
    assert g.request_duration_ecologits_0_11_s(1000, 88e9, request_latency_s=5.0) == 5.0
    assert math.isfinite(g.request_duration_ecologits_0_11_s(1, 7e9, batch_size=1))


def test_current_gpt4o_through_the_formulas():
    params = g.model_params("openai", "gpt-4o")
    assert g.gpu_memory_need_bytes(params.total_params) / GB == pytest.approx(1056.0, rel=1e-12)
    assert g.request_duration_s(1000, params.active_params) == pytest.approx(1000 * (8.02e-13 * 88e9 + 0.0223))
    assert g.compute_needed_gpu(params.active_params, 80 * GB) == pytest.approx(2.64, rel=1e-12)
