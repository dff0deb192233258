"""The French web portal of the exchange: tenants, CALEOL staff, the territory, and a JSON API.

``python -m web`` (or any WSGI server) serves :func:`create_app`. Nothing is bound at import time.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, abort, request
from flask.logging import default_handler
from werkzeug.middleware.proxy_fix import ProxyFix

from web import db, filters, limits, writes
from web.extensions import csrf, limiter, login_manager

__all__ = ["create_app"]


class _FrenchLogFormatter(logging.Formatter):
    """Flask's log lines with the level in French (« [date] avertissement : … »)."""

    LEVELS = {"DEBUG": "débogage", "INFO": "information", "WARNING": "avertissement", "ERROR": "erreur"}

    def format(self, record: logging.LogRecord) -> str:
        record.niveau = self.LEVELS.get(record.levelname, "critique")
        return super().format(record)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the portal: configuration, database, security, blueprints."""
    default_handler.setFormatter(_FrenchLogFormatter("[%(asctime)s] %(niveau)s : %(message)s"))
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=None,
        COOKIE_SECURE=None,
        DATABASE_URL="sqlite:///" + os.path.join(app.instance_path, "exchange.db"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        # Sign-in throttle (web/sign_in.py, counted in the database): failures only, never a lockout.
        LOGIN_FREE_FAILURES=5,  # per address x login, or per known device x account
        LOGIN_ADDRESS_FREE_FAILURES=30,  # per address, whatever the login
        LOGIN_ACCOUNT_FREE_FAILURES=50,  # per login, from browsers that are not known devices
        LOGIN_BACKOFF_SECONDS=30,  # first wait past the free failures, then doubling...
        LOGIN_BACKOFF_MAX_SECONDS=900,  # ... up to this
        KNOWN_DEVICE_DAYS=365,  # how long a browser stays known after a sign-in
        LOGIN_RATE_LIMIT="5/minute",  # password changes (« Mon compte ») per address (Flask-Limiter)
        RATELIMIT_ENABLED=True,  # explicit: Flask-Limiter would otherwise keep the previous app's setting
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        SESSION_IDLE_MINUTES=120,  # a portal session ends after this long without a request...
        SESSION_LIFETIME_HOURS=12,  # ... and this long after sign-in at most
        API_TOKEN_LIFETIME_DAYS=30,
        OFFERS_PER_PAGE=20,
        MAX_CONTENT_LENGTH=1024 * 1024,  # every request body...
        IMPORT_MAX_CONTENT_LENGTH=64 * 1024 * 1024,  # ... but the territory imports'
        SQLITE_WRITE_WAIT_SECONDS=20,  # SQLite: how long a portal write waits for another writer (a run)
        TRUSTED_PROXIES=0,  # reverse proxies in front of the app whose X-Forwarded-* headers are believed
        RUNS_IN_BACKGROUND=True,  # portal runs solve in a thread (web/background.py); False: in the request
    )
    if test_config is None:
        app.config.from_prefixed_env("EXCHANGE")
    else:
        app.config.from_mapping(test_config)
    if not app.config["SECRET_KEY"]:
        # A random key per process: sessions do not survive a restart unless EXCHANGE_SECRET_KEY is set.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        if not app.testing:
            app.logger.warning(
                "EXCHANGE_SECRET_KEY absente : clé aléatoire ; les sessions ne survivront pas à un"
                " redémarrage et ne seront pas partagées entre plusieurs processus."
            )
    if app.config.get("COOKIE_SECURE") is None:
        # Secure cookies everywhere but in debug and tests (browsers accept them on http://127.0.0.1 too).
        app.config["COOKIE_SECURE"] = not (app.debug or app.testing)
    app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = app.config["COOKIE_SECURE"]
    # The session cookie's signature expires with the longest a portal session may live.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=float(app.config["SESSION_LIFETIME_HOURS"]))
    if app.config["DATABASE_URL"].startswith("sqlite:///") and ":memory:" not in app.config["DATABASE_URL"]:
        os.makedirs(os.path.dirname(app.config["DATABASE_URL"][len("sqlite:///") :]) or ".", exist_ok=True)

    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies < 0:
        raise ValueError("EXCHANGE_TRUSTED_PROXIES : nombre de mandataires inverses (0 ou plus)")
    if proxies:
        # Client address, scheme and host as the proxies saw them: the sign-in limit per address then
        # counts each client, not the proxy. Only set it when such proxies really are in front.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    db.init_app(app)
    filters.init_app(app)
    limits.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from web import (
        api,
        auth,
        commission,
        committee,
        mail,
        security,
        tenant,
        tenant_desk,  # noqa: F401  (adds « Mes locataires » to committee.bp before it is registered)
        territory,
    )

    security.init_app(app)
    writes.init_app(app)
    auth.init_app(app)
    for module in (auth, tenant, committee, territory, commission, mail, api):
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)  # the API checks CSRF itself, except for token-authenticated calls
    app.url_value_preprocessor(_ids_within_integer)

    from exchange.cli import cli

    app.cli.add_command(cli)
    return app


def _ids_within_integer(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A portal page whose id cannot exist (beyond PostgreSQL's INTEGER) is not found: 404.

    The API answers 422 by field instead (``web.api._check_ids``).
    """
    from exchange.schemas import INT_MAX

    if request.blueprint == "api" or not values:
        return
    if any(isinstance(value, int) and not 0 <= value <= INT_MAX for value in values.values()):
        abort(404)
