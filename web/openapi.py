"""OpenAPI 3.1 description of ``/api/v1/``, generated from the routes of the ``api`` blueprint.

Each view of :mod:`web.api` is marked with :func:`operation`: its summary and tag, the marshmallow
schemas of its body and query (:mod:`exchange.schemas.contracts`) and the type of its answer (a
marshmallow schema, or a service dataclass whose JSON schema :func:`schema_of` derives from its
fields). Paths, methods and path parameters come from ``app.url_map``; apispec's MarshmallowPlugin
writes the schemas, so a field added to a contract appears here without a second edit.
"""

from __future__ import annotations

import dataclasses
import re
import types
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, current_app, has_app_context
from marshmallow import Schema
from werkzeug.routing import Rule

from exchange.schemas import INT_MAX

__all__ = ["Operation", "openapi_document", "operation", "schema_of"]

F = TypeVar("F", bound=Callable[..., Any])

DESCRIPTION = (
    "Lectures et actions du portail pour les systèmes des bailleurs. Authentification par jeton "
    "(Authorization: Bearer) obtenu par POST /api/v1/tokens, ou par la session du portail (avec le "
    "jeton CSRF pour les écritures). Les données personnelles suivent les règles de visibilité de "
    "chaque rôle. Une donnée refusée donne 422 avec ses messages par chemin de champ "
    "(« condition_due », « households[3].members[0].age »)."
)
ERROR = {
    "type": "object",
    "description": "Une erreur, en français",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "messages": {
            "type": "object",
            "description": "messages par chemin de champ (422)",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}
ERROR_TEXTS = {
    "400": "Corps JSON attendu, ou jeton CSRF absent (session)",
    "401": "Non authentifié",
    "403": "Rôle non autorisé",
    "404": "Introuvable",
    "409": "Action impossible dans l'état actuel",
    "413": "Corps trop volumineux (1 Mio, 64 Mio pour l'import d'un territoire)",
    "422": "Données invalides (messages par chemin de champ)",
    "429": "Trop de tentatives (en-tête Retry-After : secondes à attendre)",
    "503": "Base occupée par une autre écriture (SQLite) : rien n'a été enregistré ; réessayer (Retry-After)",
}


@dataclasses.dataclass(frozen=True)
class Operation:
    """What the description says of one view: ``answer`` is a marshmallow schema class, a type that
    :func:`web.api.to_json` serialises (dataclass, union, list) or a JSON schema (a dict)."""

    summary: str
    tag: str
    answer: Any
    status: str = "200"
    body: type[Schema] | dict[str, Any] | None = None
    body_required: bool = True
    query: type[Schema] | None = None
    public: bool = False
    responses: Mapping[str, str] = dataclasses.field(default_factory=dict)


def operation(summary: str, tag: str, *, answer: Any, **details: Any) -> Callable[[F], F]:
    """Describe a view of the API (see :class:`Operation`); the view itself is unchanged."""

    def mark(view: F) -> F:
        setattr(view, "openapi", Operation(summary, tag, answer, **details))  # noqa: B010
        return view

    return mark


def obj(**props: Any) -> dict[str, Any]:
    """A JSON object whose properties (JSON schemas, or types as for ``answer``) are all required."""
    return {"type": "object", "properties": props, "required": sorted(props)}


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


def _path(rule: Rule, prefix: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule[len(prefix) :])


def _path_parameters(rule: Rule) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": INT_MAX},
        }
        for name in sorted(rule.arguments)
    ]


def _answer(answer: Any, components: dict[str, Any]) -> Any:
    if isinstance(answer, type) and issubclass(answer, Schema):
        return answer
    if isinstance(answer, dict):
        props = answer.get("properties", {})
        resolved = {k: v if isinstance(v, dict) else schema_of(v, components) for k, v in props.items()}
        return {**answer, "properties": resolved} if props else answer
    return schema_of(answer, components)


def _operation(op: Operation, rule: Rule, method: str, components: dict[str, Any]) -> dict[str, Any]:
    write = method != "GET"
    params = _path_parameters(rule)
    codes = dict.fromkeys([] if op.public else ["401", "403"])
    if write:
        codes.update(dict.fromkeys(["400", "409", "413", "422", "503"]))
    if params:
        codes.update(dict.fromkeys(["404", "422"]))
    if op.query is not None or op.body is not None:
        codes["422"] = None
    if op.answer is None:  # e.g. 204: no body
        success: dict[str, Any] = {"description": "Succès"}
    else:
        schema = _answer(op.answer, components)
        success = {"description": "Succès", "content": {"application/json": {"schema": schema}}}
    responses: dict[str, Any] = {op.status: success}
    for code in sorted({*codes, *op.responses}):
        text = op.responses.get(code) or ERROR_TEXTS[code]
        if code.startswith("2"):
            responses[code] = {**success, "description": text}
        else:
            error = {"application/json": {"schema": {"$ref": "#/components/schemas/Erreur"}}}
            responses[code] = {"description": text, "content": error}
    out: dict[str, Any] = {"summary": op.summary, "tags": [op.tag], "responses": responses}
    if op.query is not None:
        params.append({"in": "query", "schema": op.query})
    if params:
        out["parameters"] = params
    if op.body is not None:
        body = {"application/json": {"schema": op.body}}
        out["requestBody"] = {"required": op.body_required, "content": body}
    if op.public:
        out["security"] = []
    return out


def _schema_name(schema: Any) -> str:
    """``DecisionSchema`` -> ``Decision``; the territory document's parts get a ``Document`` prefix."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if cls.__module__ == "exchange.schemas.territory" and name != "TerritoryDocument":
        return f"Document{name}"
    return name


def openapi_document(app: Flask | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the ``api`` blueprint's routes in ``app`` (by default the current
    app), from their :class:`Operation`."""
    if app is None:
        if not has_app_context():
            raise RuntimeError("openapi_document: no app given and no app context")
        app = current_app
    prefix = app.blueprints["api"].url_prefix or ""
    spec = APISpec(
        title="Bourse d'échange de logements sociaux — API",
        version="1",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={"description": DESCRIPTION},
        servers=[{"url": prefix}],
        security=[{"bearer": []}, {"session": []}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "session"})
    spec.components.schema("Erreur", ERROR)
    derived: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.partition(".")[0] != "api":
            continue
        op: Operation = getattr(app.view_functions[rule.endpoint], "openapi")  # noqa: B009
        ops = paths.setdefault(_path(rule, prefix), {})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            ops[method.lower()] = _operation(op, rule, method, derived)
    for name, schema in sorted(derived.items()):
        spec.components.schema(name, schema)
    for path, ops in paths.items():
        spec.path(path=path, operations=ops)
    return spec.to_dict()
