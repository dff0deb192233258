"""Yearly figures for the housing conference (bilan, DOMAIN.md §3): aggregates only, no personal data.

Proposals are counted in the year they were notified, answers when given, decisions when taken,
moves on their move date. "Moves" here are the moves of completed proposals (households moved).
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session, aliased

from exchange import attributions, glossary, records
from exchange.bilan_tables import bilan_tables, cell
from exchange.loading import load_territory
from exchange.models import Dwelling, Landlord, Sector
from exchange.models.workflow import CommitteeDecision, Proposal, ProposalMove
from exchange.settings import first_quartile_threshold, policy_config, year_settings
from matching import policy
from matching.territory import CRITERIA

__all__ = ["Stats", "compute_stats", "render", "write_charts"]

FORMATS = ("md", "csv", "json")


@dataclass(slots=True)
class Stats:
    """Every figure of one territory's year (or of all years when ``year`` is None)."""

    territory: str
    year: int | None
    open_requests: int = 0
    open_requests_by_criterion: dict[str, int] = field(default_factory=dict)  # + "convenience"
    requests_filed: int = 0  # filed during the year, whatever became of them
    proposals: dict[str, int] = field(
        default_factory=dict
    )  # made, accepted, confirmed, completed, failed, live
    proposals_by_kind: dict[str, int] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)  # repaired proposals: made, completed
    failures: dict[str, int] = field(default_factory=dict)  # refused, no_answer, non_attribution, ...
    answers: dict[str, int] = field(default_factory=dict)  # accepted, refused (incl. silences)
    refusal_reasons: dict[str, int] = field(default_factory=dict)
    silences: int = 0
    first_proposals: dict[str, int] = field(default_factory=dict)  # households, answered, accepted
    delay_request_to_first_proposal_days: dict[str, float | None] = field(default_factory=dict)
    decisions_by_kind: dict[str, int] = field(default_factory=dict)
    decisions_overdue: int = 0
    moves_completed: int = 0
    moves_by_criterion_solved: dict[str, int] = field(default_factory=dict)
    # from landlord → to landlord → moves attributed by every CALEOL (scheduled or done)
    flows: dict[str, dict[str, int]] = field(default_factory=dict)
    qpv: dict[str, int] = field(default_factory=dict)  # out_of, into, within, outside
    delay_request_to_move_days: dict[str, float | None] = field(default_factory=dict)  # median, q1, q3, n
    per_landlord: dict[str, dict[str, int]] = field(default_factory=dict)
    # The bilan's breakdowns (DOMAIN.md §3), of the completed moves (attributions) of the year.
    first_quartile_eur: float | None = None  # the threshold in force (yearly resources per unit)
    attributions_by: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # dimension →
    requests_filed_by: dict[str, dict[str, int]] = field(default_factory=dict)  # dimension → value → n
    moves_by_motive: dict[str, int] = field(default_factory=dict)  # active criteria before, or convenience
    mixity: dict[str, float | int | None] = field(default_factory=dict)
    priority_shares: dict[str, float | int | None] = field(default_factory=dict)
    mutation_share: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    wait_by_typology_days: dict[str, float | None] = field(default_factory=dict)  # average, similar requests
    points_distribution: dict[str, int] = field(default_factory=dict)  # points of the moves proposed
    funnel: dict[str, int] = field(default_factory=dict)  # requests → proposed → accepted → moved
    refusals_by_sector: dict[str, int] = field(default_factory=dict)
    delay_notice_to_answer_days: dict[str, float | None] = field(default_factory=dict)
    delay_acceptance_to_decision_days: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (the JSON format)."""
        return asdict(self)


def _year(column: Any, year: int | None) -> Any:
    return True if year is None else extract("year", column) == year


def compute_stats(
    session: Session, code: str, *, year: int | None = None, today: date | None = None
) -> Stats:
    """Compute the figures of territory ``code`` for ``year`` (every year when None)."""
    territory = records.territory(session, code)
    day = today or date.today()
    stats = Stats(territory=code, year=year)
    landlord_code = dict(
        session.execute(select(Landlord.id, Landlord.code).where(Landlord.territory_id == territory.id)).all()
    )
    _requests(session, code, territory.id, year, stats)
    _proposals(session, territory.id, year, stats)
    _answers(session, territory.id, year, stats, landlord_code)
    _first_proposals(session, territory.id, year, stats)
    _decisions(session, territory.id, year, day, stats, landlord_code)
    _moves(session, territory.id, year, stats, landlord_code)
    _bilan(session, code, territory.id, year, day, stats)
    return stats


def _bilan(session: Session, code: str, territory_id: int, year: int | None, day: date, stats: Stats) -> None:
    """The breakdowns by landlord, commune, typology and QPV; mixity, priority and mutation shares."""
    stats.first_quartile_eur = first_quartile_threshold(session, code, day.year if year is None else year)
    rows = attributions.load_attributions(session, territory_id, year, stats.first_quartile_eur)
    stats.attributions_by = {d: attributions.breakdown(rows, d) for d in (*attributions.DIMENSIONS, "year")}
    stats.requests_filed_by = attributions.requests_by(session, territory_id, year)
    stats.moves_by_motive = dict(sorted(Counter(m for a in rows for m in a.motives).items()))
    stats.mixity = attributions.mixity(rows, stats.first_quartile_eur)
    stats.priority_shares = attributions.priority_shares(rows)
    totals: dict[str, int | None] = (
        dict(year_settings(session, code, year).attributions) if year is not None else {}
    )
    stats.mutation_share = attributions.mutation_share(rows, totals)
    stats.wait_by_typology_days = dict(attributions.waits_by_typology(rows))
    proposed = session.execute(
        select(ProposalMove.household_id, ProposalMove.points, ProposalMove.answer)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .where(Proposal.territory_id == territory_id, _year(Proposal.notified_on, year))
    ).all()
    stats.points_distribution = _bins([r.points for r in proposed])
    stats.funnel = {
        "requests_filed": stats.requests_filed,
        "households_proposed": len({r.household_id for r in proposed}),
        "households_accepted": len({r.household_id for r in proposed if r.answer == "accepted"}),
        "households_moved": len(rows),
    }
    refused = session.execute(
        select(Sector.code)
        .select_from(ProposalMove)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .join(Dwelling, Dwelling.id == ProposalMove.to_dwelling_id)
        .join(Sector, Sector.id == Dwelling.sector_id)
        .where(
            Proposal.territory_id == territory_id,
            ProposalMove.answer == "refused",
            _year(ProposalMove.answered_at, year),
        )
    ).scalars()
    stats.refusals_by_sector = dict(sorted(Counter(refused).items()))
    answered = session.execute(
        select(Proposal.notified_on, ProposalMove.answered_at)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .where(
            Proposal.territory_id == territory_id,
            ProposalMove.answered_at.is_not(None),
            _year(ProposalMove.answered_at, year),
        )
    ).all()
    stats.delay_notice_to_answer_days = _spread(
        [(r.answered_at.date() - r.notified_on).days for r in answered]
    )
    decided = session.execute(
        select(Proposal.accepted_on, CommitteeDecision.decided_on)
        .join(ProposalMove, ProposalMove.id == CommitteeDecision.move_id)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .where(
            Proposal.territory_id == territory_id,
            Proposal.accepted_on.is_not(None),
            _year(CommitteeDecision.decided_on, year),
        )
    ).all()
    stats.delay_acceptance_to_decision_days = _spread([(r.decided_on - r.accepted_on).days for r in decided])


def _bins(values: list[int], width: int = 50) -> dict[str, int]:
    """How many values fall in each band of ``width`` points, from the lowest band met.

    >>> _bins([100, 149, 150, 260])
    {'100–149': 2, '150–199': 1, '200–249': 0, '250–299': 1}
    """
    if not values:
        return {}
    low, high = min(values) // width, max(values) // width
    counts = Counter(v // width for v in values)
    return {f"{b * width}–{b * width + width - 1}": counts[b] for b in range(low, high + 1)}


def _requests(session: Session, code: str, territory_id: int, year: int | None, stats: Stats) -> None:
    """Open requests (today, whatever the year) by criterion and by landlord; requests filed in the year."""
    by_criterion = _open_request_criteria(session, code)
    stats.open_requests = len(by_criterion)
    counts: Counter[str] = Counter()
    for landlord, criteria in by_criterion:
        counts.update(criteria or ["convenience"])
        stats.per_landlord.setdefault(landlord, _landlord_entry())["open_requests"] += 1
    stats.open_requests_by_criterion = {c: counts[c] for c in (*CRITERIA, "convenience")}
    stats.requests_filed = records.requests_filed(session, territory_id, year)


def _open_request_criteria(session: Session, code: str) -> list[tuple[str, list[str]]]:
    """For each open request of the territory: its household's landlord and active criteria.

    No personal data: only the landlord's code and the criteria names.
    """
    territory = load_territory(session, code)
    config = policy_config(session, code)
    households = {h.ref: h for h in territory.households}
    dwellings = {d.ref: d for d in territory.dwellings}
    result: list[tuple[str, list[str]]] = []
    for request in territory.requests:
        household = households[request.household]
        assert household.dwelling is not None
        current = dwellings[household.dwelling]
        result.append((current.landlord, sorted(policy.active_criteria(household, current, config))))
    return result


def _proposals(session: Session, territory_id: int, year: int | None, stats: Stats) -> None:
    rows = session.execute(
        select(
            Proposal.kind,
            Proposal.status,
            Proposal.accepted_on,
            Proposal.confirmed_on,
            Proposal.failure,
            Proposal.repairs_id,
        ).where(Proposal.territory_id == territory_id, _year(Proposal.notified_on, year))
    ).all()
    stats.proposals = {
        "made": len(rows),
        "accepted": sum(1 for r in rows if r.accepted_on is not None),
        "confirmed": sum(1 for r in rows if r.confirmed_on is not None),
        "completed": sum(1 for r in rows if r.status == "completed"),
        "failed": sum(1 for r in rows if r.status == "failed"),
        "live": sum(1 for r in rows if r.status in ("proposed", "deciding", "confirmed")),
    }
    stats.proposals_by_kind = dict(sorted(Counter(r.kind for r in rows).items()))
    repaired = [r for r in rows if r.repairs_id is not None]
    stats.repairs = {"made": len(repaired), "completed": sum(1 for r in repaired if r.status == "completed")}
    stats.failures = dict(sorted(Counter(r.failure for r in rows if r.status == "failed").items()))


def _answers(
    session: Session, territory_id: int, year: int | None, stats: Stats, landlords: dict[int, str]
) -> None:
    rows = session.execute(
        select(ProposalMove.answer, ProposalMove.refusal_reason, Dwelling.landlord_id)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .join(Dwelling, Dwelling.id == ProposalMove.to_dwelling_id)
        .where(
            Proposal.territory_id == territory_id,
            ProposalMove.answer.is_not(None),
            _year(ProposalMove.answered_at, year),
        )
    ).all()
    stats.answers = {a: sum(1 for r in rows if r.answer == a) for a in ("accepted", "refused")}
    stats.refusal_reasons = dict(
        sorted(Counter(r.refusal_reason for r in rows if r.answer == "refused").items())
    )
    stats.silences = stats.refusal_reasons.get("no_answer", 0)
    for r in rows:
        if r.answer == "refused":  # refusals of the landlord's dwellings, silences included
            stats.per_landlord.setdefault(landlords[r.landlord_id], _landlord_entry())["refusals_in"] += 1


def _first_proposals(session: Session, territory_id: int, year: int | None, stats: Stats) -> None:
    """Households whose first proposal came in the year: how many accepted it, and how long they waited."""
    first = (
        select(ProposalMove.household_id, func.min(ProposalMove.proposal_id).label("proposal_id"))
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .where(Proposal.territory_id == territory_id)
        .group_by(ProposalMove.household_id)
        .subquery()
    )
    rows = session.execute(
        select(ProposalMove.household_id, ProposalMove.answer, Proposal.notified_on)
        .join(
            first,
            (first.c.household_id == ProposalMove.household_id)
            & (first.c.proposal_id == ProposalMove.proposal_id),
        )
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .where(_year(Proposal.notified_on, year))
    ).all()
    stats.first_proposals = {
        "households": len(rows),
        "answered": sum(1 for r in rows if r.answer is not None),
        "accepted": sum(1 for r in rows if r.answer == "accepted"),
    }
    delays = []
    for r in rows:
        filed = records.request_filed_on(session, r.household_id, before=r.notified_on)
        if filed is not None:
            delays.append((r.notified_on - filed).days)
    stats.delay_request_to_first_proposal_days = _spread(delays)


def _decisions(
    session: Session,
    territory_id: int,
    year: int | None,
    today: date,
    stats: Stats,
    landlords: dict[int, str],
) -> None:
    rows = session.execute(
        select(
            CommitteeDecision.kind,
            CommitteeDecision.landlord_id,
            CommitteeDecision.decided_on,
            ProposalMove.decision_due,
        )
        .join(ProposalMove, ProposalMove.id == CommitteeDecision.move_id)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .where(Proposal.territory_id == territory_id, _year(CommitteeDecision.decided_on, year))
    ).all()
    stats.decisions_by_kind = dict(sorted(Counter(r.kind for r in rows).items()))
    late = sum(1 for r in rows if r.decision_due is not None and r.decided_on > r.decision_due)
    pending_late = session.scalar(
        select(records.count_star())
        .select_from(ProposalMove)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .outerjoin(CommitteeDecision, CommitteeDecision.move_id == ProposalMove.id)
        .where(
            Proposal.territory_id == territory_id,
            Proposal.status == "deciding",
            CommitteeDecision.id.is_(None),
            ProposalMove.decision_due < today,
        )
    )
    stats.decisions_overdue = late + int(pending_late or 0)
    for r in rows:
        entry = stats.per_landlord.setdefault(landlords[r.landlord_id], _landlord_entry())
        entry["decisions"] += 1
        entry[f"decision_{r.kind}"] = entry.get(f"decision_{r.kind}", 0) + 1


def _landlord_entry() -> dict[str, int]:
    return {"open_requests": 0, "refusals_in": 0, "moves_out": 0, "moves_in": 0, "decisions": 0}


def _moves(
    session: Session, territory_id: int, year: int | None, stats: Stats, landlords: dict[int, str]
) -> None:
    origin, target = aliased(Dwelling), aliased(Dwelling)
    origin_sector, target_sector = aliased(Sector), aliased(Sector)
    rows = session.execute(
        select(
            ProposalMove.household_id,
            ProposalMove.criteria_before,
            ProposalMove.criteria_after,
            Proposal.move_date,
            Proposal.notified_on,
            Proposal.status,
            origin.landlord_id.label("from_landlord"),
            target.landlord_id.label("to_landlord"),
            origin_sector.qpv.label("from_qpv"),
            target_sector.qpv.label("to_qpv"),
        )
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .join(origin, origin.id == ProposalMove.from_dwelling_id)
        .join(target, target.id == ProposalMove.to_dwelling_id)
        .join(origin_sector, origin_sector.id == origin.sector_id)
        .join(target_sector, target_sector.id == target.sector_id)
        .where(
            Proposal.territory_id == territory_id,
            Proposal.status.in_(("confirmed", "completed")),
            _year(Proposal.move_date, year),
        )
    ).all()
    stats.moves_completed = sum(1 for r in rows if r.status == "completed")
    solved: Counter[str] = Counter()
    flows: dict[str, dict[str, int]] = {}
    qpv: Counter[str] = Counter({"out_of": 0, "into": 0, "within": 0, "outside": 0})
    delays: list[int] = []
    for r in rows:
        source, dest = landlords[r.from_landlord], landlords[r.to_landlord]
        flows.setdefault(source, {}).setdefault(dest, 0)
        flows[source][dest] += 1
        if r.status != "completed":
            continue  # a scheduled move is a flow; the other figures count the moves done
        solved.update(set(r.criteria_before) - set(r.criteria_after))
        stats.per_landlord.setdefault(source, _landlord_entry())["moves_out"] += 1
        stats.per_landlord.setdefault(dest, _landlord_entry())["moves_in"] += 1
        key = {
            (True, False): "out_of",
            (False, True): "into",
            (True, True): "within",
            (False, False): "outside",
        }
        qpv[key[(bool(r.from_qpv), bool(r.to_qpv))]] += 1
        filed = records.request_filed_on(session, r.household_id, before=r.notified_on)
        if filed is not None and r.move_date is not None:
            delays.append((r.move_date - filed).days)
    stats.moves_by_criterion_solved = {c: solved[c] for c in CRITERIA}
    stats.flows = {k: dict(sorted(v.items())) for k, v in sorted(flows.items())}
    stats.qpv = dict(qpv)
    stats.per_landlord = dict(sorted(stats.per_landlord.items()))
    stats.delay_request_to_move_days = _spread(delays)


def _spread(values: list[int]) -> dict[str, float | None]:
    """Median and quartiles (None when empty).

    >>> _spread([10, 20, 40])
    {'n': 3, 'median': 20.0, 'q1': 15.0, 'q3': 30.0}
    """
    if not values:
        return {"n": 0, "median": None, "q1": None, "q3": None}
    if len(values) == 1:
        v = float(values[0])
        return {"n": 1, "median": v, "q1": v, "q3": v}
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"n": len(values), "median": float(median), "q1": float(q1), "q3": float(q3)}


# Rendering --------------------------------------------------------------------------------------


def _sections(stats: Stats) -> list[tuple[str, dict[str, Any]]]:
    delay = stats.delay_request_to_move_days
    return [
        (
            "Demandes ouvertes aujourd'hui, par critère",
            {"total": stats.open_requests, **stats.open_requests_by_criterion},
        ),
        ("Demandes déposées sur la période", {"filed": stats.requests_filed}),
        ("Propositions", {**stats.proposals, **stats.proposals_by_kind}),
        ("Propositions réparées après un échec", stats.repairs),
        ("Causes d'échec", stats.failures),
        (
            "Réponses des ménages",
            {
                "acceptations": stats.answers.get("accepted", 0),
                "refus (silences compris)": stats.answers.get("refused", 0),
                "silences": stats.silences,
            },
        ),
        ("Motifs de refus", stats.refusal_reasons),
        (
            "Première proposition faite à un ménage",
            {
                "ménages": stats.first_proposals.get("households", 0),
                "ont répondu": stats.first_proposals.get("answered", 0),
                "ont accepté": stats.first_proposals.get("accepted", 0),
            },
        ),
        (
            "Délai de la demande à la première proposition (jours)",
            dict(stats.delay_request_to_first_proposal_days),
        ),
        ("Décisions de CALEOL", {**stats.decisions_by_kind, "hors délai": stats.decisions_overdue}),
        (
            "Déménagements effectués par critère résolu",
            {"total": stats.moves_completed, **stats.moves_by_criterion_solved},
        ),
        ("QPV", stats.qpv),
        ("Délai de la demande au déménagement (jours)", dict(delay)),
    ]


def render(stats: Stats, fmt: str) -> str:
    """The figures as markdown (``md``), ``csv`` (section, indicator, value) or ``json``."""
    if fmt == "json":
        return json.dumps(stats.to_dict(), ensure_ascii=False, indent=2, sort_keys=True)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["section", "indicateur", "valeur"])
        for title, values in _sections(stats):
            for key, value in values.items():
                writer.writerow([title, glossary.statistic_label(key), "" if value is None else value])
        for source, row in stats.flows.items():
            for dest, n in row.items():
                writer.writerow(["Flux entre bailleurs", f"{source} → {dest}", n])
        for code, entry in stats.per_landlord.items():
            for key, n in entry.items():
                writer.writerow([f"Bailleur {code}", glossary.statistic_label(key), n])
        for table in bilan_tables(stats.to_dict()):
            for line in table.rows:
                for header, value in zip(table.header[1:], line[1:], strict=True):
                    name = line[0] if len(table.header) == 2 else f"{line[0]} — {header}"
                    writer.writerow([table.title, name, "" if value is None else value])
        return out.getvalue()
    if fmt != "md":
        raise ValueError(f"fmt: one of {FORMATS}, got {fmt!r}")
    period = "toutes années" if stats.year is None else str(stats.year)
    lines = [f"# Bilan de la bourse d'échange — {stats.territory}, {period}", ""]
    for title, values in _sections(stats):
        lines += [f"## {title}", "", "| indicateur | valeur |", "|---|---:|"]
        lines += [
            f"| {glossary.statistic_label(k)} | {'—' if v is None else _fmt(v)} |" for k, v in values.items()
        ]
        lines.append("")
    lines += ["## Flux entre bailleurs (départ → arrivée)", ""]
    codes = sorted(set(stats.flows) | {d for row in stats.flows.values() for d in row})
    if codes:
        lines += ["| départ \\ arrivée | " + " | ".join(codes) + " |", "|---|" + "---:|" * len(codes)]
        lines += [
            f"| {s} | " + " | ".join(str(stats.flows.get(s, {}).get(d, 0)) for d in codes) + " |"
            for s in codes
        ]
    else:
        lines.append("Aucun déménagement effectué.")
    lines += ["", "## Par bailleur", ""]
    keys = _landlord_keys(stats)
    if keys:
        lines += [
            "| bailleur | " + " | ".join(glossary.statistic_label(k) for k in keys) + " |",
            "|---|" + "---:|" * len(keys),
        ]
        lines += [
            f"| {c} | " + " | ".join(str(e.get(k, 0)) for k in keys) + " |"
            for c, e in stats.per_landlord.items()
        ]
    else:
        lines.append("Aucune activité.")
    for table in bilan_tables(stats.to_dict()):
        lines += ["", f"## {table.title}", "", "| " + " | ".join(table.header) + " |"]
        lines.append("|---|" + "---:|" * (len(table.header) - 1))
        lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.rows]
    return "\n".join(lines) + "\n"


def _landlord_keys(stats: Stats) -> list[str]:
    """Columns of the per-landlord table: the common ones, then each decision kind met."""
    base = list(_landlord_entry())
    return base + sorted({k for e in stats.per_landlord.values() for k in e} - set(base))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def write_charts(stats: Stats, directory: Path) -> list[Path]:
    """Draw the figures people would rather see (PNG and SVG each); returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(fig: Any, name: str) -> None:
        fig.tight_layout()
        for ext in ("png", "svg"):
            path = directory / f"{name}.{ext}"
            fig.savefig(path)
            written.append(path)
        plt.close(fig)

    bars = [
        (
            "propositions",
            "Propositions",
            {k: stats.proposals.get(k, 0) for k in ("made", "accepted", "confirmed", "completed", "failed")},
        ),
        ("motifs-de-refus", "Motifs de refus", stats.refusal_reasons),
        ("decisions-caleol", "Décisions de CALEOL", stats.decisions_by_kind),
        ("demandes-par-critere", "Demandes ouvertes par critère", stats.open_requests_by_criterion),
        ("qpv", "Déménagements et QPV", stats.qpv),
    ]
    for name, title, values in bars:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        labels = [glossary.statistic_label(k) for k in values]
        ax.barh(labels, list(values.values()), color="#000091")
        ax.invert_yaxis()
        ax.set_title(title)
        ax.set_xlabel("nombre")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        save(fig, name)
    codes = sorted(set(stats.flows) | {d for row in stats.flows.values() for d in row})
    fig, ax = plt.subplots(figsize=(5, 4.5))
    matrix = [[stats.flows.get(s, {}).get(d, 0) for d in codes] for s in codes]
    if codes:
        image = ax.imshow(matrix, cmap="Blues")
        ax.set_xticks(range(len(codes)), codes, rotation=45, ha="right")
        ax.set_yticks(range(len(codes)), codes)
        for i, row in enumerate(matrix):
            for j, n in enumerate(row):
                dark = n > max(max(r) for r in matrix) / 2
                ax.text(j, i, str(n), ha="center", va="center", color="white" if dark else "black")
        ax.set_xlabel("bailleur d'arrivée")
        ax.set_ylabel("bailleur de départ")
        fig.colorbar(image, ax=ax).locator = MaxNLocator(integer=True)
    ax.set_title("Flux entre bailleurs (départ → arrivée)")
    save(fig, "flux-bailleurs")
    landlords = list(stats.per_landlord)
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(landlords) + 2))
    height = 0.4
    for offset, key, color in ((-height / 2, "moves_out", "#000091"), (height / 2, "moves_in", "#e1000f")):
        ax.barh(
            [i + offset for i in range(len(landlords))],
            [stats.per_landlord[c].get(key, 0) for c in landlords],
            height=height,
            label=glossary.statistic_label(key),
            color=color,
        )
    ax.set_yticks(range(len(landlords)), landlords)
    ax.invert_yaxis()
    ax.set_xlabel("déménagements effectués")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Départs et arrivées par bailleur")
    if landlords:
        ax.legend()
    save(fig, "bailleurs")
    return written
