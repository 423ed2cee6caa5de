"""Large language models (parameter counts from EcoLogits) and the formulas of a GenAI job.

Data
----
``efp_builders/data/genai_models.csv`` (provenance in ``efp_builders/data/README.md``, regenerate
with ``scripts/generate_genai_models.py``) lists the models of EcoLogits **0.11.3** (PyPI
``ecologits``, MPL-2.0, https://github.com/genai-impact/ecologits, file ``ecologits/data/models.json``,
aliases included): provider, model name, total and active parameter counts in billions. A dense model
has total = active. Where EcoLogits gives a range ``{min, max}`` (architecture not published) the table
holds the midpoint ``(min + max) / 2``, the rule e-footprint 9's ``GenAIModel`` applies.

* :func:`providers`, :func:`model_names` and :func:`model_params` read it (once, cached);
  :func:`model_params` returns counts in parameters (not billions).

gpt-4o in the releases checked: EcoLogits 0.5.2, 0.6.3 and 0.7.3 give an MoE of 440 billion parameters
with 55–220 billion active, so 440e9 total and 137.5e9 active (midpoint): the figures e-footprint 9
prints. EcoLogits 0.11.3 (current, shipped here) gives 440 billion with 44–132 active, so 440e9 and
88e9. (e-footprint's default model, mistralai / open-mistral-7b, 7.3 billion dense up to 0.7.3, is no
longer in 0.11.3; and its provider ``google`` is called ``google_genai`` there.)

Formulas of a GenAI job
-----------------------
They follow EcoLogits' LLM methodology (https://ecologits.ai, "LLM inference" methodology; code in
``ecologits/impacts/llm.py``), which e-footprint 9's ``GenAIModel`` / ``GenAIJob`` follow. Parameter
counts are in parameters, memory in bytes, durations in seconds. Each is a plain float function below.

* GPU memory needed to hold the model (a server's base RAM consumption)::

      memory = llm_memory_factor × total_params × nb_of_bits_per_parameter / 8        [bytes]

  :func:`gpu_memory_need_bytes`. Defaults ``llm_memory_factor = 1.2`` (EcoLogits' overhead factor, the
  same in every release checked) and ``nb_of_bits_per_parameter = 16`` (e-footprint 9's default;
  EcoLogits' ``MODEL_QUANTIZATION_BITS`` was 4 in 0.5.2–0.7.3 and is 16 in 0.11.3).
  gpt-4o: 1.2 × 440e9 × 16 / 8 = 1.056e12 B = 1056 GB.

* Request duration (generation latency) of one request producing ``output_token_count`` tokens::

      request_duration = output_token_count × (gpu_latency_alpha × active_params + gpu_latency_beta)

  :func:`request_duration_s`. Defaults ``gpu_latency_alpha = 8.02e-13 s`` per active parameter and
  per token and ``gpu_latency_beta = 0.0223 s`` per token: EcoLogits' ``GPU_LATENCY_ALPHA = 8.02e-4``
  (s per billion parameters) and ``GPU_LATENCY_BETA = 2.23e-2`` of releases 0.5.2–0.7.3, as
  e-footprint 9 uses them. gpt-4o, 1000 tokens: 1000 × (8.02e-13 × 137.5e9 + 0.0223) = 132.575 s.

  **EcoLogits 0.11.3 differs**: its per-token latency is
  ``LATENCY_ALPHA × active_billions + LATENCY_BETA × batch_size + LATENCY_GAMMA`` with
  ``LATENCY_ALPHA = 6.785088094353663e-4`` s, ``LATENCY_BETA = 3.119310311688259e-4`` s,
  ``LATENCY_GAMMA = 0.019473717579473387`` s and ``BATCH_SIZE = 64`` (i.e. alpha 6.785e-13 s per
  parameter and an intercept of 0.03944 s at batch 64), replaced by ``1 / tps`` plus a ``ttft``
  (time to first token) when its model file gives measured deployment figures (gpt-4o: 74 tokens/s,
  0.61 s), and capped by a measured request latency. :func:`request_duration_ecologits_0_11_s` gives
  that formula; the defaults stay e-footprint 9's so that its figures are reproduced.

* GPUs busy during one request (a job's ``compute_needed``, in gpu)::

      compute_needed = llm_memory_factor × active_params × nb_of_bits_per_parameter / 8 / ram_per_gpu

  :func:`compute_needed_gpu`: e-footprint 9's rule, the memory of the *active* parameters expressed in
  GPUs (a fraction is allowed). gpt-4o on 80 GB GPUs: 1.2 × 137.5e9 × 2 B / 80e9 B = 4.125 gpu.

* GPUs needed to load the model (EcoLogits' ``gpu_required_count``)::

      n = ceil(memory / gpu_memory)                  (EcoLogits ≤ 0.7.3)
      n = 2 ** ceil(log2(ceil(memory / gpu_memory)))  (EcoLogits 0.11.3: rounded up to a power of two)

  :func:`gpu_required_count` (``power_of_two`` chooses). gpt-4o, 1056 GB on 80 GB GPUs: 13.2 → 14,
  or 16 with the power-of-two rule. ``ceil`` ignores float noise (1e-9 relative), as efp's model does.

* Weight of the generated text (added to what the job stores and sends)::

      output_token_weights = output_token_count × bits_per_token / 8           [bytes]

  :func:`output_token_weights_bytes`, default ``bits_per_token = 24`` (e-footprint 9). 1000 tokens:
  3000 B = 3.0 kB.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import math
from dataclasses import dataclass
from importlib import resources

from efp.errors import ValidationError

__all__ = [
    "GenAIModelParams", "providers", "model_names", "model_params", "model_source",
    "DEFAULT_LLM_MEMORY_FACTOR", "DEFAULT_NB_OF_BITS_PER_PARAMETER", "DEFAULT_GPU_LATENCY_ALPHA_S",
    "DEFAULT_GPU_LATENCY_BETA_S", "DEFAULT_BITS_PER_TOKEN",
    "gpu_memory_need_bytes", "request_duration_s", "request_duration_ecologits_0_11_s", "compute_needed_gpu",
    "gpu_required_count", "output_token_weights_bytes",
]

_DATA_PACKAGE = "efp_builders"
_DATA_FILE = "data/genai_models.csv"
_COLUMNS = ("provider", "model_name", "total_params_billion", "active_params_billion", "source")

#: Ratio of GPU memory footprint to model size (EcoLogits, all releases checked).
DEFAULT_LLM_MEMORY_FACTOR = 1.2
#: Bits per model weight (e-footprint 9's default; EcoLogits 0.11.3's MODEL_QUANTIZATION_BITS).
DEFAULT_NB_OF_BITS_PER_PARAMETER = 16
#: Seconds per active parameter per output token (EcoLogits 0.5.2–0.7.3 GPU_LATENCY_ALPHA = 8.02e-4 s per billion).
DEFAULT_GPU_LATENCY_ALPHA_S = 8.02e-13
#: Seconds per output token (EcoLogits 0.5.2–0.7.3 GPU_LATENCY_BETA).
DEFAULT_GPU_LATENCY_BETA_S = 0.0223
#: Bits per generated token (e-footprint 9's default).
DEFAULT_BITS_PER_TOKEN = 24

# EcoLogits 0.11.3 latency regression (ecologits/impacts/llm.py), alpha per billion active parameters.
ECOLOGITS_0_11_LATENCY_ALPHA_S_PER_BILLION = 0.0006785088094353663
ECOLOGITS_0_11_LATENCY_BETA_S = 0.0003119310311688259
ECOLOGITS_0_11_LATENCY_GAMMA_S = 0.019473717579473387
ECOLOGITS_0_11_BATCH_SIZE = 64

_CEIL_TOLERANCE = 1e-9


@dataclass(frozen=True)
class GenAIModelParams:
    """Parameter counts of a model, in parameters (not billions)."""

    total_params: float
    active_params: float


@dataclass(frozen=True)
class _ModelRow:
    provider: str
    model_name: str
    total_params_billion: float
    active_params_billion: float
    source: str


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, _ModelRow]]:
    text = resources.files(_DATA_PACKAGE).joinpath(_DATA_FILE).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != _COLUMNS:
        raise RuntimeError(f"{_DATA_FILE}: expected columns {_COLUMNS}, found {reader.fieldnames}")
    table: dict[str, dict[str, _ModelRow]] = {}
    for record in reader:
        row = _ModelRow(record["provider"], record["model_name"], float(record["total_params_billion"]),
                        float(record["active_params_billion"]), record["source"])
        table.setdefault(row.provider, {})[row.model_name] = row
    return {provider: dict(sorted(models.items())) for provider, models in sorted(table.items())}


def providers() -> list[str]:
    """The providers of the model table, sorted (e.g. ``'anthropic'``, ``'mistralai'``, ``'openai'``)."""
    return list(_table())


def _check_provider(provider: str) -> dict[str, _ModelRow]:
    table = _table()
    if not isinstance(provider, str) or provider not in table:
        raise ValidationError(f"GenAIModel provider: {provider!r} is not one of {providers()}")
    return table[provider]


def model_names(provider: str) -> list[str]:
    """The model names of ``provider``, sorted. An unknown provider raises ValidationError."""
    return list(_check_provider(provider))


def _row(provider: str, model_name: str) -> _ModelRow:
    models = _check_provider(provider)
    if isinstance(model_name, str) and model_name in models:
        return models[model_name]
    close = difflib.get_close_matches(str(model_name), list(models), n=5, cutoff=0.6)
    hint = f" Closest: {close}." if close else ""
    raise ValidationError(
        f"GenAIModel model_name: {model_name!r} is not a model of provider {provider!r}.{hint} "
        f"Allowed: {list(models)}"
    )


def model_params(provider: str, model_name: str) -> GenAIModelParams:
    """Total and active parameter counts (in parameters) of ``model_name`` of ``provider``.

    Ranges of the source are at their midpoint (see the module docstring). Unknown provider or model:
    ValidationError listing the allowed values.
    """
    row = _row(provider, model_name)
    return GenAIModelParams(total_params=row.total_params_billion * 1e9,
                            active_params=row.active_params_billion * 1e9)


def model_source(provider: str, model_name: str) -> str:
    """The ``source`` text of a model row (EcoLogits release, architecture, range if any)."""
    return _row(provider, model_name).source


# --------------------------------------------------------------------------------------- formulas


def gpu_memory_need_bytes(total_params: float, nb_of_bits_per_parameter: float = DEFAULT_NB_OF_BITS_PER_PARAMETER,
                          llm_memory_factor: float = DEFAULT_LLM_MEMORY_FACTOR) -> float:
    """GPU memory (bytes) to hold a model: ``llm_memory_factor × total_params × bits / 8``."""
    return llm_memory_factor * total_params * nb_of_bits_per_parameter / 8


def request_duration_s(output_token_count: float, active_params: float,
                       gpu_latency_alpha_s: float = DEFAULT_GPU_LATENCY_ALPHA_S,
                       gpu_latency_beta_s: float = DEFAULT_GPU_LATENCY_BETA_S) -> float:
    """Generation time (s): ``output_token_count × (alpha × active_params + beta)``.

    The rule of e-footprint 9 and EcoLogits ≤ 0.7.3, with their constants as defaults.
    """
    return output_token_count * (gpu_latency_alpha_s * active_params + gpu_latency_beta_s)


def request_duration_ecologits_0_11_s(output_token_count: float, active_params: float,
                                      batch_size: int = ECOLOGITS_0_11_BATCH_SIZE,
                                      tps: float | None = None, ttft_s: float | None = None,
                                      request_latency_s: float = math.inf) -> float:
    """Generation time (s) as EcoLogits 0.11.3 computes it.

    Per token: ``1 / tps`` if a measured throughput is given, else
    ``LATENCY_ALPHA × active_billions + LATENCY_BETA × batch_size + LATENCY_GAMMA``; the total is
    ``output_token_count × per_token + ttft`` (``ttft`` 0 if not given), capped at ``request_latency_s``.
    """
    if tps is None:
        per_token = (ECOLOGITS_0_11_LATENCY_ALPHA_S_PER_BILLION * active_params / 1e9
                     + ECOLOGITS_0_11_LATENCY_BETA_S * batch_size + ECOLOGITS_0_11_LATENCY_GAMMA_S)
    else:
        per_token = 1 / tps
    return min(output_token_count * per_token + (ttft_s or 0.0), request_latency_s)


def compute_needed_gpu(active_params: float, ram_per_gpu_bytes: float,
                       nb_of_bits_per_parameter: float = DEFAULT_NB_OF_BITS_PER_PARAMETER,
                       llm_memory_factor: float = DEFAULT_LLM_MEMORY_FACTOR) -> float:
    """GPUs busy during a request: memory of the active parameters / memory of one GPU (e-footprint 9)."""
    return gpu_memory_need_bytes(active_params, nb_of_bits_per_parameter, llm_memory_factor) / ram_per_gpu_bytes


def _ceil(x: float) -> int:
    nearest = round(x)
    if abs(x - nearest) <= _CEIL_TOLERANCE * max(1.0, abs(x)):
        return int(nearest)
    return math.ceil(x)


def gpu_required_count(memory_need_bytes: float, ram_per_gpu_bytes: float, power_of_two: bool = True) -> int:
    """GPUs needed to load a model: ``ceil(memory / gpu_memory)``, rounded up to a power of two if asked.

    ``power_of_two=True`` is EcoLogits 0.11.3's rule, ``False`` that of EcoLogits ≤ 0.7.3. A value within
    1e-9 (relative) of an integer counts as that integer.
    """
    if ram_per_gpu_bytes <= 0:
        raise ValidationError(f"ram_per_gpu must be > 0, got {ram_per_gpu_bytes!r}")
    count = max(1, _ceil(memory_need_bytes / ram_per_gpu_bytes))
    if power_of_two:
        return 1 << (count - 1).bit_length()
    return count


def output_token_weights_bytes(output_token_count: float, bits_per_token: float = DEFAULT_BITS_PER_TOKEN) -> float:
    """Size (bytes) of the generated text: ``output_token_count × bits_per_token / 8``."""
    return output_token_count * bits_per_token / 8
