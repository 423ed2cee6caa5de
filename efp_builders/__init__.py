"""efp_builders: model objects built from outside knowledge.

Time-series builders (usage pattern starts), and, as they land, BoaviztAPI cloud servers and services.
Nothing here touches the network at import time.
"""
from efp_builders.time_builders import (create_source_hourly_values_from_list, daily_fluct_hourly_values,
                                        daily_volume_hourly_values, hourly_values_from_list,
                                        linear_growth_hourly_values, sinusoidal_fluct_hourly_values)

__all__ = ["create_source_hourly_values_from_list", "daily_fluct_hourly_values", "daily_volume_hourly_values",
           "hourly_values_from_list", "linear_growth_hourly_values", "sinusoidal_fluct_hourly_values"]

from efp_builders.boavizta_cloud_server import BoaviztaCloudServer
from efp_builders.services import (GenAIJob, GenAIModel, Service, ServiceJob, VideoStreaming, VideoStreamingJob,
                                   WebApplication, WebApplicationJob)

__all__ += ["BoaviztaCloudServer", "GenAIJob", "GenAIModel", "Service", "ServiceJob", "VideoStreaming",
            "VideoStreamingJob", "WebApplication", "WebApplicationJob"]
