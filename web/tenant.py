"""Tenant space (espace locataire) under ``/locataire/``: request, offers, proposals and their tracker."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from exchange import portal, wording
from exchange.errors import ExchangeError, NotFound
from web.db import get_session, write_and_flash, write_form
from web.forms import AnswerForm, ConfirmForm, RequestForm, WithdrawForm, choices
from web.security import role_required
from web.visit_forms import PHONE_HINT, VisitAnswerForm, VisitAskForm, VisitReportForm

bp = Blueprint("tenant", __name__, url_prefix="/locataire")

SORTS = [
    ("cost", "Coût croissant"),
    ("-cost", "Coût décroissant"),
    ("-surface", "Surface décroissante"),
    ("rooms", "Nombre de pièces"),
    ("commune", "Commune"),
]


def _account() -> Any:
    return current_user.account


@bp.get("/")
@role_required("tenant")
def home() -> Any:
    """The household, its criteria, its request and its current proposal."""
    overview = portal.tenant_overview(get_session(), _account())
    return render_template(
        "tenant/home.html",
        title="Mon espace",
        picture=overview.picture,
        req=overview.request,
        live=overview.live_proposal,
        replies=overview.replies,
        confirm_form=ConfirmForm(),
    )


@bp.get("/situation")
@role_required("tenant")
def situation() -> Any:
    """« Ma situation »: its points, the dwellings that fit its wishes (and each widened), similar waits."""
    return render_template(
        "tenant/situation.html",
        title="Ma situation",
        situation=portal.tenant_situation(get_session(), _account()),
    )


@bp.post("/demande/confirmer")
@role_required("tenant")
def confirm_request() -> Any:
    """Confirm the request, paused after proposals left without an answer: it takes part in the runs again."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    write_and_flash(
        lambda session: portal.confirm_request(session, _account()),
        "Votre demande est confirmée : elle participe de nouveau aux appariements.",
    )
    return redirect(url_for("tenant.home"))


@bp.route("/demande", methods=["GET", "POST"])
@role_required("tenant")
def request_form() -> Any:
    """File or edit the mutation request (wishes), next to the harmonised criteria."""
    session = get_session()
    overview = portal.tenant_overview(session, _account())
    form = RequestForm(data=_form_data(overview.request) if request.method == "GET" else None)
    form.communes.choices = choices(
        (c, c) for c in portal.territory_communes(session, _account().territory_id)
    )
    if form.validate_on_submit():
        wishes = portal.Wishes(
            communes=tuple(form.communes.data or ()),
            min_rooms=form.min_rooms.data,
            max_rooms=form.max_rooms.data,
            max_cost=float(form.max_cost.data or Decimal(0)),
            accept_qpv=bool(form.accept_qpv.data),
        )
        saved, created = write_form(form, lambda s: portal.save_request(s, _account(), wishes))
        if saved:
            flash(
                "Votre demande a été déposée." if created else "Votre demande a été mise à jour.", "success"
            )
            return redirect(url_for("tenant.home"))
    return render_template(
        "tenant/request.html", title="Ma demande", form=form, picture=overview.picture, req=overview.request
    )


def _form_data(req: portal.RequestView | None) -> dict[str, Any]:
    if req is None:
        return {"accept_qpv": True}
    return {
        "communes": list(req.communes),
        "min_rooms": req.min_rooms,
        "max_rooms": req.max_rooms,
        "max_cost": Decimal(str(req.max_cost)),
        "accept_qpv": req.accept_qpv,
    }


def _int_arg(name: str, low: int, high: int) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and low <= value <= high else None


def _cost_arg(errors: dict[str, str]) -> int | None:
    """The offers' maximum cost, typed French or English style (« 650 », « 650,50 »); errors in French."""
    text = (request.args.get("max_cost") or "").strip()
    if not text:
        return None
    try:
        value = wording.parse_number(text)
    except ValueError:
        errors["max_cost"] = f"« {text} » n'est pas un montant : indiquez un nombre d'euros, par exemple 650."
        return None
    if not 0 <= value <= 100000:
        errors["max_cost"] = "Indiquez un montant entre 0 et 100\u202f000 €."
        return None
    return int(value)


@bp.get("/offres")
@role_required("tenant")
def offers() -> Any:
    """Dwellings open to the exchange, anonymised: filters, sorting, pagination, a compatibility mark."""
    sort = request.args.get("sort", "cost")
    errors: dict[str, str] = {}
    filters = portal.OfferFilters(
        commune=request.args.get("commune") or None,
        rooms=_int_arg("rooms", 1, 20),
        max_cost=_cost_arg(errors),
        accessible=request.args.get("accessible") == "1",
        compatible=request.args.get("compatible") == "1",
        sort=sort if sort in dict(SORTS) else "cost",
        page=_int_arg("page", 1, 100000) or 1,
        per_page=current_app.config["OFFERS_PER_PAGE"],
    )
    session = get_session()
    result = portal.list_offers(session, _account(), filters)

    def page_url(page: int) -> str:
        args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page"}
        return url_for("tenant.offers", page=page, **args)

    return render_template(
        "tenant/offers.html",
        title="Offres d'échange",
        result=result,
        filters=filters,
        sorts=SORTS,
        communes=portal.territory_communes(session, _account().territory_id),
        page_url=page_url,
        errors=errors,
        max_cost_text=request.args.get("max_cost", ""),
    )


@bp.get("/propositions")
@role_required("tenant")
def proposals() -> Any:
    """Every proposal of the household, live first."""
    items = portal.tenant_proposals(get_session(), _account())
    return render_template("tenant/proposals.html", title="Mes propositions", items=items)


@bp.route("/propositions/<int:proposal_id>", methods=["GET", "POST"])
@role_required("tenant")
def proposal(proposal_id: int) -> Any:
    """One proposal: the anonymised chain or cycle, why, deadline, rents, answer form, tracker."""
    session = get_session()
    try:
        detail = portal.tenant_proposal(session, _account(), proposal_id)
    except NotFound:
        abort(404)
    form = AnswerForm()
    form.reason.choices = choices([("", "— choisir un motif —"), *portal.refusal_reasons()])
    if detail.can_answer and form.validate_on_submit():
        if form.answer.data == "refuse" and form.confirmed.data != "1":
            # A refusal ends the proposal for every household: one more step, nothing recorded yet.
            return _proposal_page(detail, form, confirming="refuse")
        try:
            portal.record_answer(
                session,
                _account(),
                proposal_id,
                accepted=form.answer.data == "accept",
                reason=form.reason.data or None,
                comment=(form.comment.data or "").strip() or None,
            )
        except ExchangeError as exc:
            session.rollback()
            flash(str(exc), "error")
        else:
            session.commit()
            flash(
                "Vous avez accepté la proposition."
                if form.answer.data == "accept"
                else "Vous avez refusé la proposition.",
                "success",
            )
        return redirect(url_for("tenant.proposal", proposal_id=proposal_id))
    if request.method == "POST" and not detail.can_answer:
        flash("Cette proposition n'attend plus votre réponse.", "error")
        return redirect(url_for("tenant.proposal", proposal_id=proposal_id))
    return _proposal_page(detail, form)


def _proposal_page(
    detail: portal.ProposalDetail,
    form: AnswerForm,
    *,
    withdraw_form: WithdrawForm | None = None,
    confirming: str | None = None,
) -> Any:
    """The proposal page; ``confirming`` (« refuse », « withdraw ») shows the confirmation step first."""
    return render_template(
        "tenant/proposal.html",
        title="Confirmer votre réponse" if confirming else "Proposition d'échange",
        detail=detail,
        form=form,
        withdraw_form=withdraw_form or _withdraw_form(),
        confirming=confirming,
        visits=portal.tenant_visits(get_session(), _account(), detail.id),
        ask_form=VisitAskForm(prefix="visite"),
        answer_form=lambda visit_id: VisitAnswerForm(prefix=f"visite{visit_id}", formdata=None),
        report_form=_report_form,
        phone_hint=PHONE_HINT,
    )


def _report_form(visit: portal.VisitView) -> VisitReportForm:
    data = {"visit_on": visit.visit_on, "outcome": visit.outcome or ""}
    return VisitReportForm(prefix=f"compte-rendu{visit.id}", formdata=None, data=data)


def _flash_errors(form: Any) -> None:
    for messages in form.errors.values():
        for message in messages:
            flash(message, "error")


def _phone(value: str | None) -> str | None:
    return (value or "").strip() or None


@bp.post("/propositions/<int:proposal_id>/visite")
@role_required("tenant")
def ask_visit(proposal_id: int) -> Any:
    """Ask to visit the dwelling offered; its occupant is told and may accept."""
    form = VisitAskForm(prefix="visite")
    if not form.validate_on_submit():
        _flash_errors(form)
    else:
        write_and_flash(
            lambda s: portal.ask_visit(s, _account(), proposal_id, phone=_phone(form.phone.data)),
            "Votre demande de visite est envoyée au ménage qui habite le logement.",
        )
    return redirect(url_for("tenant.proposal", proposal_id=proposal_id, _anchor="visites-titre"))


@bp.post("/propositions/<int:proposal_id>/visites/<int:visit_id>/reponse")
@role_required("tenant")
def answer_visit(proposal_id: int, visit_id: int) -> Any:
    """Accept (contacts are then shown to both households) or decline a visit of the household's dwelling."""
    form = VisitAnswerForm(prefix=f"visite{visit_id}")
    if not form.validate_on_submit():
        _flash_errors(form)
    else:
        accept = form.answer.data == "accept"
        write_and_flash(
            lambda s: portal.answer_visit(
                s, _account(), proposal_id, visit_id, accept=accept, phone=_phone(form.phone.data)
            ),
            "Vous avez accepté la visite : vos coordonnées sont échangées."
            if accept
            else "Vous avez refusé la visite.",
        )
    return redirect(url_for("tenant.proposal", proposal_id=proposal_id, _anchor="visites-titre"))


@bp.post("/propositions/<int:proposal_id>/visites/<int:visit_id>/compte-rendu")
@role_required("tenant")
def report_visit(proposal_id: int, visit_id: int) -> Any:
    """Note the date of an accepted visit and, once past, its outcome."""
    form = VisitReportForm(prefix=f"compte-rendu{visit_id}")
    if not form.validate_on_submit():
        _flash_errors(form)
    else:
        write_and_flash(
            lambda s: portal.report_visit(
                s,
                _account(),
                proposal_id,
                visit_id,
                visit_on=form.visit_on.data,
                outcome=form.outcome.data or None,
            ),
            "La visite est notée.",
        )
    return redirect(url_for("tenant.proposal", proposal_id=proposal_id, _anchor="visites-titre"))


def _withdraw_form() -> WithdrawForm:
    form = WithdrawForm(prefix="desistement")
    form.reason.choices = choices([("", "— choisir un motif —"), *portal.refusal_reasons()])
    return form


@bp.post("/propositions/<int:proposal_id>/desister")
@role_required("tenant")
def withdraw(proposal_id: int) -> Any:
    """Withdraw from a proposal the household accepted: the whole proposal fails."""
    session = get_session()
    try:
        detail = portal.tenant_proposal(session, _account(), proposal_id)
    except NotFound:
        abort(404)
    form = _withdraw_form()
    if not form.validate_on_submit():  # (a missing CSRF token was refused earlier: CSRFProtect)
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(url_for("tenant.proposal", proposal_id=proposal_id))
    if not detail.can_withdraw:
        flash("Vous ne pouvez plus vous désister de cette proposition.", "error")
        return redirect(url_for("tenant.proposal", proposal_id=proposal_id))
    if form.confirmed.data != "1":
        # A withdrawal ends the proposal for every household: one more step, nothing recorded yet.
        answer = AnswerForm(formdata=None)
        answer.reason.choices = choices([("", "— choisir un motif —"), *portal.refusal_reasons()])
        return _proposal_page(detail, answer, withdraw_form=form, confirming="withdraw")
    write_and_flash(
        lambda s: portal.record_withdrawal(
            s,
            _account(),
            proposal_id,
            reason=form.reason.data,
            comment=(form.comment.data or "").strip() or None,
        ),
        "Votre désistement est enregistré : la proposition est abandonnée pour tous ses ménages.",
    )
    return redirect(url_for("tenant.proposal", proposal_id=proposal_id))
