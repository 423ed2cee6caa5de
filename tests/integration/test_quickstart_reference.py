"""The seed quickstart in efp against the independently computed reference figures.

Figures: ``shared/spec/reference-quickstart.md`` (kg CO2eq summed over all hours), to 1e-9 relative;
instance counts exactly.
"""
from datetime import datetime

import numpy as np
import pytest

from efp import new_model, u
from efp_builders.quickstart import build, category_figures, changes

COLUMNS = ("total", "fabrication Servers", "fabrication Storage", "fabrication Devices", "energy Servers",
           "energy Storage", "energy Network", "energy Devices")
REFERENCE = {
    "1. baseline": (14287545.023891, 54194.090805, 2222129.850179, 4955397.074086, 170628.834793, 14.675048,
                    4814169.970366, 2071010.528614),
    "2. streaming data_download -> 500 MB": (12526370.716093, 54194.090805, 2222129.850179, 4955397.074086,
                                             170628.834793, 14.675048, 3052995.662568, 2071010.528614),
    "3. LLM chat step appended": (17535171.793199, 270133.054985, 2256959.519355, 5189510.321681,
                                  4593182.083424, 15.256857, 3056518.011183, 2168853.545714),
    "4. LLM server at 50 g/kWh": (13849710.267833, 270133.054985, 2256959.519355, 5189510.321681, 907721.042898,
                                  14.772016, 3056518.011183, 2168853.545714),
    "5. batch revert (ModelingUpdate)": (14287545.023891, 54194.090805, 2222129.850179, 4955397.074086,
                                         170628.834793, 14.675048, 4814169.970366, 2071010.528614),
}
# The reference prints six decimals: 1e-9 relative, or half a unit of the sixth decimal for small figures.
ABSOLUTE = 5e-7


def _instances(obj):
    counts = obj.nb_of_instances.magnitude
    return int(round(counts.sum())), int(round(counts.max()))


@pytest.fixture(scope="module")
def steps():
    """Figures and instance counts after each step of the seed."""
    with new_model():
        objects = build()
        recorded = {"1. baseline": (category_figures(objects.system),
                                    {"server": _instances(objects.server), "SSD storage": _instances(objects.storage)},
                                    objects.storage.full_cumulative_storage_need.magnitude[-1],
                                    objects.system.total_footprint)}
        for description, apply in changes(objects):
            apply()
            instances = {"server": _instances(objects.server), "SSD storage": _instances(objects.storage)}
            last_need = None
            if description.startswith("3."):
                instances["Inference GPU server"] = _instances(objects.llm_server)
                instances["Default SSD storage"] = _instances(objects.llm_server.storage)
                last_need = objects.llm_server.storage.full_cumulative_storage_need.magnitude[-1]
            recorded[description] = (category_figures(objects.system), instances, last_need, None)
        yield recorded


@pytest.mark.parametrize("step", list(REFERENCE))
def test_category_figures_match_the_reference(steps, step):
    figures = steps[step][0]
    for column, expected in zip(COLUMNS, REFERENCE[step]):
        assert figures[column] == pytest.approx(expected, rel=1e-9, abs=ABSOLUTE), (step, column)


def test_instance_counts_match_the_reference(steps):
    assert steps["1. baseline"][1] == {"server": (4750654, 634), "SSD storage": (730469635, 72202)}
    assert steps["3. LLM chat step appended"][1] == {
        "server": (4750654, 634), "SSD storage": (730469635, 72202),
        "Inference GPU server": (1931552, 257), "Default SSD storage": (11449383, 1244)}


def test_storage_need_at_the_last_hour(steps):
    assert steps["1. baseline"][2] == pytest.approx(72201.157926, abs=5e-7)
    assert steps["3. LLM chat step appended"][2] == pytest.approx(1243.181864, abs=5e-7)


def test_total_footprint_span(steps):
    total = steps["1. baseline"][3]
    assert total.start_date == datetime(2024, 12, 31, 23)  # local midnight in Paris
    last_nonzero = np.nonzero(total.magnitude)[0][-1]
    assert total.data_array["time"].values[last_nonzero] == np.datetime64("2028-01-01T16:00")
    assert total.unit == u.kg
