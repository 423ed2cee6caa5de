"""efp_nodes: the footprint model (model.md), built on the efp engine.

Infrastructure (Storage, Server, GPUServer, Network), end-user devices (Device), countries (Country,
Countries), usage (Job, GPUJob, UserJourneyStep, UserJourney, UsagePattern) and the System that adds
them up, plus the seed's and e-footprint 9's spellings (see :mod:`efp_nodes.aliases`), and JSON files
(:func:`system_to_json`, :func:`json_to_system`, in :mod:`efp_nodes.json_io`).
"""
from efp_nodes.country import Countries, Country
from efp_nodes.device import Device
from efp_nodes.gpu_server import GPUServer
from efp_nodes.job import GPUJob, Job, JobBase
from efp_nodes.network import Network
from efp_nodes.server import Server
from efp_nodes.server_base import ServerBase
from efp_nodes.server_types import ServerTypes
from efp_nodes.storage import Storage
from efp_nodes.system import System
from efp_nodes.usage_pattern import UsagePattern
from efp_nodes.user_journey import UserJourney
from efp_nodes.user_journey_step import UserJourneyStep
from efp_nodes.aliases import (USAGE_PATTERN_VIEW_CLASSES_TO_IGNORE, Autoscaling, Hardware, OnPremise,
                               Serverless, UsageJourney, UsageJourneyStep, default_box, default_laptop,
                               default_screen, default_smartphone, default_ssd, default_hdd)
from efp_nodes.json_io import json_to_system, system_to_json

__all__ = ["Countries", "Country", "Device", "GPUServer", "GPUJob", "Job", "JobBase", "Network", "Server",
           "ServerBase", "ServerTypes", "Storage", "System", "UsagePattern", "UserJourney", "UserJourneyStep",
           "USAGE_PATTERN_VIEW_CLASSES_TO_IGNORE", "Autoscaling", "Hardware", "OnPremise", "Serverless",
           "UsageJourney", "UsageJourneyStep", "default_box", "default_laptop", "default_screen",
           "default_smartphone", "default_ssd", "default_hdd", "system_to_json", "json_to_system"]
