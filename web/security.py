"""Security of the portal: response headers, the signed-in user, role checks, error pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, Response, abort, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from web.limits import limit_label

F = TypeVar("F", bound=Callable[..., Any])

ROLE_HOME = {"tenant": "tenant.home", "staff": "committee.queue", "admin": "territory.home"}

# No inline script or style anywhere: everything comes from /static.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

ERROR_TITLES = {
    400: "Requête invalide",
    401: "Authentification requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    413: "Contenu trop volumineux",
    422: "Données invalides",
    429: "Trop de tentatives",
    500: "Erreur interne",
    503: "Service momentanément indisponible",
}


def role_required(*roles: str) -> Callable[[F], F]:
    """Let through only a signed-in user of one of ``roles`` (anonymous: sign-in page; others: 403)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "geolocation=(), camera=(), microphone=()"
    if current_user and getattr(current_user, "is_authenticated", False):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error_page(exc: HTTPException) -> tuple[Any, int, dict[str, str]]:
    code = exc.code or 500
    # Retry-After of a 429 or 503, and Allow of a 405, survive the French page.
    headers = {k: v for k, v in exc.get_headers() if k in ("Retry-After", "Allow")}
    if request.path.startswith("/api/"):
        return jsonify(error=ERROR_TITLES.get(code, exc.name), message=_message(exc)), code, headers
    page = render_template(
        "error.html", code=code, title=ERROR_TITLES.get(code, exc.name), message=_message(exc)
    )
    return page, code, headers


def _message(exc: HTTPException) -> str:
    if isinstance(exc, CSRFError):
        return "Le jeton de sécurité du formulaire est absent ou périmé. Rechargez la page et recommencez."
    description = exc.description if isinstance(exc.description, str) else None
    french = description if description and not description.isascii() else None  # our own messages
    if exc.code == 429:
        return french or "Trop de tentatives de connexion. Patientez quelques minutes avant de réessayer."
    if exc.code == 413:
        return (
            f"Le contenu envoyé dépasse la taille permise ({limit_label(request.max_content_length)})."
            " Seul l'import d'un territoire accepte de gros fichiers."
        )
    if exc.code == 401:
        return "Authentifiez-vous : jeton « Authorization: Bearer » (POST /api/v1/tokens) ou session."
    if exc.code == 403:
        return "Vous n'avez pas le droit d'accéder à cette page."
    if exc.code == 404:
        return "Cette page n'existe pas ou ne vous est pas accessible."
    if french:
        return french
    return "La requête n'a pas pu être traitée."


def init_app(app: Flask) -> None:
    """Install headers and French error pages."""
    app.after_request(_headers)
    app.register_error_handler(HTTPException, _error_page)

    @app.context_processor
    def _inject() -> dict[str, Any]:
        return {"role_home": ROLE_HOME, "g": g}
