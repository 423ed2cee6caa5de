"""VideoStreaming and VideoStreamingJob: video delivered at a resolution and frame rate (model.md §5).

A streaming job sends ``W × H × bits_per_pixel`` bits per frame, ``refresh_rate`` frames a second, for
the length of the video:

* ``dynamic_bitrate = W × H × bits_per_pixel × refresh_rate`` (1080p at 30/s, 0.1 bit per pixel:
  6,220,800 bit/s = 0.7776 MB/s);
* ``request_duration = video_duration``;
* ``data_transferred = request_duration × dynamic_bitrate`` (1080p, 1 h: 2.79936 GB);
* ``compute_needed = static_delivery_cpu_cost × dynamic_bitrate`` (4 cpu_core·s/GB: 0.0031104 cpu_core);
* ``ram_needed = ram_buffer_per_user`` (50 MB).

**[efp]** The streamed bytes are ``data_transferred``, the job's own network traffic, as model.md
says. The seed's pre-release printout puts them in a calculated ``data_download`` ("2.8 GB", rounded)
next to a 0 kB ``data_transferred``; the network carries the same bytes either way. Here
``data_download`` stays the optional input every job has (0 by default), for traffic on top.
The service itself occupies ``base_ram_consumption`` (2 GB) on each instance and no compute.
"""
from __future__ import annotations

import re

from efp import Input, Link, calculated, u
from efp_builders.services.service import Service, ServiceJob

#: The resolutions a job may stream, e-footprint 9's list, with their width and height in pixels.
RESOLUTIONS = {
    "480p (640 x 480)": (640, 480),
    "720p (1280 x 720)": (1280, 720),
    "1080p (1920 x 1080)": (1920, 1080),
    "1440p (2560 x 1440)": (2560, 1440),
    "2K (2048 x 1080)": (2048, 1080),
    "4K (3840 x 2160)": (3840, 2160),
    "8K (7680 x 4320)": (7680, 4320),
}
assert all(re.search(rf"\({w} x {h}\)", name) for name, (w, h) in RESOLUTIONS.items())


class VideoStreaming(Service):
    """A video streaming service: how much a frame weighs and what delivering it costs."""

    input_order = ("server", "base_ram_consumption", "bits_per_pixel", "static_delivery_cpu_cost",
                   "ram_buffer_per_user")

    base_ram_consumption = Input("GB", 2 * u.GB, ge=0, doc="RAM the streaming service occupies on each instance.")
    bits_per_pixel = Input("dimensionless", 0.1, gt=0, doc="Bits per pixel of a frame, after compression.")
    static_delivery_cpu_cost = Input("cpu_core * s / GB", 4 * u.cpu_core * u.s / u.GB, ge=0,
                                     doc="CPU time to deliver one gigabyte of video.")
    ram_buffer_per_user = Input("MB", 50 * u.MB, ge=0, doc="RAM buffer the service keeps per viewer.")

    @calculated(unit="cpu_core")
    def base_compute_consumption():
        """The service occupies no compute of its own: delivering video is the jobs' compute_needed."""
        return 0 * u.cpu_core


class VideoStreamingJob(ServiceJob):
    """Watching one video: its resolution, length and frame rate."""

    input_order = ("service", "resolution", "video_duration", "refresh_rate", "data_stored", "data_download")

    service = Link(VideoStreaming, doc="The streaming service that delivers the video.")
    resolution = Input(choices=list(RESOLUTIONS), default="1080p (1920 x 1080)", doc="Resolution of the video.")
    video_duration = Input("hour", 1 * u.hour, gt=0, doc="How long the video plays.")
    refresh_rate = Input("1/s", 30 / u.s, gt=0, doc="Frames per second.")
    data_stored = Input("MB", 0 * u.MB, doc="Data one viewing stores (negative: deletes).")

    @calculated(unit="hour")
    def request_duration(video_duration):
        """The server streams for as long as the video plays."""
        return video_duration

    @calculated(unit="MB/s", inputs={"bits_per_pixel": "service.bits_per_pixel"})
    def dynamic_bitrate(resolution, bits_per_pixel, refresh_rate):
        """Width × height × bits per pixel × frames per second (1080p, 0.1 bit, 30/s: 0.7776 MB/s)."""
        width, height = RESOLUTIONS[resolution.value]
        return width * height * bits_per_pixel * refresh_rate * u.bit

    @calculated(unit="GB")
    def data_transferred(request_duration, dynamic_bitrate):
        """The bytes streamed: duration × bitrate (1080p, 1 h: 2.79936 GB)."""
        return request_duration * dynamic_bitrate

    @calculated(unit="cpu_core", inputs={"static_delivery_cpu_cost": "service.static_delivery_cpu_cost"})
    def compute_needed(static_delivery_cpu_cost, dynamic_bitrate):
        """CPU while streaming: the delivery cost of a gigabyte times the gigabytes sent each second."""
        return static_delivery_cpu_cost * dynamic_bitrate

    @calculated(unit="MB", inputs={"ram_buffer_per_user": "service.ram_buffer_per_user"})
    def ram_needed(ram_buffer_per_user):
        """RAM while streaming: the service's buffer for one viewer."""
        return ram_buffer_per_user


__all__ = ["RESOLUTIONS", "VideoStreaming", "VideoStreamingJob"]
