"""Compact integer graph of an instance, bounded cycle enumeration, chain reach, decomposition.

Nodes are indices: households ``0..n-1`` then vacancies ``n..n+m-1``. An arc ``u -> v`` of
weight ``w`` is the move "household ``v`` goes to the dwelling of ``u``" (kidney-exchange
reading: the donor of ``u`` gives to the patient of ``v``). Arcs never enter a vacancy.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matching.types import Instance

IntArray = npt.NDArray[np.int64]

__all__ = [
    "Graph",
    "arc_arrays",
    "chain_depths",
    "cycle_arrays",
    "enumerate_cycles",
    "graph_of",
    "strong_components",
    "weak_components",
    "weighted_cycles",
]


@dataclass(frozen=True, slots=True)
class Graph:
    """An instance as integer adjacency lists (``succ[u]`` = ``[(v, w), ...]`` sorted by ``v``)."""

    households: tuple[str, ...]  # index -> household ref
    dwellings: tuple[str, ...]  # index -> dwelling freed by the household, or the vacancy itself
    n_households: int
    succ: tuple[tuple[tuple[int, int], ...], ...]

    @property
    def n_nodes(self) -> int:
        """Households plus vacancies."""
        return len(self.succ)

    def weight(self, u: int, v: int) -> int:
        """Points of the arc ``u -> v`` (``KeyError`` when absent)."""
        for t, w in self.succ[u]:
            if t == v:
                return w
        raise KeyError((u, v))


def graph_of(instance: Instance) -> Graph:
    """Index an instance: households sorted by ref, then vacancies sorted, arcs per source.

    Raises
    ------
    ValueError
        When a move names an unknown household or a dwelling that is neither a vacancy nor the
        dwelling of a requesting household.

    Examples
    --------
    >>> from matching.types import Instance, Move
    >>> g = graph_of(Instance({"H1": "D1", "H2": "D2"}, ("V1",), (Move("H2", "D1", 5), Move("H2", "V1", 3))))
    >>> g.succ
    (((1, 5),), (), ((1, 3),))
    """
    households = tuple(sorted(instance.households))
    vacancies = tuple(sorted(set(instance.vacancies)))
    index = {h: i for i, h in enumerate(households)}
    owner: dict[str, int] = {}
    for i, h in enumerate(households):
        owner[instance.households[h]] = i
    for j, d in enumerate(vacancies):
        if d in owner:
            raise ValueError(f"vacancies: dwelling {d!r} is also the dwelling of a requesting household")
        owner[d] = len(households) + j
    best: dict[tuple[int, int], int] = {}
    for move in instance.moves:
        v = index.get(move.household)
        if v is None:
            raise ValueError(f"moves: unknown household {move.household!r}")
        u = owner.get(move.dwelling)
        if u is None:
            raise ValueError(f"moves: dwelling {move.dwelling!r} is neither offered nor freed by a household")
        if u == v:
            continue  # staying home is not a move
        key = (u, v)
        if key not in best or move.points > best[key]:
            best[key] = move.points
    succ: list[list[tuple[int, int]]] = [[] for _ in range(len(households) + len(vacancies))]
    for (u, v), w in sorted(best.items()):
        succ[u].append((v, w))
    dwellings = tuple(instance.households[h] for h in households) + vacancies
    return Graph(households, dwellings, len(households), tuple(tuple(s) for s in succ))


def strong_components(graph: Graph) -> list[int]:
    """Component number of each node (Tarjan, iterative); vacancies are their own components."""
    n = graph.n_nodes
    index = [-1] * n
    low = [0] * n
    comp = [-1] * n
    on_stack = [False] * n
    stack: list[int] = []
    counter = 0
    n_comp = 0
    for root in range(n):
        if index[root] != -1:
            continue
        work: list[tuple[int, int]] = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            u, i = work[-1]
            nexts = graph.succ[u]
            if i < len(nexts):
                work[-1] = (u, i + 1)
                v = nexts[i][0]
                if index[v] == -1:
                    index[v] = low[v] = counter
                    counter += 1
                    stack.append(v)
                    on_stack[v] = True
                    work.append((v, 0))
                elif on_stack[v]:
                    low[u] = min(low[u], index[v])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[u])
            if low[u] == index[u]:
                while True:
                    x = stack.pop()
                    on_stack[x] = False
                    comp[x] = n_comp
                    if x == u:
                        break
                n_comp += 1
    return comp


def chain_depths(graph: Graph, max_chain: int) -> list[int]:
    """Fewest moves from an offered vacancy to each household (``max_chain + 1`` when beyond reach).

    A household at depth ``d`` can be the ``d``-th move of a chain; it can pass its dwelling on only
    when ``d < max_chain``.
    """
    far = max_chain + 1
    depth = [far] * graph.n_nodes
    queue: deque[int] = deque()
    for a in range(graph.n_households, graph.n_nodes):
        depth[a] = 0
        queue.append(a)
    while queue:
        u = queue.popleft()
        if depth[u] >= max_chain:
            continue
        for v, _ in graph.succ[u]:
            if depth[v] > depth[u] + 1:
                depth[v] = depth[u] + 1
                queue.append(v)
    return depth


def enumerate_cycles(
    graph: Graph, max_length: int, comp: list[int] | None = None
) -> Iterator[tuple[int, ...]]:
    """Yield each cycle of 2 to ``max_length`` households once (see :func:`weighted_cycles`).

    >>> from matching.types import Instance, Move
    >>> moves = (Move("A", "dB", 1), Move("B", "dA", 1), Move("B", "dC", 1), Move("C", "dA", 1))
    >>> g = graph_of(Instance({"A": "dA", "B": "dB", "C": "dC"}, (), moves))
    >>> sorted(enumerate_cycles(g, 3))
    [(0, 1), (0, 2, 1)]
    """
    for cycle, _ in weighted_cycles(graph, max_length, comp):
        yield cycle


def weighted_cycles(
    graph: Graph, max_length: int, comp: list[int] | None = None
) -> Iterator[tuple[tuple[int, ...], int]]:
    """Yield each cycle of 2 to ``max_length`` households once, starting at its smallest index,
    with its points (the sum of its arcs' weights).

    Only arcs inside one strongly connected component can lie on a cycle, and a path is extended
    only when the root is still reachable in the moves left (distances to the root, found by a
    bounded backward search), so the search never wanders.

    Examples
    --------
    >>> from matching.types import Instance, Move
    >>> moves = (Move("A", "dB", 1), Move("B", "dA", 1), Move("B", "dC", 1), Move("C", "dA", 1))
    >>> g = graph_of(Instance({"A": "dA", "B": "dB", "C": "dC"}, (), moves))
    >>> sorted(weighted_cycles(g, 3))
    [((0, 1), 2), ((0, 2, 1), 3)]

    References
    ----------
    Abraham, Blum, Sandholm, "Clearing algorithms for barter exchange markets", EC 2007.
    """
    if comp is None:
        comp = strong_components(graph)
    n = graph.n_households
    pred: list[list[int]] = [[] for _ in range(n)]
    for u in range(n):
        for v, _ in graph.succ[u]:
            if v < n and comp[u] == comp[v]:
                pred[v].append(u)
    dist = [max_length + 1] * n
    for root in range(n):
        # Backward distances to the root over nodes > root, up to max_length - 1 steps.
        touched = [root]
        dist[root] = 0
        frontier = [root]
        for step in range(1, max_length):
            nxt: list[int] = []
            for x in frontier:
                for p in pred[x]:
                    if p > root and dist[p] > step:
                        dist[p] = step
                        touched.append(p)
                        nxt.append(p)
            frontier = nxt
        path = [root]
        on_path = {root}
        yield from _extend(graph, comp, dist, root, path, on_path, max_length, 0)
        for x in touched:
            dist[x] = max_length + 1


def _extend(
    graph: Graph,
    comp: list[int],
    dist: list[int],
    root: int,
    path: list[int],
    on_path: set[int],
    max_length: int,
    points: int,
) -> Iterator[tuple[tuple[int, ...], int]]:
    u = path[-1]
    left = max_length - len(path)
    for v, w in graph.succ[u]:
        if v == root and len(path) >= 2:
            yield tuple(path), points + w
        elif (
            v > root
            and v < graph.n_households
            and v not in on_path
            and comp[v] == comp[root]
            and dist[v] <= left
        ):
            path.append(v)
            on_path.add(v)
            yield from _extend(graph, comp, dist, root, path, on_path, max_length, points + w)
            path.pop()
            on_path.discard(v)


def arc_arrays(graph: Graph) -> tuple[IntArray, IntArray, IntArray]:
    """Every arc as three arrays ``(source, target, weight)``, sorted by source then target."""
    counts = np.fromiter((len(s) for s in graph.succ), dtype=np.int64, count=graph.n_nodes)
    total = int(counts.sum())
    src = np.repeat(np.arange(graph.n_nodes, dtype=np.int64), counts)
    flat = np.fromiter((x for s in graph.succ for a in s for x in a), dtype=np.int64, count=2 * total)
    return src, flat[0::2].copy(), flat[1::2].copy()


_CHUNK = 2_000_000  # two-move paths expanded at once when closing 3-cycles (bounds memory)
_DENSE = 4_000_000  # up to this many (source, target) pairs, arcs are found in a dense index


def cycle_arrays(
    graph: Graph,
    max_length: int,
    comp: list[int] | None = None,
    arcs: tuple[IntArray, IntArray, IntArray] | None = None,
) -> tuple[IntArray, IntArray]:
    """The cycles of :func:`weighted_cycles`, in the same order, as arrays.

    ``arcs`` is :func:`arc_arrays` of the graph when the caller has it already.

    Returns ``(members, points)``: ``members[i]`` lists cycle ``i``'s households from its smallest
    index, padded with ``-1`` to ``max_length`` columns. Cycles of 2 and 3 households are found
    with numpy joins over the sorted arcs (``u -> v`` then ``v -> w``, closed when ``w -> u``
    exists); longer caps fall back to the depth-first search.

    Examples
    --------
    >>> from matching.types import Instance, Move
    >>> moves = (Move("A", "dB", 1), Move("B", "dA", 1), Move("B", "dC", 1), Move("C", "dA", 1))
    >>> members, points = cycle_arrays(graph_of(Instance({"A": "dA", "B": "dB", "C": "dC"}, (), moves)), 3)
    >>> members.tolist(), points.tolist()
    ([[0, 1, -1], [0, 2, 1]], [2, 3])
    """
    if comp is None:
        comp = strong_components(graph)
    if max_length > 3:
        found = list(weighted_cycles(graph, max_length, comp))
        members = np.full((len(found), max_length), -1, dtype=np.int64)
        for i, (cycle, _) in enumerate(found):
            members[i, : len(cycle)] = cycle
        return members, np.fromiter((p for _, p in found), dtype=np.int64, count=len(found))
    n = graph.n_households
    src, dst, w = arcs if arcs is not None else arc_arrays(graph)
    labels = np.asarray(comp, dtype=np.int64)
    inside = (src < n) & (dst < n)
    inside[inside] = labels[src[inside]] == labels[dst[inside]]
    src, dst, w = src[inside], dst[inside], w[inside]
    key = src * n + dst  # sorted: arcs come by source, then target
    ptr = np.searchsorted(src, np.arange(n + 1, dtype=np.int64))

    if n * n <= _DENSE:  # arc index by (source, target) in a matrix: O(1) lookups
        index = np.full(n * n, -1, dtype=np.int64)
        index[key] = np.arange(len(key))

        def find(keys: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
            pos = index[keys]
            return pos, pos >= 0

    else:

        def find(keys: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
            pos = np.minimum(np.searchsorted(key, keys), max(len(key) - 1, 0))
            return pos, (key[pos] == keys) if len(key) else np.zeros(len(keys), dtype=bool)

    up = np.flatnonzero(src < dst)  # first move of a cycle: from its smallest household upwards
    back, ok = find(dst[up] * n + src[up])
    two_first = up[ok]
    rows = [np.stack([src[two_first], dst[two_first], np.full(len(two_first), -1)], axis=1)]
    pts = [w[two_first] + w[back[ok]]]
    if max_length == 3 and len(up):
        r, a = src[up], dst[up]
        lo = np.searchsorted(key, a * n + r + 1)  # second moves a -> b with b > r
        counts = ptr[a + 1] - lo
        ends = np.cumsum(counts)
        start = 0
        while start < len(up):
            stop = int(np.searchsorted(ends, (ends[start - 1] if start else 0) + _CHUNK, side="right"))
            stop = max(stop, start + 1)
            c = counts[start:stop]
            first = np.repeat(np.arange(start, stop), c)
            offset = np.arange(int(c.sum())) - np.repeat(np.cumsum(c) - c, c)
            second = lo[first] + offset
            closing, ok = find(dst[second] * n + r[first])
            first, second, closing = first[ok], second[ok], closing[ok]
            rows.append(np.stack([r[first], a[first], dst[second]], axis=1))
            pts.append(w[up[first]] + w[second] + w[closing])
            start = stop
    members = np.concatenate(rows) if rows else np.zeros((0, 3), dtype=np.int64)
    points = np.concatenate(pts) if pts else np.zeros(0, dtype=np.int64)
    order = np.lexsort((members[:, 2], members[:, 1], members[:, 0]))
    return members[order, :max_length], points[order]


def weak_components(n_nodes: int, source: IntArray, target: IntArray) -> IntArray:
    """Weakly connected component of each node over the given arcs, numbered by smallest node.

    Nodes touched by no arc get ``-1`` (they cannot be part of any proposal). Label propagation
    with pointer jumping, in numpy.

    >>> weak_components(5, np.array([0, 3]), np.array([2, 4])).tolist()
    [0, -1, 0, 1, 1]
    """
    label = np.arange(n_nodes, dtype=np.int64)
    while len(source):
        lo = np.minimum(label[source], label[target])
        np.minimum.at(label, label[source], lo)
        np.minimum.at(label, label[target], lo)
        while True:
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        if np.array_equal(label[source], label[target]):
            break
    used = np.zeros(n_nodes, dtype=bool)
    used[source] = True
    used[target] = True
    roots, numbered = np.unique(label[used], return_inverse=True)
    part = np.full(n_nodes, -1, dtype=np.int64)
    part[used] = numbered.ravel()
    return part
