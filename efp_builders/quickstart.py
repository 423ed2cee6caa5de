"""The seed quickstart as an efp scenario: the daily video streaming of French households.

``build()`` creates the objects of the seed (its pre-release spellings resolved as
``spec/reference-quickstart.md`` says) and returns them by name; ``changes()`` lists the seed's
changes, each a callable applied in turn. ``python -m efp_builders.quickstart`` prints the footprint per
category after each step (``make demo``); ``--json FILE`` also saves the scenario (its inputs, efp's JSON
format) as built, and ``--report DIR`` writes the report of the scenario as built (``DIR/report.html``,
``DIR/computed.json``, as ``efp run`` does) and ``DIR/quickstart.json``.
"""
from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

from efp import ModelingUpdate, SourceValue, Sources, u
from efp.values import EmptyExplainableObject
from efp_builders.time_builders import (daily_fluct_hourly_values, linear_growth_hourly_values,
                                        sinusoidal_fluct_hourly_values)
from efp_nodes import (Autoscaling, Countries, Device, Job, Network, Server, ServerTypes, Storage, System,
                       UsagePattern, UserJourney, UserJourneyStep, default_ssd)

START_DATE = datetime(2025, 1, 1)
TIMESPAN = 3 * u.year


def hourly_user_journey_starts():
    """(linear growth 5,000 → 100,000 + sinusoid of amplitude 3,000, period 2,160 h) × daily fluctuation."""
    linear = linear_growth_hourly_values(TIMESPAN, start_value=5000, end_value=100000, start_date=START_DATE)
    sinusoid = sinusoidal_fluct_hourly_values(TIMESPAN, sin_fluct_amplitude=3000,
                                              sin_fluct_period_in_hours=3 * 30 * 24, start_date=START_DATE)
    daily = daily_fluct_hourly_values(TIMESPAN, fluct_scale=0.8, hour_of_day_for_min_value=4, start_date=START_DATE)
    return ((linear + sinusoid) * daily).set_label("Hourly number of user journey started")


def build() -> SimpleNamespace:
    """The seed's objects, computed (creating the System computes everything)."""
    storage = Storage(
        "SSD storage",
        carbon_footprint_fabrication_per_storage_capacity=SourceValue(160 * u.kg / u.TB,
                                                                      Sources.STORAGE_EMBODIED_CARBON_STUDY),
        power_per_storage_capacity=SourceValue(1.3 * u.W / u.TB, Sources.STORAGE_EMBODIED_CARBON_STUDY),
        lifespan=SourceValue(6 * u.years, Sources.HYPOTHESIS),
        idle_power=SourceValue(0 * u.W, Sources.HYPOTHESIS),
        storage_capacity=SourceValue(1 * u.TB, Sources.STORAGE_EMBODIED_CARBON_STUDY),
        data_replication_factor=SourceValue(3 * u.dimensionless, Sources.HYPOTHESIS),
        data_storage_duration=SourceValue(2 * u.year, Sources.HYPOTHESIS),
        base_storage_need=SourceValue(100 * u.TB, Sources.HYPOTHESIS),
        fixed_nb_of_instances=EmptyExplainableObject())
    server = Server.from_defaults(
        "server", server_type=ServerTypes.autoscaling(),
        power_usage_effectiveness=SourceValue(1.2 * u.dimensionless, Sources.HYPOTHESIS),
        average_carbon_intensity=SourceValue(100 * u.g / u.kWh, Sources.HYPOTHESIS),
        server_utilization_rate=SourceValue(0.9 * u.dimensionless, Sources.HYPOTHESIS),
        base_ram_consumption=SourceValue(300 * u.MB, Sources.HYPOTHESIS),
        base_compute_consumption=SourceValue(2 * u.cpu_core, Sources.HYPOTHESIS),
        storage=storage)
    streaming_step = UserJourneyStep(
        "20 min streaming", user_time_spent=SourceValue(20 * u.min, Sources.USER_DATA),
        jobs=[Job("streaming", server=server,
                  data_transferred=SourceValue(0.05 * u.MB, Sources.USER_DATA),
                  data_download=SourceValue(800 * u.MB, Sources.USER_DATA),
                  data_stored=SourceValue(0.05 * u.MB, Sources.USER_DATA),
                  request_duration=SourceValue(4 * u.min, Sources.HYPOTHESIS),
                  cpu_needed=SourceValue(1 * u.core, Sources.HYPOTHESIS),
                  ram_needed=SourceValue(50 * u.MB, Sources.HYPOTHESIS))])
    upload_step = UserJourneyStep(
        "1 min video capture then upload", user_time_spent=SourceValue(70 * u.s, Sources.USER_DATA),
        jobs=[Job("video upload", server=server,
                  data_transferred=SourceValue(20 * u.MB, Sources.USER_DATA),
                  data_download=SourceValue(0 * u.GB, Sources.USER_DATA),
                  data_stored=SourceValue(20 * u.MB, Sources.USER_DATA),
                  request_duration=SourceValue(2 * u.s, Sources.HYPOTHESIS),
                  cpu_needed=SourceValue(1 * u.core, Sources.HYPOTHESIS),
                  ram_needed=SourceValue(50 * u.MB, Sources.HYPOTHESIS))])
    user_journey = UserJourney("Mean video consumption user journey", uj_steps=[streaming_step, upload_step])
    network = Network("WIFI network", bandwidth_energy_intensity=SourceValue(0.05 * u("kWh/GB"),
                                                                              Sources.TRAFICOM_STUDY))
    usage_pattern = UsagePattern(
        "Daily video streaming consumption", user_journey=user_journey, devices=[Device.laptop()],
        network=network, country=Countries.FRANCE(), hourly_user_journey_starts=hourly_user_journey_starts())
    system = System("System", usage_patterns=[usage_pattern])
    return SimpleNamespace(storage=storage, server=server, streaming_step=streaming_step, upload_step=upload_step,
                           user_journey=user_journey, network=network, usage_pattern=usage_pattern, system=system)


def llm_chat_step():
    """The seed's LLM chat step and its inference server (the seed's ``Autoscaling`` spelling)."""
    llm_server = Autoscaling(
        "Inference GPU server",
        carbon_footprint_fabrication=SourceValue(4900 * u.kg, Sources.HYPOTHESIS),
        power=SourceValue(6400 * u.W, Sources.HYPOTHESIS),
        lifespan=SourceValue(5 * u.year, Sources.HYPOTHESIS),
        idle_power=SourceValue(500 * u.W, Sources.HYPOTHESIS),
        ram=SourceValue(128 * u.GB, Sources.HYPOTHESIS),
        cpu_cores=SourceValue(16 * u.core, Sources.HYPOTHESIS),
        power_usage_effectiveness=SourceValue(1.2 * u.dimensionless, Sources.HYPOTHESIS),
        average_carbon_intensity=SourceValue(300 * u.g / u.kWh, Sources.HYPOTHESIS),
        server_utilization_rate=SourceValue(1 * u.dimensionless, Sources.HYPOTHESIS),
        base_ram_consumption=SourceValue(0 * u.MB, Sources.HYPOTHESIS),
        base_cpu_consumption=SourceValue(0 * u.core, Sources.HYPOTHESIS),
        storage=default_ssd())
    step = UserJourneyStep(
        "Chat with LLM to select video", user_time_spent=SourceValue(1 * u.min, Sources.HYPOTHESIS),
        jobs=[Job("LLM API call", llm_server, SourceValue(300 * u.kB, Sources.USER_DATA),
                  SourceValue(300 * u.kB, Sources.USER_DATA), SourceValue(300 * u.kB, Sources.USER_DATA),
                  request_duration=SourceValue(5 * u.s, Sources.HYPOTHESIS),
                  cpu_needed=SourceValue(16 * u.core, Sources.HYPOTHESIS),
                  ram_needed=SourceValue(128 * u.GB, Sources.HYPOTHESIS))])
    return step, llm_server


def changes(objects: SimpleNamespace) -> list[tuple[str, callable]]:
    """The seed's changes, in order: ``(description, apply)``."""
    def streaming_download():
        objects.streaming_step.jobs[0].data_download = SourceValue(500 * u.MB, Sources.USER_DATA)

    def append_llm_step():
        objects.llm_step, objects.llm_server = llm_chat_step()
        objects.user_journey.uj_steps.append(objects.llm_step)

    def llm_low_carbon():
        objects.llm_server.average_carbon_intensity = SourceValue(50 * u.g / u.kWh, Sources.HYPOTHESIS)

    def batch_revert():
        ModelingUpdate([
            [objects.user_journey.uj_steps, [objects.streaming_step, objects.upload_step]],
            [objects.llm_server.average_carbon_intensity, SourceValue(300 * u.g / u.kWh, Sources.HYPOTHESIS)],
            [objects.streaming_step.jobs[0].data_download, SourceValue(800 * u.MB, Sources.USER_DATA)]])

    return [("2. streaming data_download -> 500 MB", streaming_download),
            ("3. LLM chat step appended", append_llm_step),
            ("4. LLM server at 50 g/kWh", llm_low_carbon),
            ("5. batch revert (ModelingUpdate)", batch_revert)]


def category_figures(system) -> dict[str, float]:
    """Total and per-category fabrication and energy footprints, in kg, summed over every hour."""
    fabrication = {c: q.to(u.kg).magnitude for c, q in system.total_fabrication_footprint_sum_over_period.items()}
    energy = {c: q.to(u.kg).magnitude for c, q in system.total_energy_footprint_sum_over_period.items()}
    figures = {"total": float(system.total_footprint.sum().to(u.kg).magnitude)}
    figures.update({f"fabrication {c}": fabrication[c] for c in ("Servers", "Storage", "Devices")})
    figures.update({f"energy {c}": energy[c] for c in ("Servers", "Storage", "Network", "Devices")})
    return figures


def _row(step: str, figures: dict, seconds: float, nodes: int) -> str:
    return f"| {step} | " + " | ".join(f"{value:,.6f}" for value in figures.values()) + f" | {nodes} | {seconds:.3f} |"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run the seed quickstart scenario and print its footprints.")
    parser.add_argument("--json", metavar="FILE", help="save the scenario as built (its inputs) to FILE")
    parser.add_argument("--report", metavar="DIR",
                        help="write the report of the scenario as built: DIR/report.html, DIR/computed.json "
                             "and DIR/quickstart.json")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    objects = build()
    seconds = time.perf_counter() - started
    written = save(objects.system, args.json, args.report)
    model = objects.system._model
    header = ["step", "total", "fab. Servers", "fab. Storage", "fab. Devices", "energy Servers", "energy Storage",
              "energy Network", "energy Devices", "nodes recomputed", "seconds"]
    print("Footprints of the seed quickstart (kg CO2eq summed over 3 years of hours)\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    print(_row("1. baseline", category_figures(objects.system), seconds, model.formula_calls))
    for description, apply in changes(objects):
        before = model.formula_calls
        started = time.perf_counter()
        apply()
        seconds = time.perf_counter() - started
        print(_row(description, category_figures(objects.system), seconds, model.formula_calls - before))
    if written:
        print()
        print("\n".join(written))
    return 0


def save(system, json_path=None, report_folder=None) -> list[str]:
    """Save the scenario's JSON and/or its report now; return one line per file written."""
    from efp_nodes import system_to_json

    lines = []
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        system_to_json(system, output_filepath=json_path)
        lines.append(f"scenario: {json_path}")
    if report_folder:
        from efp_builders.report import write_report

        folder = Path(report_folder)
        folder.mkdir(parents=True, exist_ok=True)
        system_to_json(system, output_filepath=folder / "quickstart.json")
        files = write_report(system, folder, scenario="the seed quickstart (efp_builders.quickstart)")
        lines += [f"scenario: {folder / 'quickstart.json'}", f"computed values: {files.computed}",
                  f"report: {files.html.resolve()}"]
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
