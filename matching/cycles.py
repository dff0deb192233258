"""Compact integer graph of an instance, bounded cycle enumeration, chain reach, decomposition.

Nodes are indices: households ``0..n-1`` then vacancies ``n..n+m-1``. An arc ``u -> v`` of
weight ``w`` is the move "household ``v`` goes to the dwelling of ``u``" (kidney-exchange
reading: the donor of ``u`` gives to the patient of ``v``). Arcs never enter a vacancy.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from matching.types import Instance

__all__ = [
    "Graph",
    "chain_depths",
    "components",
    "enumerate_cycles",
    "graph_of",
    "strong_components",
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


def components(graph: Graph, keep: list[list[tuple[int, int]]]) -> list[list[int]]:
    """Weakly connected components of the kept arcs (``keep[u]`` = arcs out of ``u``), sorted.

    Nodes without a kept arc are left out: they cannot be part of any proposal.
    """
    parent = list(range(graph.n_nodes))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    used = [False] * graph.n_nodes
    for u, arcs in enumerate(keep):
        for v, _ in arcs:
            used[u] = used[v] = True
            ru, rv = find(u), find(v)
            if ru != rv:
                parent[max(ru, rv)] = min(ru, rv)
    groups: dict[int, list[int]] = {}
    for x in range(graph.n_nodes):
        if used[x]:
            groups.setdefault(find(x), []).append(x)
    return sorted(groups.values())
