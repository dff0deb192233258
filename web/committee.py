"""CALEOL space (espace CALEOL) under ``/caleol/``: moves into the staff's landlord's dwellings."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from exchange import portal
from exchange.bilan_tables import Table, cell
from exchange.errors import ExchangeError, InvalidInput, NotFound
from web.db import get_session, write_and_flash
from web.forms import (
    ConfirmForm,
    CorrectionForm,
    DecisionForm,
    MinutesForm,
    MoveDateForm,
    attach_errors,
    choices,
)
from web.security import role_required

bp = Blueprint("committee", __name__, url_prefix="/caleol")

AWAITED_PER_PAGE = 10  # the awaited answers stay below the moves to decide, one short page at a time


@bp.get("/")
@role_required("staff")
def queue() -> Any:
    """Moves into this landlord's dwellings awaiting a decision, overdue first."""
    session, account = get_session(), current_user.account
    items = portal.committee_queue(session, account)
    awaited = portal.awaited_answers(session, account.territory_code, landlord_id=account.landlord_id)
    pages = max(1, -(-len(awaited) // AWAITED_PER_PAGE))
    page = min(max(1, request.args.get("reponses", 1, type=int) or 1), pages)
    shown = awaited[(page - 1) * AWAITED_PER_PAGE : page * AWAITED_PER_PAGE]
    letters_run, letters_count = portal.letters_due(session, account)
    return render_template(
        "committee/queue.html",
        title="Mouvements à décider",
        items=items,
        awaited=shown,
        awaited_total=len(awaited),
        awaited_page=page,
        awaited_pages=pages,
        letters_run=letters_run,
        letters_count=letters_count,
        letter_form=ConfirmForm(),
    )


@bp.route("/mouvements/<int:move_id>", methods=["GET", "POST"])
@role_required("staff")
def dossier(move_id: int) -> Any:
    """The dossier of one move and the decision form (R.441-3 CCH)."""
    session = get_session()
    try:
        dossier = portal.move_dossier(session, current_user.account, move_id)
    except NotFound:
        abort(404)
    form = DecisionForm()
    form.kind.choices = choices(portal.decision_kinds())
    followup = portal.move_followup(session, current_user.account, move_id)
    extra = {
        "followup": followup,
        "lift_form": ConfirmForm(),
        "date_form": MoveDateForm(formdata=None, data={"move_date": followup.move_date}),
        "correction_form": _correction_form(),
    }
    if request.method == "POST":
        if not dossier.can_decide:
            flash("Ce mouvement ne peut plus être décidé.", "error")
            return redirect(url_for("committee.dossier", move_id=move_id))
        if form.validate():
            try:
                portal.record_decision(session, current_user.account, move_id, **_decision_fields(form))
            except InvalidInput as exc:
                session.rollback()
                for message in attach_errors(form, exc.messages):
                    flash(message, "error")
                return render_template(
                    "committee/dossier.html",
                    title="Dossier du mouvement",
                    dossier=dossier,
                    form=form,
                    **extra,
                ), 422
            except ExchangeError as exc:
                session.rollback()
                flash(str(exc), "error")
            else:
                session.commit()
                flash("La décision de la CALEOL est enregistrée.", "success")
            return redirect(url_for("committee.dossier", move_id=move_id))
        return render_template(
            "committee/dossier.html", title="Dossier du mouvement", dossier=dossier, form=form, **extra
        ), 422
    return render_template(
        "committee/dossier.html", title="Dossier du mouvement", dossier=dossier, form=form, **extra
    )


@bp.post("/mouvements/<int:move_id>/correction")
@role_required("staff")
def correct(move_id: int) -> Any:
    """Correct the CALEOL's decision on this move while its proposal still waits for decisions."""
    session = get_session()
    try:
        dossier = portal.move_dossier(session, current_user.account, move_id)
    except NotFound:
        abort(404)
    if not dossier.can_correct:
        flash(
            "Cette décision ne peut plus être corrigée : la proposition n'attend plus de décision.", "error"
        )
        return redirect(url_for("committee.dossier", move_id=move_id))
    form = _correction_form()
    if form.validate_on_submit():
        try:
            portal.correct_decision(
                session,
                current_user.account,
                move_id,
                correction=(form.correction.data or "").strip(),
                **_decision_fields(form),
            )
        except InvalidInput as exc:
            session.rollback()
            for message in attach_errors(form, exc.messages):
                flash(message, "error")
        except ExchangeError as exc:
            session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("committee.dossier", move_id=move_id))
        else:
            session.commit()
            flash("La décision est corrigée ; la correction et son motif sont enregistrés.", "success")
            return redirect(url_for("committee.dossier", move_id=move_id))
    return _dossier_page(session, dossier, DecisionForm(formdata=None), correction_form=form), 422


def _decision_fields(form: Any) -> dict[str, Any]:
    """A decision form's R.441-3 fields as the decision services take them (texts trimmed)."""
    return {
        "kind": form.kind.data or "",
        "reason": (form.reason.data or "").strip(),
        "rank": form.rank.data,
        "condition": (form.condition.data or "").strip() or None,
        "condition_due": form.condition_due.data,
    }


def _correction_form() -> CorrectionForm:
    form = CorrectionForm(prefix="correction")
    form.kind.choices = choices(portal.decision_kinds())
    return form


def _dossier_page(
    session: Any, dossier: Any, form: DecisionForm, *, correction_form: CorrectionForm | None = None
) -> str:
    followup = portal.move_followup(session, current_user.account, dossier.move_id)
    if not form.kind.choices:
        form.kind.choices = choices(portal.decision_kinds())
    return render_template(
        "committee/dossier.html",
        title="Dossier du mouvement",
        dossier=dossier,
        form=form,
        correction_form=correction_form or _correction_form(),
        followup=followup,
        lift_form=ConfirmForm(),
        date_form=MoveDateForm(formdata=None, data={"move_date": followup.move_date}),
    )


@bp.get("/proces-verbal")
@role_required("staff")
def minutes() -> Any:
    """Printable minutes (procès-verbal) of the decisions taken between two dates."""
    form = MinutesForm(request.args)
    today = date.today()
    start = form.start.data if form.validate() and form.start.data else today - timedelta(days=30)
    end = form.end.data if form.end.data else today
    if end < start:
        start, end = end, start
    form.start.data, form.end.data = start, end
    record = portal.session_minutes(get_session(), current_user.account, start, end)
    return render_template(
        "committee/minutes.html", title="Procès-verbal de CALEOL", form=form, record=record, today=today
    )


def _follow(move_id: int, action: Any, done: str) -> Any:
    """Run one follow-up action of the dossier, then come back to it with a French message."""
    write_and_flash(action, done)
    return redirect(url_for("committee.dossier", move_id=move_id))


@bp.post("/mouvements/<int:move_id>/condition")
@role_required("staff")
def lift_condition(move_id: int) -> Any:
    """Record that the suspensive condition of the CALEOL's decision is met."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _follow(
        move_id,
        lambda session: portal.lift_condition(session, current_user.account, move_id),
        "La condition suspensive est levée : le logement est attribué.",
    )


@bp.post("/mouvements/<int:move_id>/date")
@role_required("staff")
def move_date(move_id: int) -> Any:
    """Change the common move date of the confirmed proposal of this move."""
    form = MoveDateForm()
    if not form.validate_on_submit():
        try:
            portal.move_followup(get_session(), current_user.account, move_id)
        except NotFound:
            abort(404)
        for message in form.move_date.errors:
            flash(str(message), "error")
        return redirect(url_for("committee.dossier", move_id=move_id))

    def action(session: Any) -> None:
        proposal_id = portal.move_dossier(session, current_user.account, move_id).proposal_id
        portal.set_move_date(session, current_user.account, proposal_id, form.move_date.data)

    return _follow(move_id, action, "La date du déménagement est enregistrée.")


@bp.get("/bilan")
@role_required("staff")
def bilan() -> Any:
    """The landlord's own figures of the year (aggregates only, small counts masked)."""
    year = _bilan_year()
    tables = [
        Table(t.title, t.header, tuple((row[0], *(cell(v) for v in row[1:])) for row in t.rows))
        for t in portal.landlord_bilan(get_session(), current_user.account, year=year)
    ]
    return render_template(
        "committee/bilan.html",
        title="Bilan du bailleur",
        tables=tables,
        year=year,
        landlord=current_user.account.landlord_code,
    )


@bp.get("/bilan.<fmt>")
@role_required("staff")
def bilan_download(fmt: str) -> Any:
    """The landlord's own bilan as PDF, Excel or CSV; an unknown format: 404."""
    try:
        content, name, media = portal.bilan_file(
            get_session(), current_user.account, fmt, year=_bilan_year(), own_landlord=True
        )
    except NotFound:
        abort(404)
    return Response(
        content, mimetype=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _bilan_year() -> int | None:
    raw = request.args.get("annee", "")
    if not raw:
        return None
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        abort(404)
    return int(raw)


@bp.get("/demenagements")
@role_required("staff")
def planned() -> Any:
    """Confirmed proposals with a move into this landlord's dwellings, by move date."""
    items = portal.planned_moves(get_session(), current_user.account)
    return render_template("committee/planned.html", title="Déménagements programmés", items=items)


@bp.get("/demandes-en-pause")
@role_required("staff")
def paused_requests() -> Any:
    """Paused requests of this landlord's tenants, each with a button to reopen it after review."""
    items = portal.paused_requests(get_session(), current_user.account)
    return render_template(
        "committee/paused.html", title="Demandes en pause", items=items, form=ConfirmForm()
    )


@bp.post("/demandes/<int:request_id>/rouvrir")
@role_required("staff")
def reopen_request(request_id: int) -> Any:
    """Reopen one paused request (the landlord reviewed it); it enters the next run."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    write_and_flash(
        lambda session: portal.reopen_request(session, current_user.account, request_id),
        "La demande est rouverte : elle participera au prochain appariement.",
    )
    return redirect(url_for("committee.paused_requests"))
