"""Flask extensions of the portal, created unbound (bound in :func:`web.create_app`)."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
# Storage from RATELIMIT_STORAGE_URI (EXCHANGE_RATELIMIT_STORAGE_URI, e.g. redis:// for several processes).
limiter = Limiter(key_func=get_remote_address)

__all__ = ["csrf", "limiter", "login_manager"]
