"""The inter-landlord commission's pages: blocked requests (territory and CALEOL), the proposal by hand,
the territory's calendar and blocked thresholds, the occupancy review.

Paths live in the territory's space (``/territoire/…``) and the CALEOL's (``/caleol/…``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from exchange.errors import InvalidInput
from exchange.portal import commission as services
from exchange.portal import review as review_services
from web.db import get_session, write_and_flash
from web.forms import FrenchForm
from web.security import role_required

bp = Blueprint("commission", __name__)


class CommissionForm(FrenchForm):
    """The moves and the reason of a proposal of the inter-landlord commission."""

    moves = StringField(
        "Déménagements (MÉNAGE LOGEMENT, séparés par des virgules)",
        validators=[InputRequired("Indiquez les déménagements.")],
    )
    reason = TextAreaField(
        "Décision motivée de la commission", validators=[InputRequired("Motivez la proposition.")]
    )


class CalendarForm(FrenchForm):
    """The territory's calendar of public holidays and when a request counts as blocked."""

    calendar = SelectField("Jours fériés des échéances")
    blocked_after_runs = IntegerField(
        "Demande bloquée après ce nombre d'appariements sans proposition",
        validators=[InputRequired("Indiquez un nombre."), NumberRange(1, 99)],
    )
    blocked_after_days = IntegerField(
        "… ou après ce nombre de jours d'attente",
        validators=[InputRequired("Indiquez un nombre de jours."), NumberRange(1, 3650)],
    )


def _blocked_page(form: CommissionForm | None, status: int = 200) -> Any:
    session = get_session()
    account = current_user.account
    page = services.blocked_page(session, account)
    candidates = services.commission_candidates(session, account) if account.role == "admin" else []
    return render_template(
        "commission/blocked.html",
        title="Demandes bloquées",
        page=page,
        candidates=candidates,
        form=form,
    ), status


@bp.get("/territoire/demandes-bloquees")
@role_required("admin")
def territory_blocked() -> Any:
    """Every blocked request of the territory, diagnosed, with the commission's candidates and form."""
    form = CommissionForm()
    if request.args.get("moves"):
        form.moves.data = request.args["moves"]
    return _blocked_page(form)


@bp.post("/territoire/demandes-bloquees")
@role_required("admin")
def propose() -> Any:
    """Check the commission's proposal and store it (waiting for the households' answers)."""
    form = CommissionForm()
    if not form.validate_on_submit():
        return _blocked_page(form, 422)
    session = get_session()
    try:
        number = services.propose(session, current_user.account, form.moves.data, form.reason.data)
    except InvalidInput as exc:
        session.rollback()
        for name, messages in exc.messages.items():
            target = form.reason if name == "reason" else form.moves
            target.errors = [*target.errors, *messages]
        return _blocked_page(form, 422)
    session.commit()
    flash(f"Proposition n° {number} de la commission enregistrée : les ménages peuvent répondre.", "success")
    return redirect(url_for("commission.territory_blocked"))


@bp.get("/caleol/demandes-bloquees")
@role_required("staff")
def landlord_blocked() -> Any:
    """The blocked requests of the landlord's own tenants, diagnosed."""
    return _blocked_page(None)


@bp.route("/territoire/calendrier", methods=["GET", "POST"])
@role_required("admin")
def calendar() -> Any:
    """The territory's public holidays (used by every deadline) and its blocked thresholds."""
    session = get_session()
    view = services.calendar_view(session, current_user.account)
    form = CalendarForm(
        data=None
        if request.method == "POST"
        else {
            "calendar": view.calendar,
            "blocked_after_runs": view.blocked_after_runs,
            "blocked_after_days": view.blocked_after_days,
        }
    )
    form.calendar.choices = list(view.choices)
    status = 200
    if form.validate_on_submit():
        try:
            services.save_calendar(
                session,
                current_user.account,
                calendar=form.calendar.data,
                blocked_after_runs=form.blocked_after_runs.data,
                blocked_after_days=form.blocked_after_days.data,
            )
        except InvalidInput as exc:
            session.rollback()
            for name, messages in exc.messages.items():
                field = form[name] if name in form else form.calendar
                field.errors = [*field.errors, *messages]
            status = 422
        else:
            session.commit()
            flash("Le calendrier et les seuils du territoire sont enregistrés.", "success")
            return redirect(url_for("commission.calendar"))
    elif request.method == "POST":
        status = 422
    return render_template("commission/calendar.html", title="Calendrier", view=view, form=form), status


class ReviewForm(FrenchForm):
    """The outcome of one household's occupancy review."""

    household = StringField("Ménage", validators=[InputRequired()])
    outcome = SelectField("Issue de l'examen", validators=[InputRequired("Choisissez l'issue.")])
    max_cost = IntegerField("Coût mensuel maximal (si la demande est déposée)", validators=[Optional()])
    note = StringField("Note", validators=[Optional()])


def _review_form() -> ReviewForm:
    form = ReviewForm()
    form.outcome.choices = review_services.outcome_choices()
    return form


@bp.route("/caleol/examen-occupation", methods=["GET", "POST"])
@role_required("staff")
def landlord_review() -> Any:
    """The landlord's tenants in a mismatched dwelling without a request; record each review's outcome."""
    form = _review_form()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            write_and_flash(
                lambda session: review_services.record_outcome(
                    session,
                    current_user.account,
                    form.household.data,
                    form.outcome.data,
                    note=form.note.data,
                    max_cost=form.max_cost.data,
                ),
                f"Examen du ménage {form.household.data} enregistré.",
            )
            return redirect(url_for("commission.landlord_review"))
        status = 422
    page = review_services.review_page(get_session(), current_user.account)
    return render_template(
        "commission/review.html", title="Examen de l'occupation", page=page, form=form
    ), status


@bp.get("/territoire/examen-occupation")
@role_required("admin")
def territory_review() -> Any:
    """Every landlord's occupancy review and the counts for the bilan (read only)."""
    page = review_services.review_page(get_session(), current_user.account)
    return render_template("commission/review.html", title="Examen de l'occupation", page=page, form=None)
