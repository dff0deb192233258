"""Portal accounts (comptes utilisateurs): a tenant, a landlord's staff member, or a territory admin.

The role decides which link is set, and the database checks it: a ``tenant`` is linked to one
household, a ``staff`` member (agent de bailleur, sits in its CALEOL) to one landlord, an ``admin``
(administrateur du territoire) to neither.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.models.base import Base
from exchange.models.domain import Household, Landlord, Territory

__all__ = ["ACCOUNT_ROLES", "PortalSession", "SignInFailure", "UserAccount"]

ACCOUNT_ROLES = ("tenant", "staff", "admin")


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _email_default(context: Any) -> str | None:
    """A login that is an e-mail address is also where the account's mail goes, unless told otherwise."""
    login = str(context.get_current_parameters().get("login") or "")
    return login if "@" in login else None


class UserAccount(Base):
    """A portal account; ``login`` is the (lower-case) e-mail address or identifier.

    ``email`` is where its notifications go (none: no mail); ``mail_muted`` lists the kinds of
    notification it turned off (only those :data:`exchange.notifications.OPTIONAL_KINDS` allows).
    """

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role IN ('tenant', 'staff', 'admin')", name="role"),
        CheckConstraint(
            "(role = 'tenant' AND household_id IS NOT NULL AND landlord_id IS NULL)"
            " OR (role = 'staff' AND landlord_id IS NOT NULL AND household_id IS NULL)"
            " OR (role = 'admin' AND landlord_id IS NULL AND household_id IS NULL)",
            name="role_links",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    landlord_id: Mapped[int | None] = mapped_column(
        ForeignKey("landlord.id", ondelete="CASCADE"), nullable=True
    )
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), nullable=True, index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=lambda: True)
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    api_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True, default=_email_default)
    mail_muted: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))

    territory: Mapped[Territory] = relationship()
    landlord: Mapped[Landlord | None] = relationship()
    household: Mapped[Household | None] = relationship()


class PortalSession(Base):
    """A signed-in browser (session du portail): the cookie carries a random id, the row its SHA-256.

    Signing out, a new password or an idle or absolute lifetime ends it, whatever the cookie says.
    """

    __tablename__ = "portal_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class SignInFailure(Base):
    """Failed sign-ins counted under one key (address × login, device × login, address, login).

    ``key_hash`` is the SHA-256 of the key, so that neither addresses nor logins are stored in clear;
    ``blocked_until`` is when the next attempt under the key is heard again.
    """

    __tablename__ = "sign_in_failure"
    __table_args__ = (CheckConstraint("failures >= 0", name="failures_min"),)

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
