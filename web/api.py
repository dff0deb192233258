"""JSON API ``/api/v1/`` for landlords' systems: the portal's reads and actions, described in OpenAPI 3.

Authentication: ``Authorization: Bearer <jeton>`` (tokens from ``POST /api/v1/tokens``), or the
portal's session cookie. CSRF is checked for session-authenticated writes only.
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

from exchange import accounts, portal, portal_followup
from exchange import runs as run_jobs
from exchange.errors import ExchangeError, InvalidInput, InvalidTerritory, NotFound
from exchange.policy import InvalidPolicy
from web import background
from web.db import get_session
from web.extensions import csrf
from web.limits import large_body
from web.openapi import openapi_document
from web.sign_in import sign_in
from web.writes import own_write_lock

bp = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., Any])


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
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="Corps JSON attendu (un objet).")
    return data


def _invalid(messages: dict[str, list[str]]) -> tuple[Any, int]:
    return jsonify(error="Données invalides", messages=messages), 422


def _refused(session: Any, exc: ExchangeError) -> tuple[Any, int]:
    """Roll back; 422 with messages per field for invalid input, 409 for an action the state forbids."""
    session.rollback()
    if isinstance(exc, InvalidInput):
        return _invalid(exc.messages)
    return jsonify(error=str(exc)), 409


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3 description of this API."""
    return jsonify(openapi_document())


@bp.post("/tokens")
def create_token() -> Any:
    """Exchange a login and password for a bearer token valid ``API_TOKEN_LIFETIME_DAYS`` days.

    The previous token of the account stops working. Failed attempts slow down as on the sign-in page
    (429 with ``Retry-After``).
    """
    data = _body()
    account = sign_in(str(data.get("login", "")), str(data.get("password", "")))
    session = get_session()
    if account is None:
        session.commit()
        return jsonify(error="Identifiant ou mot de passe incorrect."), 401
    lifetime = timedelta(days=float(current_app.config["API_TOKEN_LIFETIME_DAYS"]))
    issued = accounts.issue_api_token(session, account.id, lifetime=lifetime)
    session.commit()
    return jsonify(token=issued.token, role=account.role, expires_at=issued.expires_at.isoformat()), 201


@bp.delete("/tokens")
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
    )


# Tenant -------------------------------------------------------------------------------------------


@bp.get("/request")
@api_role("tenant")
def get_request() -> Any:
    """The household's picture (criteria explained) and its request."""
    overview = portal.tenant_overview(get_session(), g.account)
    return jsonify(household=to_json(overview.picture), request=to_json(overview.request))


@bp.put("/request")
@api_role("tenant")
def put_request() -> Any:
    """File or replace the request's wishes."""
    data = _body()
    session = get_session()
    try:
        wishes = portal.wishes_from_json(data, portal.territory_communes(session, g.account.territory_id))
    except InvalidInput as exc:
        return _invalid(exc.messages)
    try:
        created = portal.save_request(session, g.account, wishes)
    except ExchangeError as exc:
        return _refused(session, exc)
    session.commit()
    return jsonify(
        request=to_json(portal.tenant_overview(session, g.account).request)
    ), 201 if created else 200


@bp.post("/request/confirm")
@api_role("tenant")
def confirm_request() -> Any:
    """Confirm the request, paused after proposals left without an answer (409 otherwise)."""
    refused = _follow(lambda session: portal.confirm_request(session, g.account))
    if refused is not None:
        return refused
    return jsonify(request=to_json(portal.tenant_overview(get_session(), g.account).request))


@bp.get("/offers")
@api_role("tenant")
def offers() -> Any:
    """Anonymised offers with the same filters as the portal page."""
    args = request.args
    sort = args.get("sort", "cost")
    filters = portal.OfferFilters(
        commune=args.get("commune") or None,
        rooms=args.get("rooms", type=int),
        max_cost=args.get("max_cost", type=int),
        accessible=args.get("accessible") in ("1", "true"),
        compatible=args.get("compatible") in ("1", "true"),
        sort=sort if sort in portal.OFFER_SORTS else "cost",
        page=max(1, args.get("page", 1, type=int)),
        per_page=min(100, max(1, args.get("per_page", 20, type=int))),
    )
    return jsonify(to_json(portal.list_offers(get_session(), g.account, filters)))


@bp.get("/proposals")
@api_role("tenant")
def proposals() -> Any:
    """The household's proposals."""
    return jsonify(proposals=to_json(portal.tenant_proposals(get_session(), g.account)))


@bp.get("/proposals/<int:proposal_id>")
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
@api_role("tenant")
def answer(proposal_id: int) -> Any:
    """Accept (``{"accept": true}``) or refuse with a reason from the fixed list."""
    data, session = _body(), _my_proposal_session(proposal_id)
    accept = data.get("accept")
    reason = data.get("reason")
    comment = data.get("comment")
    errors: dict[str, list[str]] = {}
    if not isinstance(accept, bool):
        errors["accept"] = ["true ou false attendu."]
    elif not accept and reason not in dict(portal.refusal_reasons()):
        errors["reason"] = [f"motif attendu parmi : {', '.join(dict(portal.refusal_reasons()))}."]
    elif not accept and reason == "other" and not (isinstance(comment, str) and comment.strip()):
        errors["comment"] = ["précision obligatoire pour le motif « other »."]
    if errors:
        return _invalid(errors)
    try:
        portal.answer(
            session,
            g.account,
            proposal_id,
            accepted=bool(accept),
            reason=None if accept else reason,
            comment=comment if isinstance(comment, str) else None,
        )
    except ExchangeError as exc:
        return _refused(session, exc)
    session.commit()
    return jsonify(to_json(portal.tenant_proposal(session, g.account, proposal_id)))


@bp.post("/proposals/<int:proposal_id>/withdraw")
@api_role("tenant")
def withdraw(proposal_id: int) -> Any:
    """Withdraw from an accepted proposal (``{"reason": ..., "comment": ...}``): the whole proposal fails."""
    data, session = _body(), _my_proposal_session(proposal_id)
    reason, comment = data.get("reason"), data.get("comment")
    if reason not in dict(portal.refusal_reasons()):
        return _invalid({"reason": [f"motif attendu parmi : {', '.join(dict(portal.refusal_reasons()))}."]})
    try:
        portal.withdraw(
            session,
            g.account,
            proposal_id,
            reason=reason,
            comment=comment if isinstance(comment, str) else None,
        )
    except ExchangeError as exc:
        return _refused(session, exc)
    session.commit()
    return jsonify(to_json(portal.tenant_proposal(session, g.account, proposal_id)))


# CALEOL -------------------------------------------------------------------------------------------


@bp.get("/moves")
@api_role("staff")
def moves() -> Any:
    """Moves into the landlord's dwellings awaiting a decision."""
    return jsonify(moves=to_json(portal.committee_queue(get_session(), g.account)))


@bp.get("/moves/<int:move_id>")
@api_role("staff")
def move(move_id: int) -> Any:
    """The dossier of one move into the landlord's dwellings."""
    try:
        return jsonify(to_json(portal.move_dossier(get_session(), g.account, move_id)))
    except NotFound:
        abort(404)


@bp.post("/moves/<int:move_id>/decision")
@api_role("staff")
def decision(move_id: int) -> Any:
    """Record the CALEOL decision: ``kind`` (R.441-3), ``reason``; ``rank`` for a ranked one,
    ``condition`` and ``condition_due`` for a conditional one."""
    data = _body()
    session = get_session()
    try:
        portal.move_dossier(session, g.account, move_id)
    except NotFound:
        abort(404)
    kinds = dict(portal.decision_kinds())
    errors: dict[str, list[str]] = {}
    kind, reason, due = data.get("kind"), data.get("reason"), data.get("condition_due")
    rank, condition = data.get("rank"), data.get("condition")
    if kind not in kinds:
        errors["kind"] = [f"décision attendue parmi : {', '.join(kinds)}."]
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = ["motif obligatoire."]
    if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int) or rank < 1):
        errors["rank"] = ["entier supérieur ou égal à 1 attendu."]
    elif kind == "ranked" and rank is None:
        errors["rank"] = ["obligatoire pour une attribution avec classement."]
    if condition is not None and not isinstance(condition, str):
        errors["condition"] = ["texte attendu."]
    elif kind == "conditional" and not (condition or "").strip():
        errors["condition"] = ["obligatoire pour une attribution sous condition suspensive."]
    due_date = None
    if due is not None:
        try:
            due_date = date.fromisoformat(str(due))
        except ValueError:
            errors["condition_due"] = ["date AAAA-MM-JJ attendue."]
    if kind == "conditional" and due is None:
        errors["condition_due"] = ["obligatoire pour une attribution sous condition suspensive."]
    if errors:
        return _invalid(errors)
    try:
        portal.decide(
            session,
            g.account,
            move_id,
            kind=str(kind),
            reason=str(reason).strip(),
            rank=rank,
            condition=(condition or "").strip() or None,
            condition_due=due_date,
        )
    except ExchangeError as exc:
        return _refused(session, exc)
    session.commit()
    return jsonify(to_json(portal.move_dossier(session, g.account, move_id)))


def _iso_date(data: dict[str, Any], key: str) -> date | None:
    try:
        return date.fromisoformat(str(data[key]))
    except (KeyError, ValueError):
        return None


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
@api_role("staff")
def condition_met(move_id: int) -> Any:
    """The suspensive condition of the CALEOL's decision on this move is met."""
    refused = _follow(lambda session: portal_followup.lift_condition(session, g.account, move_id))
    if refused is not None:
        return refused
    return jsonify(to_json(portal_followup.move_followup(get_session(), g.account, move_id)))


@bp.put("/moves/<int:move_id>/move-date")
@api_role("staff")
def move_move_date(move_id: int) -> Any:
    """Change the common move date of this move's confirmed proposal (``{"move_date": "AAAA-MM-JJ"}``)."""
    day = _iso_date(_body(), "move_date")
    if day is None:
        return _invalid({"move_date": ["date AAAA-MM-JJ attendue."]})
    try:
        proposal_id = portal.move_dossier(get_session(), g.account, move_id).proposal_id
    except NotFound:
        abort(404)
    refused = _follow(lambda session: portal_followup.set_move_date(session, g.account, proposal_id, day))
    if refused is not None:
        return refused
    return jsonify(to_json(portal_followup.move_followup(get_session(), g.account, move_id)))


@bp.get("/planned-moves")
@api_role("staff", "admin")
def planned_moves() -> Any:
    """Confirmed proposals (the territory's, or those involving the staff's landlord), by move date."""
    return jsonify(planned=to_json(portal_followup.planned_moves(get_session(), g.account)))


@bp.get("/paused-requests")
@api_role("staff")
def paused_requests() -> Any:
    """Paused requests of the landlord's tenants."""
    return jsonify(paused=to_json(portal_followup.paused_requests(get_session(), g.account)))


@bp.post("/paused-requests/<int:request_id>/reopen")
@api_role("staff")
def reopen_request(request_id: int) -> Any:
    """Reopen one of them after review; it enters the next run."""
    refused = _follow(lambda session: portal_followup.reopen_request(session, g.account, request_id))
    if refused is not None:
        return refused
    return jsonify(paused=to_json(portal_followup.paused_requests(get_session(), g.account)))


@bp.get("/awaited-answers")
@api_role("staff")
def awaited_answers() -> Any:
    """The landlord's tenants whose answer to a live proposal is still awaited, nearest deadline first."""
    account = g.account
    awaited = portal_followup.awaited_answers(
        get_session(), account.territory_code, landlord_id=account.landlord_id
    )
    return jsonify(awaited=to_json(awaited))


@bp.get("/minutes")
@api_role("staff")
def minutes() -> Any:
    """Decisions of the landlord's CALEOL between ``start`` and ``end`` (ISO dates)."""
    try:
        start = date.fromisoformat(request.args["start"])
        end = date.fromisoformat(request.args["end"])
    except (KeyError, ValueError):
        return _invalid({"start": ["dates start et end AAAA-MM-JJ attendues."]})
    return jsonify(to_json(portal.session_minutes(get_session(), g.account, start, end)))


# Territory ----------------------------------------------------------------------------------------


@bp.get("/territory")
@api_role("admin")
def territory() -> Any:
    """Key figures of the territory."""
    return jsonify(to_json(portal.territory_overview(get_session(), g.account)))


@bp.post("/territory/import")
@large_body
@api_role("admin")
def import_document() -> Any:
    """Import a territory document (the JSON body), all or nothing; 422 with every error by path."""
    try:
        document = json.loads(request.get_data(as_text=True))
    except json.JSONDecodeError as exc:
        return _invalid({"(document)": [f"JSON illisible : {exc}"]})
    session = get_session()
    try:
        summary = portal.import_document(session, g.account, document)
    except InvalidTerritory as exc:
        session.rollback()
        return _invalid(exc.messages)
    except ExchangeError as exc:
        session.rollback()
        return _invalid({"(document)": [str(exc)]})
    session.commit()
    return jsonify(summary=summary), 200


@bp.get("/territory/policy")
@api_role("admin")
def get_policy() -> Any:
    """The territory's policy settings."""
    return jsonify(portal.policy_settings(get_session(), g.account))


@bp.put("/territory/policy")
@api_role("admin")
def put_policy() -> Any:
    """Replace some or all policy settings (unknown keys and bad values: 422)."""
    data = _body()
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
@api_role("admin")
def runs() -> Any:
    """Past runs, newest first."""
    return jsonify(runs=to_json(portal.list_runs(get_session(), g.account)))


@bp.post("/territory/runs")
@own_write_lock
@api_role("admin")
def start_run() -> Any:
    """Start a run (``{"as_of": "YYYY-MM-DD"}`` optional), solved in the background: 202 with its
    lancement, to follow at ``Location`` until ``status`` is ``finished`` (``run_id``) or ``failed``."""
    data = request.get_json(silent=True) or {}
    session = get_session()
    try:
        as_of = date.fromisoformat(data["as_of"]) if data.get("as_of") else date.today()
    except (TypeError, ValueError):
        return _invalid({"as_of": ["date AAAA-MM-JJ attendue."]})
    try:
        job_id = background.start_run(g.account, as_of=as_of)
    except ExchangeError as exc:
        return _refused(session, exc)
    job = run_jobs.get_job(session, g.account.territory_id, job_id)
    return jsonify(to_json(job)), 202, {"Location": url_for("api.run_job", job_id=job_id)}


@bp.get("/territory/runs/jobs/<int:job_id>")
@api_role("admin")
def run_job(job_id: int) -> Any:
    """A lancement: ``running``, ``finished`` (its report at ``/territory/runs/{run_id}``) or ``failed``."""
    try:
        return jsonify(to_json(run_jobs.get_job(get_session(), g.account.territory_id, job_id)))
    except NotFound:
        abort(404)


@bp.get("/territory/runs/<int:run_id>")
@api_role("admin")
def run(run_id: int) -> Any:
    """The report of one run."""
    try:
        return jsonify(to_json(portal.run_report(get_session(), g.account, run_id)))
    except NotFound:
        abort(404)


@bp.get("/territory/stats")
@api_role("admin")
def stats() -> Any:
    """Figures for the housing conference (``year`` optional)."""
    return jsonify(portal.stats_data(get_session(), g.account, year=request.args.get("year", type=int)))


@bp.put("/territory/proposals/<int:proposal_id>/move-date")
@api_role("admin")
def territory_move_date(proposal_id: int) -> Any:
    """Change the common move date of a confirmed proposal (``{"move_date": "AAAA-MM-JJ"}``)."""
    day = _iso_date(_body(), "move_date")
    if day is None:
        return _invalid({"move_date": ["date AAAA-MM-JJ attendue."]})
    refused = _follow(lambda session: portal_followup.set_move_date(session, g.account, proposal_id, day))
    if refused is not None:
        return refused
    return jsonify(planned=to_json(portal_followup.planned_moves(get_session(), g.account)))


@bp.post("/territory/proposals/<int:proposal_id>/complete")
@api_role("admin")
def territory_complete(proposal_id: int) -> Any:
    """Record that the moves of a confirmed proposal took place."""
    refused = _follow(lambda session: portal_followup.complete(session, g.account, proposal_id))
    if refused is not None:
        return refused
    return jsonify(completed=proposal_id)
