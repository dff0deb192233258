"""Request body limits: small everywhere, large only for the territory imports.

``MAX_CONTENT_LENGTH`` (1 MiB) bounds every request body, so that no unauthenticated endpoint parses
megabytes; views decorated with :func:`large_body` accept up to ``IMPORT_MAX_CONTENT_LENGTH``
(64 MiB). The limit is set before anything reads the body (the CSRF check parses forms first).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request

F = TypeVar("F", bound=Callable[..., Any])

_LARGE = "_accepts_large_body"


def large_body(view: F) -> F:
    """Let this view receive bodies up to ``IMPORT_MAX_CONTENT_LENGTH`` (territory imports)."""
    setattr(view, _LARGE, True)
    return view


def _set_limit() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, _LARGE, False):
        request.max_content_length = int(current_app.config["IMPORT_MAX_CONTENT_LENGTH"])


def limit_label(size: int | None) -> str:
    """A body limit in French (Mio or kio).

    >>> limit_label(64 * 1024 * 1024), limit_label(512 * 1024)
    ('64 Mio', '512 kio')
    """
    if size is None:
        return "sans limite"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} Mio"
    return f"{size / 1024:g} kio"


def init_app(app: Flask) -> None:
    """Install the per-view limit (before any other hook reads the body)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _set_limit)
