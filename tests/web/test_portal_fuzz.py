"""hypothesis drives every portal form and page with garbage: never a 5xx, on SQLite and PostgreSQL.

The routes are discovered from ``app.url_map`` (every rule outside ``/api/`` and ``/static/``), each
reached by the role it serves, signed in. Form bodies mix the real field names of the portal's pages
with values of wrong types, sizes and characters (lists, NUL, invalid UTF-8, 10,000 characters,
numbers far too large); ids go beyond PostgreSQL's INTEGER; query strings carry odd years and pages;
the import form gets files that are not JSON, too deep, or full of bad values. CSRF protection is off
in these apps (``tests/web/conftest.py``), so every body reaches its form's validation.
"""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from databases import on_every_backend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_helpers import login, run_scenario
from sqlalchemy import select

from exchange import models as m
from exchange.models.workflow import Proposal, ProposalMove

pytestmark = on_every_backend()

WHO = {"tenant": "h1", "committee": "beta", "territory": "admin"}
ANONYMOUS = {"auth.login", "auth.index"}
SKIPPED = {"auth.logout"}  # ends the session the other examples need; tested in test_portal_security
ODD_IDS = [0, 2**31 - 1, 2**31, 2**63, 10**30]
ODD_TEXTS = [
    "",
    " ",
    "0",
    "-5",
    "10000",
    "1e309",
    "2147483648",
    "9" * 5000,
    "NaN",
    "2026-02-30",
    "0001-01-01",
    "9999-12-31",
    "a\x00b",
    "x" * 10_000,
    "<script>",
    "true",
    "[]",
]
VALUES = st.sampled_from(ODD_TEXTS) | st.text(max_size=30) | st.integers().map(str)
RAW_BYTES = st.sampled_from([b"\xff\xfe", b"\xed\xa0\x80", b"caf\xe9"])
DOCUMENTS = st.sampled_from(
    [
        b"",
        b"\xff\xfe{",
        b"[" * 50_000,
        b'{"format": ' + b"9" * 5000 + b"}",
        b'{"territory": {"code": "TWEB", "name": "\\ud800"}}',
        b'{"territory": {"code": "TWEB"}, "dwellings": [{"rooms": 2147483648}]}',
        b"[1, 2]",
        b"null",
    ]
)


def _who(endpoint: str) -> str | None:
    if endpoint in ANONYMOUS:
        return None
    return WHO.get(endpoint.split(".")[0], "h1")


@pytest.fixture
def portal(app: Any, engine: Any) -> dict[str, Any]:
    """The portal's routes, the names of its form fields, and real ids of the scenario."""
    run_scenario(engine)
    with engine.connect() as conn:
        ids = {
            "proposal_id": list(conn.scalars(select(Proposal.id))),
            "move_id": list(conn.scalars(select(ProposalMove.id))),
            "request_id": list(conn.scalars(select(m.Request.id))),
            "household_id": list(conn.scalars(select(m.Household.id).order_by(m.Household.ref))),
        }
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(("/api/", "/static")) and rule.endpoint not in SKIPPED
    ]
    names: set[str] = set()
    for role in ("h1", "beta", "admin"):
        client = app.test_client()
        login(client, role)
        for rule in rules:
            if "GET" in rule.methods and not rule.arguments and _who(rule.endpoint) in (role, None):
                names.update(re.findall(r'name="([^"]+)"', client.get(rule.rule).get_data(as_text=True)))
    client = app.test_client()
    login(client, "beta")
    for url in _desk_urls(ids):  # the pages for one of BETA's tenants (H2): the staff's answer, withdrawal
        names.update(re.findall(r'name="([^"]+)"', client.get(url).get_data(as_text=True)))
    names.discard("csrf_token")
    return {"rules": rules, "ids": ids, "names": sorted(names)}


def _desk_urls(ids: dict[str, list[int]]) -> list[str]:
    """BETA's staff's pages for H2, its tenant in the swap H1 <-> H2 (the scenario's first proposal)."""
    h2 = ids["household_id"][1]  # ordered by ref: H1, H2, …
    proposal = min(ids["proposal_id"])
    base = f"/caleol/locataires/{h2}/propositions/{proposal}"
    return [f"{base}/reponse", f"{base}/desistement", f"{base}/courrier", f"/caleol/locataires/{h2}/demande"]


def _arguments(rule: Any) -> list[str]:
    """The rule's arguments in the order of its URL (``rule.arguments`` is a set)."""
    return re.findall(r"<(?:\w+:)?(\w+)>", rule.rule)


def _url(rule: Any, ident: Any, name: str = "x", others: dict[str, Any] | None = None) -> str:
    """The rule's URL: ``ident`` for its first argument, ``others`` (or ``ident``) for the next ones."""
    url = rule.rule
    first = next(iter(_arguments(rule)), None)
    for argument in _arguments(rule):
        value = ident if argument == first or others is None else others.get(argument, ident)
        url = re.sub(rf"<(?:int:)?{argument}>", str(value if argument != "name" else name), url)
    return url


def _others(rule: Any, portal: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """Ids for a rule's arguments after the first: a real one of that kind or an odd one."""
    return {
        argument: data.draw(st.sampled_from(portal["ids"].get(argument, []) + ODD_IDS))
        for argument in _arguments(rule)[1:]
    }


def _client(app: Any, endpoint: str) -> Any:
    client = app.test_client()
    who = _who(endpoint)
    if who is not None:
        assert login(client, who).status_code == 302
    return client


def _assert_no_failure(response: Any, where: Any) -> None:
    assert response.status_code < 500, where
    assert b"Traceback" not in response.get_data(), where


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_form_body_makes_the_portal_fail(app: Any, portal: dict[str, Any], data: st.DataObject) -> None:
    rule = data.draw(st.sampled_from([r for r in portal["rules"] if "POST" in r.methods]))
    argument = next(iter(_arguments(rule)), None)
    real = portal["ids"].get(argument or "", [])
    ident = data.draw(st.sampled_from(real + ODD_IDS)) if argument else None
    pairs = data.draw(
        st.lists(st.tuples(st.sampled_from([*portal["names"], "inconnu"]), VALUES | RAW_BYTES), max_size=8)
    )
    client = _client(app, rule.endpoint)
    url = _url(rule, ident, others=_others(rule, portal, data))
    if rule.endpoint == "territory.import_file":
        document = data.draw(DOCUMENTS | st.binary(max_size=200))
        response = client.post(
            url,
            data={**dict(pairs[:3]), "document": (io.BytesIO(document), "territoire.json")},
            content_type="multipart/form-data",
        )
    else:
        body = urlencode([(k, v if isinstance(v, bytes) else v.encode("utf-8", "replace")) for k, v in pairs])
        response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    _assert_no_failure(response, (url, pairs))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_id_or_query_makes_the_portal_fail(app: Any, portal: dict[str, Any], data: st.DataObject) -> None:
    rule = data.draw(st.sampled_from([r for r in portal["rules"] if "GET" in r.methods]))
    argument = next(iter(_arguments(rule)), None)
    real = portal["ids"].get(argument or "", [])
    ident = data.draw(st.sampled_from(real + ODD_IDS)) if argument else None
    name = data.draw(st.sampled_from(["par_statut", "inconnu", "x" * 300, "%00"]))
    query = data.draw(
        st.dictionaries(
            st.sampled_from(["year", "page", "per_page", "rooms", "sort", "start", "end", "commune"]),
            st.sampled_from(ODD_TEXTS[:12]) | st.text(max_size=12),
            max_size=3,
        )
    )
    url = _url(rule, ident, name, others=_others(rule, portal, data))
    response = _client(app, rule.endpoint).get(url, query_string=query)
    _assert_no_failure(response, (url, query))
    if argument and ident is not None and ident > 2**31 - 1:
        assert response.status_code == 404, url


@pytest.mark.parametrize("year", ["0", "-5", "10000", "abc", "2026.5"])
def test_statistics_with_a_bad_year_say_so_in_french(app: Any, year: str) -> None:
    client = _client(app, "territory.stats")
    page = client.get(f"/territoire/statistiques?year={year}")
    assert page.status_code == 400 and "Année ignorée" in page.get_data(as_text=True)
    assert client.get(f"/territoire/statistiques/par_statut.svg?year={year}").status_code == 404
    assert client.get("/territoire/statistiques?year=").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/caleol/mouvements/2147483648",
        "/locataire/propositions/2147483648",
        "/territoire/appariements/99999999999999999999",
        "/territoire/appariements/lancements/2147483648",
    ],
)
def test_an_id_beyond_integer_is_not_found(app: Any, url: str) -> None:
    endpoint = {"caleol": "committee", "locataire": "tenant"}.get(url.split("/")[1], "territory")
    assert _client(app, f"{endpoint}.x").get(url).status_code == 404


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"[" * 50_000, "JSON imbriqué trop profondément."),
        (b'{"rooms": ' + b"9" * 5000 + b"}", "un nombre compte trop de chiffres"),
        (b"\xff\xfe{}", "pas en UTF-8"),
    ],
    ids=["deep", "digits", "not_utf8"],
)
def test_an_unreadable_upload_is_a_french_error(app: Any, document: bytes, message: str) -> None:
    client = _client(app, "territory.import_file")
    response = client.post(
        "/territoire/import",
        data={"document": (io.BytesIO(document), "territoire.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and message in response.get_data(as_text=True)


# The staff's desk for a tenant (answer and withdrawal given at the agency, paper letters), the letters of
# the latest run, the run settings' priority floor: each form fuzzed on its own with real ids, so that
# each gets many examples (the sweep above draws among every form of the portal).
DESK_FIELDS = {
    "committee.tenant_answer": ["answer", "reason", "comment", "channel", "confirmed"],
    "committee.tenant_withdrawal": ["reason", "comment", "channel", "confirmed"],
    "committee.tenant_letter": ["inconnu"],
    "committee.letters": ["run"],
    "territory.run_settings": ["objective", "repair", "priority_floor_pct"],
}
DESK_VALUES = (
    VALUES
    | st.sampled_from(
        ["accept", "refuse", "cost", "timing", "no_answer", "desk", "phone", "mail", "fax", "1"]
    )
    | st.sampled_from(["points", "expected", "y", "-1", "101", "2147483648", "99999999999999999999"])
)


def _desk_url(endpoint: str, household: Any, proposal: Any) -> str:
    base = f"/caleol/locataires/{household}/propositions/{proposal}"
    return {
        "committee.tenant_answer": f"{base}/reponse",
        "committee.tenant_withdrawal": f"{base}/desistement",
        "committee.tenant_letter": f"{base}/courrier",
        "committee.letters": "/caleol/courriers",
        "territory.run_settings": "/territoire/politique/appariements",
    }[endpoint]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_body_or_id_makes_the_desk_forms_fail(
    app: Any, portal: dict[str, Any], data: st.DataObject
) -> None:
    from test_portal_french import problems_of

    endpoint = data.draw(st.sampled_from(sorted(DESK_FIELDS)))
    h2, proposal = portal["ids"]["household_id"][1], min(portal["ids"]["proposal_id"])
    household = data.draw(st.sampled_from([h2, h2, *portal["ids"]["household_id"], *ODD_IDS]))
    proposal = data.draw(st.sampled_from([proposal, proposal, *portal["ids"]["proposal_id"], *ODD_IDS]))
    names = DESK_FIELDS[endpoint]
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(names), DESK_VALUES | RAW_BYTES), max_size=6))
    url = _desk_url(endpoint, household, proposal)
    body = urlencode([(k, v if isinstance(v, bytes) else v.encode("utf-8", "replace")) for k, v in pairs])
    client = _client(app, endpoint)
    response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    _assert_no_failure(response, (url, pairs))
    if "/locataires/" in url and max(household, proposal) > 2**31 - 1:
        assert response.status_code == 404, url
    if response.mimetype == "text/html" and response.status_code in (200, 422):
        page = response.get_data(as_text=True)
        assert problems_of(page) == [], (url, pairs, problems_of(page))
    if response.status_code == 302:  # a refusal flashed on the page it leads to
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert problems_of(page) == [], (url, pairs, problems_of(page))


@pytest.mark.parametrize(
    ("endpoint", "form", "field", "message"),
    [
        (
            "committee.tenant_answer",
            {"channel": "phone"},
            "answer",
            "Choisissez si le ménage accepte ou refuse",
        ),
        ("committee.tenant_answer", {"answer": "accept"}, "channel", "Indiquez comment le ménage a répondu"),
        ("committee.tenant_answer", {"answer": "oui", "channel": "phone"}, "answer", "choix"),
        ("committee.tenant_answer", {"answer": "accept", "channel": "fax"}, "channel", "choix"),
        ("committee.tenant_answer", {"answer": "refuse", "channel": "desk"}, "reason", "motif"),
        (
            "committee.tenant_answer",
            {"answer": "refuse", "reason": "no_answer", "channel": "desk"},
            "reason",
            "choix",
        ),
        ("committee.tenant_withdrawal", {"channel": "desk"}, "reason", "Indiquez le motif du désistement"),
        (
            "committee.tenant_withdrawal",
            {"reason": "timing"},
            "channel",
            "Indiquez comment le ménage a répondu",
        ),
        ("committee.tenant_withdrawal", {"reason": "timing", "channel": "x" * 5000}, "channel", "choix"),
        (
            "territory.run_settings",
            {"objective": "expected", "priority_floor_pct": "101"},
            "priority_floor_pct",
            "Un pourcentage entre 0 et 100.",
        ),
        (
            "territory.run_settings",
            {"objective": "expected", "priority_floor_pct": "cinquante"},
            "priority_floor_pct",
            "entier valide",
        ),
        (
            "territory.run_settings",
            {"objective": "expected", "priority_floor_pct": "2147483648"},
            "priority_floor_pct",
            "Un pourcentage entre 0 et 100.",
        ),
        ("territory.run_settings", {"objective": "rien"}, "objective", "choix"),
    ],
)
def test_the_desk_and_run_settings_forms_name_the_field_in_french(
    app: Any, portal: dict[str, Any], endpoint: str, form: dict[str, str], field: str, message: str
) -> None:
    from test_portal_french import problems_of

    h2, proposal = portal["ids"]["household_id"][1], min(portal["ids"]["proposal_id"])
    if endpoint == "committee.tenant_withdrawal":  # H2 accepts first: its withdrawal may be recorded
        accepted = _client(app, "committee.tenant_answer").post(
            _desk_url("committee.tenant_answer", h2, proposal), data={"answer": "accept", "channel": "desk"}
        )
        assert accepted.status_code == 302
    response = _client(app, endpoint).post(_desk_url(endpoint, h2, proposal), data=form)
    assert response.status_code in (200, 422), response.status_code
    page = response.get_data(as_text=True)
    error = re.search(rf'<[^>]*id="{field}-erreur"[^>]*>(.*?)</', page, re.S)
    assert error is not None, (field, page)
    assert message.lower() in error.group(1).lower(), error.group(1)
    assert problems_of(page) == [], problems_of(page)


@pytest.mark.parametrize("run", ["2147483648", "99999999999999999999", "-1", "abc", "0", ""])
def test_the_letters_of_an_odd_run_are_a_french_refusal(app: Any, portal: dict[str, Any], run: str) -> None:
    from test_portal_french import problems_of

    client = _client(app, "committee.letters")
    response = client.post("/caleol/courriers", data={"run": run})
    assert response.status_code in (302, 404) or response.mimetype == "application/pdf", response.status_code
    if response.status_code == 302:
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert problems_of(page) == [], problems_of(page)


@pytest.mark.parametrize(
    ("household", "proposal"), [(2**31, 1), (1, 2**31), (10**30, 10**30), (0, 0), ("h1", "p")]
)
def test_a_letter_of_an_odd_id_is_not_found(
    app: Any, portal: dict[str, Any], household: Any, proposal: Any
) -> None:
    client = _client(app, "committee.tenant_letter")
    assert client.post(_desk_url("committee.tenant_letter", household, proposal)).status_code == 404
    for endpoint in ("committee.tenant_answer", "committee.tenant_withdrawal"):
        url = _desk_url(endpoint, household, proposal)
        assert client.get(url).status_code == 404, url
        assert (
            client.post(url, data={"answer": "accept", "reason": "timing", "channel": "desk"}).status_code
            == 404
        )
