"""Sign-in and sign-out (``/connexion``), and the home page that sends each role to its space."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from exchange import accounts
from web.db import get_session
from web.extensions import limiter, login_manager
from web.forms import FrenchForm
from web.security import ROLE_HOME

bp = Blueprint("auth", __name__)


class PortalUser(UserMixin):
    """The signed-in account as Flask-Login sees it (a plain copy, never an ORM row)."""

    def __init__(self, account: accounts.Account) -> None:
        self.account = account
        # The session keeps "id.stamp": a new password changes the stamp and ends the other sessions.
        self.id = f"{account.id}.{account.session_stamp}"
        self.role = account.role
        self.display_name = account.display_name


class LoginForm(FrenchForm):
    login = StringField(
        "Identifiant",
        validators=[DataRequired("Indiquez votre identifiant."), Length(max=120)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Mot de passe",
        validators=[DataRequired("Indiquez votre mot de passe.")],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordForm(FrenchForm):
    current_password = PasswordField(
        "Mot de passe actuel",
        validators=[DataRequired("Indiquez votre mot de passe actuel.")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "Nouveau mot de passe",
        validators=[
            DataRequired("Indiquez le nouveau mot de passe."),
            Length(min=8, message="Le nouveau mot de passe doit compter au moins 8 caractères."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Nouveau mot de passe, une seconde fois",
        validators=[
            DataRequired("Confirmez le nouveau mot de passe."),
            EqualTo("new_password", "Les deux saisies du nouveau mot de passe ne sont pas identiques."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


@login_manager.user_loader
def _load_user(user_id: str) -> PortalUser | None:
    number, _, stamp = user_id.partition(".")
    try:
        account = accounts.get_account(get_session(), int(number))
    except ValueError:
        return None
    if account is None or not account.active or not hmac.compare_digest(stamp, account.session_stamp):
        return None
    return PortalUser(account)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.get("/")
def index() -> Any:
    """Send each role to its own space; anonymous users to the sign-in page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(ROLE_HOME[current_user.role]))


def _login_key() -> str:
    return "compte:" + (request.form.get("login") or "").strip().lower()


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.shared_limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    scope="echecs-de-connexion",  # shared with POST /api/v1/tokens
    key_func=_login_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 200,  # a failed attempt shows the form again
)
def login() -> Any:
    """Sign in with a login and a password (attempts limited per address, failures per account)."""
    next_url = _safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for(ROLE_HOME[current_user.role]))
    form = LoginForm()
    if form.validate_on_submit():
        account = accounts.authenticate(get_session(), form.login.data or "", form.password.data or "")
        get_session().commit()  # a rehashed password is saved
        if account is None:
            flash("Identifiant ou mot de passe incorrect.", "error")
            return render_template("auth/login.html", form=form, next=next_url, title="Connexion"), 200
        login_user(PortalUser(account))
        flash(f"Bienvenue, {account.display_name}.", "success")
        return redirect(next_url or url_for(ROLE_HOME[account.role]))
    return render_template("auth/login.html", form=form, next=next_url, title="Connexion")


@bp.route("/compte", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def account() -> Any:
    """The signed-in account: who it is, and a new password (after the current one)."""
    form = PasswordForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            current, new = form.current_password.data or "", form.new_password.data or ""
            updated = accounts.change_password(session, current_user.account.id, current, new)
        except accounts.PasswordRejected as exc:
            session.rollback()
            getattr(form, exc.field).errors.append(str(exc))
        else:
            session.commit()
            login_user(PortalUser(updated))  # this session goes on; the others end
            flash("Votre mot de passe a été changé. Vos autres sessions ont été fermées.", "success")
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html",
        title="Mon compte",
        form=form,
        who=current_user.account,
        role_label=accounts.ROLE_LABELS.get(current_user.role, current_user.role),
    )


@bp.post("/deconnexion")
def logout() -> Any:
    """Sign out (POST with the CSRF token, so no page can sign a user out)."""
    logout_user()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    """Configure Flask-Login for the portal."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
