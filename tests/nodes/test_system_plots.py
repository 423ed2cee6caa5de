"""The System's footprint history and its two charts (efp_nodes/system_plots.py), without a browser.

The small system of ``test_system.py``: UTC starts [2, 4], one 60-minute step with one job moving
1 GB, a 0.05 kWh/GB network in a 100 g/kWh country. So the network's energy footprint over the two
hours is 0.05 x (2 + 4) x 0.1 = 0.03 kg, and 0.06 kg at 0.1 kWh/GB. Other figures are read from the
objects' own hourly footprints: the tests here check the bookkeeping and the charts, not the model.
"""
import gc
import weakref
from datetime import timedelta

import numpy as np
import pytest

from efp import EfpError, ModelingUpdate, SourceValue, ValidationError, new_model, u
from efp_nodes import Device, Network, Server, Storage, System
from efp_nodes.system_plots import FootprintHistoryListener, diffs_figure, footprints_figure, history_of

from nodes_helpers import T0, q, simple_job, usage_pattern_of, utc_country

STARTS = np.array([2, 4.0])


def build():
    server = Server.from_defaults("srv", storage=Storage.ssd())
    job = simple_job("job", server, transferred_mb=1000, stored_mb=10_000, compute_cores=1, ram_gb=1)
    network = Network("net", bandwidth_energy_intensity=q(0.05, "kWh/GB"))
    up = usage_pattern_of("up", [(60, [job])], STARTS, devices=[Device.laptop()], network=network,
                          country=utc_country(intensity_g_per_kwh=100))
    return System("system", usage_patterns=[up]), server, network, up


def sources(layout) -> dict:
    from bokeh.models import ColumnDataSource

    return {s.name: dict(s.data) for s in layout.select({"type": ColumnDataSource}) if s.name}


def own_sums(obj) -> tuple[float, float]:
    fabrication = getattr(obj, "instances_fabrication_footprint", None)
    fabrication = float(fabrication.to(u.kg).magnitude.sum()) if fabrication else 0.0
    return fabrication, float(obj.energy_footprint.to(u.kg).magnitude.sum())


def network_energy(snapshot) -> float:
    return snapshot.kg("Network", "Energy")


# ---------------------------------------------------------------------------------------------- history
def test_the_history_starts_with_the_sums_at_creation(model):
    system, server, network, up = build()
    history = system.footprint_history
    assert len(history) == 1
    rows = {o.object_id: o for o in history.initial.objects}
    assert [o.category for o in history.initial.objects] == ["Servers", "Storage", "Network", "Devices"]
    for obj in (server, server.storage, network, up):
        assert (rows[obj.id].fabrication_kg, rows[obj.id].energy_kg) == pytest.approx(own_sums(obj), rel=1e-12)
    assert network_energy(history.initial) == pytest.approx(0.03, rel=1e-12)
    assert history.initial.kg("Network", "Fabrication") == 0


def test_a_change_of_the_system_adds_a_snapshot_naming_the_input(model):
    system, server, network, up = build()
    network.bandwidth_energy_intensity = q(0.1, "kWh/GB")
    history = history_of(system)
    assert len(history) == 2
    assert network_energy(history.current) == pytest.approx(0.06, rel=1e-12)
    assert network_energy(history.snapshots[-2]) == pytest.approx(0.03, rel=1e-12)
    assert history.current.changes == ("Network 'net'.bandwidth_energy_intensity",)


def test_changes_outside_the_system_add_nothing(model):
    system, server, network, up = build()
    other = Network("elsewhere", bandwidth_energy_intensity=q(1, "kWh/GB"))
    other.bandwidth_energy_intensity = q(2, "kWh/GB")
    with pytest.raises(ValidationError):
        network.bandwidth_energy_intensity = q(-1, "kWh/GB")  # refused: no transaction, no snapshot
    assert len(history_of(system)) == 1


def test_a_simulation_is_not_recorded_as_a_change(model):
    system, server, network, up = build()
    simulation = ModelingUpdate([[network.bandwidth_energy_intensity, q(1, "kWh/GB")]],
                                simulation_date=T0 + timedelta(hours=1))
    assert len(system.footprint_history.snapshots) == 2  # recorded during its transaction, then rolled back
    assert len(history_of(system)) == 1
    simulation.set_updated_values()
    simulation.reset_values()
    network.bandwidth_energy_intensity = q(0.1, "kWh/GB")
    history = history_of(system)
    assert [network_energy(s) for s in history.snapshots] == pytest.approx([0.03, 0.06], rel=1e-12)


def test_a_change_right_after_a_simulation_is_kept(model):
    system, server, network, up = build()
    ModelingUpdate([[network.bandwidth_energy_intensity, q(1, "kWh/GB")]], simulation_date=T0 + timedelta(hours=1))
    network.bandwidth_energy_intensity = q(0.1, "kWh/GB")  # the listener settles the simulation first
    ModelingUpdate([[network.bandwidth_energy_intensity, q(0.2, "kWh/GB")]])  # a batch change, not a simulation
    assert [network_energy(s) for s in history_of(system).snapshots] == pytest.approx([0.03, 0.06, 0.12], rel=1e-12)


def test_a_snapshot_sums_again_only_the_footprints_a_change_replaced(model, monkeypatch):
    from efp import ExplainableHourlyQuantities

    system, server, network, up = build()
    assert history_of(system).initial.objects  # summed when first read
    summed = []
    original = ExplainableHourlyQuantities.sum
    monkeypatch.setattr(ExplainableHourlyQuantities, "sum", lambda self: summed.append(self.label) or original(self))
    network.bandwidth_energy_intensity = q(0.1, "kWh/GB")
    assert summed == []  # taking a snapshot sums nothing
    assert network_energy(history_of(system).current) == pytest.approx(0.06, rel=1e-12)
    assert summed == ["energy_footprint of net"]


def test_snapshots_follow_the_live_values_when_a_simulation_is_set(model):
    system, server, network, up = build()
    simulation = ModelingUpdate([[server.average_carbon_intensity, SourceValue(300 * u.g / u.kWh)]],
                                simulation_date=T0 + timedelta(hours=1))
    simulation.set_updated_values()
    network.bandwidth_energy_intensity = q(0.1, "kWh/GB")  # a change made on top of the simulated values
    current = {o.object_id: o for o in history_of(system).current.objects}
    assert current[server.id].energy_kg == pytest.approx(own_sums(server)[1], rel=1e-12)
    assert current[network.id].energy_kg == pytest.approx(0.06, rel=1e-12)


def test_a_system_built_in_a_transaction_block_starts_its_history_when_the_block_ends(model):
    with model.transaction():
        system, server, network, up = build()
        network.bandwidth_energy_intensity = q(0.1, "kWh/GB")  # still the creating transaction
        assert system.footprint_history.snapshots == []
    history = history_of(system)
    assert len(history) == 1 and network_energy(history.initial) == pytest.approx(0.06, rel=1e-12)
    network.bandwidth_energy_intensity = q(0.05, "kWh/GB")
    assert [network_energy(s) for s in history_of(system).snapshots] == pytest.approx([0.06, 0.03], rel=1e-12)


def test_a_system_loaded_from_json_records_its_changes(model):
    from efp_nodes import json_to_system, system_to_json

    document = system_to_json(build()[0])
    with new_model():
        loaded = json_to_system(document)
        network = loaded.networks[0]
        assert network_energy(history_of(loaded).initial) == pytest.approx(0.03, rel=1e-12)
        network.bandwidth_energy_intensity = q(0.1, "kWh/GB")
        rows = sources(diffs_figure(loaded))["changes"]
        row = list(zip(rows["category"], rows["phase"])).index(("Network", "Energy"))
        assert (rows["before_kg"][row], rows["after_kg"][row]) == pytest.approx((0.03, 0.06), rel=1e-12)


def test_the_listener_holds_its_system_weakly():
    with new_model() as model:
        system, *objects = build()
    listener = next(l for l in model.change_listeners if isinstance(l, FootprintHistoryListener))
    assert system not in gc.get_referents(listener)
    assert listener.system() is system
    alive = weakref.ref(system)
    del system, objects, listener, model
    gc.collect()
    assert alive() is None


def test_a_listener_whose_system_is_gone_leaves_the_model(model):
    system, server, network, up = build()
    listener = next(l for l in model.change_listeners if isinstance(l, FootprintHistoryListener))
    listener.system = lambda: None
    network.bandwidth_energy_intensity = q(0.1, "kWh/GB")
    assert listener not in model.change_listeners


# ---------------------------------------------------------------------------------------------- charts
def test_emission_diffs_before_any_change_is_a_clear_error(model, tmp_path):
    system, *_ = build()
    with pytest.raises(EfpError, match="no change to compare yet"):
        system.plot_emission_diffs(tmp_path / "diffs.html")
    assert not (tmp_path / "diffs.html").exists()


def test_emission_diffs_compare_previous_and_current(model, tmp_path):
    system, server, network, up = build()
    network.bandwidth_energy_intensity = q(0.1, "kWh/GB")
    server.average_carbon_intensity = SourceValue(200 * u.g / u.kWh)
    data = sources(diffs_figure(system))
    rows = {(c, p, s): kg for c, p, s, kg in zip(data["emission_diffs"]["category"], data["emission_diffs"]["phase"],
                                                 data["emission_diffs"]["state"], data["emission_diffs"]["kg"])}
    assert rows[("Network", "Energy", "previous")] == rows[("Network", "Energy", "current")] \
        == pytest.approx(0.06, rel=1e-12)
    server_energy = own_sums(server)[1]
    assert rows[("Servers", "Energy", "previous")] == pytest.approx(server_energy / 2, rel=1e-12)
    changes = {(c, p): (kg, pct, text) for c, p, kg, pct, text in zip(
        *(data["changes"][k] for k in ("category", "phase", "change_kg", "change_pct", "text")))}
    assert changes[("Servers", "Energy")][:2] == pytest.approx((server_energy / 2, 1.0), rel=1e-12)
    assert changes[("Servers", "Energy")][2].endswith("+100.0%")
    assert changes[("Network", "Energy")][2] == "no change"
    assert system.plot_emission_diffs(tmp_path / "diffs.html") == tmp_path / "diffs.html"


def test_emission_diffs_from_start_compare_initial_and_current(model):
    system, server, network, up = build()
    network.bandwidth_energy_intensity = q(0.1, "kWh/GB")
    network.bandwidth_energy_intensity = q(0.15, "kWh/GB")
    data = sources(diffs_figure(system, from_start=True))["changes"]
    row = list(zip(data["category"], data["phase"])).index(("Network", "Energy"))
    assert (data["before_kg"][row], data["after_kg"][row]) == pytest.approx((0.03, 0.09), rel=1e-12)
    assert data["change_pct"][row] == pytest.approx(2.0, rel=1e-12)
    assert set(sources(diffs_figure(system, from_start=True))["emission_diffs"]["state"]) == {"initial", "current"}


def test_footprints_chart_stacks_objects_per_category_and_phase(model, tmp_path):
    system, server, network, up = build()
    second = Server.from_defaults("srv 2", storage=Storage.ssd())
    up.user_journey.uj_steps[0].jobs.append(simple_job("job 2", second, compute_cores=1, ram_gb=1))
    data = sources(footprints_figure(system))
    rows = data["footprints"]
    total = sum(sum(own_sums(o)) for o in (server, server.storage, second, second.storage, network, up))
    for obj in (server, server.storage, second, second.storage, network, up):
        for phase, expected in zip(("Fabrication", "Energy"), own_sums(obj)):
            i = [k for k, (oid, p) in enumerate(zip(rows["object_id"], rows["phase"])) if (oid, p) == (obj.id, phase)]
            assert len(i) == 1
            assert rows["kg"][i[0]] == pytest.approx(expected, rel=1e-12)
            assert rows["top"][i[0]] - rows["bottom"][i[0]] == pytest.approx(expected, rel=1e-9, abs=1e-15)
            assert rows["share_of_total"][i[0]] == pytest.approx(expected / total, rel=1e-9)
    servers_energy = [k for k, x in enumerate(rows["x"]) if tuple(x) == ("Servers", "Energy")]
    assert [rows["object"][k] for k in servers_energy] == ["srv", "srv 2"]
    assert rows["bottom"][servers_energy[1]] == rows["top"][servers_energy[0]]
    totals = data["totals"]
    assert sum(totals["share_of_total"]) == pytest.approx(1.0, rel=1e-12)
    assert sum(totals["kg"]) == pytest.approx(total, rel=1e-12)
    assert system.plot_footprints_by_category_and_object(tmp_path / "f.html").read_text().count("Bokeh") > 0
