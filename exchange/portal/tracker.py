"""One tracker for every party of a proposal (suivi partagé, DOMAIN.md §4): each household's answer,
each visit, each landlord's CALEOL decision and its condition, the common move date; who is waiting and
the time left; overdue CALEOL decisions flagged.

Anonymised (DOMAIN.md §5): a household sees « votre ménage » and the others as letters (« ménage A a
accepté »), as on its proposal page; a landlord's staff sees each household by its place in the
proposal (« ménage 2 »), its own moves marked. Never a ref, a composition or a CALEOL's reason. An
answer its landlord's staff recorded for a household reads « réponse enregistrée par l'agence (par
téléphone) », a withdrawal « retrait enregistré par l'agence (par téléphone) »: how it came, never who
entered it (the audit trail keeps that).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import glossary, visits, wording
from exchange import models as m
from exchange.models.workflow import AuditEvent, CommitteeDecision, Proposal, ProposalMove
from exchange.portal.views import TrackerStep

__all__ = ["answers_entered", "party_steps"]

_ENTERED_BY = {"landlord": "par l'agence", "territory": "par le territoire"}


_ENTERED_WHAT = {"move.accepted": "réponse", "move.refused": "réponse", "move.withdrawn": "retrait"}


def answers_entered(session: Session, proposal: Proposal) -> dict[int, str]:
    """By move id, for the answers (or withdrawals) staff recorded for a household (at the agency, by
    phone, by letter): « réponse enregistrée par l'agence (par téléphone) », « retrait enregistré par
    l'agence (au guichet) », read from the audit events; the move's latest one tells (a household's own
    withdrawal after an acceptance recorded for it: no note)."""
    answered = [mv.id for mv in proposal.moves if mv.answer is not None]
    if not answered:
        return {}
    events = session.execute(
        select(AuditEvent.entity_id, AuditEvent.action, AuditEvent.after)
        .where(
            AuditEvent.entity == "move",
            AuditEvent.entity_id.in_(answered),
            AuditEvent.action.in_(tuple(_ENTERED_WHAT)),
        )
        .order_by(AuditEvent.id)
    ).all()
    notes: dict[int, str] = {}
    for move_id, action, after in events:
        by = _ENTERED_BY.get((after or {}).get("entered_by", ""))
        if by is None:
            notes.pop(int(move_id), None)
            continue
        what = _ENTERED_WHAT[action]
        channel = glossary.ANSWER_CHANNELS.get(after.get("channel") or "")
        entered = "enregistré" if what == "retrait" else "enregistrée"
        notes[int(move_id)] = f"{what} {entered} {by}" + (f" ({channel})" if channel else "")
    return notes


def _names(session: Session, proposal: Proposal) -> tuple[dict[int, str], dict[int, int]]:
    """Each landlord's name, and the landlord of each dwelling a move goes to."""
    rows = session.execute(
        select(m.Dwelling.id, m.Landlord.id, m.Landlord.name)
        .join(m.Landlord, m.Landlord.id == m.Dwelling.landlord_id)
        .where(m.Dwelling.id.in_([mv.to_dwelling_id for mv in proposal.moves]))
    ).all()
    return {lid: name for _d, lid, name in rows}, {d: lid for d, lid, _n in rows}


def _labels(
    proposal: Proposal, household_id: int | None, landlord_of: dict[int, int], landlord_id: int | None
) -> dict[int, str]:
    if household_id is not None:
        letters = iter("ABCDEFGHIJ")
        return {
            mv.id: "votre ménage" if mv.household_id == household_id else f"ménage {next(letters)}"
            for mv in proposal.moves
        }
    return {
        mv.id: f"ménage {i}"
        + (" (vers votre logement)" if landlord_of.get(mv.to_dwelling_id) == landlord_id else "")
        for i, mv in enumerate(proposal.moves, start=1)
    }


def _to(who: str) -> str:
    """« à votre ménage », « au ménage A »."""
    return f"à {who}" if who.startswith("votre") else f"au {who}"


def _answer(
    proposal: Proposal, move: ProposalMove, who: str, today: date, entered: str | None
) -> TrackerStep:
    label = f"Réponse : {who}"
    how = f" ; {entered}" if entered else ""
    if move.answer == "accepted":
        when = f" le {wording.long_date(move.answered_at)}" if move.answered_at else ""
        return TrackerStep(label, "done", f"a accepté{when}{how}")
    if move.answer == "refused":
        said = "n'a pas répondu à temps" if move.refusal_reason == "no_answer" else "a refusé"
        return TrackerStep(label, "failed", said + how)
    if proposal.status != "proposed":
        return TrackerStep(label, "todo", "plus de réponse attendue")
    left = max(0, (proposal.answer_deadline - today).days)
    note = f"réponse attendue au plus tard le {wording.long_date(proposal.answer_deadline)} ; "
    return TrackerStep(label, "current", note + wording.count(left, "jour restant", "jours restants"))


def _decision_note(decision: CommitteeDecision) -> tuple[str, str]:
    kind = glossary.DECISION_KINDS.get(decision.kind, decision.kind)
    note = f"{kind} le {wording.long_date(decision.decided_on)}"
    if decision.kind == "ranked":
        note += f" (rang {decision.rank})"
    if decision.kind == "conditional":
        status = decision.condition_status or "pending"
        if status == "pending":
            due = wording.long_date(decision.condition_due)
            return "current", f"{note} ; condition suspensive à lever au plus tard le {due}"
        return ("done" if status == "met" else "failed"), note + (
            " ; condition levée" if status == "met" else " ; condition non levée"
        )
    return ("done" if decision.attributes else "failed"), note


def _caleol(proposal: Proposal, move: ProposalMove, label: str, today: date) -> TrackerStep | None:
    if move.decision is not None:
        state, note = _decision_note(move.decision)
        return TrackerStep(label, state, note)
    if proposal.status != "deciding":
        return None if proposal.status == "proposed" else TrackerStep(label, "todo", "pas de décision")
    if move.decision_due is None:
        return TrackerStep(label, "current", "décision attendue")
    late = (today - move.decision_due).days
    if late > 0:
        delay = wording.count(late, "jour", "jours")
        return TrackerStep(
            label,
            "overdue",
            f"décision en retard de {delay} (attendue le {wording.long_date(move.decision_due)})",
        )
    left = wording.count((move.decision_due - today).days, "jour restant", "jours restants")
    return TrackerStep(
        label, "current", f"décision attendue au plus tard le {wording.long_date(move.decision_due)} ; {left}"
    )


def party_steps(
    session: Session,
    proposal: Proposal,
    *,
    today: date,
    household_id: int | None = None,
    landlord_id: int | None = None,
) -> tuple[TrackerStep, ...]:
    """Every party's step of ``proposal`` as a household (``household_id``) or a landlord's staff sees it."""
    if (household_id is None) == (landlord_id is None):
        raise ValueError("household_id ou landlord_id : exactement un des deux")
    names, landlord_of = _names(session, proposal)
    who = _labels(proposal, household_id, landlord_of, landlord_id)
    by_move = {v.move_id: v for v in visits.visits_of_proposal(session, proposal.id)}
    entered = answers_entered(session, proposal)
    steps: list[TrackerStep] = []
    for move in proposal.moves:
        steps.append(_answer(proposal, move, who[move.id], today, entered.get(move.id)))
        visit = by_move.get(move.id)
        if visit is not None:
            note = glossary.VISIT_STATUSES[visit.status]
            if visit.visit_on:
                note += f" ; visite le {wording.long_date(visit.visit_on)}"
            if visit.outcome:
                note += f" ; {glossary.VISIT_OUTCOMES[visit.outcome]}"
            state = {"asked": "current", "accepted": "done", "declined": "failed"}[visit.status]
            steps.append(TrackerStep(f"Visite du logement proposé {_to(who[move.id])}", state, note))
    for move in proposal.moves:
        landlord = names.get(landlord_of.get(move.to_dwelling_id, 0), "bailleur")
        label = f"CALEOL de {landlord} : logement proposé {_to(who[move.id])}"
        step = _caleol(proposal, move, label, today)
        if step is not None:
            steps.append(step)
    if proposal.move_date is not None:
        state = "done" if proposal.status == "completed" else "current"
        steps.append(TrackerStep("Déménagement commun", state, f"le {wording.long_date(proposal.move_date)}"))
    return tuple(steps)
