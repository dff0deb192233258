"""E-mail pages: the preferences page of a mail's signed link, the account's address and preferences,
and the territory's outbox (« Courriels ») with the messages that failed for good.

The signed link (``/courriels/<token>``) works without signing in: the token is the account's id and
its HMAC under the portal's ``SECRET_KEY`` (the key ``exchange send-mail`` signs with). Its one-click
variant (RFC 8058, ``List-Unsubscribe-Post``) is exempt from CSRF: the token is the proof.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from exchange import accounts, glossary, notifications, outbox
from exchange.errors import InvalidArgument, NotFound
from web.db import get_session
from web.extensions import csrf
from web.forms import FrenchForm
from web.security import role_required

bp = Blueprint("mail", __name__)


class EmailForm(FrenchForm):
    email = StringField(
        "Adresse électronique",
        validators=[Length(max=254, message="254 caractères au plus.")],
        render_kw={"autocomplete": "email", "type": "email", "spellcheck": "false"},
    )


class PreferencesForm(FrenchForm):
    """One box per kind of mail that may be turned off (ticked: received)."""


for _kind in notifications.OPTIONAL_KINDS:
    setattr(PreferencesForm, _kind, BooleanField(glossary.heading(glossary.MAIL_KINDS[_kind])))


def _preferences_form(muted: tuple[str, ...], *, from_request: bool) -> PreferencesForm:
    if from_request:
        return PreferencesForm()
    return PreferencesForm(data={k: k not in muted for k in notifications.OPTIONAL_KINDS})


def _muted(form: PreferencesForm) -> list[str]:
    return [k for k in notifications.OPTIONAL_KINDS if not getattr(form, k).data]


def _legal_labels() -> list[str]:
    return [
        glossary.heading(glossary.MAIL_KINDS[k])
        for k in glossary.MAIL_KINDS
        if k in notifications.LEGAL_KINDS
    ]


def account_sections(account: accounts.Account) -> dict[str, Any]:
    """What « Mon compte » shows of the account's mail: its address form and its preferences form."""
    return {
        "email_form": EmailForm(data={"email": account.email or ""}),
        "preferences_form": _preferences_form(account.mail_muted, from_request=False),
        "legal_kinds": _legal_labels(),
    }


@bp.post("/compte/courriel")
@login_required
def change_email() -> Any:
    """Change (or remove) the address the account's notifications go to."""
    form = EmailForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            updated = accounts.set_email(session, current_user.account.id, form.email.data)
        except InvalidArgument as exc:
            session.rollback()
            for message in exc.messages.get("email", []):
                flash(f"Adresse électronique : {message}.", "error")
        else:
            session.commit()
            if updated.email:
                flash(f"Vos courriels iront désormais à {updated.email}.", "success")
            else:
                flash("Adresse retirée : vous ne recevrez plus de courriels.", "success")
    else:
        for message in form.email.errors:
            flash(f"Adresse électronique : {message}", "error")
    return redirect(url_for("auth.account") + "#courriels-titre")


@bp.post("/compte/courriels")
@login_required
def account_preferences() -> Any:
    """The signed-in account's choice of optional mails."""
    form = _preferences_form((), from_request=True)
    if form.validate_on_submit():
        session = get_session()
        notifications.set_muted(session, current_user.account.id, _muted(form))
        session.commit()
        flash("Vos préférences de courriels sont enregistrées.", "success")
    return redirect(url_for("auth.account") + "#courriels-titre")


def _token_account(token: str) -> accounts.Account:
    account_id = notifications.account_for_token(token, str(current_app.config["SECRET_KEY"]))
    account = None if account_id is None else accounts.get_account(get_session(), account_id)
    if account is None:
        abort(404)
    return account


def _masked(email: str | None) -> str:
    if not email:
        return "aucune adresse"
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


@bp.route("/courriels/<token>", methods=["GET", "POST"])
def preferences(token: str) -> Any:
    """The preferences page of a mail's link: no sign-in, the signed token says whose it is."""
    account = _token_account(token)
    form = _preferences_form(account.mail_muted, from_request=request.method == "POST")
    if form.validate_on_submit():
        session = get_session()
        notifications.set_muted(session, account.id, _muted(form))
        session.commit()
        flash("Vos préférences de courriels sont enregistrées.", "success")
        return redirect(url_for("mail.preferences", token=token))
    return render_template(
        "mail/preferences.html",
        title="Préférences de courriels",
        form=form,
        token=token,
        address=_masked(account.email),
        legal_kinds=_legal_labels(),
    )


@bp.post("/courriels/<token>/desabonnement")
@csrf.exempt
def unsubscribe(token: str) -> Any:
    """One click in the mail program (RFC 8058): turn off the kind named by ``type``, or all optional ones."""
    account = _token_account(token)
    kind = request.args.get("type", "")
    muted = set(account.mail_muted) | (
        {kind} if kind in notifications.OPTIONAL_KINDS else set(notifications.OPTIONAL_KINDS)
    )
    session = get_session()
    notifications.set_muted(session, account.id, muted)
    session.commit()
    return render_template(
        "mail/unsubscribed.html",
        title="Désabonnement enregistré",
        labels=[glossary.MAIL_KINDS[k] for k in sorted(muted)],
        token=token,
    )


@bp.route("/territoire/courriels", methods=["GET"])
@role_required("admin")
def territory_outbox() -> Any:
    """The territory's outbox: messages by status, and those that failed for good."""
    status = outbox.outbox_status(get_session(), current_user.account.territory_code)
    return render_template(
        "mail/outbox.html",
        title="Courriels du territoire",
        status=status,
        statuses=glossary.MAIL_STATUSES,
        kinds=glossary.MAIL_KINDS,
    )


@bp.post("/territoire/courriels/<int:message_id>/reessayer")
@role_required("admin")
def retry(message_id: int) -> Any:
    """Put a failed message back in the queue (after its address was corrected, for instance)."""
    session = get_session()
    try:
        outbox.retry_message(session, current_user.account.territory_code, message_id)
    except NotFound:
        abort(404)
    session.commit()
    flash(f"Le courriel n° {message_id} repartira au prochain passage de l'envoi.", "success")
    return redirect(url_for("mail.territory_outbox"))
