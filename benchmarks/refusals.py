#!/usr/bin/env python3
"""Benchmark of failure-aware matching: a simulated half-year of weekly runs with refusals.

For each seed and shape, a generated territory (``fixtures.generate``) gets hidden "true" chances:
a household accepts a move with a chance drawn from the move's features (change of commune, QPV
in/out, rent and surface change, stairs, criteria solved) and its own pickiness, and some
households rarely answer at all; the destination CALEOL attributes with a chance drawn from
stairs, landlord change and rent. Every answer and decision of a pair is drawn once from the seed
and the pair (common random numbers): the same pair gets the same answer, after the same delay, in
every mode. Requests arrive over the half-year.

Time runs in days, as the workflow does (DOMAIN.md §2, ``exchange.settings`` defaults): a household
answers within its 10-day deadline or lapses the day after it; a refusal or a lapse fails the
proposal that day (the pair becomes an exclusion; two lapses in a row pause the request); once all
have accepted, each CALEOL decides within its month, and the first non-attribution fails the
proposal; the last attribution confirms it (its moves are counted as completed); a chain's last
dwelling is vacated on the move date, a month later, and offered to later runs. A proposal's
households and dwellings stay out of other proposals while it is live. A run solves what is free
every seventh day. Modes, on the same seeds and the same hidden draws:

* ``points``: today's objective; any failure fails the whole proposal, the others wait for a run;
* ``expected``: the expected points of completed moves, with the acceptance model
  (:mod:`exchange.acceptance`) refitted at each run on the answers and decisions known by then;
  a chain is worth something only if all of it completes (no repair keeps its prefix);
* ``expected+repair``: and on the day of a failure, :func:`exchange.repair.repair_scope` offers what
  still stands among the released households (the chain's prefix, an embedded 2-cycle) as new
  proposals, answered and decided like any other; ``--wide-repair`` also lets free vacancies and
  waiting households one move away take part;
* ``points+repair`` (on request): the repair with today's objective, to separate the two effects;
* ``truth+repair`` (on request, a ceiling): ``expected+repair`` with the hidden true chances instead
  of the model's, the best any acceptance model could give;
* ``foresight`` (on request, a ceiling): ``expected`` knowing every answer and decision in advance
  (chance 1 or 0 per pair), so that no proposal fails: the most any failure-aware matching could
  complete in this simulation.

Under ``expected`` the priority households' moves are floored at ``--priority-floor`` % of their
points (the territory's run setting, 100 by default; not in the two ceilings).

Prints a markdown table per seed and the totals: completed moves, completed points, households in
a mismatch still waiting, median weeks from request to confirmation, share of priority (DALO,
handicap) households among those who moved; then the proposals: how many were made and confirmed,
by kind and size, with the mean chance that all their moves complete, as the model estimated it and
as the hidden truth had it.

Usage::

    .venv/bin/python benchmarks/refusals.py
    .venv/bin/python benchmarks/refusals.py --shapes littoral metropole --seeds 1 2 3 --dwellings 600
"""

from __future__ import annotations

import argparse
import heapq
import math
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # small fits: threads cost more than they give
ROOT = Path(__file__).resolve().parents[1]
# benchmarks/ holds a script called matching.py: keep this folder off sys.path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MODES = ("points", "expected", "expected+repair")
ALL_MODES = (*MODES, "points+repair", "truth+repair", "foresight")
ANSWER_DAYS = 10  # exchange.settings.DEFAULT_ANSWER_DAYS
DECISION_DAYS = 30  # one month, the landlords' default
MOVE_NOTICE_DAYS = 30  # exchange.settings.DEFAULT_MOVE_NOTICE_DAYS
PAUSE_AFTER_SILENCES = 2  # exchange.settings.DEFAULT_PAUSE_AFTER_SILENCES
NON_RESPONDERS = 0.15  # share of households that rarely answer (DOMAIN.md §4: 60 % answered)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _draw(*key: object) -> float:
    """A uniform draw fixed by its key: the same pair gets the same answer in every mode."""
    return random.Random("|".join(map(str, key))).random()


class Truth:
    """Hidden chances and delays of each move: the simulation draws from them, the model never sees them."""

    def __init__(self, seed: int, households: list[str]) -> None:
        rng = random.Random(seed * 7919)
        self.seed = seed
        self.pickiness = {h: rng.gauss(0.0, 1.2) for h in households}
        self.silence = {h: 0.6 if rng.random() < NON_RESPONDERS else 0.04 for h in households}

    def household(self, ref: str, f: dict[str, float]) -> float:
        """The chance that household ``ref`` accepts a move of features ``f`` (when it answers)."""
        z = (
            0.6
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
        """The chance that the destination CALEOL attributes an accepted move of features ``f``."""
        return _sigmoid(2.2 - 1.0 * f["stairs"] - 0.7 * f["landlord_change"] - 2.0 * f["rent_change"])

    def chance(self, pair: tuple[str, str], f: dict[str, float]) -> float:
        """The true chance that this move goes through: answered, accepted and attributed."""
        return (1.0 - self.silence[pair[0]]) * self.household(pair[0], f) * self.caleol(f)

    def goes_through(self, pair: tuple[str, str], f: dict[str, float]) -> bool:
        """What this pair's draws say: accepted and attributed (the foresight ceiling reads it)."""
        return self.answer(pair, f)[0] == "accepted" and self.decision(pair, f)[0]

    def answer(self, pair: tuple[str, str], f: dict[str, float]) -> tuple[str, int]:
        """``("accepted" | "refused" | "silent", days after notification)`` of this pair."""
        h, d = pair
        if _draw(self.seed, "silent", h, d) < self.silence[h]:
            return "silent", ANSWER_DAYS + 1
        days = 1 + int(_draw(self.seed, "answer-day", h, d) * ANSWER_DAYS)
        accepted = _draw(self.seed, "answer", h, d) < self.household(h, f)
        return ("accepted" if accepted else "refused"), days

    def decision(self, pair: tuple[str, str], f: dict[str, float]) -> tuple[bool, int]:
        """``(attributed, days after the last acceptance)`` of this pair."""
        h, d = pair
        days = 1 + int(_draw(self.seed, "decision-day", h, d) * DECISION_DAYS)
        return _draw(self.seed, "decision", h, d) < self.caleol(f), days


@dataclass
class World:
    """One simulated territory in one mode."""

    plain: Any  # matching.territory.Territory, updated as households move
    config: Any
    waiting: dict[str, int]  # household -> day its request arrived (open requests)
    exclusions: set[tuple[str, str]]
    history: list[tuple[int, Any]] = field(default_factory=list)  # (day known, Outcome)
    refusals: dict[str, int] = field(default_factory=dict)
    acceptances: dict[str, int] = field(default_factory=dict)
    accepted: set[tuple[str, str]] = field(default_factory=set)  # pairs accepted in a past proposal
    silences: dict[str, int] = field(default_factory=dict)  # lapses in a row
    busy_households: set[str] = field(default_factory=set)
    busy_dwellings: set[str] = field(default_factory=set)
    moved: list[tuple[str, int, int]] = field(default_factory=list)  # household, points, days waited
    repairs: int = 0
    solve_seconds: float = 0.0
    model: tuple[int, Any] = (-1, None)  # (outcomes it was fitted on, model): refit when more are known
    truth: Any = None  # Truth
    source: str = "model"  # where expected's chances come from: model, truth, foresight
    floor_pct: int = 100  # the priority floor under expected (model only)
    # Proposals by kind and size: made, confirmed, sum of estimated and of true all-complete chances.
    made: dict[str, list[float]] = field(default_factory=dict)
    estimated: dict[tuple[str, ...], float] = field(default_factory=dict)  # a proposal's estimated chance


def _features(world: World, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[float, ...]]:
    from exchange.chances import features_of

    return features_of(world.plain, world.config, world.refusals, pairs, world.acceptances, world.accepted)


def _solve(
    world: World, plain: Any, objective: str, day: int, seed: int, seconds: float, keep_prefix: bool
) -> list[Any]:
    """The proposals of a run (or of a repair) on ``plain``, with the mode's objective."""
    from exchange.acceptance import fit_model
    from matching import SolveParams, solve
    from matching.graph import build_instance

    plain = replace(plain, exclusions=frozenset(world.exclusions))
    instance = build_instance(plain, world.config)
    if not instance.moves:
        return []
    if objective == "expected":
        from exchange.acceptance import FEATURES
        from exchange.settings import priority_floors

        pairs = [(m.household, m.dwelling) for m in instance.moves]
        features = _features(world, pairs)
        if world.source == "model":
            seen = [o for known, o in world.history if known <= day]
            if world.model[0] != len(seen):
                world.model = (len(seen), fit_model(seen))
            chances = world.model[1].chances(features)
            floors = priority_floors(plain.households, world.floor_pct)
        else:
            named = {p: dict(zip(FEATURES, f, strict=True)) for p, f in features.items()}
            if world.source == "truth":
                chances = {p: round(world.truth.chance(p, f), 3) for p, f in named.items()}
            else:
                chances = {p: float(world.truth.goes_through(p, f)) for p, f in named.items()}
            floors = {}
        instance = replace(instance, chances=chances, floors=floors)
    params = SolveParams(
        max_cycle=world.config.max_cycle,
        max_chain=world.config.max_chain,
        time_limit_s=seconds,
        workers=1,
        seed=seed,
        objective=objective,  # type: ignore[arg-type]
        keep_prefix=keep_prefix,
    )
    start = time.perf_counter()
    proposals = list(solve(instance, params).proposals)
    world.solve_seconds += time.perf_counter() - start
    for p in proposals:
        alive = 1.0
        for m in p.moves:
            alive *= instance.chance(m.household, m.dwelling)
        world.estimated[tuple(m.household for m in p.moves)] = alive
    return proposals


@dataclass(frozen=True)
class Known:
    """One answer (or decision) given before its proposal closed: the model learns from it that day."""

    day: int
    pair: tuple[str, str]
    outcome: Any  # exchange.acceptance.Outcome
    answer: str  # accepted, refused, silent


def _fate(
    world: World, truth: Truth, proposal: Any, day: int
) -> tuple[int, set[tuple[str, str]], list[Known]]:
    """When and how a proposal notified on ``day`` ends: ``(day, failed pairs, answers known)``.

    No failed pair means confirmed on that day. Answers known: ``(day, Outcome, answer)`` of each
    answer or decision given before the proposal closed, for the model's history.
    """
    from exchange.acceptance import FEATURES, Outcome

    pairs = [(m.household, m.dwelling) for m in proposal.moves]
    features = _features(world, pairs)
    named = {p: dict(zip(FEATURES, features[p], strict=True)) for p in pairs}
    answers = {p: truth.answer(p, named[p]) for p in pairs}
    refused = [day + d for a, d in answers.values() if a != "accepted"]
    if refused:
        end = min(refused)
        failed = {p for p, (a, d) in answers.items() if a != "accepted" and day + d == end}
        known = [
            Known(day + d, p, Outcome(features[p], a == "accepted"), a)
            for p, (a, d) in answers.items()
            if day + d <= end
        ]
        return end, failed, known
    accepted_on = day + max(d for _, d in answers.values())
    decisions = {p: truth.decision(p, named[p]) for p in pairs}
    refusals = [accepted_on + d for ok, d in decisions.values() if not ok]
    end = min(refusals) if refusals else accepted_on + max(d for _, d in decisions.values())
    failed = {p for p, (ok, d) in decisions.items() if not ok and accepted_on + d == end}
    known = [
        Known(accepted_on + d, p, Outcome(features[p], True, ok), "accepted")
        if accepted_on + d <= end
        else Known(day + answers[p][1], p, Outcome(features[p], True), "accepted")
        for p, (ok, d) in decisions.items()
    ]
    return end, failed, known


def _complete(world: World, proposal: Any, day: int) -> list[str]:
    """The proposal is confirmed: its requests close; returns the dwellings its move date vacates."""
    dwelling_of = {h.ref: h.dwelling for h in world.plain.households}
    new_home = {m.household: m.dwelling for m in proposal.moves}
    freed = [dwelling_of[h] for h in new_home if dwelling_of[h] not in new_home.values()]
    households = tuple(
        replace(h, dwelling=new_home[h.ref]) if h.ref in new_home else h for h in world.plain.households
    )
    offers = tuple(o for o in world.plain.offers if o not in new_home.values())
    requests = tuple(r for r in world.plain.requests if r.household not in new_home)
    world.plain = replace(world.plain, households=households, offers=offers, requests=requests)
    for m in proposal.moves:
        world.moved.append((m.household, m.points, day - world.waiting.pop(m.household)))
    return [d for d in freed if d is not None]


def _vacate(world: World, dwellings: list[str]) -> None:
    """A chain's last household moved out: its dwelling is offered to later runs."""
    world.plain = replace(world.plain, offers=world.plain.offers + tuple(dwellings))


def simulate(
    doc: dict[str, Any],
    seed: int,
    mode: str,
    weeks: int,
    seconds: float,
    wide: bool = False,
    floor_pct: int = 100,
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """One half-year of weekly runs in ``mode``; returns its figures."""
    from exchange.loading import read_document
    from exchange.repair import repair_scope
    from matching import policy

    plain, config = read_document(doc)
    rng = random.Random(seed)
    requests = sorted(r.household for r in plain.requests)
    rng.shuffle(requests)
    first = len(requests) // 2
    horizon = 7 * weeks
    events: list[tuple[int, int, str, Any]] = []  # (day, order, kind, payload)
    order = 0

    def push(day: int, kind: str, payload: Any) -> None:
        nonlocal order
        order += 1
        heapq.heappush(events, (day, order, kind, payload))

    for i, ref in enumerate(requests[first:]):
        push(7 * (1 + i * (weeks - 1) // max(1, len(requests) - first)), "arrive", ref)
    world = World(plain, config, dict.fromkeys(requests[:first], 0), set(plain.exclusions))
    all_requests = {r.household: r for r in plain.requests}
    truth = Truth(seed, [h.ref for h in plain.households])
    objective = "points" if mode.startswith("points") else "expected"
    repairing = mode.endswith("+repair")
    world.truth, world.floor_pct = truth, floor_pct
    world.source = {"truth+repair": "truth", "foresight": "foresight"}.get(mode, "model")

    def propose(proposals: list[Any], day: int) -> None:
        from exchange.acceptance import FEATURES

        for p in proposals:
            world.busy_households |= {m.household for m in p.moves}
            world.busy_dwellings |= {m.dwelling for m in p.moves}
            end, failed, known = _fate(world, truth, p, day)
            pairs = [(m.household, m.dwelling) for m in p.moves]
            true_chance = 1.0
            for pair, f in _features(world, pairs).items():
                true_chance *= truth.chance(pair, dict(zip(FEATURES, f, strict=True)))
            label = f"{p.kind} {len(p.moves)}"
            made = world.made.setdefault(label, [0.0, 0.0, 0.0, 0.0])
            estimated = world.estimated.get(tuple(m.household for m in p.moves), float("nan"))
            made[0] += 1
            made[1] += 0 if failed else 1
            made[2] += estimated if objective == "expected" else float("nan")
            made[3] += true_chance
            world.history.extend((k.day, k.outcome) for k in known)  # seen by runs after that day
            push(end, "close", (p, failed, known))

    def close(p: Any, failed: set[tuple[str, str]], known: list[Known], day: int) -> None:
        world.busy_households -= {m.household for m in p.moves}
        world.busy_dwellings -= {m.dwelling for m in p.moves}
        for k in known:
            h = k.pair[0]
            if k.answer == "silent":
                world.silences[h] = world.silences.get(h, 0) + 1
                if world.silences[h] >= PAUSE_AFTER_SILENCES:
                    world.waiting.pop(h, None)  # the request pauses until the household confirms it
            else:
                world.silences[h] = 0
            if k.answer != "accepted":
                world.refusals[h] = world.refusals.get(h, 0) + 1
            else:
                world.acceptances[h] = world.acceptances.get(h, 0) + 1
                world.accepted.add(k.pair)
        world.exclusions |= failed
        if not failed:
            push(day + MOVE_NOTICE_DAYS, "vacate", _complete(world, p, day))
        elif repairing:
            broken = {h for h, _ in failed}
            released = {m.household for m in p.moves} - broken
            vacancy = p.moves[0].dwelling if p.kind == "chain" else None
            scope = repair_scope(
                replace(world.plain, exclusions=frozenset(world.exclusions)),
                config,
                released={h for h in released if h in world.waiting},
                vacancies={vacancy} if vacancy else set(),
                waiting=set(world.waiting) - world.busy_households,
                busy_dwellings=world.busy_dwellings,
                wide=wide,
            )
            if scope is not None:
                repaired = _solve(world, scope, objective, day, seed, 5.0, True)
                world.repairs += len(repaired)
                propose(repaired, day)

    for week in range(weeks):
        today = 7 * week
        while events and events[0][0] <= today:
            day, _, kind, payload = heapq.heappop(events)
            if kind == "arrive":
                world.waiting[payload] = day
            elif kind == "close":
                close(*payload, day)
            elif kind == "vacate":
                _vacate(world, payload)
        open_refs = {r.household for r in world.plain.requests}
        active = tuple(
            all_requests[h] for h in world.waiting if h not in world.busy_households and h in open_refs
        )
        plain_now = replace(
            world.plain,
            requests=active,
            offers=tuple(o for o in world.plain.offers if o not in world.busy_dwellings),
        )
        propose(_solve(world, plain_now, objective, today, seed, seconds, repairing), today)
    while events and events[0][0] <= horizon:
        day, _, kind, payload = heapq.heappop(events)
        if kind == "close":
            close(*payload, day)
        elif kind == "arrive":
            world.waiting[payload] = day
    households = {h.ref: h for h in world.plain.households}
    dwellings = {d.ref: d for d in world.plain.dwellings}
    moved = {h for h, _, _ in world.moved}
    mismatch = sum(
        1
        for ref in world.waiting
        if ref not in moved
        and households[ref].dwelling is not None
        and policy.active_criteria(households[ref], dwellings[households[ref].dwelling], config)
    )
    movers = [h for h, _, _ in world.moved]
    priority = sum(1 for h in movers if households[h].priority & {"dalo", "handicap"})
    proposals = sum(v[0] for v in world.made.values())
    confirmed = sum(v[1] for v in world.made.values())
    return {
        "proposals": proposals,
        "confirmed": confirmed,
        "moves": len(movers),
        "points": sum(p for _, p, _ in world.moved),
        "mismatch_waiting": mismatch,
        "median_weeks": statistics.median([w / 7 for _, _, w in world.moved]) if movers else float("nan"),
        "priority_moves": priority,
        "priority_share": priority / len(movers) if movers else 0.0,
        "repairs": world.repairs,
        "solve_seconds": world.solve_seconds,
    }, world.made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["littoral", "metropole"], help="territory shapes")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="generator seeds")
    parser.add_argument("--dwellings", type=int, default=600, help="dwellings per territory")
    parser.add_argument("--weeks", type=int, default=26, help="weekly runs simulated")
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit of each run")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=ALL_MODES, help="modes compared")
    parser.add_argument(
        "--wide-repair", action="store_true", help="repair with free vacancies and waiting neighbours too"
    )
    parser.add_argument(
        "--priority-floor", type=int, default=100, help="under expected: the priority households' floor (%%)"
    )
    args = parser.parse_args()

    from fixtures.generate import generate_territory

    scope = "wide" if args.wide_repair else "narrow (the workflow's)"
    print(
        f"{args.dwellings} dwellings; {args.weeks} weekly runs; {args.seconds:g} s per run; repair {scope}; "
        f"priority floor {args.priority_floor} %.\n"
    )
    print(
        "| shape | seed | mode | completed moves | completed points | mismatch still waiting "
        "| median weeks to move | priority moves (share) | proposals confirmed / made | repairs | solve s |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    totals: dict[tuple[str, str], dict[str, float]] = {}
    kinds: dict[tuple[str, str], dict[str, list[float]]] = {}
    for shape in args.shapes:
        for seed in args.seeds:
            doc = generate_territory(seed, args.dwellings, shape=shape)
            for mode in args.modes:
                r, made = simulate(
                    doc, seed, mode, args.weeks, args.seconds, args.wide_repair, args.priority_floor
                )
                for key in (shape, "all"):
                    total = totals.setdefault((key, mode), {})
                    for name, value in r.items():
                        total[name] = total.get(name, 0.0) + value
                    by_kind = kinds.setdefault((key, mode), {})
                    for label, values in made.items():
                        sums = by_kind.setdefault(label, [0.0] * len(values))
                        by_kind[label] = [a + b for a, b in zip(sums, values, strict=True)]
                print(
                    f"| {shape} | {seed} | {mode} | {r['moves']:.0f} | {r['points']:.0f} "
                    f"| {r['mismatch_waiting']:.0f} | {r['median_weeks']:.1f} "
                    f"| {r['priority_moves']:.0f} ({r['priority_share']:.1%}) "
                    f"| {r['confirmed']:.0f} / {r['proposals']:.0f} | {r['repairs']:.0f} "
                    f"| {r['solve_seconds']:.0f} |",
                    flush=True,
                )
    print("\n| shapes | mode | completed moves | vs points | priority moves (share) |")
    print("|---|---|---:|---:|---:|")
    for (key, mode), total in totals.items():
        base = totals[(key, "points")]["moves"] if (key, "points") in totals else total["moves"]
        share = total["priority_moves"] / total["moves"] if total["moves"] else 0.0
        versus = f"{total['moves'] / base - 1:+.1%}" if base else "—"
        print(
            f"| {key} | {mode} | {total['moves']:.0f} | {versus} "
            f"| {total['priority_moves']:.0f} ({share:.1%}) |"
        )
    print(
        "\n| shapes | mode | proposal | made | confirmed | rate | mean estimated chance | mean true chance |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for (key, mode), by_kind in kinds.items():
        rows = sorted(by_kind.items()) + [("all", [sum(v[i] for v in by_kind.values()) for i in range(4)])]
        for label, (n, ok, estimated, true) in rows:
            shown = "—" if math.isnan(estimated) else f"{estimated / n:.2f}"
            print(
                f"| {key} | {mode} | {label} | {n:.0f} | {ok:.0f} | {ok / n:.0%} | {shown} | {true / n:.2f} |"
            )


if __name__ == "__main__":
    main()
