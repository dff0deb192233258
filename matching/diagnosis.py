"""Why a request stays unmatched (diagnostic des demandes bloquées), read on the compatibility graph.

For each household, one motive, tried in this order:

- ``no_fitting_dwelling``: no candidate dwelling passes the household's rules (no arc into it); the
  counts of :attr:`Diagnosis.ruled_out` say which rule of POLICY.md §3 rules each one out;
- ``outscored``: a cycle or a chain within the caps includes it, but the run preferred others;
- ``beyond_caps``: cycles or chains include it, but only longer than ``max_cycle`` / ``max_chain``;
- ``excluded``: structures within the caps exist only through excluded pairs (rule 8);
- ``no_taker``: dwellings fit, but no requesting household may take its own dwelling, and no chain
  from a vacancy reaches it;
- ``no_structure``: its dwelling has takers, but no cycle closes and no chain reaches it.

:attr:`Diagnosis.widenings` says what dropping one wish (communes, rooms, cost ceiling, QPV refusal)
would open: how many more dwellings fit, and how many more cycles and chains within the caps.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from typing import Literal

import networkx as nx

from matching import policy
from matching.config import PolicyConfig
from matching.graph import build_instance, to_networkx
from matching.territory import Request, Territory

__all__ = ["MOTIVES", "WISHES", "Diagnosis", "Motive", "Widening", "Wish", "diagnose", "widen"]

Motive = Literal["no_fitting_dwelling", "outscored", "beyond_caps", "excluded", "no_taker", "no_structure"]
MOTIVES: tuple[Motive, ...] = (
    "no_fitting_dwelling",
    "outscored",
    "beyond_caps",
    "excluded",
    "no_taker",
    "no_structure",
)
Wish = Literal["communes", "rooms", "cost", "qpv"]
WISHES: tuple[Wish, ...] = ("communes", "rooms", "cost", "qpv")
_WISH_RULE: dict[Wish, policy.Rule] = {
    "communes": "commune",
    "rooms": "rooms_wish",
    "cost": "cost",
    "qpv": "qpv",
}
_COUNT_LIMIT = 999  # enough to say "many": counting every cycle of a dense graph is not needed


@dataclass(frozen=True, slots=True)
class Widening:
    """What dropping one wish of the request would open: more dwellings, cycles and chains within caps."""

    wish: Wish
    dwellings: int
    structures: int


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """The motive of one unmatched household, with the figures behind it.

    ``fitting`` counts the candidate dwellings its rules allow, ``takers`` the requesting households
    allowed to take its dwelling, ``structures`` the cycles and chains within the caps that include it
    (at most 999 counted); ``shortest_cycle`` and ``shortest_chain`` are the households of the shortest
    ones (None: none at all); ``ruled_out`` counts, for each rule, the candidates it rules out.
    """

    household: str
    motive: Motive
    fitting: int
    takers: int
    structures: int
    shortest_cycle: int | None
    shortest_chain: int | None
    ruled_out: tuple[tuple[policy.Rule, int], ...]
    widenings: tuple[Widening, ...]


def widen(request: Request, wish: Wish) -> Request:
    """The request without the wish ``wish``: any commune, any number of rooms, no cost ceiling, QPV.

    >>> from datetime import date
    >>> widen(Request("H1", date(2026, 1, 5), 500.0, communes=frozenset({"C1"})), "communes").communes
    frozenset()
    """
    if wish == "communes":
        return replace(request, communes=frozenset())
    if wish == "rooms":
        return replace(request, min_rooms=None, max_rooms=None)
    if wish == "cost":
        return replace(request, max_cost=math.inf)
    return replace(request, accept_qpv=True)


def _shortest_cycle(graph: nx.DiGraph, node: str) -> int | None:
    """Households of the shortest cycle through ``node`` (breadth-first from it), None if none."""
    if graph.out_degree(node) == 0 or graph.in_degree(node) == 0:
        return None
    seen = {node: 0}
    queue = deque([node])
    while queue:
        current = queue.popleft()
        for nxt in graph.successors(current):
            if nxt == node:
                return seen[current] + 1
            if nxt not in seen:
                seen[nxt] = seen[current] + 1
                queue.append(nxt)
    return None


def _chain_depths(graph: nx.DiGraph) -> dict[str, int]:
    """Moves of the shortest chain from a vacancy reaching each household (multi-source breadth-first)."""
    depth = {n: 0 for n, kind in graph.nodes(data="kind") if kind == "vacancy"}
    queue = deque(depth)
    while queue:
        current = queue.popleft()
        for nxt in graph.successors(current):
            if nxt not in depth:
                depth[nxt] = depth[current] + 1
                queue.append(nxt)
    return depth


def _count_structures(graph: nx.DiGraph, node: str, max_cycle: int, max_chain: int) -> int:
    """Cycles of at most ``max_cycle`` households and chains of at most ``max_chain`` moves through ``node``.

    A chain is counted once, ending at ``node`` (stopping there is always allowed).
    """
    count = 0
    # Cycles: simple paths node -> ... -> node, at most max_cycle arcs.
    stack: list[tuple[str, int, frozenset[str]]] = [(node, 0, frozenset([node]))]
    while stack and count < _COUNT_LIMIT:
        current, length, path = stack.pop()
        for nxt in graph.successors(current):
            if nxt == node and length + 1 >= 2:
                count += 1
            elif nxt not in path and length + 1 < max_cycle and graph.nodes[nxt]["kind"] == "household":
                stack.append((nxt, length + 1, path | {nxt}))
    # Chains: simple paths vacancy -> ... -> node, at most max_chain arcs.
    stack = [(node, 0, frozenset([node]))]
    while stack and count < _COUNT_LIMIT:
        current, length, path = stack.pop()
        for prev in graph.predecessors(current):
            if prev in path or length + 1 > max_chain:
                continue
            if graph.nodes[prev]["kind"] == "vacancy":
                count += 1
            else:
                stack.append((prev, length + 1, path | {prev}))
    return min(count, _COUNT_LIMIT)


def _ruled_out(
    territory: Territory, household_ref: str, config: PolicyConfig
) -> tuple[dict[policy.Rule, int], dict[str, list[policy.Rule]]]:
    """Per rule, how many candidates it rules out; per candidate dwelling, the rules it breaks."""
    dwellings = {d.ref: d for d in territory.dwellings}
    household = next(h for h in territory.households if h.ref == household_ref)
    request = next(r for r in territory.requests if r.household == household_ref)
    assert household.dwelling is not None
    current = dwellings[household.dwelling]
    counts: dict[policy.Rule, int] = {}
    failed: dict[str, list[policy.Rule]] = {}
    for ref in policy.candidate_dwellings(territory):
        if ref == current.ref:
            continue
        excluded = (household_ref, ref) in territory.exclusions
        rules = policy.move_allowed(household, request, current, dwellings[ref], config, excluded=excluded)
        failed[ref] = rules
        for rule in rules:
            counts[rule] = counts.get(rule, 0) + 1
    return counts, failed


def _widenings(
    graph: nx.DiGraph,
    giver: dict[str, str],
    household_ref: str,
    failed: dict[str, list[policy.Rule]],
    max_cycle: int,
    max_chain: int,
    before: int,
) -> tuple[Widening, ...]:
    found = []
    for wish in WISHES:
        opened = [ref for ref, rules in failed.items() if rules and set(rules) == {_WISH_RULE[wish]}]
        if not opened:
            continue
        wider = graph.copy()
        wider.add_edges_from((giver[ref], household_ref) for ref in opened)
        after = _count_structures(wider, household_ref, max_cycle, max_chain)
        found.append(Widening(wish, len(opened), max(0, after - before)))
    return tuple(found)


def diagnose(
    territory: Territory,
    households: Iterable[str],
    config: PolicyConfig = policy.DEFAULT_CONFIG,
    *,
    matched: Collection[str] = (),
) -> dict[str, Diagnosis]:
    """The diagnosis of each household of ``households`` (each with an open request in ``territory``).

    ``territory`` is what the run saw (households in a live proposal left out); the caps are
    ``config.max_cycle`` and ``config.max_chain``; ``matched`` lists households already given a
    proposal, which are skipped.

    Examples
    --------
    >>> from datetime import date
    >>> from matching.territory import Dwelling, Household, Member
    >>> d = lambda ref, rooms: Dwelling(ref, "L", "S", "C", False, rooms, 20.0 * rooms, 0, False,
    ...                                 "none", 300.0, 40.0, 0.0, 0.0)
    >>> h = Household("H1", "D1", (Member("head", 40), Member("child", 5)), 1500.0)
    >>> t = Territory("T", date(2026, 1, 5), (d("D1", 1), d("V1", 3)), (h,),
    ...               (Request("H1", date(2025, 1, 5), 300.0),), offers=("V1",))
    >>> found = diagnose(t, ["H1"])["H1"]
    >>> found.motive, found.ruled_out, found.widenings
    ('no_fitting_dwelling', (('cost', 1),), (Widening(wish='cost', dwellings=1, structures=1),))
    """
    instance = build_instance(territory, config)
    graph = to_networkx(instance)
    giver = {d: h for h, d in instance.households.items()} | {v: v for v in instance.vacancies}
    loose = to_networkx(build_instance(replace(territory, exclusions=frozenset()), config))
    depths, loose_depths = _chain_depths(graph), _chain_depths(loose)
    skip = set(matched)
    found: dict[str, Diagnosis] = {}
    for ref in households:
        if ref in skip or ref not in instance.households:
            continue
        counts, failed = _ruled_out(territory, ref, config)
        structures = _count_structures(graph, ref, config.max_cycle, config.max_chain)
        cycle, chain = _shortest_cycle(graph, ref), depths.get(ref)
        motive: Motive
        if graph.in_degree(ref) == 0:
            motive = "excluded" if loose.in_degree(ref) > 0 else "no_fitting_dwelling"
        elif structures > 0:
            motive = "outscored"
        elif cycle is not None or chain is not None:
            motive = "beyond_caps"
        elif _count_structures(loose, ref, config.max_cycle, config.max_chain) > 0 or loose_depths.get(ref):
            motive = "excluded"
        elif graph.out_degree(ref) == 0:
            motive = "no_taker"
        else:
            motive = "no_structure"
        found[ref] = Diagnosis(
            household=ref,
            motive=motive,
            fitting=graph.in_degree(ref),
            takers=graph.out_degree(ref),
            structures=structures,
            shortest_cycle=cycle,
            shortest_chain=chain,
            ruled_out=tuple((rule, counts[rule]) for rule in policy.RULES if rule in counts),
            widenings=_widenings(graph, giver, ref, failed, config.max_cycle, config.max_chain, structures),
        )
    return found
