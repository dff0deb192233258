"""Run and workflow commands: ``exchange run``, ``exchange stats``, and operators' helpers.

``run`` is the nightly job (cron / systemd timer, see README): it first records silences past their
deadline and suspensive conditions past their date, then solves and stores the new proposals, all
in one transaction. ``answer``, ``decide``, ``lift-condition`` and ``complete`` let an operator
act for a signed-in user (``--as LOGIN``) from a terminal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from sqlalchemy.orm import Session

from exchange import glossary, wording
from exchange.cache import territory_cache
from exchange.deadlines import CALENDARS
from exchange.errors import ExchangeError
from exchange.models.workflow import ANSWER_CHANNELS, DECISION_KINDS, REFUSAL_REASONS
from matching.config import RANGES
from matching.types import SolveParams, relative_gap

if TYPE_CHECKING:
    from exchange import nightly
    from exchange.models import UserAccount
    from exchange.models.workflow import Run

__all__ = ["register"]


def register(group: click.Group) -> None:
    """Add the run and workflow commands to the ``exchange`` group."""
    commands = (
        run,
        stats,
        answer,
        withdraw,
        decide,
        lift_condition,
        complete,
        reopen_request,
        delays,
        run_settings,
        reminders,
    )
    for command in commands:
        group.add_command(command)


def _session() -> Session:
    from exchange.db import get_engine

    return Session(get_engine())


@contextmanager
def _writing() -> Iterator[Session]:
    """One committed transaction for one workflow step (write lock first on SQLite).

    Once it is committed, the portal's cache forgets what it read: the step may change any territory.
    """
    from exchange import workflow
    from exchange.db import get_engine

    with workflow.write_transaction(get_engine()) as session:
        yield session
    territory_cache.invalidate()


def _day(value: datetime | None) -> date:
    return value.date() if value else date.today()


def _now(value: datetime | None) -> datetime:
    return datetime.combine(value.date(), datetime.now().time()) if value else datetime.now()


@click.command("run")
@click.argument("territories", metavar="TERRITOIRE…", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Tous les territoires de la base (calcul de nuit).")
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date du calcul (AAAA-MM-JJ) ; aujourd'hui par défaut.",
)
@click.option(
    "--max-cycle",
    type=click.IntRange(*RANGES["max_cycle"]),
    default=None,
    help="Ménages au plus par échange (2 à 5) ; réglage du territoire par défaut.",
)
@click.option(
    "--max-chain",
    type=click.IntRange(*RANGES["max_chain"]),
    default=None,
    help="Mouvements au plus par chaîne (0 à 6) ; réglage du territoire par défaut.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=600.0,
    show_default=True,
    help="Temps maximal de résolution, en secondes (par territoire).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="tcp://HÔTE:8786",
    help="Ordonnanceur Dask d'une grappe existante (sinon EXCHANGE_DASK_SCHEDULER, sinon une grappe locale).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help=(
        "Processus de la grappe locale (un par cœur par défaut) ; sans effet avec --scheduler. Avec un "
        "seul territoire, sa recherche se répartit sur ces processus."
    ),
)
def run(
    territories: tuple[str, ...],
    every: bool,
    as_of: datetime | None,
    max_cycle: int | None,
    max_chain: int | None,
    time_limit: float,
    scheduler: str | None,
    workers: int | None,
) -> None:
    """Calcul nocturne : propose les échanges et chaînes optimaux d'un ou de plusieurs territoires.

    Un seul territoire est calculé dans ce processus ; plusieurs (ou --all, --scheduler ou --workers)
    sur une grappe Dask, chaque territoire dans sa propre transaction ; la recherche d'un grand
    territoire s'y répartit sur ses processus de calcul.
    """
    import os

    from exchange.cluster import SCHEDULER_ENV

    if every and territories:
        raise click.UsageError("donnez des territoires ou --all, pas les deux")
    if not every and not territories:
        raise click.UsageError("donnez au moins un territoire, ou --all")
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if len(territories) == 1 and scheduler is None and workers is None:
        _run_one(territories[0], as_of, max_cycle, max_chain, time_limit)
    else:
        _run_many(territories, as_of, max_cycle, max_chain, time_limit, scheduler, workers)


def _params(
    session: Session, territory: str, max_cycle: int | None, max_chain: int | None, time_limit: float
) -> SolveParams:
    """The run's parameters: the options given, the territory's caps otherwise."""
    from exchange import runs

    caps = runs.territory_caps(session, territory)
    try:
        return SolveParams(
            max_cycle=caps[0] if max_cycle is None else max_cycle,
            max_chain=caps[1] if max_chain is None else max_chain,
            time_limit_s=time_limit,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _summary(code: str, row: nightly.StoredRun | Run) -> str:
    """The one-line summary of a stored run."""
    optimum = "optimum prouvé"
    if row.status != "optimal":
        gap = relative_gap(row.objective, row.bound)
        optimum = f"borne {row.bound:.0f}, écart {100 * gap:.2f} % ({row.status})".replace(".", ",")
    return (
        f"calcul n° {row.id} ({code}, {row.as_of.isoformat()}) : "
        f"{wording.count(row.proposal_count, 'proposition', 'propositions')}, "
        f"{wording.count(row.move_count, 'mouvement', 'mouvements')}, {row.objective} points, "
        f"{optimum} ; "
        f"{wording.count(row.requests, 'demande', 'demandes')}, "
        f"{wording.count(row.vacancies, 'logement vacant', 'logements vacants')}, "
        f"{wording.count(row.skipped_households, 'ménage', 'ménages')} déjà en proposition"
    )


def _run_one(
    territory: str, as_of: datetime | None, max_cycle: int | None, max_chain: int | None, time_limit: float
) -> None:
    """One territory, solved in this process, in one transaction."""
    from exchange import runs

    console = Console(stderr=True)
    day, now = _day(as_of), _now(as_of)
    try:
        with _session() as session:  # read apart: the run's transaction starts with its lock
            params = _params(session, territory, max_cycle, max_chain, time_limit)
        with _session() as session, session.begin():
            with console.status("calcul en cours…", spinner="dots") as status:

                def progress(stage: str) -> None:
                    label = glossary.RUN_STAGES.get(stage, stage)
                    console.log(label)
                    status.update(f"{label}…")

                row = runs.run_territory(
                    session, territory, as_of=day, params=params, progress=progress, now=now
                )
            summary = _summary(territory, row)
        territory_cache.invalidate(territory)  # committed: the run's proposals and exclusions show
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary)


def _run_many(
    territories: tuple[str, ...],
    as_of: datetime | None,
    max_cycle: int | None,
    max_chain: int | None,
    time_limit: float,
    scheduler: str | None,
    workers: int | None,
) -> None:
    """Several territories (or all) on a Dask cluster; exit status 1 when one of them failed."""
    from exchange import cluster, nightly
    from exchange.db import database_url, make_engine

    console = Console(stderr=True)
    day, now = _day(as_of), _now(as_of)
    with _session() as session:
        codes = list(territories) or nightly.all_codes(session)
        plans: list[tuple[str, SolveParams | None]] = []
        for code in codes:
            try:
                plans.append((code, _params(session, code, max_cycle, max_chain, time_limit)))
            except ExchangeError:  # unknown: the coordinator reports it with the others
                plans.append((code, None))

    def progress(code: str, stage: str) -> None:
        label = "échec" if stage == "failed" else glossary.RUN_STAGES.get(stage, stage)
        console.log(f"{code} : {label}")

    with cluster.connect(scheduler, workers=workers) as client:
        window = cluster.total_threads(client) + 1  # one more loaded, ready when a worker frees up
        engine = make_engine(database_url(), pool_size=window, max_overflow=0)
        try:
            outcomes = nightly.run_territories(
                engine,
                plans,
                cluster.submitter(client),
                as_of=day,
                now=now,
                window=window,
                progress=progress,
            )
        finally:
            engine.dispose()
    failed = [o for o in outcomes if not o.ok]
    for outcome in outcomes:
        if outcome.run is not None:
            territory_cache.invalidate(outcome.code)
            click.echo(_summary(outcome.code, outcome.run))
        else:
            click.echo(f"échec du calcul du territoire {outcome.code} : {outcome.error}", err=True)
    click.echo(
        f"{wording.count(len(outcomes) - len(failed), 'territoire calculé', 'territoires calculés')} "
        f"sur {len(outcomes)}" + (f" ; en échec : {', '.join(o.code for o in failed)}" if failed else "")
    )
    if failed:
        raise click.exceptions.Exit(1)


@click.command("stats")
@click.argument("territory", metavar="TERRITOIRE")
@click.option("--year", type=int, default=None, help="Année du bilan ; toutes les années par défaut.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "csv", "json"]),
    default="md",
    show_default=True,
    help="Format de sortie : markdown, CSV ou JSON.",
)
@click.option(
    "--charts",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dossier où écrire les graphiques (PNG et SVG).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Fichier de sortie ; la sortie standard par défaut.",
)
def stats(territory: str, year: int | None, fmt: str, charts: Path | None, output: Path | None) -> None:
    """Bilan annuel pour la conférence intercommunale du logement (agrégats seulement)."""
    from exchange import stats as stats_module

    try:
        with _session() as session:
            figures = stats_module.compute_stats(session, territory, year=year)
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    text = stats_module.render(figures, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    if charts is not None:
        written = stats_module.write_charts(figures, charts)
        done = wording.count(len(written), "graphique écrit", "graphiques écrits")
        click.echo(f"{done} dans {charts}", err=True)


def _user(session: Session, login: str) -> UserAccount:
    from sqlalchemy import select

    from exchange.models import UserAccount

    user = session.scalars(
        select(UserAccount).where(UserAccount.login == login.strip().lower())
    ).one_or_none()
    if user is None:
        raise click.BadParameter(f"compte inconnu : {login}", param_hint="--as")
    return user


_AS = click.option("--as", "login", required=True, help="Identifiant du compte au nom duquel agir.")
_DATE = click.option(
    "--date",
    "when",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date de l'action (AAAA-MM-JJ) ; aujourd'hui par défaut.",
)


@click.command("answer")
@click.argument("move_id", metavar="MOUVEMENT", type=int)
@click.option("--accept/--refuse", required=True, help="Accepter ou refuser la proposition.")
@click.option(
    "--reason",
    type=click.Choice([r for r in REFUSAL_REASONS if r != "no_answer"]),
    default=None,
    help="Motif du refus.",
)
@click.option("--note", default=None, help="Précision écrite (obligatoire pour « other »).")
@click.option(
    "--channel",
    type=click.Choice(list(ANSWER_CHANNELS)),
    default=None,
    help=(
        "Comment la réponse est parvenue, obligatoire quand un agent du bailleur du ménage ou du territoire"
        " l'enregistre pour lui : desk (au guichet), phone (par téléphone), mail (par courrier)."
    ),
)
@_AS
@_DATE
def answer(
    move_id: int,
    accept: bool,
    reason: str | None,
    note: str | None,
    channel: str | None,
    login: str,
    when: datetime | None,
) -> None:
    """Enregistre la réponse d'un ménage à un mouvement proposé (par le ménage, ou pour lui)."""
    from exchange import workflow

    try:
        with _writing() as session:
            move = workflow.get_move(session, move_id)
            workflow.answer_move(
                session,
                move,
                _user(session, login),
                accepted=accept,
                reason=reason,
                note=note,
                channel=channel,
                now=_now(when),
            )
            status = move.proposal.status
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"mouvement {move_id} : {'accepté' if accept else 'refusé'} ; proposition : {_status(status)}")


@click.command("withdraw")
@click.argument("move_id", metavar="MOUVEMENT", type=int)
@click.option(
    "--reason",
    type=click.Choice([r for r in REFUSAL_REASONS if r != "no_answer"]),
    required=True,
    help="Motif du désistement.",
)
@click.option("--note", default=None, help="Précision écrite (obligatoire pour « other »).")
@click.option(
    "--channel",
    type=click.Choice(list(ANSWER_CHANNELS)),
    default=None,
    help=(
        "Comment le désistement est parvenu, obligatoire quand un agent du bailleur du ménage ou du"
        " territoire l'enregistre pour lui : desk (au guichet), phone (par téléphone), mail (par courrier)."
    ),
)
@_AS
@_DATE
def withdraw(
    move_id: int, reason: str, note: str | None, channel: str | None, login: str, when: datetime | None
) -> None:
    """Enregistre le désistement d'un ménage qui avait accepté (par le ménage, ou pour lui) : toute la
    proposition échoue."""
    from exchange import workflow

    try:
        with _writing() as session:
            move = workflow.get_move(session, move_id)
            workflow.withdraw_move(
                session,
                move,
                _user(session, login),
                reason=reason,
                note=note,
                channel=channel,
                now=_now(when),
            )
            status = move.proposal.status
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"mouvement {move_id} : désistement enregistré ; proposition : {_status(status)}")


@click.command("decide")
@click.argument("move_id", metavar="MOUVEMENT", type=int)
@click.option(
    "--kind", type=click.Choice(list(DECISION_KINDS)), required=True, help="Nature de la décision (R.441-3)."
)
@click.option("--reason", required=True, help="Motif de la décision.")
@click.option("--rank", type=int, default=None, help="Rang du candidat (attribution avec classement).")
@click.option(
    "--partner-alone/--among-candidates",
    default=None,
    help="Candidat présenté seul (faute d'autres candidats) ou examiné parmi d'autres candidats.",
)
@click.option("--condition", default=None, help="Pièce ou condition attendue (condition suspensive).")
@click.option(
    "--condition-due",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date limite de la condition suspensive.",
)
@_AS
@_DATE
def decide(
    move_id: int,
    kind: str,
    reason: str,
    rank: int | None,
    partner_alone: bool | None,
    condition: str | None,
    condition_due: datetime | None,
    login: str,
    when: datetime | None,
) -> None:
    """Enregistre la décision de la CALEOL sur un mouvement."""
    from exchange import workflow

    try:
        with _writing() as session:
            move = workflow.get_move(session, move_id)
            workflow.decide_move(
                session,
                move,
                _user(session, login),
                kind=kind,
                reason=reason,
                rank=rank,
                partner_alone=partner_alone,
                condition=condition,
                condition_due=condition_due.date() if condition_due else None,
                now=_now(when),
            )
            status = move.proposal.status
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    label = glossary.DECISION_KINDS.get(kind, kind)
    click.echo(f"mouvement {move_id} : décision « {label} » enregistrée ; proposition : {_status(status)}")


@click.command("lift-condition")
@click.argument("move_id", metavar="MOUVEMENT", type=int)
@_AS
@_DATE
def lift_condition(move_id: int, login: str, when: datetime | None) -> None:
    """Lève la condition suspensive d'un mouvement (pièce reçue à temps)."""
    from exchange import workflow

    try:
        with _writing() as session:
            move = workflow.get_move(session, move_id)
            workflow.lift_condition(session, move, _user(session, login), now=_now(when))
            status = move.proposal.status
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"mouvement {move_id} : condition levée ; proposition : {_status(status)}")


@click.command("complete")
@click.argument("proposal_id", metavar="PROPOSITION", type=int)
@_AS
@_DATE
def complete(proposal_id: int, login: str, when: datetime | None) -> None:
    """Enregistre que les déménagements d'une proposition confirmée ont eu lieu."""
    from exchange import workflow
    from exchange.errors import NotFound
    from exchange.models.workflow import Proposal

    try:
        with _writing() as session:
            proposal = session.get(Proposal, proposal_id)
            if proposal is None:
                raise NotFound(f"proposition inconnue : {proposal_id}")
            workflow.complete_proposal(session, proposal, _user(session, login), now=_now(when))
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"proposition {proposal_id} : déménagements effectués")


@click.command("reopen-request")
@click.argument("territory", metavar="TERRITOIRE")
@click.argument("household", metavar="MÉNAGE")
@_AS
@_DATE
def reopen_request(territory: str, household: str, login: str, when: datetime | None) -> None:
    """Rouvre la demande d'un ménage mise en pause (rejet pour irrecevabilité, propositions sans réponse)."""
    from sqlalchemy import select

    from exchange import workflow
    from exchange.errors import NotFound
    from exchange.models import Household, Territory

    try:
        with _writing() as session:
            household_id = session.scalar(
                select(Household.id)
                .join(Territory, Territory.id == Household.territory_id)
                .where(Territory.code == territory, Household.ref == household)
            )
            if household_id is None:
                raise NotFound(f"ménage inconnu : {household} (territoire {territory})")
            workflow.reopen_request(session, household_id, _user(session, login), now=_now(when))
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"ménage {household} : demande rouverte ; elle entrera dans le prochain calcul")


def _decision_days(values: tuple[str, ...]) -> dict[str, int | None]:
    parsed: dict[str, int | None] = {}
    for value in values:
        landlord, sep, days = value.partition("=")
        if not sep or not landlord.strip():
            raise click.BadParameter(f"attendu BAILLEUR=JOURS ou BAILLEUR=mois, reçu {value!r}")
        if days.strip().lower() == "mois":
            parsed[landlord.strip()] = None
        elif days.strip().isdigit():
            parsed[landlord.strip()] = int(days)
        else:
            raise click.BadParameter(
                f"nombre de jours ou « mois » attendu pour {landlord.strip()}, reçu {days!r}"
            )
    return parsed


@click.command("delays")
@click.argument("territory", metavar="TERRITOIRE")
@click.option(
    "--answer-days", type=int, default=None, help="Délai de réponse des ménages, en jours (10 au moins)."
)
@click.option(
    "--move-notice-days",
    type=int,
    default=None,
    help="Jours entre la confirmation et la date du déménagement.",
)
@click.option(
    "--decision-days",
    "decision_days",
    multiple=True,
    metavar="BAILLEUR=JOURS",
    help="Délai de décision de la CALEOL d'un bailleur (JOURS, ou « mois » pour un mois) ; répétable.",
)
@click.option(
    "--pause-after",
    "pause_after",
    type=int,
    default=None,
    metavar="N",
    help="Propositions laissées sans réponse d'affilée avant la mise en pause d'une demande (0 : jamais).",
)
@click.option(
    "--calendar",
    type=click.Choice(CALENDARS),
    default=None,
    help="Jours fériés sautés par les échéances : metropole, 57 (Alsace-Moselle) ou un DOM.",
)
@click.option(
    "--blocked-after-runs",
    type=int,
    default=None,
    metavar="N",
    help="Appariements d'affilée sans proposition après lesquels une demande est bloquée.",
)
@click.option(
    "--blocked-after-days",
    type=int,
    default=None,
    metavar="JOURS",
    help="Jours d'attente sans proposition après lesquels une demande est bloquée.",
)
@click.option(
    "--reminder-days",
    type=int,
    default=None,
    metavar="JOURS",
    help="Rappel par courriel JOURS jours avant l'échéance aux ménages sans réponse (0 : jamais).",
)
def delays(
    territory: str,
    answer_days: int | None,
    move_notice_days: int | None,
    decision_days: tuple[str, ...],
    pause_after: int | None,
    calendar: str | None,
    blocked_after_runs: int | None,
    blocked_after_days: int | None,
    reminder_days: int | None,
) -> None:
    """Affiche (et modifie) les délais du suivi des propositions d'un territoire."""
    from exchange import settings

    try:
        with _writing() as session:
            changes = (
                answer_days,
                move_notice_days,
                pause_after,
                calendar,
                blocked_after_runs,
                blocked_after_days,
                reminder_days,
            )
            if not decision_days and all(value is None for value in changes):
                current = settings.get_delays(session, territory)
            else:
                current = settings.set_delays(
                    session,
                    territory,
                    answer_days=answer_days,
                    move_notice_days=move_notice_days,
                    decision_days=_decision_days(decision_days),
                    pause_after_silences=pause_after,
                    calendar=calendar,
                    blocked_after_runs=blocked_after_runs,
                    blocked_after_days=blocked_after_days,
                    reminder_days=reminder_days,
                )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Délais du territoire {territory} :")
    click.echo(f"  réponse des ménages : {current.answer_days} jours (le silence vaut refus)")
    click.echo(f"  préavis avant le déménagement : {current.move_notice_days} jours")
    for landlord, days in current.decision_days.items():
        click.echo(f"  décision de la CALEOL {landlord} : {'un mois' if days is None else f'{days} jours'}")
    lapses = current.pause_after_silences
    click.echo(
        "  mise en pause d'une demande : "
        + ("jamais" if lapses == 0 else f"après {lapses} proposition{'s' if lapses > 1 else ''} sans réponse")
    )
    click.echo(f"  jours fériés : {glossary.CALENDARS[current.calendar]}")
    click.echo(
        "  demande bloquée : après "
        + wording.count(current.blocked_after_runs, "appariement", "appariements")
        + " d'affilée sans proposition"
        f" ou {current.blocked_after_days} jours d'attente"
    )
    lead = current.reminder_days
    click.echo("  rappel par courriel : " + ("jamais" if lead == 0 else f"{lead} jours avant l'échéance"))


@click.command("run-settings")
@click.argument("territory", metavar="TERRITOIRE")
@click.option(
    "--objective",
    type=click.Choice(["points", "expected"]),
    default=None,
    help="Ce que maximisent les appariements : points des propositions, ou espérance des points "
    "des mouvements menés à bien (expected).",
)
@click.option(
    "--repair/--no-repair",
    default=None,
    help="Réparer aussitôt une proposition qui échoue (refus, silence, retrait, refus de CALEOL).",
)
@click.option(
    "--priority-floor",
    type=click.IntRange(0, 100),
    default=None,
    metavar="POURCENT",
    help="Objectif expected : part des points d'un mouvement de ménage prioritaire (DALO, handicap) "
    "comptée quelle que soit sa chance estimée (0 à 100 ; 100 par défaut, 0 : aucun plancher).",
)
def run_settings(
    territory: str, objective: str | None, repair: bool | None, priority_floor: int | None
) -> None:
    """Affiche (et modifie) l'objectif des appariements d'un territoire et la réparation des échecs."""
    from exchange import settings

    try:
        with _writing() as session:
            if objective is None and repair is None and priority_floor is None:
                current = settings.run_settings(session, territory)
            else:
                current = settings.update_run_settings(
                    session, territory, objective=objective, repair=repair, priority_floor_pct=priority_floor
                )
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Appariements du territoire {territory} :")
    objective_label = glossary.OBJECTIVES[current.objective]
    click.echo(f"  {glossary.RUN_SETTINGS['objective']} : {objective_label} ({current.objective})")
    click.echo(f"  {glossary.RUN_SETTINGS['repair']} : {'oui' if current.repair else 'non'}")
    click.echo(f"  {glossary.RUN_SETTINGS['priority_floor_pct']} : {current.priority_floor_pct} %")


def _status(status: str) -> str:
    """A proposal's status as the portal shows it, with its code (« abandonnée (failed) »)."""
    label = glossary.PROPOSAL_STATUSES.get(status)
    return f"{label} ({status})" if label else status


@click.command("reminders")
@click.argument("territory", metavar="TERRITOIRE")
@click.option(
    "--within",
    type=click.IntRange(min=0),
    default=None,
    metavar="JOURS",
    help="Seulement les échéances à au plus JOURS jours (toutes par défaut).",
)
@click.option(
    "--as-of",
    "when",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date de référence (AAAA-MM-JJ) ; aujourd'hui par défaut.",
)
def reminders(territory: str, within: int | None, when: datetime | None) -> None:
    """Ménages qui n'ont pas encore répondu à une proposition, par bailleur : à relancer avant l'échéance."""
    from exchange.portal import followup

    day = _day(when)
    try:
        with _session() as session:
            awaited = followup.awaited_answers(session, territory, within=within, today=day)
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    if not awaited:
        click.echo(f"Aucune réponse attendue dans le territoire {territory}.")
        return
    click.echo(
        f"Réponses attendues dans le territoire {territory} au {wording.long_date(day)} : {len(awaited)}"
    )
    for landlord in sorted({a.landlord for a in awaited}):
        click.echo(f"  {landlord} :")
        for a in (a for a in awaited if a.landlord == landlord):
            left = followup.days_left_label(a.days_left)
            record = f" ; {a.reply_label}" if a.reply_label else " ; première proposition"
            click.echo(
                f"    ménage {a.household_ref}, proposition {a.proposal_id} : "
                f"avant le {wording.long_date(a.deadline)} à minuit ({left}){record}"
            )
