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

A **floor** protects chosen households (the territory's priority households, DALO and handicap):
``floors[h]`` is the least share of household ``h``'s move points that counts, whatever the chances.
A move of points ``w`` that counts with probability ``q`` is worth ``w * max(q, floor)``; with a
floor of 1 a priority household's move weighs its full points, as under ``points``, while the
others' are discounted by their chances.

Chains with the same vacancy and the same households use the same dwellings: only the best
ordering of each set is a column (the others can never be needed in an optimum).

References
----------
Dickerson, Procaccia, Sandholm, "Failure-aware kidney exchange", EC 2013 / Management Science 2019.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from matching.cycles import Graph, arc_arrays
from matching.program import IntArray
from matching.types import EXPECTED_SCALE

__all__ = ["chain_columns", "chain_value", "cycle_value", "scaled", "weigh_cycles"]


def cycle_value(
    points: Sequence[int], chances: Sequence[float], floors: Sequence[float] | None = None
) -> float:
    """Expected points of a cycle: all its moves complete, or none; a move's ``floors`` share of its
    points counts whatever the chances.

    >>> cycle_value([100, 120], [0.5, 0.8])
    88.0
    >>> cycle_value([100, 120], [0.5, 0.8], [1.0, 0.0])  # the first household's move counts whole
    148.0
    """
    together = 1.0
    for p in chances:
        together *= p
    if floors is None or not any(f > 0 for f in floors):
        return together * sum(points)
    return sum(w * max(together, f) for w, f in zip(points, floors, strict=True))


def chain_value(
    points: Sequence[int], chances: Sequence[float], floors: Sequence[float] | None = None
) -> float:
    """Expected points of a chain: each move counts when it and every move before it complete (or at
    least its ``floors`` share).

    >>> chain_value([100, 120], [0.5, 0.8])
    98.0
    >>> chain_value([100, 120], [0.5, 0.8], [0.0, 0.5])
    110.0
    """
    value = 0.0
    prefix = 1.0
    for k, (w, p) in enumerate(zip(points, chances, strict=True)):
        prefix *= p
        value += w * (prefix if floors is None else max(prefix, floors[k]))
    return value


def scaled(value: float) -> int:
    """Expected points in thousandths of a point, rounded to the nearest.

    >>> scaled(98.0), scaled(0.0004)
    (98000, 0)
    """
    return round(value * EXPECTED_SCALE)


def weigh_cycles(
    graph: Graph,
    members: IntArray,
    chance: dict[tuple[int, int], float],
    floor: Sequence[float] | None = None,
) -> IntArray:
    """Each cycle's expected value (thousandths): ``members[i]`` lists its households, ``-1`` padded.

    Household ``cycle[i]`` takes the dwelling of ``cycle[i - 1]``; ``chance[(u, v)]`` is the chance
    of the arc ``u -> v`` (1.0 when absent); ``floor[v]`` household ``v``'s floor (none: 0).
    """
    weights = np.zeros(len(members), dtype=np.int64)
    for i, row in enumerate(members.tolist()):
        cycle = [x for x in row if x >= 0]
        arcs = [(cycle[k - 1], cycle[k]) for k in range(len(cycle))]
        floors = None if floor is None else [floor[v] for v in cycle]
        weights[i] = scaled(
            cycle_value([graph.weight(u, v) for u, v in arcs], [chance.get(a, 1.0) for a in arcs], floors)
        )
    return weights


def chain_columns(
    graph: Graph,
    max_chain: int,
    chance: dict[tuple[int, int], float],
    *,
    keep_prefix: bool = True,
    floor: Sequence[float] | None = None,
) -> tuple[IntArray, IntArray]:
    """The chains of 1 to ``max_chain`` moves from a vacancy, as ``(members, weights)``.

    ``members[i]`` is the vacancy, then the households in order, padded with ``-1`` to
    ``max_chain + 1``; ``weights[i]`` its expected value in thousandths: by prefix
    (:func:`chain_value`), or all-or-nothing like a cycle when not ``keep_prefix``; ``floor[v]`` is
    household ``v``'s floor (none: 0). Chains worth 0 are left out, and of the chains with the same
    vacancy and the same households only the best (the first found among equals) is kept.

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
    >>> chain_columns(g, 2, {(0, 1): 0.5}, keep_prefix=False, floor=[0.0, 1.0])[1].tolist()
    [10000, 10000]
    """
    n = graph.n_households
    width = max_chain + 1
    floors = np.zeros(n) if floor is None else np.asarray(floor, dtype=np.float64)
    src, dst, points = arc_arrays(graph)
    arc_chance = np.fromiter(
        (chance.get((u, v), 1.0) for u, v in zip(src.tolist(), dst.tolist(), strict=True)),
        dtype=np.float64,
        count=len(src),
    )
    offsets = np.searchsorted(src, np.arange(graph.n_nodes + 1))
    # Level by level, every chain of k moves from the chains of k - 1: paths (vacancy first), their
    # points, the chance that every move so far completes, and the value by prefix.
    paths = np.arange(n, graph.n_nodes, dtype=np.int64).reshape(-1, 1)
    gains = np.zeros((len(paths), 0), dtype=np.int64)
    alive = np.ones(len(paths))
    value = np.zeros(len(paths))
    found_paths: list[IntArray] = []
    found_values: list[IntArray] = []
    for _ in range(max_chain):
        last = paths[:, -1]
        degree = offsets[last + 1] - offsets[last]
        row = np.repeat(np.arange(len(paths)), degree)
        arc = offsets[last][row] + np.arange(len(row)) - np.repeat(np.cumsum(degree) - degree, degree)
        v = dst[arc]
        fresh = (v < n) & ~(paths[row] == v[:, None]).any(axis=1)
        row, arc, v = row[fresh], arc[fresh], v[fresh]
        if not len(row):
            break
        paths = np.hstack([paths[row], v[:, None]])
        gains = np.hstack([gains[row], points[arc][:, None]])
        alive = alive[row] * arc_chance[arc]
        value = value[row] + points[arc] * np.maximum(alive, floors[v])
        if keep_prefix:
            worth = value
        else:  # all or nothing: as a cycle, each move at least its floor
            held = floors[paths[:, 1:]]
            floored = np.zeros(len(row))
            for k in range(gains.shape[1]):  # in move order, as the checker adds them
                floored = floored + gains[:, k] * np.maximum(alive, held[:, k])
            worth = np.where((held > 0).any(axis=1), floored, alive * gains.sum(axis=1))
        weight = np.rint(worth * EXPECTED_SCALE).astype(np.int64)
        padded = np.full((len(paths), width), -1, dtype=np.int64)
        padded[:, : paths.shape[1]] = paths
        found_paths.append(padded[weight > 0])
        found_values.append(weight[weight > 0])
    if not found_paths:
        return np.zeros((0, width), dtype=np.int64), np.zeros(0, dtype=np.int64)
    members = np.concatenate(found_paths)
    weights = np.concatenate(found_values)
    # Same vacancy, same households: the best ordering only (the first found among equals).
    key = np.hstack([members[:, :1], np.sort(members[:, 1:], axis=1)])
    order = np.lexsort((np.arange(len(members)), -weights, *key.T[::-1]))
    ranked = key[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    chosen = np.sort(order[first])
    return members[chosen], weights[chosen]
