"""The territory's statistics page (statistiques de la conférence du logement): tables and bar charts.

The figures are :mod:`exchange.stats`'s; the page and its charts ask for them together, so they are
kept a few seconds in :data:`~exchange.cache.territory_cache`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import glossary, wording
from exchange import stats as stats_module
from exchange.cache import territory_cache
from exchange.errors import NotFound
from exchange.models.workflow import Proposal
from exchange.portal.staff_views import StatsSection, StatsView

__all__ = ["stats_chart", "stats_data", "stats_view"]


def _figures(session: Session, code: str, year: int | None) -> stats_module.Stats:
    """The territory's statistics, reused for a few seconds (the page and its charts ask together)."""
    return territory_cache.get(
        code, ("stats", year), lambda: stats_module.compute_stats(session, code, year=year)
    )


def _chart_series(stats: Any) -> dict[str, tuple[str, Mapping[str, Any]]]:
    return {
        "propositions": (
            "Propositions",
            {k: stats.proposals.get(k, 0) for k in ("made", "accepted", "confirmed", "completed", "failed")},
        ),
        "motifs-de-refus": ("Motifs de refus", stats.refusal_reasons),
        "decisions-caleol": ("Décisions de CALEOL", stats.decisions_by_kind),
        "demandes-par-critere": ("Demandes ouvertes par critère", stats.open_requests_by_criterion),
    }


def stats_view(session: Session, account: Any, *, year: int | None) -> StatsView:
    """Tables of the housing conference's figures, with chart names."""
    figures = _figures(session, account.territory_code, year)
    years = sorted(
        {
            d.year
            for d in session.scalars(
                select(Proposal.notified_on).where(Proposal.territory_id == account.territory_id)
            ).all()
        }
        | {date.today().year}
    )
    sections: list[StatsSection] = []
    for name, (title, values) in _chart_series(figures).items():
        rows = tuple((glossary.statistic_label(k), wording.number(v)) for k, v in values.items())
        alt = f"Diagramme en barres : {title.lower()} — " + ", ".join(f"{a} {b}" for a, b in rows)
        sections.append(StatsSection(title, ("Indicateur", "Nombre"), rows, name if rows else None, alt))
    sections.append(
        StatsSection(
            "Échecs",
            ("Cause", "Nombre"),
            tuple((glossary.statistic_label(k), wording.number(v)) for k, v in figures.failures.items()),
        )
    )
    sections.append(
        StatsSection(
            "Réponses des ménages",
            ("Réponse", "Nombre"),
            (
                *((glossary.statistic_label(k), wording.number(v)) for k, v in figures.answers.items()),
                ("silences", wording.number(figures.silences)),
            ),
        )
    )
    codes = sorted(set(figures.flows) | {d for row in figures.flows.values() for d in row})
    sections.append(
        StatsSection(
            "Flux entre bailleurs : mouvements attribués, programmés ou effectués (départ → arrivée)",
            ("Départ", *codes),
            tuple((s, *(wording.number(figures.flows.get(s, {}).get(d, 0)) for d in codes)) for s in codes),
        )
    )
    sections.append(
        StatsSection(
            "QPV",
            ("Mouvement", "Nombre"),
            tuple((glossary.statistic_label(k), wording.number(v)) for k, v in figures.qpv.items()),
        )
    )
    delay = figures.delay_request_to_move_days
    sections.append(
        StatsSection(
            "Délai de la demande au déménagement (jours)",
            ("Mesure", "Valeur"),
            tuple((glossary.statistic_label(k), wording.number(v, 1)) for k, v in delay.items()),
        )
    )
    keys = sorted({k for e in figures.per_landlord.values() for k in e})
    sections.append(
        StatsSection(
            "Par bailleur",
            ("Bailleur", *(glossary.statistic_label(k) for k in keys)),
            tuple((c, *(wording.number(e.get(k, 0)) for k in keys)) for c, e in figures.per_landlord.items()),
        )
    )
    return StatsView(tuple(years), tuple(sections))


def stats_data(session: Session, account: Any, *, year: int | None) -> dict[str, Any]:
    """The figures as plain JSON data."""
    data: dict[str, Any] = stats_module.compute_stats(session, account.territory_code, year=year).to_dict()
    return data


def stats_chart(session: Session, account: Any, name: str, *, year: int | None) -> str:
    """One bar chart of the figures as an SVG document (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figures = _figures(session, account.territory_code, year)
    series = _chart_series(figures)
    if name not in series:
        raise NotFound(f"graphique inconnu : {name}")
    title, values = series[name]
    fig = Figure(figsize=(7, 3.5))
    ax = fig.subplots()
    ax.barh([glossary.statistic_label(k) for k in values], list(values.values()), color="#0b4f9c")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.25 decision
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel("nombre")
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg")
    return out.getvalue()
