"""The API's contracts: malformed input gets 422 by field path in French (never a 500 nor Python's
text), and the OpenAPI description follows the schemas and the routes."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from databases import on_every_backend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_helpers import PASSWORD, run_scenario
from sqlalchemy import select

from exchange import models as m
from exchange.models.workflow import ProposalMove
from exchange.schemas import fields as f
from exchange.schemas.contracts import DecisionSchema

pytestmark = pytest.mark.usefixtures("api_conformance")


class Raw(str):
    """A body sent as it is (not JSON-encoded)."""


DEEP = Raw("[" * 100_000 + "]" * 100_000)
PYTHON_TEXT = re.compile(
    r"Traceback|Error|Exception|Expecting|object|NoneType|\bint\b|\bstr\b|line \d+ column"
)


def _token(client, name):
    response = client.post("/api/v1/tokens", json={"login": name, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def world(client, engine):
    """Tokens of each role and the ids of the scenario's first proposal (H1 moves into BETA's D2; H2,
    BETA's tenant, into ALPHA's D1: BETA's staff may answer or withdraw for H2)."""
    run_scenario(engine)
    with engine.connect() as conn:
        refs = dict(conn.execute(select(m.Household.ref, m.Household.id)).all())
        move_id, proposal_id = conn.execute(
            select(ProposalMove.id, ProposalMove.proposal_id).where(ProposalMove.household_id == refs["H1"])
        ).one()
    tokens = {name: _token(client, name) for name in ("h1", "beta", "alpha", "admin")}
    return {"tokens": tokens, "move": move_id, "proposal": proposal_id, "h2": refs["H2"], "h1": refs["H1"]}


def _routes(world):
    """(who, method, url) of every API route with a body."""
    move, proposal = world["move"], world["proposal"]
    return {
        "tokens": (None, "post", "/api/v1/tokens"),
        "request": ("h1", "put", "/api/v1/request"),
        "answer": ("h1", "post", f"/api/v1/proposals/{proposal}/answer"),
        "withdraw": ("h1", "post", f"/api/v1/proposals/{proposal}/withdraw"),
        "staff_answer": ("beta", "post", f"/api/v1/tenants/{world['h2']}/proposals/{proposal}/answer"),
        "staff_withdraw": ("beta", "post", f"/api/v1/tenants/{world['h2']}/proposals/{proposal}/withdraw"),
        "decision": ("beta", "post", f"/api/v1/moves/{move}/decision"),
        "move_date": ("beta", "put", f"/api/v1/moves/{move}/move-date"),
        "territory_move_date": ("admin", "put", f"/api/v1/territory/proposals/{proposal}/move-date"),
        "runs": ("admin", "post", "/api/v1/territory/runs"),
        "policy": ("admin", "put", "/api/v1/territory/policy"),
        "import": ("admin", "post", "/api/v1/territory/import"),
    }


def _send(client, world, route, body):
    who, method, url = _routes(world)[route]
    headers = world["tokens"][who] if who else {}
    data = body if isinstance(body, Raw) else json.dumps(body)
    return getattr(client, method)(url, headers=headers, data=data, content_type="application/json")


def _assert_refused(response, path):
    assert response.status_code == 422, response.get_json()
    messages = response.get_json()["messages"]
    assert path in messages, messages
    for texts in messages.values():
        for text in texts:
            assert not PYTHON_TEXT.search(text), text


BAD_BODIES = [
    ("tokens", {"login": [], "password": "x"}, "login"),
    ("tokens", {"login": "h1\x00", "password": "x"}, "login"),
    ("tokens", {"login": "h1", "password": 12}, "password"),
    ("request", {"max_cost": "800"}, "max_cost"),
    ("request", {"max_cost": 800, "accept_qpv": 1}, "accept_qpv"),
    ("request", {"max_cost": 800, "min_rooms": 2**31}, "min_rooms"),
    ("request", {"max_cost": 800, "communes": [1]}, "communes[0]"),
    ("request", {"max_cost": 800, "communes": "Xville"}, "communes"),
    ("answer", {"accept": 1}, "accept"),
    ("answer", {"accept": "true"}, "accept"),
    ("answer", {"accept": False, "reason": []}, "reason"),
    ("answer", {"accept": False, "reason": "cost", "comment": "x" * 1001}, "comment"),
    ("answer", {"accept": False, "reason": "cost", "comment": "\x00"}, "comment"),
    ("withdraw", {"reason": []}, "reason"),
    ("withdraw", {"reason": "timing", "comment": {}}, "comment"),
    ("staff_answer", {"accept": True}, "channel"),
    ("staff_answer", {"accept": True, "channel": "fax"}, "channel"),
    ("staff_answer", {"accept": True, "channel": ["phone"]}, "channel"),
    ("staff_answer", {"accept": "oui", "channel": "phone"}, "accept"),
    ("staff_answer", {"accept": False, "channel": "desk"}, "reason"),
    ("staff_answer", {"accept": False, "reason": "no_answer", "channel": "desk"}, "reason"),
    ("staff_answer", {"accept": False, "reason": "cost", "channel": "mail", "comment": "\x00"}, "comment"),
    ("staff_answer", {"accept": True, "channel": "phone", "entered_by": "beta"}, "entered_by"),
    ("staff_withdraw", {"channel": "phone"}, "reason"),
    ("staff_withdraw", {"reason": "timing"}, "channel"),
    ("staff_withdraw", {"reason": "timing", "channel": 1}, "channel"),
    ("staff_withdraw", {"reason": [], "channel": "desk"}, "reason"),
    ("staff_withdraw", {"reason": "timing", "channel": "desk", "comment": "x" * 1001}, "comment"),
    ("decision", {"kind": [], "reason": "Dossier complet."}, "kind"),
    ("decision", {"kind": "ranked", "reason": "Dossier complet.", "rank": 2**31}, "rank"),
    ("decision", {"kind": "ranked", "reason": "Dossier complet.", "rank": True}, "rank"),
    ("decision", {"kind": "ranked", "reason": "Dossier complet.", "rank": 1.0}, "rank"),
    ("decision", {"kind": "attribution", "reason": "a\x00b"}, "reason"),
    ("decision", {"kind": "attribution", "reason": "   "}, "reason"),
    ("decision", {"kind": "attribution", "reason": "x" * 2001}, "reason"),
    (
        "decision",
        {"kind": "conditional", "reason": "x", "condition": "pièce", "condition_due": 1},
        "condition_due",
    ),
    ("decision", {"kind": "attribution", "reason": "x", "urgent": True}, "urgent"),
    ("move_date", {"move_date": 20260101}, "move_date"),
    ("move_date", {"move_date": "9999-12-31"}, "move_date"),
    ("territory_move_date", {"move_date": []}, "move_date"),
    ("runs", {"as_of": []}, "as_of"),
    ("runs", {"as_of": "0001-01-01"}, "as_of"),
    ("policy", {"max_cycle": []}, "max_cycle"),
    ("import", [1], "(document)"),
    ("import", Raw("{"), "(document)"),
    ("import", DEEP, "(document)"),
    ("import", Raw('{"format": ' + "9" * 5000 + "}"), "(document)"),
    ("request", Raw('{"max_cost": ' + "9" * 5000 + "}"), "(corps)"),
]


@pytest.mark.parametrize(("route", "body", "path"), BAD_BODIES, ids=[f"{r}-{p}" for r, _, p in BAD_BODIES])
def test_a_malformed_body_is_refused_by_field_path(client, world, route, body, path):
    _assert_refused(_send(client, world, route, body), path)


@pytest.mark.parametrize(
    "route",
    [
        "tokens",
        "request",
        "answer",
        "withdraw",
        "staff_answer",
        "staff_withdraw",
        "decision",
        "move_date",
        "policy",
    ],
)
@pytest.mark.parametrize("body", [[1], "x", 1, None], ids=["list", "string", "number", "null"])
def test_a_body_that_is_not_an_object_is_refused(client, world, route, body):
    _assert_refused(_send(client, world, route, body), "(corps)")


@pytest.mark.parametrize(
    "route", ["tokens", "request", "staff_answer", "staff_withdraw", "decision", "policy"]
)
def test_json_nested_too_deep_is_refused(client, world, route):
    _assert_refused(_send(client, world, route, DEEP), "(corps)")


BAD_QUERIES = [
    ("admin", "/api/v1/territory/stats?year=0", "year"),
    ("admin", "/api/v1/territory/stats?year=-5", "year"),
    ("admin", "/api/v1/territory/stats?year=10000", "year"),
    ("admin", "/api/v1/territory/stats?year=2026.5", "year"),
    ("h1", "/api/v1/offers?per_page=0", "per_page"),
    ("h1", "/api/v1/offers?page=99999999999", "page"),
    ("h1", "/api/v1/offers?rooms=abc", "rooms"),
    ("h1", "/api/v1/offers?accessible=oui", "accessible"),
    ("h1", "/api/v1/offers?sort=drop", "sort"),
    ("beta", "/api/v1/minutes?start=hier&end=2026-01-01", "start"),
    ("beta", "/api/v1/minutes?start=2026-01-01", "end"),
    ("h1", "/api/v1/proposals/2147483648", "proposal_id"),
    ("beta", "/api/v1/moves/99999999999999999999999", "move_id"),
    ("admin", "/api/v1/territory/runs/2147483648", "run_id"),
    ("h1", "/api/v1/situation?page=99999999999", None),
]


@on_every_backend()
@pytest.mark.parametrize(
    ("who", "url", "path"), BAD_QUERIES, ids=[u.rsplit("/", 1)[-1] for _, u, _ in BAD_QUERIES]
)
def test_a_malformed_query_or_id_is_refused_by_field_path(client, world, who, url, path):
    response = client.get(url, headers=world["tokens"][who])
    if path is None:  # a route that reads no query: the query is ignored
        assert response.status_code == 200, response.get_json()
    else:
        _assert_refused(response, path)


@on_every_backend()
@pytest.mark.parametrize("action", ["answer", "withdraw"])
@pytest.mark.parametrize(
    ("household", "proposal", "path"),
    [(2**31, 1, "household_id"), (1, 2**31, "proposal_id"), (10**25, 10**25, "household_id")],
)
def test_a_staff_write_with_an_id_beyond_integer_is_refused(client, world, action, household, proposal, path):
    url = f"/api/v1/tenants/{household}/proposals/{proposal}/{action}"
    body = {"accept": True, "reason": "timing", "channel": "phone"}
    _assert_refused(client.post(url, json=body, headers=world["tokens"]["beta"]), path)


@on_every_backend()
@pytest.mark.parametrize("action", ["answer", "withdraw"])
def test_a_staff_write_for_another_landlords_tenant_is_not_found(client, world, engine, action):
    """ALPHA's staff may not act for H2 (BETA's tenant), even with a malformed body; nothing is written."""
    url = f"/api/v1/tenants/{world['h2']}/proposals/{world['proposal']}/{action}"
    for body in ({"accept": True, "reason": "timing", "channel": "phone"}, {"accept": []}):
        assert client.post(url, json=body, headers=world["tokens"]["alpha"]).status_code == 404
    assert client.post(url, json={}, headers=world["tokens"]["h1"]).status_code == 403
    assert client.post(url, json={}).status_code == 401
    with engine.connect() as conn:
        answers = conn.scalars(select(ProposalMove.answer).where(ProposalMove.household_id == world["h2"]))
        assert list(answers) == [None]


def test_valid_queries_still_answer(client, world):
    tenant = world["tokens"]["h1"]
    offers = client.get("/api/v1/offers?accessible=0&compatible=true&page=2&per_page=5", headers=tenant)
    assert offers.status_code == 200 and offers.get_json()["page"] >= 1
    assert (
        client.get("/api/v1/territory/stats?year=2026", headers=world["tokens"]["admin"]).status_code == 200
    )
    situation = client.get("/api/v1/situation", headers=tenant)
    assert situation.status_code == 200 and "points" in json.dumps(situation.get_json())
    for who in ("beta", "admin"):
        assert client.get("/api/v1/situation", headers=world["tokens"][who]).status_code == 403
    assert client.get("/api/v1/situation").status_code == 401


def test_every_api_route_is_described_with_its_methods(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:int:)?([a-z_]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = doc["paths"][path][method.lower()]
            assert op["summary"] and op["tags"], (path, method)


def _component(doc, name):
    return doc["components"]["schemas"][name]


def test_the_description_follows_the_schemas(app, monkeypatch):
    from web.openapi import openapi_document

    with app.app_context():
        doc = openapi_document()
        for rule in app.url_map.iter_rules():
            body = getattr(app.view_functions[rule.endpoint], "openapi", None)
            body = body and body.body
            if isinstance(body, type):
                name = body.__name__.removesuffix("Schema")
                fields = {field.data_key or key for key, field in body().fields.items()}
                assert set(_component(doc, name)["properties"]) == fields, name

        class DecisionWithUrgency(DecisionSchema):
            urgent = f.Boolean(load_default=False)

        view = app.view_functions["api.decision"]
        monkeypatch.setattr(view, "openapi", dataclasses.replace(view.openapi, body=DecisionWithUrgency))
        grown = openapi_document()
    body = grown["paths"]["/moves/{move_id}/decision"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/DecisionWithUrgency"}
    added = set(_component(grown, "DecisionWithUrgency")["properties"]) - set(
        _component(doc, "Decision")["properties"]
    )
    assert added == {"urgent"}
    assert _component(grown, "DecisionWithUrgency")["properties"]["urgent"]["type"] == "boolean"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
KEYS = [
    "accept",
    "reason",
    "comment",
    "kind",
    "rank",
    "condition",
    "condition_due",
    "move_date",
    "as_of",
    "login",
    "password",
    "communes",
    "min_rooms",
    "max_rooms",
    "max_cost",
    "accept_qpv",
    "max_cycle",
    "channel",
]
BODIES = JSON | st.dictionaries(st.sampled_from(KEYS), JSON, max_size=5)
ROUTES = [
    "tokens",
    "request",
    "answer",
    "withdraw",
    "staff_answer",
    "staff_withdraw",
    "decision",
    "move_date",
    "territory_move_date",
    "runs",
    "policy",
]


@on_every_backend()
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), body=BODIES)
def test_no_json_body_makes_the_api_fail(client, world, route, body):
    response = _send(client, world, route, body)
    assert response.status_code < 500, (route, body)
    if response.status_code == 422:
        for texts in response.get_json()["messages"].values():
            assert all(not PYTHON_TEXT.search(text) for text in texts), texts


@on_every_backend()
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    url=st.sampled_from(
        ["/api/v1/offers", "/api/v1/territory/stats", "/api/v1/minutes", "/api/v1/situation"]
    ),
    query=st.dictionaries(
        st.sampled_from(
            ["year", "page", "per_page", "rooms", "max_cost", "sort", "start", "end", "accessible"]
        ),
        st.text(max_size=12),
        max_size=4,
    ),
    ident=st.integers(min_value=0, max_value=2**70),
)
def test_no_query_or_id_makes_the_api_fail(client, world, url, query, ident):
    who = {"/api/v1/offers": "h1", "/api/v1/minutes": "beta", "/api/v1/situation": "h1"}.get(url, "admin")
    assert client.get(url, query_string=query, headers=world["tokens"][who]).status_code < 500
    assert client.get(f"/api/v1/proposals/{ident}", headers=world["tokens"]["h1"]).status_code in (
        200,
        404,
        422,
    )
    for action in ("answer", "withdraw"):
        for url in (
            f"/api/v1/tenants/{ident}/proposals/{world['proposal']}/{action}",
            f"/api/v1/tenants/{world['h2']}/proposals/{ident}/{action}",
        ):
            staff = client.post(
                url, json={"reason": "timing", "channel": "x"}, headers=world["tokens"]["beta"]
            )
            assert staff.status_code in (404, 409, 422), (url, staff.status_code)
