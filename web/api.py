"""JSON API ``/api/v1/`` for landlords' systems: the portal's reads and actions, described in OpenAPI 3.

Authentication: ``Authorization: Bearer <jeton>`` (tokens from ``POST /api/v1/tokens``), or the
portal's session cookie. CSRF is checked for session-authenticated writes only. Bodies and queries
are loaded by the contracts of :mod:`exchange.schemas.contracts`; whatever they refuse, and ids beyond
the database's integers, is answered 422 with French messages by field path (never a traceback).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, current_app, g, jsonify, request, url_for
from flask_login import current_user
from marshmallow import Schema
from sqlalchemy.orm import Session

from exchange import accounts, portal
from exchange import runs as run_jobs
from exchange.errors import ExchangeError, InvalidInput, InvalidTerritory, NotFound
from exchange.portal import commission as commission_portal
from exchange.portal import review as review_portal
from exchange.schemas import INT_MAX, TerritoryDocumentSchema, load_or_raise
from exchange.schemas import contracts as c
from exchange.settings import InvalidPolicy
from web import background
from web.db import get_session
from web.extensions import csrf
from web.limits import large_body
from web.openapi import ERROR_TEXTS, obj, openapi_document, operation
from web.sign_in import sign_in
from web.writes import own_write_lock

bp = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., Any])
POLICY = {"type": "object", "additionalProperties": {"type": "number"}}


def to_json(value: Any) -> Any:
    """Plain JSON from dataclasses (with their public properties), dates and tuples."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name, attr in vars(type(value)).items():
            if isinstance(attr, property) and not name.startswith("_"):
                out[name] = to_json(getattr(value, name))
        return out
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return value


def _account_from_request() -> accounts.Account | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        account = accounts.account_for_token(get_session(), header[len("Bearer ") :].strip())
        if account is None:
            abort(401)
        g.api_token_auth = True
        return account
    if current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()  # a browser session writing through the API needs the CSRF token
        g.api_token_auth = False
        return cast(accounts.Account, current_user.account)
    return None


def api_role(*roles: str) -> Callable[[F], F]:
    """Authenticate by token or session; 401 when anonymous, 403 for another role."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            account = _account_from_request()
            if account is None:
                abort(401)
            if account.role not in roles:
                abort(403)
            g.account = account
            _check_ids(kwargs)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


BODY = "(corps)"  # the path of a problem with the whole body (not an object, nested too deep)


def _check_ids(kwargs: dict[str, Any]) -> None:
    """Ids of the URL fit the database's integers (beyond, PostgreSQL would fail on the query)."""
    too_large = {name: value for name, value in kwargs.items() if isinstance(value, int) and value > INT_MAX}
    if too_large:
        raise InvalidInput({name: [f"identifiant trop grand (au plus {INT_MAX})."] for name in too_large})


def _json(root: str = BODY, *, unreadable: int = 400) -> Any:
    """The request's JSON, parsed once in one place whatever its depth or its content type.

    Not JSON: ``abort(unreadable)``, or 422 under ``root`` when ``unreadable`` is 422; nested deeper
    than the parser's recursion: 422 under ``root``. The parser's own text is never echoed.
    """
    text = request.get_data(as_text=True)
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidInput({root: ["JSON imbriqué trop profondément."]}) from None
    except json.JSONDecodeError as exc:
        where = f"JSON illisible (ligne {exc.lineno}, colonne {exc.colno})."
        if unreadable == 422:
            raise InvalidInput({root: [where]}) from None
        abort(400, description=f"Corps JSON attendu (un objet) : {where[0].lower()}{where[1:]}")
    except ValueError:  # an integer of more than 4,300 digits
        raise InvalidInput({root: ["JSON illisible : un nombre compte trop de chiffres."]}) from None


def _load(schema: Schema, *, optional: bool = False) -> dict[str, Any]:
    """The body loaded by ``schema`` (422 by field path otherwise); an empty body is ``{}`` if optional."""
    data = {} if optional and not request.get_data().strip() else _json()
    return load_or_raise(schema, data, root=BODY)


def _query(schema: Schema) -> dict[str, Any]:
    """The query string loaded by ``schema`` (the first value of each parameter)."""
    return load_or_raise(schema, request.args.to_dict(), root="(requête)")


def _invalid(messages: dict[str, list[str]]) -> tuple[Any, int]:
    return jsonify(error="Données invalides", messages=messages), 422


@bp.errorhandler(InvalidInput)
def _refused_input(exc: InvalidInput) -> tuple[Any, int]:
    get_session().rollback()
    return _invalid(exc.messages)


def _refused(session: Any, exc: ExchangeError) -> tuple[Any, int]:
    """Roll back; 422 with messages per field for invalid input, 409 for an action the state forbids."""
    session.rollback()
    if isinstance(exc, InvalidInput):
        return _invalid(exc.messages)
    return jsonify(error=str(exc)), 409


@bp.get("/openapi.json")
@operation("Cette description", "général", answer={"type": "object"}, public=True)
def openapi() -> Any:
    """The OpenAPI 3 description of this API."""
    return jsonify(openapi_document())


@bp.post("/tokens")
@operation(
    "Obtenir un jeton d'accès",
    "général",
    answer=c.TokenSchema,
    status="201",
    body=c.TokenRequestSchema,
    public=True,
    responses={"401": "Identifiants incorrects", "429": ERROR_TEXTS["429"]},
)
def create_token() -> Any:
    """Exchange a login and password for a bearer token valid ``API_TOKEN_LIFETIME_DAYS`` days.

    The previous token of the account stops working. Failed attempts slow down as on the sign-in page
    (429 with ``Retry-After``).
    """
    data = _load(c.TokenRequestSchema())
    account = sign_in(data["login"], data["password"])
    session = get_session()
    if account is None:
        session.commit()
        return jsonify(error="Identifiant ou mot de passe incorrect."), 401
    lifetime = timedelta(days=float(current_app.config["API_TOKEN_LIFETIME_DAYS"]))
    issued = accounts.issue_api_token(session, account.id, lifetime=lifetime)
    session.commit()
    return jsonify(token=issued.token, role=account.role, expires_at=issued.expires_at.isoformat()), 201


@bp.delete("/tokens")
@operation(
    "Révoquer le jeton présenté",
    "général",
    answer=None,
    status="204",
    responses={"401": "Jeton absent, inconnu, révoqué ou expiré"},
)
def revoke_token() -> Any:
    """Revoke the presenting bearer token (204); 401 without a valid one."""
    header = request.headers.get("Authorization", "")
    token = header[len("Bearer ") :].strip() if header.startswith("Bearer ") else ""
    session = get_session()
    if accounts.account_for_token(session, token) is None:
        abort(401)
    accounts.revoke_api_token(session, token)
    session.commit()
    return "", 204


@bp.get("/me")
@operation("Le compte authentifié", "général", answer=c.AccountSchema)
@api_role("tenant", "staff", "admin")
def me() -> Any:
    """The authenticated account."""
    a = g.account
    return jsonify(
        login=a.login,
        role=a.role,
        display_name=a.display_name,
        territory=a.territory_code,
        landlord=a.landlord_code,
        email=a.email,
    )


# Tenant -------------------------------------------------------------------------------------------


@bp.get("/request")
@operation(
    "Le ménage (critères expliqués) et sa demande",
    "locataire",
    answer=obj(household=portal.HouseholdPicture, request=portal.RequestView | None),
)
@api_role("tenant")
def get_request() -> Any:
    """The household's picture (criteria explained) and its request."""
    overview = portal.tenant_overview(get_session(), g.account)
    return jsonify(household=to_json(overview.picture), request=to_json(overview.request))


@bp.get("/situation")
@operation(
    "« Ma situation » : points, logements qui correspondent à la demande et à chaque souhait élargi, "
    "attente des demandes comparables",
    "locataire",
    answer=portal.TenantSituation,
)
@api_role("tenant")
def situation() -> Any:
    """The household's own situation: counts only, nothing of another household."""
    return jsonify(to_json(portal.tenant_situation(get_session(), g.account)))


@bp.put("/request")
@operation(
    "Déposer ou modifier la demande",
    "locataire",
    answer=obj(request=portal.RequestView),
    body=c.WishesSchema,
    responses={"201": "Demande déposée"},
)
@api_role("tenant")
def put_request() -> Any:
    """File or replace the request's wishes."""
    session = get_session()
    wishes = portal.load_wishes(session, g.account, _json(), root=BODY)
    try:
        created = portal.save_request(session, g.account, wishes)
    except ExchangeError as exc:
        return _refused(session, exc)
    session.commit()
    return jsonify(
        request=to_json(portal.tenant_overview(session, g.account).request)
    ), 201 if created else 200


@bp.post("/request/confirm")
@operation(
    "Confirmer la demande mise en pause après des propositions restées sans réponse",
    "locataire",
    answer=obj(request=portal.RequestView),
)
@api_role("tenant")
def confirm_request() -> Any:
    """Confirm the request, paused after proposals left without an answer (409 otherwise)."""
    refused = _follow(lambda session: portal.confirm_request(session, g.account))
    if refused is not None:
        return refused
    return jsonify(request=to_json(portal.tenant_overview(get_session(), g.account).request))


@bp.get("/offers")
@operation(
    "Offres anonymisées, filtrées, triées et paginées",
    "locataire",
    answer=portal.OfferPage,
    query=c.OffersQuery,
)
@api_role("tenant")
def offers() -> Any:
    """Anonymised offers with the same filters as the portal page."""
    args = _query(c.OffersQuery())
    filters = portal.OfferFilters(**{**args, "commune": args["commune"] or None})
    return jsonify(to_json(portal.list_offers(get_session(), g.account, filters)))


@bp.get("/proposals")
@operation("Propositions du ménage", "locataire", answer=obj(proposals=list[portal.ProposalSummary]))
@api_role("tenant")
def proposals() -> Any:
    """The household's proposals."""
    return jsonify(proposals=to_json(portal.tenant_proposals(get_session(), g.account)))


@bp.get("/proposals/<int:proposal_id>")
@operation("Une proposition anonymisée et son suivi", "locataire", answer=portal.ProposalDetail)
@api_role("tenant")
def proposal(proposal_id: int) -> Any:
    """One proposal of the household, anonymised, with its tracker."""
    try:
        return jsonify(to_json(portal.tenant_proposal(get_session(), g.account, proposal_id)))
    except NotFound:
        abort(404)


def _my_proposal_session(proposal_id: int) -> Any:
    """The request's session, after a 404 unless the proposal is one of the tenant's household."""
    session = get_session()
    try:
        portal.tenant_proposal(session, g.account, proposal_id)
    except NotFound:
        abort(404)
    return session


@bp.post("/proposals/<int:proposal_id>/answer")
@operation(
    "Accepter ou refuser une proposition", "locataire", answer=portal.ProposalDetail, body=c.AnswerSchema
)
@api_role("tenant")
def answer(proposal_id: int) -> Any:
    """Accept (``{"accept": true}``) or refuse with a reason from the fixed list."""
    session = _my_proposal_session(proposal_id)
    data = _load(c.AnswerSchema())
    accept = data["accept"]
    try:
        portal.record_answer(
            session,
            g.account,
            proposal_id,
            accepted=accept,
            reason=None if accept else data["reason"],
            comment=data["comment"],
        )
    except ExchangeError as exc:
        return _refused(session, exc)
    session.commit()
    return jsonify(to_json(portal.tenant_proposal(session, g.account, proposal_id)))


@bp.post("/proposals/<int:proposal_id>/withdraw")
@operation(
    "Se désister d'une proposition acceptée (toute la proposition échoue)",
    "locataire",
    answer=portal.ProposalDetail,
    body=c.WithdrawSchema,
)
@api_role("tenant")
def withdraw(proposal_id: int) -> Any:
    """Withdraw from an accepted proposal (``{"reason": ..., "comment": ...}``): the whole proposal fails."""
    session = _my_proposal_session(proposal_id)
    data = _load(c.WithdrawSchema())
    try:
        portal.record_withdrawal(
            session, g.account, proposal_id, reason=data["reason"], comment=data["comment"]
        )
    except ExchangeError as exc:
        return _refused(session, exc)
    session.commit()
    return jsonify(to_json(portal.tenant_proposal(session, g.account, proposal_id)))


@bp.get("/proposals/<int:proposal_id>/visits")
@operation("Les visites d'une proposition qui concernent le ménage", "locataire", answer=portal.TenantVisits)
@api_role("tenant")
def visits(proposal_id: int) -> Any:
    """The household's visits in a proposal; the other's contacts only once both households accepted."""
    try:
        return jsonify(to_json(portal.tenant_visits(get_session(), g.account, proposal_id)))
    except NotFound:
        abort(404)


def _visit_write(proposal_id: int, action: Any) -> Any:
    """One visit write of the tenant: the visits afterwards; 409 for a refused step, 404 for another's."""
    session = get_session()
    try:
        action(session)
    except NotFound:
        session.rollback()
        abort(404)
    except ExchangeError as exc:
        return _refused(session, exc)
    session.commit()
    return jsonify(to_json(portal.tenant_visits(session, g.account, proposal_id)))


@bp.post("/proposals/<int:proposal_id>/visits")
@operation(
    "Demander à visiter le logement proposé (le ménage qui l'habite est prévenu)",
    "locataire",
    answer=portal.TenantVisits,
    body=c.VisitAskSchema,
)
@api_role("tenant")
def ask_visit(proposal_id: int) -> Any:
    """Ask to visit the dwelling offered (``{"phone": "06 12 34 56 78"}``, the phone optional)."""
    data = _load(c.VisitAskSchema(), optional=True)
    return _visit_write(
        proposal_id, lambda s: portal.ask_visit(s, g.account, proposal_id, phone=data["phone"])
    )


@bp.post("/proposals/<int:proposal_id>/visits/<int:visit_id>/answer")
@operation(
    "Accepter ou refuser la visite de son logement (les coordonnées sont alors échangées)",
    "locataire",
    answer=portal.TenantVisits,
    body=c.VisitAnswerSchema,
)
@api_role("tenant")
def answer_visit(proposal_id: int, visit_id: int) -> Any:
    """Accept (``{"accept": true, "phone": ...}``) or decline a visit of the household's dwelling."""
    data = _load(c.VisitAnswerSchema())
    return _visit_write(
        proposal_id,
        lambda s: portal.answer_visit(
            s, g.account, proposal_id, visit_id, accept=data["accept"], phone=data["phone"]
        ),
    )


@bp.put("/proposals/<int:proposal_id>/visits/<int:visit_id>/report")
@operation(
    "Noter la date d'une visite acceptée et son résultat",
    "locataire",
    answer=portal.TenantVisits,
    body=c.VisitReportSchema,
)
@api_role("tenant")
def report_visit(proposal_id: int, visit_id: int) -> Any:
    """The agreed date (``visit_on``) and, once past, the outcome (done, missed, cancelled)."""
    data = _load(c.VisitReportSchema())
    return _visit_write(
        proposal_id,
        lambda s: portal.report_visit(
            s, g.account, proposal_id, visit_id, visit_on=data["visit_on"], outcome=data["outcome"]
        ),
    )


# CALEOL -------------------------------------------------------------------------------------------


@bp.get("/moves")
@operation(
    "Mouvements vers les logements du bailleur en attente de décision",
    "CALEOL",
    answer=obj(moves=list[portal.QueueItem]),
)
@api_role("staff")
def moves() -> Any:
    """Moves into the landlord's dwellings awaiting a decision."""
    return jsonify(moves=to_json(portal.committee_queue(get_session(), g.account)))


@bp.get("/moves/<int:move_id>")
@operation("Dossier d'un mouvement", "CALEOL", answer=portal.Dossier)
@api_role("staff")
def move(move_id: int) -> Any:
    """The dossier of one move into the landlord's dwellings."""
    try:
        return jsonify(to_json(portal.move_dossier(get_session(), g.account, move_id)))
    except NotFound:
        abort(404)


@bp.post("/moves/<int:move_id>/decision")
@operation(
    "Enregistrer la décision de CALEOL (R.441-3)", "CALEOL", answer=portal.Dossier, body=c.DecisionSchema
)
@api_role("staff")
def decision(move_id: int) -> Any:
    """Record the CALEOL decision: ``kind`` (R.441-3), ``reason``; ``rank`` for a ranked one,
    ``condition`` and ``condition_due`` for a conditional one."""
    return _decide(move_id, c.DecisionSchema(), portal.record_decision)


@bp.post("/moves/<int:move_id>/decision/correction")
@operation(
    "Corriger la décision de CALEOL tant que la proposition attend des décisions",
    "CALEOL",
    answer=portal.Dossier,
    body=c.CorrectionSchema,
)
@api_role("staff")
def correction(move_id: int) -> Any:
    """Replace the CALEOL decision on this move (same fields as a decision) and say why: ``correction``."""
    return _decide(move_id, c.CorrectionSchema(), portal.correct_decision, "correction")


def _decide(move_id: int, schema: Schema, service: Any, *extra: str) -> Any:
    """A decision (or its correction) on a move into the staff's landlord's dwellings: the dossier."""
    session = get_session()
    try:
        portal.move_dossier(session, g.account, move_id)
    except NotFound:
        abort(404)
    data = _load(schema)
    fields = {name: data[name].strip() for name in extra}
    try:
        service(
            session,
            g.account,
            move_id,
            **fields,
            kind=data["kind"],
            reason=data["reason"].strip(),
            rank=data["rank"],
            condition=(data["condition"] or "").strip() or None,
            condition_due=data["condition_due"],
        )
    except ExchangeError as exc:
        return _refused(session, exc)
    session.commit()
    return jsonify(to_json(portal.move_dossier(session, g.account, move_id)))


def _follow(action: Any) -> tuple[Any, int] | None:
    """Run a follow-up action; None when done (committed), else the error response."""
    session = get_session()
    try:
        action(session)
    except NotFound:
        abort(404)
    except ExchangeError as exc:
        return _refused(session, exc)
    session.commit()
    return None


@bp.post("/moves/<int:move_id>/condition-met")
@operation(
    "La condition suspensive de la décision est remplie",
    "CALEOL",
    answer=portal.MoveFollowup,
)
@api_role("staff")
def condition_met(move_id: int) -> Any:
    """The suspensive condition of the CALEOL's decision on this move is met."""
    refused = _follow(lambda session: portal.lift_condition(session, g.account, move_id))
    if refused is not None:
        return refused
    return jsonify(to_json(portal.move_followup(get_session(), g.account, move_id)))


@bp.put("/moves/<int:move_id>/move-date")
@operation(
    "Changer la date du déménagement de la proposition confirmée",
    "CALEOL",
    answer=portal.MoveFollowup,
    body=c.MoveDateSchema,
)
@api_role("staff")
def move_move_date(move_id: int) -> Any:
    """Change the common move date of this move's confirmed proposal (``{"move_date": "AAAA-MM-JJ"}``)."""
    day = _load(c.MoveDateSchema())["move_date"]
    try:
        proposal_id = portal.move_dossier(get_session(), g.account, move_id).proposal_id
    except NotFound:
        abort(404)
    refused = _follow(lambda session: portal.set_move_date(session, g.account, proposal_id, day))
    if refused is not None:
        return refused
    return jsonify(to_json(portal.move_followup(get_session(), g.account, move_id)))


@bp.get("/tenants")
@operation("Locataires du bailleur et leur demande", "CALEOL", answer=obj(tenants=list[portal.TenantRow]))
@api_role("staff")
def tenants() -> Any:
    """The landlord's tenants, each with where its request stands."""
    return jsonify(tenants=to_json(portal.landlord_tenants(get_session(), g.account)))


@bp.put("/tenants/<int:household_id>/request")
@operation(
    "Déposer ou modifier la demande d'un locataire du bailleur, avec son accord",
    "CALEOL",
    answer=obj(request=portal.RequestView),
    body=c.StaffRequestSchema,
    responses={"201": "Demande déposée"},
)
@api_role("staff")
def put_tenant_request(household_id: int) -> Any:
    """File or edit a tenant's request for it (``consent`` must be true)."""
    session = get_session()
    try:
        portal.tenant_request(session, g.account, household_id)
    except NotFound:
        abort(404)
    known = tuple(portal.territory_communes(session, g.account.territory_id))
    data = load_or_raise(c.StaffRequestSchema(communes=known), _json(), root=BODY)
    wishes = portal.Wishes(
        tuple(data["communes"]),
        data["min_rooms"],
        data["max_rooms"],
        float(data["max_cost"]),
        data["accept_qpv"],
    )
    try:
        created = portal.file_for_tenant(session, g.account, household_id, wishes, consent=data["consent"])
    except ExchangeError as exc:
        return _refused(session, exc)
    session.commit()
    _ref, req = portal.tenant_request(session, g.account, household_id)
    return jsonify(request=to_json(req)), 201 if created else 200


@bp.post("/tenants/<int:household_id>/proposals/<int:proposal_id>/answer")
@operation(
    "Enregistrer la réponse d'un locataire du bailleur (au guichet, par téléphone, par courrier)",
    "CALEOL",
    answer=portal.ProposalDetail,
    body=c.StaffAnswerSchema,
)
@api_role("staff")
def answer_for_tenant(household_id: int, proposal_id: int) -> Any:
    """Record the answer one of the landlord's tenants gave (``{"accept": true, "channel": "phone"}``, or a
    refusal with its reason); the proposal as the household sees it. Another landlord's tenant: 404."""

    def record(session: Session, data: dict[str, Any]) -> None:
        accept = data["accept"]
        portal.record_tenant_answer(
            session,
            g.account,
            household_id,
            proposal_id,
            accepted=accept,
            reason=None if accept else data["reason"],
            comment=data["comment"],
            channel=data["channel"],
        )

    return _for_tenant(household_id, proposal_id, c.StaffAnswerSchema(), record)


@bp.post("/tenants/<int:household_id>/proposals/<int:proposal_id>/withdraw")
@operation(
    "Enregistrer le désistement d'un locataire du bailleur (au guichet, par téléphone, par courrier)",
    "CALEOL",
    answer=portal.ProposalDetail,
    body=c.StaffWithdrawSchema,
)
@api_role("staff")
def withdraw_for_tenant(household_id: int, proposal_id: int) -> Any:
    """Record the withdrawal of one of the landlord's tenants from a proposal it accepted
    (``{"reason": "timing", "channel": "phone"}``): the whole proposal fails; the proposal as the household
    sees it. Another landlord's tenant: 404."""

    def record(session: Session, data: dict[str, Any]) -> None:
        portal.record_tenant_withdrawal(
            session,
            g.account,
            household_id,
            proposal_id,
            reason=data["reason"],
            comment=data["comment"],
            channel=data["channel"],
        )

    return _for_tenant(household_id, proposal_id, c.StaffWithdrawSchema(), record)


def _for_tenant(
    household_id: int, proposal_id: int, schema: Schema, record: Callable[[Session, dict[str, Any]], None]
) -> Any:
    """What the staff records for one of its tenants (404 for another's), then the proposal as the
    household sees it; a refusal of the workflow writes nothing."""
    session = get_session()
    try:
        portal.tenant_answer_proposal(session, g.account, household_id, proposal_id)
    except NotFound:
        abort(404)
    data = _load(schema)
    try:
        record(session, data)
    except ExchangeError as exc:
        return _refused(session, exc)
    session.commit()
    _ref, detail = portal.tenant_answer_proposal(session, g.account, household_id, proposal_id)
    return jsonify(to_json(detail))


@bp.get("/planned-moves")
@operation(
    "Déménagements programmés (propositions confirmées)",
    "suivi",
    answer=obj(planned=list[portal.PlannedMove]),
)
@api_role("staff", "admin")
def planned_moves() -> Any:
    """Confirmed proposals (the territory's, or those involving the staff's landlord), by move date."""
    return jsonify(planned=to_json(portal.planned_moves(get_session(), g.account)))


@bp.get("/paused-requests")
@operation(
    "Demandes en pause des locataires du bailleur",
    "CALEOL",
    answer=obj(paused=list[portal.PausedRequest]),
)
@api_role("staff")
def paused_requests() -> Any:
    """Paused requests of the landlord's tenants."""
    return jsonify(paused=to_json(portal.paused_requests(get_session(), g.account)))


@bp.post("/paused-requests/<int:request_id>/reopen")
@operation(
    "Rouvrir une demande en pause après examen",
    "CALEOL",
    answer=obj(paused=list[portal.PausedRequest]),
)
@api_role("staff")
def reopen_request(request_id: int) -> Any:
    """Reopen one of them after review; it enters the next run."""
    refused = _follow(lambda session: portal.reopen_request(session, g.account, request_id))
    if refused is not None:
        return refused
    return jsonify(paused=to_json(portal.paused_requests(get_session(), g.account)))


@bp.get("/awaited-answers")
@operation(
    "Locataires du bailleur dont la réponse à une proposition est attendue",
    "CALEOL",
    answer=obj(awaited=list[portal.AwaitedAnswer]),
)
@api_role("staff")
def awaited_answers() -> Any:
    """The landlord's tenants whose answer to a live proposal is still awaited, nearest deadline first."""
    account = g.account
    awaited = portal.awaited_answers(get_session(), account.territory_code, landlord_id=account.landlord_id)
    return jsonify(awaited=to_json(awaited))


@bp.get("/minutes")
@operation("Procès-verbal : décisions d'une période", "CALEOL", answer=portal.Minutes, query=c.MinutesQuery)
@api_role("staff")
def minutes() -> Any:
    """Decisions of the landlord's CALEOL between ``start`` and ``end`` (ISO dates)."""
    period = _query(c.MinutesQuery())
    return jsonify(to_json(portal.session_minutes(get_session(), g.account, period["start"], period["end"])))


# Territory ----------------------------------------------------------------------------------------


@bp.get("/territory")
@operation("Chiffres clés du territoire", "territoire", answer=portal.TerritoryInfo)
@api_role("admin")
def territory() -> Any:
    """Key figures of the territory."""
    return jsonify(to_json(portal.territory_overview(get_session(), g.account)))


@bp.post("/territory/import")
@operation(
    "Importer un document du territoire (tout ou rien)",
    "territoire",
    answer=obj(summary={"type": "string"}),
    body=TerritoryDocumentSchema,
)
@large_body
@api_role("admin")
def import_document() -> Any:
    """Import a territory document (the JSON body), all or nothing; 422 with every error by path."""
    document = _json("(document)", unreadable=422)
    session = get_session()
    try:
        summary = portal.import_territory_document(session, g.account, document)
    except InvalidTerritory as exc:
        session.rollback()
        return _invalid(exc.messages)
    except ExchangeError as exc:
        session.rollback()
        return _invalid({"(document)": [str(exc)]})
    session.commit()
    return jsonify(summary=summary), 200


@bp.get("/territory/policy")
@operation("Réglages de la politique harmonisée", "territoire", answer=POLICY)
@api_role("admin")
def get_policy() -> Any:
    """The territory's policy settings."""
    return jsonify(portal.policy_settings(get_session(), g.account))


@bp.put("/territory/policy")
@operation("Modifier des réglages de la politique", "territoire", answer=POLICY, body=POLICY)
@api_role("admin")
def put_policy() -> Any:
    """Replace some or all policy settings (unknown keys and bad values: 422)."""
    data = _json()
    if not isinstance(data, dict):
        raise InvalidInput({BODY: ["doit être un objet"]})
    session = get_session()
    merged = {**portal.policy_settings(session, g.account), **data}
    try:
        portal.save_policy(session, g.account, merged)
    except InvalidPolicy as exc:
        session.rollback()
        return _invalid(exc.messages)
    session.commit()
    return jsonify(portal.policy_settings(session, g.account))


@bp.get("/territory/runs")
@operation("Appariements passés", "territoire", answer=obj(runs=list[portal.RunRow]))
@api_role("admin")
def runs() -> Any:
    """Past runs, newest first."""
    return jsonify(runs=to_json(portal.list_runs(get_session(), g.account)))


@bp.post("/territory/runs")
@operation(
    "Lancer un appariement",
    "territoire",
    answer=run_jobs.JobView,
    status="202",
    body=c.RunRequestSchema,
    body_required=False,
    responses={
        "202": "Lancé : le calcul se poursuit en arrière-plan ; suivre l'adresse donnée par l'en-tête"
        " Location jusqu'à l'état finished (run_id) ou failed (error)"
    },
)
@own_write_lock
@api_role("admin")
def start_run() -> Any:
    """Start a run (``{"as_of": "YYYY-MM-DD"}`` optional), solved in the background: 202 with its
    lancement, to follow at ``Location`` until ``status`` is ``finished`` (``run_id``) or ``failed``."""
    as_of = _load(c.RunRequestSchema(), optional=True)["as_of"] or date.today()
    session = get_session()
    try:
        job_id = background.start_run(g.account, as_of=as_of)
    except ExchangeError as exc:
        return _refused(session, exc)
    job = run_jobs.get_job(session, g.account.territory_id, job_id)
    return jsonify(to_json(job)), 202, {"Location": url_for("api.run_job", job_id=job_id)}


@bp.get("/territory/runs/jobs/<int:job_id>")
@operation("État d'un lancement (running, finished, failed)", "territoire", answer=run_jobs.JobView)
@api_role("admin")
def run_job(job_id: int) -> Any:
    """A lancement: ``running``, ``finished`` (its report at ``/territory/runs/{run_id}``) or ``failed``."""
    try:
        return jsonify(to_json(run_jobs.get_job(get_session(), g.account.territory_id, job_id)))
    except NotFound:
        abort(404)


@bp.get("/territory/runs/<int:run_id>")
@operation("Rapport d'un appariement", "territoire", answer=portal.RunReport)
@api_role("admin")
def run(run_id: int) -> Any:
    """The report of one run."""
    try:
        return jsonify(to_json(portal.run_report(get_session(), g.account, run_id)))
    except NotFound:
        abort(404)


@bp.get("/territory/stats")
@operation(
    "Statistiques pour la conférence du logement",
    "territoire",
    answer={"type": "object"},
    query=c.StatsQuery,
)
@api_role("admin")
def stats() -> Any:
    """Figures for the housing conference (``year`` optional)."""
    year = _query(c.StatsQuery())["year"]
    return jsonify(portal.stats_data(get_session(), g.account, year=year))


@bp.put("/territory/proposals/<int:proposal_id>/move-date")
@operation(
    "Changer la date du déménagement d'une proposition confirmée",
    "territoire",
    answer=obj(planned=list[portal.PlannedMove]),
    body=c.MoveDateSchema,
)
@api_role("admin")
def territory_move_date(proposal_id: int) -> Any:
    """Change the common move date of a confirmed proposal (``{"move_date": "AAAA-MM-JJ"}``)."""
    day = _load(c.MoveDateSchema())["move_date"]
    refused = _follow(lambda session: portal.set_move_date(session, g.account, proposal_id, day))
    if refused is not None:
        return refused
    return jsonify(planned=to_json(portal.planned_moves(get_session(), g.account)))


@bp.get("/blocked-requests")
@operation(
    "Demandes bloquées et leur diagnostic (le territoire : toutes ; un bailleur : ses locataires)",
    "CALEOL",
    answer=commission_portal.BlockedPage,
)
@api_role("staff", "admin")
def blocked_requests() -> Any:
    """Requests left without a proposal run after run (or waiting too long), each with its diagnosis."""
    return jsonify(to_json(commission_portal.blocked_page(get_session(), g.account)))


@bp.get("/occupancy-review")
@operation(
    "Examen de l'occupation : ménages sans demande en suroccupation, sous-occupation ou logement inadapté",
    "CALEOL",
    answer=review_portal.ReviewPage,
)
@api_role("staff", "admin")
def occupancy_review() -> Any:
    """The landlord's tenants to review (the territory: every landlord's), with the counts for the bilan."""
    return jsonify(to_json(review_portal.review_page(get_session(), g.account)))


@bp.get("/territory/commission/candidates")
@operation(
    "Échanges et chaînes possibles entre ménages bloqués (commission inter-bailleurs)",
    "territoire",
    answer=obj(candidates=list[commission_portal.CandidateView]),
)
@api_role("admin")
def commission_candidates() -> Any:
    """Cycles and chains within the caps through blocked households, best first."""
    return jsonify(candidates=to_json(commission_portal.commission_candidates(get_session(), g.account)))


@bp.post("/territory/commission/proposals")
@operation(
    "Proposition de la commission inter-bailleurs (vérifiée selon la politique harmonisée)",
    "territoire",
    answer=obj(proposal={"type": "integer"}),
    status="201",
    body=c.CommissionSchema,
)
@api_role("admin")
def commission_propose() -> Any:
    """Check the commission's moves and store them as a proposal waiting for answers (422: broken rules)."""
    data = _load(c.CommissionSchema())
    session = get_session()
    try:
        number = commission_portal.propose(session, g.account, data["moves"], data["reason"])
    except ExchangeError as exc:
        return _refused(session, exc)
    session.commit()
    return jsonify(proposal=number), 201


@bp.post("/territory/proposals/<int:proposal_id>/complete")
@operation(
    "Enregistrer les déménagements faits d'une proposition confirmée",
    "territoire",
    answer=obj(completed={"type": "integer"}),
)
@api_role("admin")
def territory_complete(proposal_id: int) -> Any:
    """Record that the moves of a confirmed proposal took place."""
    refused = _follow(lambda session: portal.record_completion(session, g.account, proposal_id))
    if refused is not None:
        return refused
    return jsonify(completed=proposal_id)
