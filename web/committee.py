"""CALEOL space (espace CALEOL) under ``/caleol/``: moves into the staff's landlord's dwellings."""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from exchange import glossary, portal
from exchange.bilan_tables import Table, cell
from exchange.errors import ExchangeError, InvalidInput, NotFound
from web.db import get_session, write_and_flash, write_form
from web.filing_forms import StaffAnswerForm, StaffRequestForm, StaffWithdrawForm
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


@bp.get("/locataires")
@role_required("staff")
def tenants() -> Any:
    """This landlord's tenants and their requests: staff may file or edit one for a household, and print
    the paper letter of a proposal awaiting its answer."""
    items = portal.landlord_tenants(get_session(), current_user.account)
    return render_template(
        "committee/tenants.html", title="Mes locataires", items=items, letter_form=ConfirmForm()
    )


def _portal_url() -> str:
    """The portal's public address for the letters: ``EXCHANGE_PORTAL_URL``, else this request's."""
    return os.environ.get("EXCHANGE_PORTAL_URL", "").strip() or request.url_root


def _pdf(content: bytes, name: str) -> Response:
    return Response(
        content,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def _refusal(exc: ExchangeError) -> None:
    if isinstance(exc, InvalidInput):
        for message in (m for texts in exc.messages.values() for m in texts):
            flash(glossary.heading(message) + ".", "error")
    else:
        flash(glossary.heading(str(exc)) + ".", "error")


@bp.post("/locataires/<int:household_id>/propositions/<int:proposal_id>/courrier")
@role_required("staff")
def tenant_letter(household_id: int, proposal_id: int) -> Any:
    """The paper letter (PDF) of a proposal awaiting the answer of one of this landlord's tenants; the
    printing is recorded. Another landlord's tenant: 404."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session = get_session()
    try:
        content, name = portal.tenant_letter(
            session, current_user.account, household_id, proposal_id, portal_url=_portal_url()
        )
    except NotFound:
        session.rollback()
        abort(404)
    except ExchangeError as exc:
        session.rollback()
        _refusal(exc)
        return redirect(url_for("committee.tenants"))
    session.commit()
    return _pdf(content, name)


@bp.post("/courriers")
@role_required("staff")
def letters() -> Any:
    """The letters of the latest run (the one the queue page counted) for this landlord's tenants that
    no e-mail reaches, in one PDF; each printing is recorded."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session, account = get_session(), current_user.account
    run_id = request.form.get("run", type=int)
    try:
        batch = portal.landlord_letters(
            session,
            account.landlord_code,
            territory_code=account.territory_code,
            run_id=run_id,
            actor=portal.user_row(session, account),
            portal_url=_portal_url(),
        )
    except NotFound:
        session.rollback()
        abort(404)
    except ExchangeError as exc:
        session.rollback()
        _refusal(exc)
        return redirect(url_for("committee.queue"))
    if batch.content is None:
        session.rollback()
        flash("Aucun courrier à imprimer : chaque ménage en attente de réponse reçoit ses courriels.", "info")
        return redirect(url_for("committee.queue"))
    session.commit()
    return _pdf(batch.content, f"courriers-{batch.landlord}-appariement-{batch.run_id}.pdf")


@bp.route("/locataires/<int:household_id>/propositions/<int:proposal_id>/reponse", methods=["GET", "POST"])
@role_required("staff")
def tenant_answer(household_id: int, proposal_id: int) -> Any:
    """Record the answer one of this landlord's tenants gave at the agency, by phone or by letter; a
    refusal is confirmed first. Another landlord's tenant, or a proposal not made to it: 404."""
    session, account = get_session(), current_user.account
    try:
        ref, detail = portal.tenant_answer_proposal(session, account, household_id, proposal_id)
    except NotFound:
        abort(404)
    form = StaffAnswerForm()
    form.reason.choices = choices([("", "— choisir un motif —"), *portal.refusal_reasons()])
    if form.validate_on_submit():
        accepted = form.answer.data == "accept"
        if not accepted and form.confirmed.data != "1":
            return _answer_page(household_id, ref, detail, form, confirming=True)
        saved, _ = write_form(
            form,
            lambda s: portal.record_tenant_answer(
                s,
                account,
                household_id,
                proposal_id,
                accepted=accepted,
                reason=form.reason.data or None,
                comment=(form.comment.data or "").strip() or None,
                channel=form.channel.data,
            ),
        )
        if saved:
            how = glossary.ANSWER_CHANNELS[form.channel.data]
            flash(
                f"La réponse du ménage {ref} est enregistrée ({how}) : il "
                + ("accepte" if accepted else "refuse")
                + f" la proposition n° {proposal_id}.",
                "success",
            )
            return redirect(url_for("committee.tenants"))
        ref, detail = portal.tenant_answer_proposal(session, account, household_id, proposal_id)
    return _answer_page(household_id, ref, detail, form)


def _answer_page(
    household_id: int,
    ref: str,
    detail: portal.ProposalDetail,
    form: StaffAnswerForm,
    *,
    confirming: bool = False,
) -> Any:
    title = f"Confirmer le refus du ménage {ref}" if confirming else f"Enregistrer la réponse du ménage {ref}"
    return render_template(
        "committee/tenant_answer.html",
        title=title,
        household_id=household_id,
        ref=ref,
        detail=detail,
        form=form,
        confirming=confirming,
        channels=glossary.ANSWER_CHANNELS,
    )


@bp.route(
    "/locataires/<int:household_id>/propositions/<int:proposal_id>/desistement", methods=["GET", "POST"]
)
@role_required("staff")
def tenant_withdrawal(household_id: int, proposal_id: int) -> Any:
    """Record the withdrawal one of this landlord's tenants gave at the agency, by phone or by letter, from
    a proposal it accepted; confirmed first (the whole proposal fails). Another landlord's tenant, or a
    proposal not made to it: 404."""
    session, account = get_session(), current_user.account
    try:
        ref, detail = portal.tenant_answer_proposal(session, account, household_id, proposal_id)
    except NotFound:
        abort(404)
    form = StaffWithdrawForm()
    form.reason.choices = choices([("", "— choisir un motif —"), *portal.refusal_reasons()])
    if request.method == "POST" and not detail.can_withdraw:
        flash(f"Le ménage {ref} ne peut plus se désister de cette proposition.", "error")
    elif form.validate_on_submit():
        if form.confirmed.data != "1":
            return _withdrawal_page(household_id, ref, detail, form, confirming=True)
        saved, _ = write_form(
            form,
            lambda s: portal.record_tenant_withdrawal(
                s,
                account,
                household_id,
                proposal_id,
                reason=form.reason.data,
                comment=(form.comment.data or "").strip() or None,
                channel=form.channel.data,
            ),
        )
        if saved:
            how = glossary.ANSWER_CHANNELS[form.channel.data]
            flash(
                f"Le retrait du ménage {ref} est enregistré ({how}) : la proposition n° {proposal_id} est "
                "abandonnée pour tous ses ménages.",
                "success",
            )
            return redirect(url_for("committee.tenants"))
        ref, detail = portal.tenant_answer_proposal(session, account, household_id, proposal_id)
    return _withdrawal_page(household_id, ref, detail, form)


def _withdrawal_page(
    household_id: int,
    ref: str,
    detail: portal.ProposalDetail,
    form: StaffWithdrawForm,
    *,
    confirming: bool = False,
) -> Any:
    title = f"{'Confirmer' if confirming else 'Enregistrer'} le retrait du ménage {ref}"
    return render_template(
        "committee/tenant_withdrawal.html",
        title=title,
        household_id=household_id,
        ref=ref,
        detail=detail,
        form=form,
        confirming=confirming,
        channels=glossary.ANSWER_CHANNELS,
    )


@bp.route("/locataires/<int:household_id>/demande", methods=["GET", "POST"])
@role_required("staff")
def tenant_request(household_id: int) -> Any:
    """File or edit the request of one of this landlord's tenants, with the household's consent."""
    session, account = get_session(), current_user.account
    try:
        ref, req = portal.tenant_request(session, account, household_id)
    except NotFound:
        abort(404)
    form = StaffRequestForm(data=_wishes_data(req) if request.method == "GET" else None)
    form.communes.choices = choices((c, c) for c in portal.territory_communes(session, account.territory_id))
    if form.validate_on_submit():
        wishes = portal.Wishes(
            communes=tuple(form.communes.data or ()),
            min_rooms=form.min_rooms.data,
            max_rooms=form.max_rooms.data,
            max_cost=float(form.max_cost.data or 0),
            accept_qpv=bool(form.accept_qpv.data),
        )
        consent = bool(form.consent.data)
        saved, created = write_form(
            form, lambda s: portal.file_for_tenant(s, account, household_id, wishes, consent=consent)
        )
        if saved:
            flash(
                f"La demande du ménage {ref} a été " + ("déposée." if created else "mise à jour."), "success"
            )
            return redirect(url_for("committee.tenants"))
    return render_template(
        "committee/tenant_request.html", title=f"Demande du ménage {ref}", form=form, ref=ref, req=req
    )


def _wishes_data(req: portal.RequestView | None) -> dict[str, Any]:
    if req is None:
        return {"accept_qpv": True}
    return {
        "communes": list(req.communes),
        "min_rooms": req.min_rooms,
        "max_rooms": req.max_rooms,
        "max_cost": Decimal(str(req.max_cost)),
        "accept_qpv": req.accept_qpv,
    }
