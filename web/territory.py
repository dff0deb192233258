"""Territory space (espace territoire) under ``/territoire/``: import, policy, runs, statistics."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from exchange import glossary, portal
from exchange import runs as run_jobs
from exchange.csv_import import CsvFile
from exchange.errors import ExchangeError, InvalidInput, InvalidTerritory, NotFound
from exchange.interchange import parse_document
from exchange.schemas import load_or_raise
from exchange.schemas.contracts import StatsQuery
from exchange.settings import InvalidPolicy
from web import background
from web.db import get_session, write_and_flash
from web.forms import (
    ConfirmForm,
    CsvImportForm,
    ImportForm,
    MoveDateForm,
    RunForm,
    RunSettingsForm,
    policy_form_class,
    year_form_class,
)
from web.limits import large_body
from web.security import role_required
from web.writes import own_write_lock

bp = Blueprint("territory", __name__, url_prefix="/territoire")

POLICY_GROUPS = [
    (
        "Besoins du ménage (chambres et pièces)",
        ["adult_age", "minors_per_bedroom", "rooms_single_or_couple", "living_rooms"],
    ),
    (
        "Surface minimale (décence)",
        ["surface_single_m2", "surface_couple_m2", "surface_per_extra_person_m2", "surface_cap_m2"],
    ),
    ("Critères", ["under_occupation_extra_rooms", "job_distance_km"]),
    ("Mouvements autorisés", ["max_extra_rooms"]),
    (
        "Points",
        [
            "points_move",
            "points_autonomy",
            "points_overcrowding",
            "points_under_occupation",
            "points_job_distance",
            "points_handicap",
            "points_violence",
            "points_unfit_housing",
            "points_dalo",
            "points_per_month",
            "seniority_cap_months",
        ],
    ),
    ("Mixité sociale (L.441-1 CCH)", ["points_mixity_out_of_qpv", "points_mixity_into_qpv"]),
    ("Forme des propositions", ["max_cycle", "max_chain"]),
]


@bp.get("/")
@role_required("admin")
def home() -> Any:
    """Key figures of the territory."""
    session = get_session()
    latest = run_jobs.list_jobs(session, current_user.account.territory_id, limit=1)
    return render_template(
        "territory/home.html",
        title="Territoire",
        info=portal.territory_overview(session, current_user.account),
        running=next((job for job in latest if job.status == "running"), None),
    )


@bp.route("/import", methods=["GET", "POST"])
@large_body
@role_required("admin")
def import_file() -> Any:
    """Import a territory document: validated whole, written in one transaction or not at all."""
    form = ImportForm()
    problems: list[tuple[str, str]] = []
    status = 200
    if form.validate_on_submit():
        session = get_session()
        try:
            document = parse_document(form.document.data.read())
            summary = portal.import_territory_document(session, current_user.account, document)
        except InvalidTerritory as exc:
            session.rollback()
            problems = [(path, msg) for path in sorted(exc.messages) for msg in exc.messages[path]]
            status = 422
        except ExchangeError as exc:
            session.rollback()
            problems = [("(document)", str(exc))]
            status = 422
        else:
            session.commit()
            flash(f"Import réussi : {summary}.", "success")
            return redirect(url_for("territory.home"))
    return _import_page(form, CsvImportForm(), problems, [], status)


def _import_page(form: Any, csv_form: Any, problems: Any, csv_problems: Any, status: int) -> Any:
    return render_template(
        "territory/import.html",
        title="Import",
        form=form,
        problems=problems,
        csv_form=csv_form,
        csv_problems=csv_problems,
    ), status


def _csv_file(upload: Any) -> CsvFile | None:
    """An uploaded file (or None when the field was left empty)."""
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return CsvFile(upload.filename, upload.read())


@bp.post("/import/csv")
@large_body
@role_required("admin")
def import_csv_files() -> Any:
    """Import CSV files (RPLS, demand register) through a mapping file: all or nothing, errors by line."""
    form = CsvImportForm()
    problems: list[tuple[str, str]] = []
    if form.validate_on_submit():
        dwellings, households, requests = (
            _csv_file(form[n].data) for n in ("dwellings", "households", "requests")
        )
        mapping = _csv_file(form.mapping.data)
        if mapping is None or not (dwellings or households or requests):
            form.dwellings.errors = [*form.dwellings.errors, "Choisissez au moins un fichier CSV."]
        else:
            session = get_session()
            try:
                summary = portal.import_territory_csv(
                    session,
                    current_user.account,
                    mapping,
                    dwellings=dwellings,
                    households=households,
                    requests=requests,
                )
            except InvalidTerritory as exc:
                session.rollback()
                problems = [(where, msg) for where, messages in exc.messages.items() for msg in messages]
            except ExchangeError as exc:
                session.rollback()
                problems = [("(fichiers)", str(exc))]
            else:
                session.commit()
                flash(f"Import réussi : {summary}", "success")
                return redirect(url_for("territory.home"))
    return _import_page(ImportForm(), form, [], problems, 422)


@bp.get("/annee")
@role_required("admin")
def this_year() -> Any:
    """The settings of the year asked (``?annee=``), else of the current year."""
    asked = request.args.get("annee", "").strip()
    year = int(asked) if asked.isdigit() and 2000 <= int(asked) <= 2100 else date.today().year
    return redirect(url_for("territory.year_settings", year=year))


@bp.route("/annee/<int:year>", methods=["GET", "POST"])
@role_required("admin")
def year_settings(year: int) -> Any:
    """One year's settings for the bilan: the first-quartile threshold and each landlord's attributions."""
    if not 2000 <= year <= 2100:
        abort(404)
    session = get_session()
    current = portal.territory_year(session, current_user.account, year)
    landlords = list(current.attributions)
    names = {f"attributions_{i}": code for i, code in enumerate(landlords)}
    data = {"first_quartile_eur": current.first_quartile_eur}
    data.update({name: current.attributions[code] for name, code in names.items()})
    form = year_form_class(landlords)(data=data if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        threshold = form.first_quartile_eur.data
        entered = {code: form[name].data for name, code in names.items() if form[name].data is not None}
        try:
            portal.save_year_settings(
                session,
                current_user.account,
                year,
                first_quartile_eur=None if threshold is None else float(threshold),
                attributions=entered,
            )
        except InvalidInput as exc:
            session.rollback()
            _year_errors(form, names, exc.messages)
            status = 422
        else:
            session.commit()
            flash(f"Les réglages de {year} sont enregistrés.", "success")
            return redirect(url_for("territory.year_settings", year=year))
    elif request.method == "POST":
        status = 422
    return render_template(
        "territory/year.html", title=f"Réglages de l'année {year}", form=form, year=year, names=names
    ), status


def _year_errors(form: Any, names: dict[str, str], messages: dict[str, list[str]]) -> None:
    """Each refused value's message beside its field (a landlord's attributions: the field naming it)."""
    for key, texts in messages.items():
        for text in texts:
            target = "first_quartile_eur" if key == "first_quartile_eur" else None
            if key == "attributions":
                target = next(
                    (n for n, code in names.items() if f" {code}," in text or text.endswith(f" {code}")), None
                )
            if target is None:
                flash(glossary.heading(text), "error")
            else:
                form[target].errors = [*form[target].errors, glossary.heading(text) + "."]


@bp.route("/politique", methods=["GET", "POST"])
@role_required("admin")
def policy() -> Any:
    """Edit the thresholds and weights of the harmonised policy, validated by PolicyConfig itself."""
    session = get_session()
    current = portal.policy_settings(session, current_user.account)
    defaults = portal.policy_defaults()
    form_class = policy_form_class(defaults, portal.policy_bounds())
    form = form_class(data=current if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        values = {name: _plain(form[name].data) for name in defaults}
        try:
            portal.save_policy(session, current_user.account, values)
        except InvalidPolicy as exc:
            session.rollback()
            for name, messages in exc.messages.items():
                if name in defaults:
                    form[name].errors = [*form[name].errors, *(_beside_field(name, m) for m in messages)]
                else:
                    flash(f"Réglage refusé : {name} ({' '.join(messages)}).", "error")
            status = 422
        else:
            session.commit()
            flash("La politique du territoire est enregistrée.", "success")
            return redirect(url_for("territory.policy"))
    elif request.method == "POST":
        status = 422
    return _policy_page(form, RunSettingsForm(data=portal.run_choices(session, current_user.account)), status)


def _policy_page(form: Any, run_form: Any, status: int) -> Any:
    return render_template(
        "territory/policy.html",
        title="Politique harmonisée",
        form=form,
        run_form=run_form,
        groups=POLICY_GROUPS,
        defaults=portal.policy_defaults(),
    ), status


def _beside_field(name: str, message: str) -> str:
    """A setting's message beside its field, which shows its label and value: « Doit être … »."""
    text = message.removeprefix(f"{glossary.setting_label(name)} : ")
    text = re.sub(r" \(reçu : [^)]*\)$", "", text)
    return glossary.heading(text) + ("" if text.endswith(".") else ".")


@bp.route("/politique/appariements", methods=["POST"])
@role_required("admin")
def run_settings() -> Any:
    """Choose what the runs maximise (points or expected points) and whether failures are repaired."""
    session = get_session()
    run_form = RunSettingsForm()
    if run_form.validate_on_submit():
        portal.save_run_choices(
            session,
            current_user.account,
            objective=run_form.objective.data,
            repair=bool(run_form.repair.data),
            priority_floor_pct=run_form.priority_floor_pct.data,
        )
        session.commit()
        flash("Les réglages des appariements sont enregistrés.", "success")
        return redirect(url_for("territory.policy"))
    defaults = portal.policy_defaults()
    form = policy_form_class(defaults, portal.policy_bounds())(
        data=portal.policy_settings(session, current_user.account)
    )
    return _policy_page(form, run_form, 422)


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


@bp.route("/appariements", methods=["GET", "POST"])
@own_write_lock
@role_required("admin")
def runs() -> Any:
    """Start a matching run (solved in the background); list the latest jobs and past runs."""
    session = get_session()
    form = RunForm()
    status = 200
    if form.validate_on_submit():
        try:
            job_id = background.start_run(current_user.account, as_of=form.as_of.data or date.today())
        except ExchangeError as exc:
            session.rollback()
            flash(f"Appariement non lancé : {exc}.", "error")
            status = 409
        else:
            flash(
                "L'appariement est lancé : le calcul se poursuit en arrière-plan, vous pouvez quitter "
                "cette page.",
                "success",
            )
            return redirect(url_for("territory.job", job_id=job_id))
    elif request.method == "POST":
        status = 422
    jobs = run_jobs.list_jobs(session, current_user.account.territory_id)
    return render_template(
        "territory/runs.html",
        title="Appariements",
        form=form,
        jobs=jobs,
        running=next((j for j in jobs if j.status == "running"), None),
        runs=portal.list_runs(session, current_user.account),
    ), status


@bp.get("/appariements/lancements/<int:job_id>")
@role_required("admin")
def job(job_id: int) -> Any:
    """One run started from the portal: in progress, failed (with its reason), or its report once done."""
    try:
        view = run_jobs.get_job(get_session(), current_user.account.territory_id, job_id)
    except NotFound:
        abort(404)
    if view.status == "finished" and view.run_id is not None:
        return redirect(url_for("territory.run", run_id=view.run_id))
    return render_template("territory/job.html", title=f"Lancement n° {job_id}", job=view)


@bp.get("/appariements/<int:run_id>")
@role_required("admin")
def run(run_id: int) -> Any:
    """The report of one run."""
    try:
        report = portal.run_report(get_session(), current_user.account, run_id)
    except NotFound:
        abort(404)
    return render_template("territory/run.html", title=f"Appariement n° {run_id}", report=report)


def _year() -> tuple[int | None, list[str]]:
    """The ``year`` of the query (None: every year), with the French problems of a bad one."""
    raw = {key: value for key, value in request.args.items() if key == "year" and value != ""}
    try:
        return load_or_raise(StatsQuery(), raw, root="year")["year"], []
    except InvalidInput as exc:
        return None, [message for messages in exc.messages.values() for message in messages]


@bp.get("/statistiques")
@role_required("admin")
def stats() -> Any:
    """Figures for the housing conference, with charts; a bad year: every year, and why."""
    year, problems = _year()
    for problem in problems:
        flash(f"Année ignorée ({problem}) : toutes les années sont affichées.", "error")
    view = portal.stats_view(get_session(), current_user.account, year=year)
    return render_template(
        "territory/stats.html", title="Statistiques", year=year, years=view.years, sections=view.sections
    ), (400 if problems else 200)


@bp.get("/statistiques/<name>.svg")
@role_required("admin")
def chart(name: str) -> Any:
    """One chart of the statistics as SVG (drawn with matplotlib); an unknown chart or a bad year: 404."""
    year, problems = _year()
    if problems:
        abort(404)
    try:
        svg = portal.stats_chart(get_session(), current_user.account, name, year=year)
    except NotFound:
        abort(404)
    return Response(svg, mimetype="image/svg+xml")


@bp.get("/statistiques/bilan.<fmt>")
@role_required("admin")
def bilan_download(fmt: str) -> Any:
    """The territory's bilan for its housing conference (PDF, Excel or CSV); a bad year or format: 404."""
    year, problems = _year()
    if problems:
        abort(404)
    try:
        content, name, media = portal.bilan_file(
            get_session(), current_user.account, fmt, year=year, own_landlord=False
        )
    except NotFound:
        abort(404)
    return Response(
        content, mimetype=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/demenagements")
@role_required("admin")
def planned() -> Any:
    """Confirmed proposals of the territory: change the move date, record the moves once done."""
    items = portal.planned_moves(get_session(), current_user.account)
    return render_template(
        "territory/planned.html", title="Déménagements programmés", items=items, form=ConfirmForm()
    )


def _follow(action: Any, done: str) -> Any:
    """Run one follow-up action on a planned move, then come back to the list with a French message."""
    write_and_flash(action, done)
    return redirect(url_for("territory.planned"))


@bp.post("/demenagements/<int:proposal_id>/date")
@role_required("admin")
def move_date(proposal_id: int) -> Any:
    """Change the common move date of a confirmed proposal."""
    form = MoveDateForm()
    if not form.validate_on_submit():
        for message in form.move_date.errors:
            flash(str(message), "error")
        return redirect(url_for("territory.planned"))
    return _follow(
        lambda session: portal.set_move_date(session, current_user.account, proposal_id, form.move_date.data),
        f"La date du déménagement de la proposition n° {proposal_id} est enregistrée.",
    )


@bp.post("/demenagements/<int:proposal_id>/effectue")
@role_required("admin")
def complete(proposal_id: int) -> Any:
    """Record that the moves of a confirmed proposal took place: each household now lives in its new home."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _follow(
        lambda session: portal.record_completion(session, current_user.account, proposal_id),
        f"Les déménagements de la proposition n° {proposal_id} sont enregistrés.",
    )
