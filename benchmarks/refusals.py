#!/usr/bin/env python3
"""Benchmark of failure-aware matching: a simulated half-year of weekly runs with refusals.

For each seed, a generated territory (``fixtures.generate``, the "littoral" shape: the only one the
generator has) gets hidden "true" chances: a household accepts a move with a chance drawn from the
move's features (change of commune, QPV in/out, rent and surface change, stairs, criteria solved)
and its own pickiness; the destination CALEOL attributes with a chance drawn from stairs, landlord
change and rent. Requests arrive over the half-year. Each week: last week's proposals get their
answers and decisions (a refusal or a non-attribution excludes its pair; a completed chain frees
its last household's dwelling for a later run), then a run solves the rest. Three modes on the
same seeds and the same hidden chances:

* ``points``: today's objective; any refusal fails the whole proposal;
* ``expected``: the expected points of completed moves, with the acceptance model
  (:mod:`exchange.acceptance`) refitted each week on the simulated history;
* ``expected+repair``: and a failed proposal is repaired at once among the households and
  dwellings it released (households keep their answer to a move they had accepted).

Prints a markdown table per seed and the totals: completed moves, completed points, households in
a mismatch still waiting, median weeks from request to move, share of priority (DALO, handicap)
households among those who moved.

Usage::

    .venv/bin/python benchmarks/refusals.py
    .venv/bin/python benchmarks/refusals.py --seeds 1 2 3 --dwellings 600 --weeks 26
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/ holds a script called matching.py: keep this folder off sys.path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MODES = ("points", "expected", "expected+repair")


@dataclass
class World:
    """One simulated territory in one mode."""

    plain: Any  # matching.territory.Territory, updated as households move
    config: Any
    waiting: dict[str, int]  # household -> week its request arrived (active requests)
    later: dict[int, list[str]]  # week -> households whose request arrives then
    exclusions: set[tuple[str, str]] = field(default_factory=set)
    history: list[Any] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=dict)
    moved: list[tuple[str, int, int]] = field(default_factory=list)  # household, points, weeks waited


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


class Truth:
    """Hidden chances of each move: the simulation draws answers from them, the model never sees them."""

    def __init__(self, seed: int, households: list[str]) -> None:
        rng = random.Random(seed * 7919)
        self.pickiness = {h: rng.gauss(0.0, 1.0) for h in households}

    def household(self, ref: str, f: dict[str, float]) -> float:
        z = (
            0.2
            - 1.2 * f["commune_change"]
            - 0.8 * f["qpv_in"]
            + 0.4 * f["qpv_out"]
            - 3.0 * f["rent_change"]
            + 1.0 * f["surface_change"]
            - 0.8 * f["stairs"]
            + 0.6 * f["criteria_solved"]
            + self.pickiness[ref]
        )
        return _sigmoid(z)

    @staticmethod
    def caleol(f: dict[str, float]) -> float:
        return _sigmoid(2.2 - 1.0 * f["stairs"] - 0.7 * f["landlord_change"] - 2.0 * f["rent_change"])


def _features(world: World, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[float, ...]]:
    from exchange.chances import features_of

    return features_of(world.plain, world.config, world.refusals, pairs)


def _solve(world: World, plain: Any, objective: str, seed: int, seconds: float) -> list[Any]:
    """The proposals of a run (or of a repair) on ``plain``, with the mode's objective."""
    from exchange.acceptance import fit_model
    from matching import SolveParams, solve
    from matching.graph import build_instance

    plain = replace(plain, exclusions=frozenset(world.exclusions))
    instance = build_instance(plain, world.config)
    if not instance.moves:
        return []
    if objective == "expected":
        model = fit_model(world.history)
        pairs = [(m.household, m.dwelling) for m in instance.moves]
        instance = replace(instance, chances=model.chances(_features(world, pairs)))
    params = SolveParams(
        max_cycle=world.config.max_cycle,
        max_chain=world.config.max_chain,
        time_limit_s=seconds,
        workers=1,
        seed=seed,
        objective=objective,  # type: ignore[arg-type]
    )
    return list(solve(instance, params).proposals)


def _resolve(
    world: World, truth: Truth, proposal: Any, kept: set[tuple[str, str]], rng: random.Random
) -> tuple[list[Any], set[str]]:
    """Draw one proposal's answers and decisions; returns its completed moves and broken households."""
    from exchange.acceptance import FEATURES, Outcome

    pairs = [(m.household, m.dwelling) for m in proposal.moves]
    features = _features(world, pairs)
    named = {p: dict(zip(FEATURES, features[p], strict=True)) for p in pairs}
    accepted = {p: p in kept or rng.random() < truth.household(p[0], named[p]) for p in pairs}
    everyone = all(accepted.values())
    attributed = {p: everyone and rng.random() < truth.caleol(named[p]) for p in pairs}
    for p in pairs:
        if p not in kept:
            world.history.append(Outcome(features[p], accepted[p], attributed[p] if everyone else None))
        if not accepted[p]:
            world.refusals[p[0]] = world.refusals.get(p[0], 0) + 1
            world.exclusions.add(p)
        elif everyone and not attributed[p]:
            world.exclusions.add(p)
    broken = {p[0] for p in pairs if not (accepted[p] and attributed[p])}
    return (list(proposal.moves) if not broken else []), broken


def _complete(world: World, proposal: Any, moves: list[Any], week: int) -> None:
    """The households move; a chain's last household's dwelling becomes an offered vacancy."""
    dwelling_of = {h.ref: h.dwelling for h in world.plain.households}
    new_home = {m.household: m.dwelling for m in moves}
    freed = [dwelling_of[m.household] for m in moves if dwelling_of[m.household] not in new_home.values()]
    households = tuple(
        replace(h, dwelling=new_home[h.ref]) if h.ref in new_home else h for h in world.plain.households
    )
    offers = tuple(o for o in world.plain.offers if o not in new_home.values()) + tuple(freed)
    requests = tuple(r for r in world.plain.requests if r.household not in new_home)
    world.plain = replace(world.plain, households=households, offers=offers, requests=requests)
    for m in moves:
        world.moved.append((m.household, m.points, week - world.waiting.pop(m.household)))


def _repair(world: World, proposal: Any, broken: set[str], seed: int) -> list[Any]:
    """What still stands: a small exchange among the released households and dwellings."""
    released = {m.household for m in proposal.moves} - broken
    if not released:
        return []
    vacancy = proposal.moves[0].dwelling if proposal.kind == "chain" else None
    plain = replace(
        world.plain,
        requests=tuple(r for r in world.plain.requests if r.household in released),
        offers=tuple(o for o in world.plain.offers if o == vacancy),
    )
    return _solve(world, plain, "expected", seed, 5.0)


def simulate(doc: dict[str, Any], seed: int, mode: str, weeks: int, seconds: float) -> dict[str, float]:
    """One half-year of weekly runs in ``mode``; returns its figures."""
    from exchange.loading import read_document
    from matching import policy

    plain, config = read_document(doc)
    rng = random.Random(seed)
    requests = sorted(r.household for r in plain.requests)
    rng.shuffle(requests)
    first = int(len(requests) * 0.5)
    later: dict[int, list[str]] = {}
    for i, ref in enumerate(requests[first:]):
        later.setdefault(1 + i * (weeks - 1) // max(1, len(requests) - first), []).append(ref)
    world = World(plain, config, dict.fromkeys(requests[:first], 0), later, exclusions=set(plain.exclusions))
    all_requests = {r.household: r for r in plain.requests}
    truth = Truth(seed, [h.ref for h in plain.households])
    draws = random.Random(seed * 31 + 1)  # the same answers' stream in every mode
    pending: list[tuple[Any, set[tuple[str, str]]]] = []
    objective = "points" if mode == "points" else "expected"
    for week in range(weeks):
        for ref in world.later.get(week, []):
            world.waiting[ref] = week
        carried: list[tuple[Any, set[tuple[str, str]]]] = []
        for proposal, kept in pending:
            done, broken = _resolve(world, truth, proposal, kept, draws)
            if done:
                _complete(world, proposal, done, week)
            elif mode == "expected+repair":
                accepted = {(m.household, m.dwelling) for m in proposal.moves if m.household not in broken}
                for repaired in _repair(world, proposal, broken, seed):
                    carried.append((repaired, accepted))
        busy = {m.household for p, _ in carried for m in p.moves}
        busy_dwellings = {m.dwelling for p, _ in carried for m in p.moves}
        active = tuple(
            all_requests[h]
            for h in world.waiting
            if h not in busy and h in {r.household for r in world.plain.requests}
        )
        plain_now = replace(
            world.plain,
            requests=active,
            offers=tuple(o for o in world.plain.offers if o not in busy_dwellings),
        )
        pending = carried + [(p, set()) for p in _solve(world, plain_now, objective, seed, seconds)]
    households = {h.ref: h for h in world.plain.households}
    dwellings = {d.ref: d for d in world.plain.dwellings}
    mismatch = sum(
        1
        for ref in world.waiting
        if households[ref].dwelling is not None
        and policy.active_criteria(households[ref], dwellings[households[ref].dwelling], config)
    )
    movers = [h for h, _, _ in world.moved]
    priority = sum(1 for h in movers if households[h].priority & {"dalo", "handicap"})
    return {
        "moves": len(movers),
        "points": sum(p for _, p, _ in world.moved),
        "mismatch_waiting": mismatch,
        "median_weeks": statistics.median([w for _, _, w in world.moved]) if movers else float("nan"),
        "priority_share": priority / len(movers) if movers else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="generator seeds")
    parser.add_argument("--dwellings", type=int, default=600, help="dwellings per territory")
    parser.add_argument("--weeks", type=int, default=26, help="weekly runs simulated")
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit of each run")
    args = parser.parse_args()

    from fixtures.generate import generate_territory

    print(f"Shape: littoral; {args.dwellings} dwellings; {args.weeks} weekly runs.\n")
    print(
        "| seed | mode | completed moves | completed points | mismatch still waiting "
        "| median weeks to move | priority share |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    totals: dict[str, dict[str, float]] = {m: {} for m in MODES}
    for seed in args.seeds:
        doc = generate_territory(seed, args.dwellings)
        for mode in MODES:
            r = simulate(doc, seed, mode, args.weeks, args.seconds)
            for key, value in r.items():
                totals[mode][key] = totals[mode].get(key, 0.0) + value
            print(
                f"| {seed} | {mode} | {r['moves']:.0f} | {r['points']:.0f} | {r['mismatch_waiting']:.0f} "
                f"| {r['median_weeks']:.1f} | {r['priority_share']:.1%} |",
                flush=True,
            )
    base = totals["points"]["moves"]
    print("\n| mode | completed moves (all seeds) | vs points | mean priority share |")
    print("|---|---:|---:|---:|")
    for mode in MODES:
        moves = totals[mode]["moves"]
        share = totals[mode]["priority_share"] / len(args.seeds)
        print(f"| {mode} | {moves:.0f} | {moves / base - 1:+.1%} | {share:.1%} |")


if __name__ == "__main__":
    main()
