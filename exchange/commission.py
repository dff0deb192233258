"""The inter-landlord commission's proposals (commission inter-bailleurs): a cycle or chain by hand.

For blocked or atypical cases, the territory's staff assemble a proposal themselves: the page offers
the cycles and chains within the caps that include a blocked household (:func:`candidates`), or
they type the moves. :func:`propose` checks the moves against POLICY.md on the graph a run would
build today (every move allowed, each household takes the dwelling the previous one frees, a chain
starts at an offered vacancy, the caps), refuses an invalid one with the rule it breaks in French,
then stores it like a run's proposal (answers, CALEOL decisions and the tracker follow as usual)
with ``origin = "commission"`` and the commission's reason. Writes: the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import glossary, records, settings
from exchange.blocked import blocked_requests, run_territory_view
from exchange.cache import territory_cache
from exchange.deadlines import answer_deadline
from exchange.errors import InvalidArgument
from exchange.models import Dwelling, Household, UserAccount
from exchange.models.workflow import AuditEvent, Proposal, ProposalMove
from matching import check, policy
from matching.config import PolicyConfig
from matching.graph import build_instance, to_networkx
from matching.territory import Territory as PlainTerritory
from matching.types import Instance, Move, Solution, SolveParams
from matching.types import Proposal as PlainProposal

__all__ = ["Candidate", "candidates", "parse_moves", "propose"]

_MAX_CANDIDATES = 50


@dataclass(frozen=True, slots=True)
class Candidate:
    """A cycle or chain within the caps that includes a blocked household, best points first."""

    kind: str  # cycle or chain
    moves: tuple[Move, ...]

    @property
    def points(self) -> int:
        """Sum of the moves' points."""
        return sum(m.points for m in self.moves)

    @property
    def text(self) -> str:
        """The moves as the form reads them: ``H1 D2, H2 D1``."""
        return ", ".join(f"{m.household} {m.dwelling}" for m in self.moves)


def _graph(session: Session, code: str, as_of: date) -> tuple[PlainTerritory, Instance, nx.DiGraph]:
    plain = run_territory_view(session, code, as_of)
    instance = build_instance(plain, settings.policy_config(session, code))
    return plain, instance, to_networkx(instance)


def _moves_of(graph: nx.DiGraph, nodes: list[str]) -> tuple[Move, ...]:
    """The moves along ``nodes`` (giver, receiver, ...): each receiver takes its giver's dwelling."""
    return tuple(
        Move(b, graph.edges[a, b]["dwelling"], graph.edges[a, b]["weight"])
        for a, b in zip(nodes, nodes[1:], strict=False)
    )


def candidates(session: Session, code: str, *, as_of: date | None = None) -> list[Candidate]:
    """Cycles and chains within the caps through the territory's blocked households (at most 50)."""
    day = as_of or date.today()
    blocked = {r.household for r in blocked_requests(session, code, as_of=day).requests}
    config = settings.policy_config(session, code)
    _, instance, graph = _graph(session, code, day)
    found: dict[tuple[str, ...], Candidate] = {}
    for cycle in nx.simple_cycles(graph, length_bound=config.max_cycle):
        if len(cycle) >= 2 and blocked & set(cycle) and all(n in instance.households for n in cycle):
            start = cycle.index(min(cycle))
            ring = cycle[start:] + cycle[:start]
            found.setdefault(tuple(ring), Candidate("cycle", _moves_of(graph, [*ring, ring[0]])))
    for vacancy in instance.vacancies:
        paths = nx.single_source_shortest_path(graph, vacancy, cutoff=config.max_chain)
        for target, path in paths.items():
            if target != vacancy and blocked & set(path):
                found.setdefault(tuple(path), Candidate("chain", _moves_of(graph, path)))
    ranked = sorted(found.values(), key=lambda c: (-c.points, c.kind, c.text))
    return ranked[:_MAX_CANDIDATES]


def parse_moves(text: str) -> list[tuple[str, str]]:
    """``MÉNAGE LOGEMENT`` pairs separated by commas or new lines.

    >>> parse_moves("H1 D2,\\nH2  D1")
    [('H1', 'D2'), ('H2', 'D1')]
    """
    pairs = []
    for chunk in text.replace("\n", ",").split(","):
        words = chunk.split()
        if not words:
            continue
        if len(words) != 2:
            raise InvalidArgument({"moves": [f"« {chunk.strip()} » : attendu « MÉNAGE LOGEMENT »"]})
        pairs.append((words[0], words[1]))
    if not pairs:
        raise InvalidArgument({"moves": ["au moins un déménagement : « MÉNAGE LOGEMENT »"]})
    return pairs


def _refusals(
    plain: PlainTerritory, instance: Instance, config: PolicyConfig, pairs: list[tuple[str, str]]
) -> list[str]:
    """Every rule of POLICY.md the moves break, in French (empty: a valid cycle or chain)."""
    households = {h.ref: h for h in plain.households}
    dwellings = {d.ref: d for d in plain.dwellings}
    requests = {r.household: r for r in plain.requests}
    config_problems: list[str] = []
    for household, dwelling in pairs:
        if household not in instance.households:
            config_problems.append(f"{household} : pas de demande ouverte libre (ou ménage inconnu)")
            continue
        if dwelling not in dwellings or (
            dwelling not in instance.vacancies and dwelling not in instance.households.values()
        ):
            config_problems.append(
                f"{dwelling} : ni logement d'un demandeur, ni logement vacant proposé à la bourse"
            )
            continue
        current = dwellings[instance.households[household]]
        rules = policy.move_allowed(
            households[household],
            requests[household],
            current,
            dwellings[dwelling],
            config,
            excluded=(household, dwelling) in plain.exclusions,
        )
        config_problems.extend(f"{household} → {dwelling} : {glossary.RULES[rule]}" for rule in rules)
    if len({h for h, _ in pairs}) < len(pairs) or len({d for _, d in pairs}) < len(pairs):
        config_problems.append("un ménage ou un logement figure deux fois")
    return config_problems


def _shape(instance: Instance, pairs: list[tuple[str, str]], params: SolveParams) -> tuple[str, list[str]]:
    """The proposal's kind and what breaks its shape (POLICY.md §5), in French."""
    kind = "chain" if pairs[0][1] in instance.vacancies else "cycle"
    problems: list[str] = []
    freed = instance.households
    if kind == "cycle":
        if len(pairs) < 2:
            problems.append("un échange réunit au moins deux ménages")
        if len(pairs) > params.max_cycle:
            problems.append(f"un échange réunit au plus {params.max_cycle} ménages (reçu {len(pairs)})")
        steps = [(pairs[i - 1][0], pairs[i]) for i in range(len(pairs))]
    else:
        if len(pairs) > params.max_chain:
            problems.append(f"une chaîne compte au plus {params.max_chain} déménagements (reçu {len(pairs)})")
        steps = [(pairs[i - 1][0], pairs[i]) for i in range(1, len(pairs))]
    for previous, (household, dwelling) in steps:
        if freed.get(previous) != dwelling:
            problems.append(f"{household} doit prendre le logement libéré par {previous}, pas {dwelling}")
    return kind, problems


def propose(
    session: Session,
    code: str,
    pairs: list[tuple[str, str]],
    *,
    reason: str,
    actor: UserAccount | None = None,
    now: datetime | None = None,
) -> Proposal:
    """Check the commission's moves against POLICY.md and store them as a proposal waiting for answers.

    ``pairs`` are (household, dwelling) in order: a cycle (each takes the dwelling the previous one
    frees, the first the last one's) or a chain (the first takes an offered vacancy). Raises
    :class:`InvalidArgument` (``moves``: every broken rule, in French; ``reason``: missing) and
    :class:`~exchange.errors.NotFound`. Writes: a proposal, its moves and an audit event.
    """
    at = now or datetime.now()
    if not reason.strip():
        raise InvalidArgument({"reason": ["la commission motive sa proposition"]})
    if not pairs:
        raise InvalidArgument({"moves": ["au moins un déménagement"]})
    territory = records.territory(session, code)
    config = settings.policy_config(session, code)
    plain, instance, _ = _graph(session, code, at.date())
    params = SolveParams(max_cycle=config.max_cycle, max_chain=config.max_chain)
    problems = _refusals(plain, instance, config, pairs)
    kind, shape = _shape(instance, pairs, params) if not problems else ("cycle", [])
    problems += shape
    if problems:
        raise InvalidArgument({"moves": problems})
    allowed = {(m.household, m.dwelling): m.points for m in instance.moves}
    solved = PlainProposal(kind, tuple(Move(h, d, allowed[h, d]) for h, d in pairs))  # type: ignore[arg-type]
    check.verify(instance, Solution((solved,), solved.points, float(solved.points), "feasible"), params)
    return _store(session, territory.id, (plain, instance, config), solved, reason.strip(), actor, at)


def _store(
    session: Session,
    territory_id: int,
    seen: tuple[PlainTerritory, Instance, PolicyConfig],
    solved: PlainProposal,
    reason: str,
    actor: UserAccount | None,
    at: datetime,
) -> Proposal:
    plain, instance, config = seen
    refs = [m.household for m in solved.moves]
    household_ids = dict(
        session.execute(
            select(Household.ref, Household.id).where(
                Household.territory_id == territory_id, Household.ref.in_(refs)
            )
        ).all()
    )
    dwelling_refs = {m.dwelling for m in solved.moves} | {instance.households[r] for r in refs}
    dwelling_ids = dict(
        session.execute(
            select(Dwelling.ref, Dwelling.id).where(
                Dwelling.territory_id == territory_id, Dwelling.ref.in_(dwelling_refs)
            )
        ).all()
    )
    households = {h.ref: h for h in plain.households}
    dwellings = {d.ref: d for d in plain.dwellings}
    requests = {r.household: r for r in plain.requests}
    proposal = Proposal(
        territory_id=territory_id,
        run_id=None,
        kind=solved.kind,
        points=solved.points,
        status="proposed",
        notified_on=at.date(),
        answer_deadline=answer_deadline(
            at.date(),
            settings.answer_days(session, territory_id),
            calendar=settings.calendar(session, territory_id),
        ),
        origin="commission",
        commission_reason=reason,
    )
    for position, move in enumerate(solved.moves):
        household = households[move.household]
        current = dwellings[instance.households[move.household]]
        target = dwellings[move.dwelling]
        detail = policy.points(household, requests[move.household], current, target, plain.as_of, config)
        proposal.moves.append(
            ProposalMove(
                position=position,
                household_id=household_ids[move.household],
                from_dwelling_id=dwelling_ids[current.ref],
                to_dwelling_id=dwelling_ids[target.ref],
                points=move.points,
                points_detail={
                    "base": detail.base,
                    "criteria": dict(detail.criteria),
                    "priorities": dict(detail.priorities),
                    "seniority_months": detail.seniority_months,
                    "seniority": detail.seniority,
                    "total": detail.total,
                },
                criteria_before=sorted(policy.active_criteria(household, current, config)),
                criteria_after=sorted(policy.criteria_in(household, target, config)),
                live=True,
            )
        )
    session.add(proposal)
    session.flush()
    session.add(
        AuditEvent.by(
            actor,
            territory_id=territory_id,
            at=at,
            action="proposal.commission",
            entity="proposal",
            entity_id=proposal.id,
            after={
                "status": "proposed",
                "origin": "commission",
                "reason": reason,
                "answer_deadline": proposal.answer_deadline.isoformat(),
                "households": [m.household_id for m in proposal.moves],
            },
        )
    )
    session.flush()
    territory_cache.invalidate(plain.code)
    return proposal
