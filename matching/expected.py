"""The objective ``expected``: expected points of the moves that complete, as integer column weights.

Each move has a chance ``p`` that its household accepts and its CALEOL agrees. A cycle completes
only if every move does: its expected value is ``(p_1 ... p_n) * (w_1 + ... + w_n)``. A vacancy
chain keeps the prefix before its first refusal (the household before the break still moves into
the dwelling freed before it): the ``k``-th move counts when moves ``1 .. k`` all complete, so the
chain is worth ``sum_k w_k * p_1 ... p_k``.

A chain's value depends on its whole prefix, not on one arc and its position, so under this
objective the chains are explicit columns (every chain of at most ``max_chain`` moves), beside the
cycles; a chain column's members are its vacancy, then its households in order. Values are rounded
to thousandths of a point (:data:`~matching.types.EXPECTED_SCALE`), so that the integer
programme's weights stay integers and its bounds and proofs hold unchanged (in thousandths).

References
----------
Dickerson, Procaccia, Sandholm, "Failure-aware kidney exchange", EC 2013 / Management Science 2019.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from matching.cycles import Graph
from matching.program import IntArray
from matching.types import EXPECTED_SCALE

__all__ = ["chain_columns", "chain_value", "cycle_value", "scaled", "weigh_cycles"]


def cycle_value(points: Sequence[int], chances: Sequence[float]) -> float:
    """Expected points of a cycle: all its moves complete, or none.

    >>> cycle_value([100, 120], [0.5, 0.8])
    88.0
    """
    together = 1.0
    for p in chances:
        together *= p
    return together * sum(points)


def chain_value(points: Sequence[int], chances: Sequence[float]) -> float:
    """Expected points of a chain: each move counts when it and every move before it complete.

    >>> chain_value([100, 120], [0.5, 0.8])
    98.0
    """
    value = 0.0
    prefix = 1.0
    for w, p in zip(points, chances, strict=True):
        prefix *= p
        value += w * prefix
    return value


def scaled(value: float) -> int:
    """Expected points in thousandths of a point, rounded to the nearest.

    >>> scaled(98.0), scaled(0.0004)
    (98000, 0)
    """
    return round(value * EXPECTED_SCALE)


def weigh_cycles(graph: Graph, members: IntArray, chance: dict[tuple[int, int], float]) -> IntArray:
    """Each cycle's expected value (thousandths): ``members[i]`` lists its households, ``-1`` padded.

    Household ``cycle[i]`` takes the dwelling of ``cycle[i - 1]``; ``chance[(u, v)]`` is the chance
    of the arc ``u -> v`` (1.0 when absent).
    """
    weights = np.zeros(len(members), dtype=np.int64)
    for i, row in enumerate(members.tolist()):
        cycle = [x for x in row if x >= 0]
        arcs = [(cycle[k - 1], cycle[k]) for k in range(len(cycle))]
        weights[i] = scaled(
            cycle_value([graph.weight(u, v) for u, v in arcs], [chance.get(a, 1.0) for a in arcs])
        )
    return weights


def chain_columns(
    graph: Graph, max_chain: int, chance: dict[tuple[int, int], float], *, keep_prefix: bool = True
) -> tuple[IntArray, IntArray]:
    """Every chain of 1 to ``max_chain`` moves from a vacancy, as ``(members, weights)``.

    ``members[i]`` is the vacancy, then the households in order, padded with ``-1`` to
    ``max_chain + 1``; ``weights[i]`` its expected value in thousandths: by prefix
    (:func:`chain_value`), or all-or-nothing like a cycle when not ``keep_prefix``. Chains worth 0
    are left out.

    >>> from matching.cycles import graph_of
    >>> from matching.types import Instance, Move
    >>> g = graph_of(Instance({"A": "dA", "B": "dB"}, ("V",), (Move("A", "V", 10), Move("B", "dA", 5))))
    >>> members, weights = chain_columns(g, 2, {(2, 0): 0.5})
    >>> members.tolist(), weights.tolist()
    ([[2, 0, -1], [2, 0, 1]], [5000, 7500])
    >>> prefix = chain_columns(g, 2, {(0, 1): 0.5})[1]
    >>> whole = chain_columns(g, 2, {(0, 1): 0.5}, keep_prefix=False)[1]
    >>> prefix.tolist(), whole.tolist()
    ([10000, 12500], [10000, 7500])
    """
    worth = chain_value if keep_prefix else cycle_value
    rows: list[list[int]] = []
    weights: list[int] = []
    n = graph.n_households
    width = max_chain + 1

    def extend(path: list[int], points: list[int], chances: list[float]) -> None:
        value = scaled(worth(points, chances))
        if value > 0:
            rows.append(path + [-1] * (width - len(path)))
            weights.append(value)
        if len(path) > max_chain:
            return
        u = path[-1]
        for v, w in graph.succ[u]:
            if v < n and v not in path:
                extend(path + [v], points + [w], chances + [chance.get((u, v), 1.0)])

    if max_chain >= 1:
        for vacancy in range(n, graph.n_nodes):
            for v, w in graph.succ[vacancy]:
                extend([vacancy, v], [w], [chance.get((vacancy, v), 1.0)])
    members = np.asarray(rows, dtype=np.int64).reshape(len(rows), width)
    return members, np.asarray(weights, dtype=np.int64)
