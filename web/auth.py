"""Sign-in and sign-out (``/connexion``), and the home page that sends each role to its space."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from werkzeug.exceptions import TooManyRequests
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from exchange import accounts, glossary, portal_sessions
from web import mail
from web import sign_in as sign_in_limits
from web.db import get_session
from web.extensions import limiter, login_manager
from web.forms import FrenchForm
from web.security import ROLE_HOME

bp = Blueprint("auth", __name__)


class PortalUser(UserMixin):
    """The signed-in account as Flask-Login sees it (a plain copy, never an ORM row).

    Its id is the portal session's random id (table ``portal_session``): signing out, a new password
    or the session's lifetimes end it on the server, whatever the cookie holds.
    """

    def __init__(self, account: accounts.Account, session_id: str) -> None:
        self.account = account
        self.id = session_id
        self.role = account.role
        self.display_name = account.display_name


def lifetimes() -> portal_sessions.Lifetimes:
    """The portal sessions' idle and absolute lifetimes, from the configuration."""
    return portal_sessions.Lifetimes(
        idle=timedelta(minutes=float(current_app.config["SESSION_IDLE_MINUTES"])),
        lifetime=timedelta(hours=float(current_app.config["SESSION_LIFETIME_HOURS"])),
    )


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
def _load_user(session_id: str) -> PortalUser | None:
    session, now = get_session(), datetime.now()
    live = portal_sessions.find_session(session, session_id, now, lifetimes())
    account = accounts.get_account(session, live.account_id) if live is not None else None
    if live is None or account is None or not account.active:
        return None
    if live.needs_touch:
        _touch(session_id, now)
    return PortalUser(account, session_id)


def _touch(session_id: str, now: datetime) -> None:
    """Write the session's last request time: committed at once by a read request, else with the write."""
    session = get_session()
    touched = portal_sessions.touch(session, session_id, now)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        if touched:
            session.commit()
        else:
            session.rollback()


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


@bp.route("/connexion", methods=["GET", "POST"])
@sign_in_limits.with_device_cookie
def login() -> Any:
    """Sign in with a login and a password (failures slow down per address, device and account)."""
    next_url = _safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for(ROLE_HOME[current_user.role]))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            account = sign_in_limits.sign_in(form.login.data or "", form.password.data or "")
        except TooManyRequests as exc:
            flash(str(exc.description), "error")
            page = render_template("auth/login.html", form=form, next=next_url, title="Connexion")
            return page, 429, {"Retry-After": str(exc.retry_after)}
        session = get_session()
        if account is None:
            session.commit()
            flash("Identifiant ou mot de passe incorrect.", "error")
            return render_template("auth/login.html", form=form, next=next_url, title="Connexion"), 200
        now = datetime.now()
        session_id = portal_sessions.open_session(session, account.id, now)
        portal_sessions.forget_ended(session, now, lifetimes())
        session.commit()
        login_user(PortalUser(account, session_id))
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
            portal_sessions.end_other_sessions(session, updated.id, current_user.id, datetime.now())
            session.commit()
            login_user(PortalUser(updated, current_user.id))  # this session goes on; the others end
            flash("Votre mot de passe a été changé. Vos autres sessions ont été fermées.", "success")
            return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html",
        title="Mon compte",
        form=form,
        who=current_user.account,
        role_label=glossary.ACCOUNT_ROLES.get(current_user.role, current_user.role),
        **mail.account_sections(current_user.account),
    )


@bp.post("/deconnexion")
def logout() -> Any:
    """Sign out (POST with the CSRF token, so no page can sign a user out); the session ends on the server."""
    if current_user.is_authenticated:
        portal_sessions.end_session(get_session(), current_user.id, datetime.now())
        get_session().commit()
    logout_user()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    """Configure Flask-Login for the portal."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
