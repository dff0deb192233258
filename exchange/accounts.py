"""Portal accounts (comptes): creation, argon2 password hashes, sign-in, API tokens, demo accounts.

Three roles: ``tenant`` (locataire, linked to one household), ``staff`` (agent of one landlord, sits in
its CALEOL) and ``admin`` (administrateur du territoire). Services take the session and never commit.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import records
from exchange.errors import ExchangeError, InvalidArgument, NotFound
from exchange.models import Household, Landlord, Territory, UserAccount

Role = Literal["tenant", "staff", "admin"]
ROLES: tuple[Role, ...] = ("tenant", "staff", "admin")

_hasher = PasswordHasher()
_dummy_hash: str | None = None


def _dummy() -> str:
    """A hash verified against when the login is unknown, so that both paths cost one argon2 hash.

    Computed on first use (not at import: every CLI command would pay for it).
    """
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("compte-inexistant")
    return _dummy_hash


class AccountExists(ExchangeError):
    """An account with this login already exists."""


class PasswordRejected(ExchangeError):
    """A password change refused; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Account:
    """What the portal needs to know about a signed-in account (a plain copy of the row)."""

    id: int
    login: str
    role: str
    display_name: str
    territory_id: int
    territory_code: str
    household_id: int | None = None
    household_ref: str | None = None
    email: str | None = None
    mail_muted: tuple[str, ...] = ()
    landlord_id: int | None = None
    landlord_code: str | None = None
    active: bool = True
    # Changes with the password: a portal session carries it, so a new password ends the other sessions.
    session_stamp: str = ""


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    if len(password) < 8:
        raise InvalidArgument({"password": ["au moins 8 caractères"]})
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _account(row: UserAccount) -> Account:
    territory = row.territory
    return Account(
        id=row.id,
        login=row.login,
        role=row.role,
        display_name=row.display_name or row.login,
        territory_id=row.territory_id,
        territory_code=territory.code,
        household_id=row.household_id,
        household_ref=row.household.ref if row.household is not None else None,
        email=row.email,
        mail_muted=tuple(row.mail_muted or ()),
        landlord_id=row.landlord_id,
        landlord_code=row.landlord.code if row.landlord is not None else None,
        active=row.active,
        session_stamp=hashlib.sha256(row.password_hash.encode()).hexdigest()[:16],
    )


def get_account(session: Session, account_id: int) -> Account | None:
    """The account with this id, or None."""
    row = session.get(UserAccount, account_id)
    return _account(row) if row is not None else None


def account_id_for_login(session: Session, login: str) -> int | None:
    """The id of the account with this login, or None."""
    return session.scalars(select(UserAccount.id).where(UserAccount.login == login.strip().lower())).first()


def authenticate(session: Session, login: str, password: str) -> Account | None:
    """The active account whose login and password match, or None (same cost either way)."""
    row = session.scalars(select(UserAccount).where(UserAccount.login == login.strip().lower())).one_or_none()
    if row is None or not row.active:
        verify_password(_dummy(), password)
        return None
    if not verify_password(row.password_hash, password):
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    return _account(row)


def change_password(session: Session, account_id: int, current: str, new: str) -> Account:
    """Replace the account's password after checking the current one; returns the updated account.

    Raises :class:`PasswordRejected` (wrong current password; a new one under 8 characters, equal to
    the current one or to the login) and :class:`NotFound`. Its ``session_stamp`` changes, so every
    other portal session of the account ends, and its API token is revoked; an audit event records
    the change (never the password).
    """
    from exchange.models.workflow import AuditEvent

    row = session.get(UserAccount, account_id)
    if row is None or not row.active:
        raise NotFound("compte inconnu ou désactivé")
    if not verify_password(row.password_hash, current):
        raise PasswordRejected("current_password", "Le mot de passe actuel est incorrect.")
    if len(new) < 8:
        raise PasswordRejected("new_password", "Le nouveau mot de passe doit compter au moins 8 caractères.")
    if new == current:
        raise PasswordRejected("new_password", "Choisissez un mot de passe différent de l'actuel.")
    if new.strip().lower() == row.login:
        raise PasswordRejected("new_password", "Le mot de passe ne peut pas être votre identifiant.")
    row.password_hash = hash_password(new)
    row.api_token_hash = None  # a token obtained with the old password stops working too
    row.api_token_expires_at = None
    session.add(
        AuditEvent.by(
            row,
            territory_id=row.territory_id,
            at=datetime.now(),
            action="account.password_changed",
            entity="account",
            entity_id=row.id,
        )
    )
    session.flush()
    return _account(row)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def normalize_email(value: str) -> str:
    """``value`` as stored: trimmed, domain in lower case; raises :class:`InvalidArgument` if malformed.

    >>> normalize_email(" Marie.Dupont@Exemple.FR ")
    'Marie.Dupont@exemple.fr'
    """
    text = value.strip()
    if len(text) > 254 or not _EMAIL.match(text):
        raise InvalidArgument({"email": ["adresse électronique invalide (attendu : nom@domaine.fr)"]})
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def set_email(session: Session, account_id: int, email: str | None) -> Account:
    """Change (or, with None or "", remove) the address the account's notifications go to.

    Raises :class:`InvalidArgument` and :class:`NotFound`. Messages not yet sent go to the new
    address; without an address they are cancelled when their turn comes.
    """
    row = session.get(UserAccount, account_id)
    if row is None:
        raise NotFound(f"compte inconnu : {account_id}")
    row.email = normalize_email(email) if email and email.strip() else None
    session.flush()
    return _account(row)


def create_user(
    session: Session,
    *,
    login: str,
    password: str,
    role: str,
    territory: str,
    household: str | None = None,
    landlord: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
) -> Account:
    """Create an account; a tenant names its household ref, a staff member its landlord code.

    ``email`` is where its notifications go; by default the login when it is an e-mail address.
    """
    login = login.strip().lower()
    if role not in ROLES:
        raise InvalidArgument({"role": [f"{role!r} inconnu (attendu : {', '.join(ROLES)})"]})
    if not login:
        raise InvalidArgument({"login": ["obligatoire"]})
    territory_row = session.scalars(select(Territory).where(Territory.code == territory)).one_or_none()
    if territory_row is None:
        raise NotFound(f"territoire {territory!r} introuvable")
    if session.scalars(select(UserAccount.id).where(UserAccount.login == login)).first() is not None:
        raise AccountExists(f"le compte {login!r} existe déjà")
    row = UserAccount(
        login=login,
        password_hash=hash_password(password),
        role=role,
        territory_id=territory_row.id,
        display_name=display_name or login,
        email=normalize_email(email) if email else (login if _EMAIL.match(login) else None),
    )
    if role == "tenant":
        if household is None:
            raise InvalidArgument({"household": ["obligatoire pour un compte locataire"]})
        row.household_id = _household_id(session, territory_row.id, household)
    elif household is not None:
        raise InvalidArgument({"household": ["seulement pour un compte locataire"]})
    if role == "staff":
        if landlord is None:
            raise InvalidArgument({"landlord": ["obligatoire pour un compte de bailleur"]})
        row.landlord_id = _landlord_id(session, territory_row.id, landlord)
    elif landlord is not None:
        raise InvalidArgument({"landlord": ["seulement pour un compte de bailleur"]})
    session.add(row)
    session.flush()
    return _account(row)


def _household_id(session: Session, territory_id: int, ref: str) -> int:
    found = session.scalars(
        select(Household.id).where(Household.territory_id == territory_id, Household.ref == ref)
    ).one_or_none()
    if found is None:
        raise NotFound(f"ménage {ref!r} introuvable")
    return found


def _landlord_id(session: Session, territory_id: int, code: str) -> int:
    found = session.scalars(
        select(Landlord.id).where(Landlord.territory_id == territory_id, Landlord.code == code)
    ).one_or_none()
    if found is None:
        raise NotFound(f"bailleur {code!r} introuvable")
    return found


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


DEFAULT_TOKEN_LIFETIME = timedelta(days=30)
"""How long an API token works unless the portal is configured otherwise."""


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A bearer token as handed out once (only its SHA-256 is stored), and when it stops working."""

    token: str
    expires_at: datetime


def issue_api_token(
    session: Session,
    account_id: int,
    *,
    lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    now: datetime | None = None,
) -> ApiToken:
    """A new API token for the account, valid for ``lifetime`` (the previous token stops working)."""
    if lifetime <= timedelta(0):
        raise InvalidArgument({"lifetime": [f"durée positive attendue, pas {lifetime}"]})
    row = session.get(UserAccount, account_id)
    if row is None:
        raise NotFound(f"compte {account_id} introuvable")
    token = secrets.token_urlsafe(32)
    row.api_token_hash = _token_digest(token)
    row.api_token_expires_at = (now or datetime.now()).replace(microsecond=0) + lifetime
    return ApiToken(token, row.api_token_expires_at)


def _token_row(session: Session, token: str) -> UserAccount | None:
    if not token:
        return None
    return session.scalars(
        select(UserAccount).where(UserAccount.api_token_hash == _token_digest(token))
    ).one_or_none()


def account_for_token(session: Session, token: str, *, now: datetime | None = None) -> Account | None:
    """The active account holding this API token, or None (unknown, revoked or expired token)."""
    row = _token_row(session, token)
    if row is None or not row.active:
        return None
    expires = row.api_token_expires_at
    if expires is None or expires <= (now or datetime.now()):
        return None
    return _account(row)


def revoke_api_token(session: Session, token: str) -> bool:
    """Make this API token stop working now; False when no account holds it."""
    row = _token_row(session, token)
    if row is None:
        return False
    row.api_token_hash = None
    row.api_token_expires_at = None
    session.flush()
    return True


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """A demo account as printed by ``exchange demo-accounts``."""

    login: str
    password: str
    role: str
    description: str


DEMO_PASSWORDS = {"tenant": "demo-locataire", "staff": "demo-caleol", "admin": "demo-territoire"}
"""Known passwords of the demo accounts (demo databases only)."""


@dataclass(frozen=True, slots=True)
class _DemoCase:
    household: Household
    proposal_id: int | None
    landlords: tuple[str, ...]  # codes of the landlords whose CALEOL decides the proposal's moves
    others: tuple[Household, ...] = ()  # the proposal's other households still to answer


def _demo_tenant(session: Session, territory_id: int) -> _DemoCase | None:
    """A household for the demo tenant account.

    Preferably one waiting to answer a live proposal whose moves go into the dwellings of two
    landlords or more (so that two CALEOLs must decide), the smallest such proposal first; else any
    live proposal; else a household with an open request.
    """
    from exchange.models import Dwelling, Request
    from exchange.models.workflow import Proposal, ProposalMove

    rows = session.execute(
        select(Proposal.id, Proposal.points, ProposalMove.household_id, ProposalMove.answer, Landlord.code)
        .join(ProposalMove, ProposalMove.proposal_id == Proposal.id)
        .join(Dwelling, Dwelling.id == ProposalMove.to_dwelling_id)
        .join(Landlord, Landlord.id == Dwelling.landlord_id)
        .where(Proposal.territory_id == territory_id, Proposal.status == "proposed")
        .order_by(Proposal.id, ProposalMove.position)
    ).all()
    proposals: dict[int, tuple[int, list[int], set[str], list[int]]] = {}
    for pid, points, household_id, answer, landlord in rows:
        _points, waiting, landlords, members = proposals.setdefault(pid, (points, [], set(), []))
        landlords.add(landlord)
        members.append(household_id)
        if answer is None:
            waiting.append(household_id)
    candidates = sorted(
        (p for p in proposals.items() if p[1][1]),
        key=lambda p: (len(p[1][2]) < 2, len(p[1][3]), -p[1][0], p[0]),
    )
    if candidates:
        pid, (_points, waiting, landlords, _members) = candidates[0]
        households = [h for h in (session.get(Household, i) for i in waiting) if h is not None]
        if households:
            return _DemoCase(households[0], pid, tuple(sorted(landlords)), tuple(households[1:]))
    household = session.scalars(
        select(Household)
        .join(Request, Request.household_id == Household.id)
        .where(Request.territory_id == territory_id, Request.status == "open")
        .order_by(Household.ref)
        .limit(1)
    ).first()
    return None if household is None else _DemoCase(household, None, ())


def _ensure(
    session: Session,
    *,
    login: str,
    role: str,
    territory_id: int,
    display_name: str,
    household_id: int | None = None,
    landlord_id: int | None = None,
) -> None:
    row = session.scalars(select(UserAccount).where(UserAccount.login == login)).one_or_none()
    if row is None:
        row = UserAccount(login=login, role=role, territory_id=territory_id)
        session.add(row)
    row.role, row.territory_id, row.display_name, row.active = role, territory_id, display_name, True
    row.household_id, row.landlord_id = household_id, landlord_id
    row.password_hash = hash_password(DEMO_PASSWORDS[role])
    session.flush()


def demo_accounts(session: Session, code: str) -> list[DemoAccount]:
    """Create or reset the demo accounts of a territory (idempotent).

    One staff member per landlord, one admin, and a tenant: a household waiting to answer a live
    proposal that two landlords' CALEOLs will decide when there is one (the proposal's other
    households get accounts too, so the whole journey can be played), else a household with an
    open request.
    """
    territory = records.territory(session, code)
    slug = code.lower()
    out: list[DemoAccount] = []
    case = _demo_tenant(session, territory.id)
    if case is not None:
        login = f"locataire.{slug}"
        household = case.household
        # The tenant account follows the chosen household; free the link of any older demo tenant.
        _ensure(
            session,
            login=login,
            role="tenant",
            territory_id=territory.id,
            display_name=f"Ménage {household.ref}",
            household_id=household.id,
        )
        text = f"locataire du ménage {household.ref}"
        if case.proposal_id is not None:
            deciders = ", ".join(f"caleol.{c.lower()}.{slug}" for c in case.landlords)
            text += (
                f", proposition n° {case.proposal_id} ; "
                f"quand tous ses ménages ont accepté, décident : {deciders}"
            )
        else:
            text += ", demande ouverte, pas encore de proposition"
        out.append(DemoAccount(login, DEMO_PASSWORDS["tenant"], "tenant", text))
        for number, other in enumerate(case.others, start=2):
            login = f"locataire{number}.{slug}"
            _ensure(
                session,
                login=login,
                role="tenant",
                territory_id=territory.id,
                display_name=f"Ménage {other.ref}",
                household_id=other.id,
            )
            text = f"locataire du ménage {other.ref}, même proposition n° {case.proposal_id}"
            out.append(DemoAccount(login, DEMO_PASSWORDS["tenant"], "tenant", text))
    printed = {a.login for a in out}
    for stale in session.scalars(
        select(UserAccount).where(UserAccount.login.like(f"locataire%.{slug}"), UserAccount.role == "tenant")
    ).all():
        if stale.login not in printed:  # an older demo tenant of another proposal
            stale.active = False
    for landlord in session.scalars(
        select(Landlord).where(Landlord.territory_id == territory.id).order_by(Landlord.code)
    ).all():
        login = f"caleol.{landlord.code.lower()}.{slug}"
        _ensure(
            session,
            login=login,
            role="staff",
            territory_id=territory.id,
            display_name=f"CALEOL {landlord.name}",
            landlord_id=landlord.id,
        )
        out.append(DemoAccount(login, DEMO_PASSWORDS["staff"], "staff", f"agent CALEOL de {landlord.name}"))
    login = f"admin.{slug}"
    _ensure(
        session,
        login=login,
        role="admin",
        territory_id=territory.id,
        display_name=f"Territoire {territory.name}",
    )
    out.append(
        DemoAccount(login, DEMO_PASSWORDS["admin"], "admin", f"administrateur du territoire {territory.name}")
    )
    return out
