"""GenAIModel and GenAIJob: a large language model served on a GPU server, and one generation request
(model.md §5), after EcoLogits' LLM inference methodology (https://ecologits.ai, "LLM inference";
code in ``ecologits/impacts/llm.py``), as e-footprint 9 applies it.

The model's parameter counts come from EcoLogits' model repository (release 0.11.3, shipped as
``efp_builders/data/genai_models.csv``; a range is taken at its midpoint). The formulas are the plain
functions of :mod:`efp_builders.genai_data`, which documents them with their constants:

* ``GenAIModel.base_ram_consumption = llm_memory_factor × total_params × nb_of_bits_per_parameter / 8``
  bytes: the GPU memory that holds the weights, on every instance of the server;
* ``GenAIJob.output_token_weights = output_token_count × bits_per_token / 8`` bytes;
* ``GenAIJob.data_stored = data_transferred = 100 kB + output_token_weights`` (the prompt and protocol
  overhead of a request, e-footprint 9's hypothesis, plus the generated text);
* ``GenAIJob.request_duration = output_token_count × (gpu_latency_alpha × active_params + gpu_latency_beta)``;
* ``GenAIJob.compute_needed = llm_memory_factor × active_params × nb_of_bits_per_parameter / 8 / ram_per_gpu``
  GPUs (the memory of the active parameters in GPUs); ``ram_needed = 0`` (the weights are the model's
  base RAM).

Default model **[efp]**: e-footprint 9's ``mistralai`` / ``open-mistral-7b`` is no longer in EcoLogits'
repository; the default is ``mistralai`` / ``ministral-8b-2512``, a current dense Mistral model of
8.02 billion parameters (a pinned release rather than a ``-latest`` alias, so that the default keeps its
meaning).
"""
from __future__ import annotations

from efp import ConditionalChoices, Input, Link, calculated, u
from efp.values import ExplainableQuantity, Sources
from efp_builders import genai_data
from efp_builders.services.service import Service, ServiceJob

DEFAULT_PROVIDER = "mistralai"
DEFAULT_MODEL_NAME = "ministral-8b-2512"
#: What a request moves and stores besides the generated text: prompt and protocol (e-footprint 9).
REQUEST_OVERHEAD = 100 * u.kB


class ModelNamesByProvider(ConditionalChoices):
    """``model_name``'s allowed values per provider, read from the EcoLogits table when asked."""

    def __init__(self):
        super().__init__("provider", lambda provider: genai_data.model_names(provider)
                         if provider in genai_data.providers() else None)

    def as_dict(self) -> dict:
        return {provider: genai_data.model_names(provider) for provider in genai_data.providers()}


def _float(quantity, unit) -> float:
    return float(quantity.value.to(unit).magnitude)


class GenAIModel(Service):
    """A large language model installed on a GPU server."""

    input_order = ("provider", "model_name", "server", "nb_of_bits_per_parameter", "llm_memory_factor",
                   "gpu_latency_alpha", "gpu_latency_beta", "bits_per_token")

    server = Link("GPUServer", doc="The GPU server the model is installed on.")
    provider = Input(choices=genai_data.providers, default=DEFAULT_PROVIDER, source=Sources.ECOLOGITS,
                     doc="Provider of the model, as EcoLogits names it.")
    model_name = Input(text=True, default=DEFAULT_MODEL_NAME, conditional_choices=ModelNamesByProvider(),
                       source=Sources.ECOLOGITS, doc="Name of the model, one of its provider's in EcoLogits.")
    nb_of_bits_per_parameter = Input("dimensionless", genai_data.DEFAULT_NB_OF_BITS_PER_PARAMETER, gt=0,
                                     doc="Bits per model weight (quantization).")
    llm_memory_factor = Input("dimensionless", genai_data.DEFAULT_LLM_MEMORY_FACTOR, gt=0,
                              source=Sources.ECOLOGITS, doc="GPU memory footprint over model size.")
    gpu_latency_alpha = Input("s", genai_data.DEFAULT_GPU_LATENCY_ALPHA_S * u.s, ge=0, source=Sources.ECOLOGITS,
                              doc="Generation time per active parameter and per output token.")
    gpu_latency_beta = Input("s", genai_data.DEFAULT_GPU_LATENCY_BETA_S * u.s, ge=0, source=Sources.ECOLOGITS,
                             doc="Base generation time per output token.")
    bits_per_token = Input("dimensionless", genai_data.DEFAULT_BITS_PER_TOKEN, gt=0,
                           doc="Bits of generated text per token.")

    @calculated(unit="dimensionless")
    def active_params(provider, model_name):
        """Parameters active for each token (EcoLogits; the midpoint of a range)."""
        params = genai_data.model_params(provider.value, model_name.value)
        return ExplainableQuantity(params.active_params * u.dimensionless, source=Sources.ECOLOGITS)

    @calculated(unit="dimensionless")
    def total_params(provider, model_name):
        """Parameters of the model (EcoLogits; the midpoint of a range)."""
        params = genai_data.model_params(provider.value, model_name.value)
        return ExplainableQuantity(params.total_params * u.dimensionless, source=Sources.ECOLOGITS)

    @calculated(unit="GB")
    def base_ram_consumption(llm_memory_factor, total_params, nb_of_bits_per_parameter):
        """GPU memory holding the weights: llm_memory_factor × total_params × bits per parameter / 8."""
        memory = genai_data.gpu_memory_need_bytes(float(total_params), float(nb_of_bits_per_parameter),
                                                  float(llm_memory_factor))
        return memory * u.B

    @calculated(unit="gpu")
    def base_compute_consumption():
        """No GPU is held while idle: a request's GPUs are its compute_needed."""
        return 0 * u.gpu


class GenAIJob(ServiceJob):
    """One request to a language model: the tokens it generates."""

    input_order = ("service", "output_token_count", "data_download")

    service = Link(GenAIModel, doc="The language model that answers the request.")
    output_token_count = Input("dimensionless", 1000, gt=0, doc="Tokens the model generates for the request.")

    @calculated(unit="kB", inputs={"bits_per_token": "service.bits_per_token"})
    def output_token_weights(output_token_count, bits_per_token):
        """Size of the generated text: tokens × bits per token / 8 (1000 tokens of 24 bits: 3 kB)."""
        return genai_data.output_token_weights_bytes(float(output_token_count), float(bits_per_token)) * u.B

    @calculated(unit="kB")
    def data_stored(output_token_weights):
        """Kept per request: the 100 kB of prompt and protocol plus the generated text."""
        return output_token_weights + REQUEST_OVERHEAD

    @calculated(unit="kB")
    def data_transferred(output_token_weights):
        """Sent per request: the 100 kB of prompt and protocol plus the generated text."""
        return output_token_weights + REQUEST_OVERHEAD

    @calculated(unit="s", inputs={"active_params": "service.active_params",
                                  "gpu_latency_alpha": "service.gpu_latency_alpha",
                                  "gpu_latency_beta": "service.gpu_latency_beta"})
    def request_duration(output_token_count, active_params, gpu_latency_alpha, gpu_latency_beta):
        """Generation time: tokens × (alpha × active parameters + beta) (EcoLogits ≤ 0.7.3's latency)."""
        return genai_data.request_duration_s(float(output_token_count), float(active_params),
                                             _float(gpu_latency_alpha, u.s), _float(gpu_latency_beta, u.s)) * u.s

    @calculated(unit="GB")
    def ram_needed():
        """No RAM per request: the weights are the model's base RAM consumption."""
        return 0 * u.GB

    @calculated(unit="gpu", inputs={"active_params": "service.active_params",
                                    "ram_per_gpu": "service.server.ram_per_gpu",
                                    "nb_of_bits_per_parameter": "service.nb_of_bits_per_parameter",
                                    "llm_memory_factor": "service.llm_memory_factor"})
    def compute_needed(active_params, ram_per_gpu, nb_of_bits_per_parameter, llm_memory_factor):
        """GPUs busy during the request: memory of the active parameters over one GPU's memory."""
        return genai_data.compute_needed_gpu(float(active_params), _float(ram_per_gpu, u.B / u.gpu),
                                             float(nb_of_bits_per_parameter), float(llm_memory_factor)) * u.gpu


__all__ = ["DEFAULT_MODEL_NAME", "DEFAULT_PROVIDER", "GenAIJob", "GenAIModel", "ModelNamesByProvider"]
