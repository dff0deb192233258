"""OpenAPI 3 description of ``/api/v1/`` (hand-written; tests check it lists every API route)."""

from __future__ import annotations

from typing import Any


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
ANSWER = {
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


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
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
                    responses={**ok_422, "201": "Rapport de l'appariement"},
                ),
            },
            "/territory/runs/{run_id}": {
                "get": _op(
                    "Rapport d'un appariement", "territoire", params=[_path_id("run_id")], responses=ok_422
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
