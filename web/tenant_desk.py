"""« Mes locataires » (``/caleol/locataires``), on the CALEOL space's blueprint (:data:`web.committee.bp`, so
every URL and endpoint name stays ``committee.…``): a landlord's staff acting for one of its own tenants
without internet (DOMAIN.md §4, the digital divide): its request filed with its consent, its paper proposal
letters (one, or the latest run's in one PDF), the answer it gave to a proposal and its withdrawal from one
it accepted, at the agency, by phone or by letter. Another landlord's tenant: 404.

:func:`web.create_app` imports this module before registering the blueprint.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from exchange import glossary, portal
from exchange.errors import ExchangeError, InvalidInput, NotFound
from web.committee import bp
from web.db import get_session, refusal_sentence, write_form
from web.filing_forms import StaffAnswerForm, StaffRequestForm, StaffWithdrawForm
from web.forms import ConfirmForm, choices
from web.security import role_required


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
            flash(refusal_sentence(ValueError(message)), "error")
    else:
        flash(refusal_sentence(exc), "error")


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
    return _desk_page("committee/tenant_answer.html", title, household_id, ref, detail, form, confirming)


def _desk_page(
    template: str,
    title: str,
    household_id: int,
    ref: str,
    detail: portal.ProposalDetail,
    form: StaffAnswerForm | StaffWithdrawForm,
    confirming: bool,
) -> Any:
    """A page where the staff records what a tenant said (its answer or its withdrawal)."""
    return render_template(
        template,
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
    return _desk_page("committee/tenant_withdrawal.html", title, household_id, ref, detail, form, confirming)


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
