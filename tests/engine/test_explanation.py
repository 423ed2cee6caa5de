"""Explanations come from the graph: label, formula, inputs with their values and sources, result;
the calculus graph of a value is its ancestor subgraph, with what a drawing needs on every node."""
from __future__ import annotations

import networkx as nx
import pytest

from efp import EfpError, SourceValue, Sources, u

import toy


@pytest.fixture
def press(model):
    bolt = toy.Part("bolt", SourceValue(2 * u.kg, Sources.BASE_ADEME_V19), 3)
    nut = toy.Part("nut", SourceValue(500 * u.g, Sources.HYPOTHESIS), 4)
    frame = toy.Assembly("frame", [bolt, nut, bolt], 2)
    press = toy.Machine("press", speed=SourceValue(3 / u.hour, Sources.USER_DATA))
    frame.machine = press
    return {"bolt": bolt, "nut": nut, "frame": frame, "press": press}


def test_explain_a_calculated_value(press):
    text = press["frame"].weight.explain()
    lines = text.splitlines()
    # label and result
    assert lines[0] == "Assembly 'frame'.weight = 28 kilogram"               # (6 + 2 + 6) * 2
    assert lines[-1] == "  result: 28 kilogram"
    # formula: name, declared inputs, documentation
    assert "  formula weight(weights, factor):" in lines
    assert "    Sum of part weights times the factor." in lines
    # every input, with its path, node, value and (for inputs) source; a fan-in lists each element
    assert lines.count("    weights (parts[].total_weight) <- Part 'bolt'.total_weight = 6 kilogram") == 2
    assert "    weights (parts[].total_weight) <- Part 'nut'.total_weight = 2 kilogram" in lines
    assert "    factor (factor) <- Assembly 'frame'.factor = 2 dimensionless [source: user data]" in lines


def test_explain_shows_sources_of_inputs(press):
    text = press["press"].throughput.explain()
    assert text.splitlines()[0] == "Machine 'press'.throughput = 84 kilogram / hour"
    assert "weights (assemblies[].weight) <- Assembly 'frame'.weight = 28 kilogram" in text
    assert "speed (speed) <- Machine 'press'.speed = 3 1 / hour [source: user data]" in text
    weight = press["bolt"].weight.explain()
    assert weight.splitlines() == ["Part 'bolt'.weight = 2 kilogram",
                                   "  an input [source: Base Carbone ADEME v19 (https://base-empreinte.ademe.fr/)]",
                                   "  doc: Weight of the part."]


def test_explain_follows_changes(press):
    press["nut"].weight = SourceValue(1 * u.kg, Sources.USER_DATA)
    text = press["frame"].weight.explain()
    assert "Part 'nut'.total_weight = 4 kilogram" in text and "result: 32 kilogram" in text
    press["frame"].parts.remove(press["nut"])
    text = press["frame"].weight.explain()
    assert "nut" not in text and text.splitlines()[-1] == "  result: 24 kilogram"
    assert "[source: user data]" in press["nut"].weight.explain()


def test_explain_empty_inputs_and_missing_links(model):
    empty = toy.Assembly("empty")
    text = empty.weight.explain()
    assert text.splitlines()[0] == "Assembly 'empty'.weight = no value"
    assert "    weights (parts[].total_weight) = []" in text
    first = toy.Stage("first", x=4)
    assert "    before (previous.y) = nothing linked" in first.y.explain()
    second = toy.Stage("second", previous=first, x=1)
    assert "    before (previous.y) <- Stage 'first'.y = 4 dimensionless" in second.y.explain()


def test_only_stored_values_can_be_explained():
    with pytest.raises(EfpError, match="not stored in a model"):
        SourceValue(1 * u.kg).explain()
    with pytest.raises(EfpError):
        SourceValue(1 * u.kg).ancestors_graph()


def test_ancestors_graph_is_the_ancestor_subgraph(model, press):
    key = press["press"].node("throughput").key
    graph = press["press"].throughput.ancestors_graph()
    expected = nx.ancestors(model.graph, key) | {key}
    assert set(graph.nodes) == expected
    assert set(graph.edges) == set(model.graph.subgraph(expected).edges)
    assert nx.is_directed_acyclic_graph(graph)
    assert [n for n in graph if graph.out_degree(n) == 0] == [key]
    names = {(graph.nodes[n]["object"], graph.nodes[n]["attribute"]) for n in graph}
    assert ("bolt", "weight") in names and ("frame", "parts") in names and ("press", "assemblies") in names
    assert ("press", "throughput") in names and ("nut", "assemblies") not in names
    graph.remove_node(key)                                                   # a copy, not a view
    assert key in model.graph


def test_ancestors_graph_node_attributes(model, press):
    graph = press["press"].throughput.ancestors_graph()
    key = press["press"].node("throughput").key
    top = graph.nodes[key]
    assert top["label"] == "throughput of press" and top["object_class"] == "Machine"
    assert top["kind"] == "calculated" and top["state"] == "fresh" and top["depth"] == 0
    assert top["value"] == "84 kilogram / hour"
    assert "def throughput(weights, speed):" in top["formula"]
    assert "return sum(weights, NOTHING()) * speed" in top["formula"]
    assert "@calculated" not in top["formula"]
    bolt = graph.nodes[press["bolt"].node("weight").key]
    assert bolt["kind"] == "input" and bolt["formula"] == "" and bolt["value"] == "2 kilogram"
    assert bolt["source"].startswith("Base Carbone ADEME v19")
    assert bolt["depth"] == 3                      # weight -> total_weight -> frame.weight -> throughput
    for node, data in graph.nodes(data=True):
        assert data["depth"] == nx.shortest_path_length(graph, node, key)
        assert set(data) >= {"label", "object", "object_class", "attribute", "kind", "state", "value", "formula",
                             "source", "depth"}
