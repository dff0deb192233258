"""The numpy cycle enumeration and weak components against the depth-first reference and union-find."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import cycles as cycles_module
from matching.cycles import (
    arc_arrays,
    cycle_arrays,
    graph_of,
    strong_components,
    weak_components,
    weighted_cycles,
)
from matching.types import Instance, Move


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    n = draw(st.integers(0, 9))
    m = draw(st.integers(0, 2))
    dwellings = [f"D{i}" for i in range(n)] + [f"V{j}" for j in range(m)]
    pairs = [(u, v) for u in range(n + m) for v in range(n) if u != v]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=40)) if pairs else []
    moves = tuple(Move(f"H{v}", dwellings[u], draw(st.integers(1, 50))) for u, v in chosen)
    return Instance({f"H{i}": f"D{i}" for i in range(n)}, tuple(dwellings[n:]), moves)


def _as_list(members: np.ndarray, points: np.ndarray) -> list[tuple[tuple[int, ...], int]]:
    return [
        (tuple(x for x in row if x >= 0), int(p))
        for row, p in zip(members.tolist(), points.tolist(), strict=True)
    ]


@pytest.mark.parametrize("dense", [True, False], ids=["dense-index", "sorted-keys"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(instance=instances(), max_length=st.integers(2, 4))
def test_cycle_arrays_match_depth_first_search(
    instance: Instance, max_length: int, dense: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cycles_module, "_DENSE", 10**9 if dense else 0)
    graph = graph_of(instance)
    comp = strong_components(graph)
    members, points = cycle_arrays(graph, max_length, comp)
    assert members.shape[1] == max_length
    assert _as_list(members, points) == list(weighted_cycles(graph, max_length, comp))


def test_cycle_arrays_close_three_cycles_in_small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every household wants every other dwelling: 10 * 9 / 2 2-cycles and 10 * 9 * 8 / 3 3-cycles.
    n = 10
    moves = tuple(Move(f"H{v}", f"D{u}", 1 + u + v) for u in range(n) for v in range(n) if u != v)
    graph = graph_of(Instance({f"H{i}": f"D{i}" for i in range(n)}, (), moves))
    monkeypatch.setattr(cycles_module, "_CHUNK", 7)
    members, points = cycle_arrays(graph, 3)
    assert len(members) == 45 + 240
    assert _as_list(members, points) == list(weighted_cycles(graph, 3))


@settings(max_examples=150, deadline=None)
@given(instance=instances())
def test_weak_components_match_union_find(instance: Instance) -> None:
    graph = graph_of(instance)
    src, dst, _ = arc_arrays(graph)
    part = weak_components(graph.n_nodes, src, dst)
    parent = list(range(graph.n_nodes))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for u, v in zip(src.tolist(), dst.tolist(), strict=True):
        parent[find(u)] = find(v)
    touched = set(src.tolist()) | set(dst.tolist())
    for x in range(graph.n_nodes):
        assert (part[x] == -1) == (x not in touched)
    for x in touched:
        for y in touched:
            assert (part[x] == part[y]) == (find(x) == find(y))
    # Numbered by smallest node: the first node of part k comes before the first node of part k + 1.
    firsts = [min(x for x in touched if part[x] == k) for k in range(int(part.max(initial=-1)) + 1)]
    assert firsts == sorted(firsts)


def _rotated(cycle: list[int] | tuple[int, ...]) -> tuple[int, ...]:
    start = cycle.index(min(cycle))
    return tuple(cycle[start:]) + tuple(cycle[:start])


@settings(max_examples=200, deadline=None)
@given(instance=instances(), max_length=st.integers(2, 5))
def test_our_cycles_are_networkx_simple_cycles(instance: Instance, max_length: int) -> None:
    """The fast enumeration finds exactly NetworkX's bounded simple cycles among households."""
    import networkx as nx

    graph = graph_of(instance)
    households = range(graph.n_households)
    nx_graph = nx.DiGraph()
    nx_graph.add_nodes_from(households)
    nx_graph.add_edges_from((u, v) for u in households for v, _ in graph.succ[u] if v < graph.n_households)
    theirs = {_rotated(c) for c in nx.simple_cycles(nx_graph, length_bound=max_length) if len(c) >= 2}
    ours = [cycle for cycle, _ in weighted_cycles(graph, max_length)]
    assert len(ours) == len(set(ours))  # each cycle once
    assert {_rotated(c) for c in ours} == theirs
