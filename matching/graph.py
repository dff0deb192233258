"""The compatibility graph of a territory, built fast (graphe de compatibilité).

:func:`build_instance` gives exactly the moves of :func:`matching.policy.reference_instance`
(POLICY.md §3 and §4) without looking at every (household, dwelling) pair: candidate
dwellings are indexed by (commune, rooms) and by rooms, so that a household only meets the
dwellings of its admissible room range ``[rooms_needed, n + max_extra_rooms]`` (narrowed by its
``min_rooms``/``max_rooms`` wishes) in its wished communes; the remaining rules are then
tested on those few candidates at once with numpy.
"""

from __future__ import annotations

from datetime import date

import networkx as nx
import numpy as np
import numpy.typing as npt

from matching import policy
from matching.config import PolicyConfig
from matching.territory import Dwelling, Household, Request, Territory
from matching.types import Instance, Move

_ACCESSIBILITY = {"none": 0, "accessible": 1, "adapted": 2}
# Relative margin around job_distance_km inside which the vectorised distance is recomputed
# with the scalar formula of matching.policy, so that both agree to the last bit at the boundary.
_DISTANCE_MARGIN = 1e-7

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class _Candidates:
    """Candidate dwellings (in ref order) as numpy columns, with two sorted indexes."""

    def __init__(self, dwellings: list[Dwelling], owners: list[int]) -> None:
        m = len(dwellings)
        self.dwellings = dwellings
        self.refs = [d.ref for d in dwellings]
        self.rooms: IntArray = np.fromiter((d.rooms for d in dwellings), np.int64, m)
        self.surface: FloatArray = np.fromiter((d.surface_m2 for d in dwellings), np.float64, m)
        # Same arithmetic as rule 5 of matching.policy: rent + charges as Python floats.
        self.cost: FloatArray = np.fromiter((d.rent + d.charges for d in dwellings), np.float64, m)
        self.qpv: BoolArray = np.fromiter((d.qpv for d in dwellings), np.bool_, m)
        self.lat: FloatArray = np.fromiter((d.lat for d in dwellings), np.float64, m)
        self.lon: FloatArray = np.fromiter((d.lon for d in dwellings), np.float64, m)
        self.owner: IntArray = np.asarray(owners, dtype=np.int64)  # requesting household index, -1 if offered
        access = np.fromiter((_ACCESSIBILITY[d.accessibility] for d in dwellings), np.int64, m)
        floor = np.fromiter((d.floor for d in dwellings), np.int64, m)
        elevator = np.fromiter((d.elevator for d in dwellings), np.bool_, m)
        # Rule 4, per mobility; an adapted dwelling goes only to reduced or wheelchair mobility.
        self.mobility_ok: dict[str, BoolArray] = {
            "none": access != _ACCESSIBILITY["adapted"],
            "reduced": (access != _ACCESSIBILITY["none"]) | (floor == 0) | elevator,
            "wheelchair": access == _ACCESSIBILITY["adapted"],
        }
        communes = sorted({d.commune for d in dwellings})
        self.commune_id = {c: i for i, c in enumerate(communes)}
        commune = np.fromiter((self.commune_id[d.commune] for d in dwellings), np.int64, m)
        self.rooms_min = int(self.rooms.min()) if m else 0
        self.rooms_max = int(self.rooms.max()) if m else -1
        self._span = self.rooms_max - self.rooms_min + 1
        # Index 1: by (commune, rooms); a commune's room range is one contiguous slice.
        self._by_commune_rooms: IntArray = np.lexsort((np.arange(m), self.rooms, commune)).astype(np.int64)
        self._commune_rooms_key: IntArray = (commune * self._span + (self.rooms - self.rooms_min))[
            self._by_commune_rooms
        ]
        # Index 2: by rooms only, for households without commune wishes.
        self._by_rooms: IntArray = np.argsort(self.rooms, kind="stable").astype(np.int64)
        self._rooms_sorted: IntArray = self.rooms[self._by_rooms]

    def plausible(self, lo: int, hi: int, communes: frozenset[str]) -> IntArray:
        """Candidates with ``lo <= rooms <= hi`` in one of ``communes`` (any commune when empty)."""
        lo, hi = max(lo, self.rooms_min), min(hi, self.rooms_max)
        if lo > hi:
            return np.empty(0, dtype=np.int64)
        if not communes:
            a = int(np.searchsorted(self._rooms_sorted, lo, side="left"))
            b = int(np.searchsorted(self._rooms_sorted, hi, side="right"))
            return self._by_rooms[a:b]
        parts = []
        for name in communes:
            c = self.commune_id.get(name)
            if c is None:
                continue
            base = c * self._span - self.rooms_min
            a = int(np.searchsorted(self._commune_rooms_key, base + lo, side="left"))
            b = int(np.searchsorted(self._commune_rooms_key, base + hi, side="right"))
            if b > a:
                parts.append(self._by_commune_rooms[a:b])
        if not parts:
            return np.empty(0, dtype=np.int64)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def too_far(self, idx: IntArray, household: Household, config: PolicyConfig) -> BoolArray:
        """Criterion ``job_distance`` for the household in each candidate of ``idx``."""
        work = household.workplace
        if work is None or idx.size == 0:
            return np.zeros(idx.size, dtype=np.bool_)
        lat1, lon1 = self.lat[idx], self.lon[idx]
        phi1, phi2 = np.radians(lat1), np.radians(work.lat)
        dphi, dlam = np.radians(work.lat - lat1), np.radians(work.lon - lon1)
        a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2) ** 2
        distance = 2 * config.earth_radius_km * np.arcsin(np.sqrt(np.minimum(1.0, a)))
        limit = config.job_distance_km
        far: BoolArray = distance > limit
        for k in np.flatnonzero(np.abs(distance - limit) <= _DISTANCE_MARGIN * max(limit, 1.0)):
            d = self.dwellings[int(idx[k])]
            far[k] = policy.haversine_km(d.lat, d.lon, work.lat, work.lon, config.earth_radius_km) > limit
        return far


def _household_moves(
    cands: _Candidates,
    index: int,
    household: Household,
    request: Request,
    current: Dwelling,
    as_of: date,
    config: PolicyConfig,
    first_quartile_eur: float | None = None,
) -> tuple[IntArray, IntArray]:
    """Allowed candidates (indices in ref order) of one household and their points, before exclusions."""
    n = policy.household_size(household)
    lo, hi = policy.rooms_needed(household, config), n + config.max_extra_rooms  # rules 2 and 3 on rooms
    if request.min_rooms is not None:  # rule 6, rooms wish
        lo = max(lo, request.min_rooms)
    if request.max_rooms is not None:
        hi = min(hi, request.max_rooms)
    idx = cands.plausible(lo, hi, request.communes)  # rule 6, communes
    if idx.size == 0:
        return idx, idx
    keep = cands.surface[idx] >= policy.min_surface(n, config)  # rule 2, surface
    keep &= cands.cost[idx] <= request.max_cost  # rule 5
    if not request.accept_qpv:  # rule 6, QPV
        keep &= ~cands.qpv[idx]
    keep &= cands.mobility_ok[household.mobility][idx]  # rule 4
    keep &= cands.owner[idx] != index  # rule 1
    idx = idx[keep]
    # Rule 7. Rules 2 and 4 already make overcrowding and autonomy false in the new dwelling
    # (POLICY.md §3); so does rule 3 for under-occupation unless the territory admits more extra
    # rooms (max_extra_rooms) than its under-occupation threshold. What may stay true in the new
    # dwelling is under-occupation then, and job_distance.
    active = policy.active_criteria(household, current, config)
    _, seniority = policy.seniority_points(request, as_of, config)
    base = (
        config.points_move
        + sum(config.criterion_points(c) for c in active)
        + sum(config.priority_points(f) for f in household.priority)
        + seniority
    )
    stays = {
        "under_occupation": cands.rooms[idx] > n + config.under_occupation_extra_rooms,
        "job_distance": cands.too_far(idx, household, config),
    }
    keep = np.ones(idx.size, dtype=np.bool_)
    unsolved = np.zeros(idx.size, dtype=np.int64)  # active criteria still true in the new dwelling
    pts = np.full(idx.size, base, dtype=np.int64)
    for criterion, true_after in stays.items():
        if criterion in active:
            unsolved += true_after
            pts -= true_after.astype(np.int64) * config.criterion_points(criterion)
        else:  # it would be a new criterion
            keep &= ~true_after
    if active:  # at least one active criterion must be solved
        keep &= unsolved < len(active)
    idx, pts = idx[keep], pts[keep]
    quartile = policy.in_first_quartile(household, first_quartile_eur)
    if quartile is not None:  # mixity goals (policy.mixity_points)
        if quartile and current.qpv:
            pts = pts + (~cands.qpv[idx]).astype(np.int64) * config.points_mixity_out_of_qpv
        elif not quartile and not current.qpv:
            pts = pts + cands.qpv[idx].astype(np.int64) * config.points_mixity_into_qpv
    order = np.argsort(idx, kind="stable")
    return idx[order], pts[order]


def build_instance(territory: Territory, config: PolicyConfig = policy.DEFAULT_CONFIG) -> Instance:
    """The territory's optimisation instance: requesting households, offered vacancies, allowed scored moves.

    Exactly :func:`matching.policy.reference_instance` (same moves, same points, same
    order: by household ref, then dwelling ref), without a loop over all pairs.

    Parameters
    ----------
    territory : Territory
        Dwellings, households, open requests, offers and exclusions at ``territory.as_of``.
    config : PolicyConfig
        The territory's policy numbers (POLICY.md's defaults when omitted).

    Returns
    -------
    Instance
        ``households`` maps each requesting household to its dwelling; ``vacancies`` are the
        offered dwellings; ``moves`` every allowed move with its points.

    Raises
    ------
    ValueError
        An offer of an unknown or occupied dwelling, or a request of an unknown household,
        of a household without a dwelling, or a second request of one household.

    Examples
    --------
    >>> from datetime import date
    >>> from matching.territory import Member
    >>> def flat(ref, rooms):
    ...     area = 20.0 * rooms
    ...     return Dwelling(ref, "L", "S", "C", False, rooms, area, 0, False, "none", 300.0, 50.0, 4.9, -52)
    >>> single = Household("H1", "D1", (Member("head", 70),), 900.0)
    >>> family = Household("H2", "D2", (Member("head", 40), Member("child", 9), Member("child", 7)), 1500.0)
    >>> t = Territory("T", date(2026, 1, 1), (flat("D1", 3), flat("D2", 2)), (single, family),
    ...               (Request("H1", date(2025, 1, 1), 500.0), Request("H2", date(2025, 6, 1), 500.0)))
    >>> build_instance(t).moves
    (Move(household='H1', dwelling='D2', points=152), Move(household='H2', dwelling='D1', points=157))
    """
    dwellings, households, requests = policy._index(territory)
    candidates = policy.candidate_dwellings(territory)
    requesting = sorted(requests)
    position = {ref: i for i, ref in enumerate(requesting)}
    refs = sorted(candidates)
    owners = [-1 if candidates[r] is None else position[str(candidates[r])] for r in refs]
    cands = _Candidates([dwellings[r] for r in refs], owners)
    excluded: dict[str, set[str]] = {}
    for h_ref, d_ref in territory.exclusions:
        excluded.setdefault(h_ref, set()).add(d_ref)

    moves: list[Move] = []
    for i, h_ref in enumerate(requesting):
        household = households[h_ref]
        current = dwellings[policy._dwelling_of(household)]
        idx, pts = _household_moves(
            cands,
            i,
            household,
            requests[h_ref],
            current,
            territory.as_of,
            config,
            territory.first_quartile_eur,
        )
        refused = excluded.get(h_ref, set())  # rule 8
        moves.extend(
            Move(h_ref, cands.refs[k], p)
            for k, p in zip(idx.tolist(), pts.tolist(), strict=True)
            if cands.refs[k] not in refused
        )
    return Instance(
        households={ref: policy._dwelling_of(households[ref]) for ref in requesting},
        vacancies=tuple(r for r in refs if candidates[r] is None),
        moves=tuple(moves),
        name=territory.code,
    )


def to_networkx(instance: Instance) -> nx.DiGraph:
    """The instance as a directed graph: an arc giver -> receiver for every move.

    Nodes are household refs (``kind="household"``, ``dwelling`` = the dwelling it frees) and
    vacancy refs (``kind="vacancy"``). The move "h goes to d" is the arc from the node that
    gives d (its household, or the vacancy d itself) to h, with ``weight`` = its points and
    ``dwelling`` = d, as in the kep-common/1 reading of :mod:`matching.types`.

    Raises ``ValueError`` when a vacancy has the ref of a household, or a move names a
    dwelling nobody gives.

    >>> inst = Instance({"H1": "D1", "H2": "D2"}, ("V1",),
    ...                 (Move("H1", "D2", 150), Move("H2", "D1", 120), Move("H2", "V1", 130)))
    >>> sorted(to_networkx(inst).edges(data="weight"))
    [('H1', 'H2', 120), ('H2', 'H1', 150), ('V1', 'H2', 130)]
    """
    graph = nx.DiGraph(name=instance.name)
    giver: dict[str, str] = {}
    for h_ref, d_ref in instance.households.items():
        graph.add_node(h_ref, kind="household", dwelling=d_ref)
        giver[d_ref] = h_ref
    for v_ref in instance.vacancies:
        if v_ref in instance.households:
            raise ValueError(f"vacancies: {v_ref!r} is also a household ref")
        graph.add_node(v_ref, kind="vacancy", dwelling=v_ref)
        giver[v_ref] = v_ref
    for move in instance.moves:
        source = giver.get(move.dwelling)
        if source is None:
            raise ValueError(f"moves: dwelling {move.dwelling!r} is neither a household's nor a vacancy")
        graph.add_edge(source, move.household, weight=move.points, dwelling=move.dwelling)
    return graph
