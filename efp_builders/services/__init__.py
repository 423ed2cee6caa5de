"""Services installed on servers and the jobs that call them (model.md §5).

:class:`Service` / :class:`ServiceJob` are the bases the model knows by name; the concrete services
compute their jobs' needs from higher-level inputs: :class:`VideoStreaming` (resolution and frame rate),
:class:`WebApplication` (Boavizta's ecobenchmark) and :class:`GenAIModel` (EcoLogits).
"""
from efp_builders.services.generative_ai import GenAIJob, GenAIModel
from efp_builders.services.service import Service, ServiceJob
from efp_builders.services.video_streaming import VideoStreaming, VideoStreamingJob
from efp_builders.services.web_application import WebApplication, WebApplicationJob

__all__ = ["GenAIJob", "GenAIModel", "Service", "ServiceJob", "VideoStreaming", "VideoStreamingJob",
           "WebApplication", "WebApplicationJob"]
