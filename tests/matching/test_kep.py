"""Kidney-exchange readers and the kep-common/1 writer (matching.kep)."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import pytest

from matching.kep import KepGraph, graph_to_instance, read_graph, read_instance, write_kep
from matching.types import Instance, Move

KIDNEY = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "kidney"
needs_kidney = pytest.mark.skipif(not KIDNEY.is_dir(), reason="shared kidney instances not present")

# (file, pairs, altruists, arcs) from shared/benchmarks/kidney/README.md: one line per format and layout.
README_COUNTS = [
    ("preflib-00036/00036-00000001.wmd", 16, 0, 59),
    ("preflib-00036/00036-00000061.wmd", 32, 4, 316),
    ("preflib-00036/00036-00000100.wmd", 64, 6, 1213),
    ("preflib-md00001/MD-00001-00000100.wmd", 64, 6, 1213),
    ("kidneyexchange-jl/sparse_128_19_1.wmd", 128, 19, 1101),
    ("kidneyexchange-jl/heterogeneous_128_0_1.wmd", 128, 0, 4019),
    ("trimble-kidney-solver/100.input", 100, 0, 1728),
    ("trimble-kidney-solver/100-random-weights.input", 100, 5, 1833),
    ("klimentova-pedroso-small/10_01.input.gz", 10, 0, 7),
    ("klimentova-pedroso-small/100_03.input.gz", 100, 0, 2691),
    ("generated-uk2022/uk2022-band-pra0-250-ndd0.10-s1.kep.json", 250, 25, 4563),
    ("preflib-00036/00036-00000021.wmd.kep.json", 16, 2, 92),
]


@needs_kidney
@pytest.mark.parametrize(("name", "pairs", "altruists", "arcs"), README_COUNTS)
def test_shared_files_read_to_the_readme_counts(name: str, pairs: int, altruists: int, arcs: int) -> None:
    graph = read_graph(KIDNEY / name)
    assert (graph.n_pairs, graph.n_altruists, graph.n_arcs) == (pairs, altruists, arcs)
    instance = read_instance(KIDNEY / name)
    assert len(instance.households) == pairs
    assert len(instance.vacancies) == altruists
    assert len(instance.moves) == arcs


@needs_kidney
def test_both_layouts_of_instance_100_give_identical_arcs() -> None:
    new = read_graph(KIDNEY / "preflib-00036/00036-00000100.wmd")
    old = read_graph(KIDNEY / "preflib-md00001/MD-00001-00000100.wmd")
    assert new.arcs == old.arcs
    assert new.notes["dropped_arcs_into_altruists"] == old.notes["dropped_arcs_into_altruists"] == 384


@needs_kidney
@pytest.mark.parametrize(
    "name",
    [
        "preflib-00036/00036-00000091.wmd",
        "klimentova-pedroso-small/50_01.input.gz",
        "trimble-kidney-solver/100-random-weights.input",
        "kidneyexchange-jl/sparse_128_19_1.wmd",
    ],
)
def test_original_and_converted_twin_agree(name: str) -> None:
    twin = name.removesuffix(".gz") + ".kep.json"
    assert read_graph(KIDNEY / name).arcs == read_graph(KIDNEY / twin).arcs


@needs_kidney
def test_real_weights_are_scaled_exactly() -> None:
    graph = read_graph(KIDNEY / "trimble-kidney-solver/100-random-weights.input")
    scale = graph.weight_scale
    assert scale > 1
    instance = graph_to_instance(graph)
    assert sum(m.points for m in instance.moves) == sum(w for _, _, w in graph.arcs) * scale
    unit = graph_to_instance(graph, unit_weights=True)
    assert {m.points for m in unit.moves} == {1}


def test_wmd_2022_layout_reading(tmp_path: Path) -> None:
    text = (
        "# NUMBER ALTERNATIVES: 3\n# NUMBER EDGES: 5\n"
        "# ALTERNATIVE NAME 1: Pair 1\n# ALTERNATIVE NAME 2: Pair 2\n# ALTERNATIVE NAME 3: Alturist 3\n"
        "1,2,1\n2,1,2.5\n3,1,1\n1,3,0\n2,1,1\n"
    )
    path = tmp_path / "x.wmd"
    path.write_text(text)
    graph = read_graph(path)
    assert (graph.n_pairs, graph.n_altruists) == (2, 1)
    assert graph.arcs == ((0, 1, Decimal(1)), (1, 0, Decimal("2.5")), (2, 0, Decimal(1)))
    assert graph.notes == {"dropped_arcs_into_altruists": 1, "dropped_duplicate_arcs": 1}
    instance = graph_to_instance(graph)
    # Arc [u, v, w]: household P<v> moves into the dwelling of u.
    assert instance.moves == (Move("P1", "P0", 10), Move("P0", "P1", 25), Move("P0", "A2", 10))


def test_input_with_ndds_and_gzip(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "g.input.gz", "wt") as f:
        f.write("3 3\n0 1 1\n1 2 1\n2 0 1\n-1 -1 -1\n")
    (tmp_path / "g.ndds").write_text("1 2\n0 1 4\n0 2 4\n-1 -1 -1\n")
    graph = read_graph(tmp_path / "g.input.gz")
    assert (graph.n_pairs, graph.n_altruists, graph.n_arcs) == (3, 1, 5)
    assert (3, 1, Decimal(4)) in graph.arcs


def test_kep_json_out_of_range_target_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.kep.json"
    path.write_text(
        json.dumps({"format": "kep-common/1", "n_pairs": 2, "n_altruists": 1, "arcs": [[0, 1, 1], [0, 2, 1]]})
    )
    with pytest.raises(ValueError, match=r"arcs\[1\]"):
        read_graph(path)


def test_unknown_extension_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("1,2\n")
    with pytest.raises(ValueError, match="format inconnu"):
        read_graph(path)


def test_too_many_decimals_are_rejected() -> None:
    graph = KepGraph("g", 2, 0, ((0, 1, Decimal("0.0000000001")),))
    with pytest.raises(ValueError, match="décimales"):
        graph_to_instance(graph)


def test_write_kep_round_trip(tmp_path: Path) -> None:
    instance = Instance(
        households={"H2": "D20", "H1": "D10", "H3": "D30"},
        vacancies=("V1",),
        moves=(Move("H1", "D20", 130), Move("H2", "D10", 120), Move("H3", "V1", 7), Move("H1", "V1", 9)),
        name="t",
    )
    path = tmp_path / "t.kep.json"
    write_kep(instance, path)
    doc = json.loads(path.read_text())
    # Households become pairs in order (H2 = 0, H1 = 1, H3 = 2), the vacancy is altruist 3.
    assert doc["arcs"] == [[0, 1, 130], [1, 0, 120], [3, 1, 9], [3, 2, 7]]
    back = read_instance(path)
    assert sorted((m.household, m.dwelling, m.points) for m in back.moves) == [
        ("P0", "P1", 120),
        ("P1", "A3", 9),
        ("P1", "P0", 130),
        ("P2", "A3", 7),
    ]
    write_kep(instance, path, unit_weights=True)
    assert {w for _, _, w in json.loads(path.read_text())["arcs"]} == {1}


def test_write_kep_rejects_unknown_dwelling(tmp_path: Path) -> None:
    instance = Instance(households={"H1": "D1"}, vacancies=(), moves=(Move("H1", "D9", 1),))
    with pytest.raises(ValueError, match="D9"):
        write_kep(instance, tmp_path / "x.kep.json")
