"""OpenAPI 3.1 description of ``/api/v1/``.

The operations are written by hand (tests check that they list every API route); the schemas of
the answers are derived from the service dataclasses that the API serialises (tests validate real
answers against them).
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, Union, get_args, get_origin, get_type_hints


def _op(
    summary: str,
    tag: str,
    *,
    body: dict[str, Any] | None = None,
    params: list[dict[str, Any]] | None = None,
    responses: dict[str, str] | None = None,
    public: bool = False,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "responses": {
            code: {"description": text}
            for code, text in (
                responses or {"200": "Succès", "401": "Non authentifié", "403": "Rôle non autorisé"}
            ).items()
        },
    }
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if public:
        op["security"] = []
    return op


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def _query(name: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind, **extra}}


WISHES = {
    "type": "object",
    "additionalProperties": False,
    "required": ["max_cost"],
    "properties": {
        "communes": {"type": "array", "items": {"type": "string"}},
        "min_rooms": {"type": ["integer", "null"], "minimum": 1, "maximum": 10},
        "max_rooms": {"type": ["integer", "null"], "minimum": 1, "maximum": 10},
        "max_cost": {"type": "number", "exclusiveMinimum": 0},
        "accept_qpv": {"type": "boolean"},
    },
}
ANSWER: dict[str, Any] = {
    "type": "object",
    "required": ["accept"],
    "properties": {
        "accept": {"type": "boolean"},
        "reason": {
            "type": "string",
            "enum": [
                "location",
                "cost",
                "size_layout",
                "accessibility",
                "condition",
                "timing",
                "change_of_situation",
                "other",
            ],
        },
        "comment": {"type": "string", "maxLength": 1000},
    },
}
WITHDRAW: dict[str, Any] = {
    "type": "object",
    "required": ["reason"],
    "properties": {k: v for k, v in ANSWER["properties"].items() if k != "accept"},
}
DECISION = {
    "type": "object",
    "required": ["kind", "reason"],
    "properties": {
        "kind": {
            "type": "string",
            "enum": ["attribution", "ranked", "conditional", "non_attribution", "inadmissible"],
        },
        "reason": {"type": "string"},
        "rank": {"type": "integer", "minimum": 1, "description": "rang du candidat (décision ranked)"},
        "condition": {"type": "string", "description": "pièce ou condition attendue (décision conditional)"},
        "condition_due": {"type": "string", "format": "date"},
    },
}

MOVE_DATE = {
    "type": "object",
    "required": ["move_date"],
    "properties": {"move_date": {"type": "string", "format": "date"}},
}


def schema_of(tp: Any, components: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of what :func:`web.api.to_json` makes of a value of type ``tp``.

    Dataclasses become named components (their fields and public properties, all required).
    """
    origin, args = get_origin(tp), get_args(tp)
    if tp is Any:
        return {}
    if tp is type(None):
        return {"type": "null"}
    if origin in (Union, types.UnionType):
        return {"anyOf": [schema_of(a, components) for a in args]}
    simple = {bool: "boolean", int: "integer", float: "number", str: "string", timedelta: "integer"}
    if tp in simple:
        return {"type": simple[tp]}
    if tp is datetime:
        return {"type": "string", "format": "date-time"}
    if tp is date:
        return {"type": "string", "format": "date"}
    if origin in (tuple, list):
        if origin is list or (len(args) == 2 and args[1] is Ellipsis):
            return {"type": "array", "items": schema_of(args[0], components)}
        return {
            "type": "array",
            "prefixItems": [schema_of(a, components) for a in args],
            "minItems": len(args),
            "maxItems": len(args),
        }
    if origin in (dict, Mapping):
        return {"type": "object", "additionalProperties": schema_of(args[1], components)}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in components:
            components[name] = {}  # placeholder against recursion
            hints = get_type_hints(tp)
            props = {f.name: schema_of(hints[f.name], components) for f in dataclasses.fields(tp)}
            for attr, value in vars(tp).items():
                if isinstance(value, property) and not attr.startswith("_") and value.fget is not None:
                    props[attr] = schema_of(get_type_hints(value.fget)["return"], components)
            doc = (tp.__doc__ or "").strip().splitlines()
            components[name] = {
                "type": "object",
                "description": doc[0] if doc else name,
                "properties": props,
                "required": sorted(props),
            }
        return {"$ref": f"#/components/schemas/{name}"}
    raise TypeError(f"no JSON schema for {tp!r}")


def _answer_schemas(components: dict[str, Any]) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
    """(path, method) -> (success status, schema of the answer)."""
    from exchange import portal, runs

    def ref(tp: Any) -> dict[str, Any]:
        return schema_of(tp, components)

    def obj(**props: Any) -> dict[str, Any]:
        return {"type": "object", "properties": props, "required": sorted(props)}

    def many(tp: Any) -> dict[str, Any]:
        return {"type": "array", "items": ref(tp)}

    numbers = {"type": "object", "additionalProperties": {"type": "number"}}
    return {
        ("/openapi.json", "get"): ("200", {"type": "object"}),
        ("/tokens", "post"): ("201", obj(token={"type": "string"}, role={"type": "string"})),
        ("/me", "get"): (
            "200",
            obj(
                login={"type": "string"},
                role={"type": "string", "enum": ["tenant", "staff", "admin"]},
                display_name={"type": "string"},
                territory={"type": "string"},
                landlord={"type": ["string", "null"]},
            ),
        ),
        ("/request", "get"): (
            "200",
            obj(household=ref(portal.HouseholdPicture), request=ref(portal.RequestView | None)),
        ),
        ("/request", "put"): ("200", obj(request=ref(portal.RequestView))),
        ("/request/confirm", "post"): ("200", obj(request=ref(portal.RequestView))),
        ("/offers", "get"): ("200", ref(portal.OfferPage)),
        ("/proposals", "get"): ("200", obj(proposals=many(portal.ProposalSummary))),
        ("/proposals/{proposal_id}", "get"): ("200", ref(portal.ProposalDetail)),
        ("/proposals/{proposal_id}/answer", "post"): ("200", ref(portal.ProposalDetail)),
        ("/proposals/{proposal_id}/withdraw", "post"): ("200", ref(portal.ProposalDetail)),
        ("/moves", "get"): ("200", obj(moves=many(portal.QueueItem))),
        ("/moves/{move_id}", "get"): ("200", ref(portal.Dossier)),
        ("/moves/{move_id}/decision", "post"): ("200", ref(portal.Dossier)),
        ("/moves/{move_id}/condition-met", "post"): ("200", ref(portal.MoveFollowup)),
        ("/moves/{move_id}/move-date", "put"): ("200", ref(portal.MoveFollowup)),
        ("/planned-moves", "get"): ("200", obj(planned=many(portal.PlannedMove))),
        ("/paused-requests", "get"): ("200", obj(paused=many(portal.PausedRequest))),
        ("/paused-requests/{request_id}/reopen", "post"): (
            "200",
            obj(paused=many(portal.PausedRequest)),
        ),
        ("/awaited-answers", "get"): ("200", obj(awaited=many(portal.AwaitedAnswer))),
        ("/minutes", "get"): ("200", ref(portal.Minutes)),
        ("/territory", "get"): ("200", ref(portal.TerritoryInfo)),
        ("/territory/import", "post"): ("200", obj(summary={"type": "string"})),
        ("/territory/policy", "get"): ("200", numbers),
        ("/territory/policy", "put"): ("200", numbers),
        ("/territory/runs", "get"): ("200", obj(runs=many(portal.RunRow))),
        ("/territory/runs", "post"): ("202", ref(runs.JobView)),
        ("/territory/runs/{run_id}", "get"): ("200", ref(portal.RunReport)),
        ("/territory/runs/jobs/{job_id}", "get"): ("200", ref(runs.JobView)),
        ("/territory/stats", "get"): ("200", {"type": "object"}),
        ("/territory/proposals/{proposal_id}/move-date", "put"): (
            "200",
            obj(planned=many(portal.PlannedMove)),
        ),
        ("/territory/proposals/{proposal_id}/complete", "post"): ("200", obj(completed={"type": "integer"})),
    }


ERROR = {
    "type": "object",
    "description": "Une erreur, en français",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "messages": {
            "type": "object",
            "description": "messages par champ (422)",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def _attach_schemas(doc: dict[str, Any]) -> dict[str, Any]:
    components: dict[str, Any] = {"Erreur": ERROR}
    answers = _answer_schemas(components)
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            status, schema = answers[(path, method)]
            responses = op["responses"]
            if status != "200":
                responses.pop("200", None)
            responses.setdefault(status, {"description": "Succès"})
            if method != "get":
                responses.setdefault(
                    "400", {"description": "Corps JSON attendu, ou jeton CSRF absent (session)"}
                )
            if (path, method) == ("/request", "put"):
                responses["201"] = {"description": "Demande déposée"}
            for code, response in responses.items():
                if code.startswith("2"):
                    response["content"] = {"application/json": {"schema": schema}}
                elif code.startswith("4"):
                    response["content"] = {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Erreur"}}
                    }
    doc["components"]["schemas"] = dict(sorted(components.items()))
    return doc


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    return _attach_schemas(_document())


def _document() -> dict[str, Any]:
    ok_422 = {
        "200": "Succès",
        "401": "Non authentifié",
        "403": "Rôle non autorisé",
        "404": "Introuvable",
        "409": "Action impossible dans l'état actuel",
        "422": "Données invalides (messages par champ)",
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Bourse d'échange de logements sociaux — API",
            "version": "1",
            "description": "Lectures et actions du portail pour les systèmes des bailleurs. "
            "Authentification par "
            "jeton (Authorization: Bearer) obtenu par POST /api/v1/tokens, ou par la session du "
            "portail (avec le jeton CSRF pour les écritures). Les données personnelles suivent les "
            "règles de visibilité de chaque rôle.",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            }
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/openapi.json": {
                "get": _op("Cette description", "général", public=True, responses={"200": "Document OpenAPI"})
            },
            "/tokens": {
                "post": _op(
                    "Obtenir un jeton d'accès",
                    "général",
                    public=True,
                    body={
                        "type": "object",
                        "required": ["login", "password"],
                        "properties": {"login": {"type": "string"}, "password": {"type": "string"}},
                    },
                    responses={
                        "201": "Jeton créé",
                        "401": "Identifiants incorrects",
                        "429": "Trop de tentatives",
                    },
                )
            },
            "/me": {"get": _op("Le compte authentifié", "général")},
            "/request": {
                "get": _op("Le ménage (critères expliqués) et sa demande", "locataire"),
                "put": _op("Déposer ou modifier la demande", "locataire", body=WISHES, responses=ok_422),
            },
            "/request/confirm": {
                "post": _op(
                    "Confirmer la demande mise en pause après des propositions restées sans réponse",
                    "locataire",
                    responses=ok_422,
                )
            },
            "/offers": {
                "get": _op(
                    "Offres anonymisées, filtrées, triées et paginées",
                    "locataire",
                    params=[
                        _query("commune"),
                        _query("rooms", "integer"),
                        _query("max_cost", "integer"),
                        _query("accessible", "boolean"),
                        _query("compatible", "boolean"),
                        _query("sort", enum=["cost", "-cost", "-surface", "rooms", "commune"]),
                        _query("page", "integer", minimum=1),
                        _query("per_page", "integer", minimum=1, maximum=100),
                    ],
                )
            },
            "/proposals": {"get": _op("Propositions du ménage", "locataire")},
            "/proposals/{proposal_id}": {
                "get": _op(
                    "Une proposition anonymisée et son suivi",
                    "locataire",
                    params=[_path_id("proposal_id")],
                    responses=ok_422,
                )
            },
            "/proposals/{proposal_id}/answer": {
                "post": _op(
                    "Accepter ou refuser une proposition",
                    "locataire",
                    params=[_path_id("proposal_id")],
                    body=ANSWER,
                    responses=ok_422,
                )
            },
            "/proposals/{proposal_id}/withdraw": {
                "post": _op(
                    "Se désister d'une proposition acceptée (toute la proposition échoue)",
                    "locataire",
                    params=[_path_id("proposal_id")],
                    body=WITHDRAW,
                    responses=ok_422,
                )
            },
            "/moves": {
                "get": _op("Mouvements vers les logements du bailleur en attente de décision", "CALEOL")
            },
            "/moves/{move_id}": {
                "get": _op("Dossier d'un mouvement", "CALEOL", params=[_path_id("move_id")], responses=ok_422)
            },
            "/moves/{move_id}/decision": {
                "post": _op(
                    "Enregistrer la décision de CALEOL (R.441-3)",
                    "CALEOL",
                    params=[_path_id("move_id")],
                    body=DECISION,
                    responses=ok_422,
                )
            },
            "/moves/{move_id}/condition-met": {
                "post": _op(
                    "La condition suspensive de la décision est remplie",
                    "CALEOL",
                    params=[_path_id("move_id")],
                    responses=ok_422,
                )
            },
            "/moves/{move_id}/move-date": {
                "put": _op(
                    "Changer la date du déménagement de la proposition confirmée",
                    "CALEOL",
                    params=[_path_id("move_id")],
                    body=MOVE_DATE,
                    responses=ok_422,
                )
            },
            "/planned-moves": {"get": _op("Déménagements programmés (propositions confirmées)", "suivi")},
            "/paused-requests": {"get": _op("Demandes en pause des locataires du bailleur", "CALEOL")},
            "/paused-requests/{request_id}/reopen": {
                "post": _op(
                    "Rouvrir une demande en pause après examen",
                    "CALEOL",
                    params=[_path_id("request_id")],
                    responses=ok_422,
                )
            },
            "/awaited-answers": {
                "get": _op("Locataires du bailleur dont la réponse à une proposition est attendue", "CALEOL")
            },
            "/territory/proposals/{proposal_id}/move-date": {
                "put": _op(
                    "Changer la date du déménagement d'une proposition confirmée",
                    "territoire",
                    params=[_path_id("proposal_id")],
                    body=MOVE_DATE,
                    responses=ok_422,
                )
            },
            "/territory/proposals/{proposal_id}/complete": {
                "post": _op(
                    "Enregistrer les déménagements faits d'une proposition confirmée",
                    "territoire",
                    params=[_path_id("proposal_id")],
                    responses=ok_422,
                )
            },
            "/minutes": {
                "get": _op(
                    "Procès-verbal : décisions d'une période",
                    "CALEOL",
                    params=[
                        {**_query("start", format="date"), "required": True},
                        {**_query("end", format="date"), "required": True},
                    ],
                )
            },
            "/territory": {"get": _op("Chiffres clés du territoire", "territoire")},
            "/territory/import": {
                "post": _op(
                    "Importer un document du territoire (tout ou rien)",
                    "territoire",
                    body={"type": "object"},
                    responses=ok_422,
                )
            },
            "/territory/policy": {
                "get": _op("Réglages de la politique harmonisée", "territoire"),
                "put": _op(
                    "Modifier des réglages de la politique",
                    "territoire",
                    body={"type": "object"},
                    responses=ok_422,
                ),
            },
            "/territory/runs": {
                "get": _op("Appariements passés", "territoire"),
                "post": _op(
                    "Lancer un appariement",
                    "territoire",
                    body={"type": "object", "properties": {"as_of": {"type": "string", "format": "date"}}},
                    responses={
                        **ok_422,
                        "202": "Lancé : le calcul se poursuit en arrière-plan ; suivre l'adresse donnée"
                        " par l'en-tête Location jusqu'à l'état finished (run_id) ou failed (error)",
                    },
                ),
            },
            "/territory/runs/{run_id}": {
                "get": _op(
                    "Rapport d'un appariement", "territoire", params=[_path_id("run_id")], responses=ok_422
                )
            },
            "/territory/runs/jobs/{job_id}": {
                "get": _op(
                    "État d'un lancement (running, finished, failed)",
                    "territoire",
                    params=[_path_id("job_id")],
                    responses=ok_422,
                )
            },
            "/territory/stats": {
                "get": _op(
                    "Statistiques pour la conférence du logement",
                    "territoire",
                    params=[_query("year", "integer")],
                )
            },
        },
    }
