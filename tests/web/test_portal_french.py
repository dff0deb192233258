"""Every page of every role reads French: no English word of the interface, no « (s) » plural.

The walk follows every link of the portal from each role's home page (test client, no browser), on a
state where every page has content (journey_state.py), then visits the error states (a form refused
field by field, a bad file, a bad filter). The visible text of each page is checked against a list of
English words that leaked before (column headers, parser messages, built-in form messages), code
names (``moves_in``), Python values (``None``), English decimals (``0.0``) and « (s) » plurals.
"""

from __future__ import annotations

import html
import io
import re
from collections import deque
from typing import Any

import pytest
from journey_state import bring_to_journey_state
from portal_helpers import login

ROLES = {
    "h1": "/locataire/",  # a proposal awaits its answer
    "h3": "/locataire/",  # its exchange is confirmed
    "h4": "/locataire/",  # accepted, the CALEOLs decide
    "h2": "/locataire/",
    "alpha": "/caleol/",
    "beta": "/caleol/",
    "admin": "/territoire/",
}
ENGLISH = re.compile(
    r"\b(decisions?|moves?|requests?|refusals?|open|attribution_\w+|extra data|line \d+|column|char \d+|"
    r"not a valid|this field|required|invalid|please|error|none|true|false|nan|page not found|"
    r"forbidden|warning|submit|select|choose file|no file chosen)\b",
    re.IGNORECASE,
)
CODE_NAME = re.compile(r"\b[a-z]+_[a-z_]+\b")  # moves_in, decision_attribution, earth_radius_km
ENGLISH_DECIMAL = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")  # 0.0, 505.00 (dates are written out)
PLURAL_S = re.compile(r"\w\((?:s|e?s|x)\)")  # ménage(s), restant(s)
# Pages no link of the role's walk reaches: the dossiers already decided (by BETA's CALEOL).
EXTRA = {"beta": ("/caleol/mouvements/{move_h4}", "/caleol/mouvements/{move_h3}")}
SKIPPED = ("/deconnexion", "/static/", "/api/")
# Pages each role's walk must reach (the newest ones: « Ma situation », the staff's desk for a tenant).
REQUIRED = {
    "h1": ("/locataire/situation",),
    "h2": ("/locataire/situation",),
    "h3": ("/locataire/situation",),
    "h4": ("/locataire/situation",),
    "alpha": (
        "/caleol/locataires",
        r"/caleol/locataires/\d+/demande",
        r"/caleol/locataires/\d+/propositions/\d+/reponse",
        r"/caleol/locataires/\d+/propositions/\d+/desistement",
    ),
    "beta": ("/caleol/locataires", r"/caleol/locataires/\d+/propositions/\d+/reponse"),
    "admin": ("/territoire/politique",),
}
MAX_PAGES = 80  # per role: the offers' pages are many and alike


def _visible_text(page: str) -> str:
    body = page.split("<main", 1)[-1].split("</main>", 1)[0]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", body)
    return html.unescape(" ".join(text.split()))


def _field_values(page: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'<input[^>]*\bvalue="([^"]*)"', page)]


def problems_of(page: str) -> list[str]:
    """What is not French on the page's visible text and in its fields' values."""
    text = _visible_text(page)
    found = [f"anglais : {m.group(0)!r}" for m in ENGLISH.finditer(text)]
    found += [f"nom de code : {m.group(0)!r}" for m in CODE_NAME.finditer(text)]
    found += [f"nombre à l'anglaise : {m.group(0)!r}" for m in ENGLISH_DECIMAL.finditer(text)]
    found += [f"pluriel « (s) » : {m.group(0)!r}" for m in PLURAL_S.finditer(text)]
    found += [
        f"champ à l'anglaise : {v!r}" for v in _field_values(page) if ENGLISH_DECIMAL.fullmatch(v.strip())
    ]
    found += [f"message sans majuscule ni point : {m!r}" for m in _messages(page) if not SENTENCE.match(m)]
    return found


SENTENCE = re.compile(r"^[«A-ZÀ-Ý0-9].*[.!?»]$", re.S)  # a message is a sentence: « Indiquez …. »


def _messages(page: str) -> list[str]:
    """The texts of the page's messages: flashed, and each field's error."""
    found = re.findall(r'<p class="(?:flash [\w-]+|error)"[^>]*>(.*?)</p>', page, re.S)
    return [html.unescape(" ".join(re.sub(r"<[^>]+>", " ", text).split())) for text in found]


def _links(page: str) -> list[str]:
    hrefs = (html.unescape(h).split("#")[0] for h in re.findall(r'<a [^>]*href="([^"]+)"', page))
    return [h for h in hrefs if h.startswith("/") and not h.startswith(SKIPPED)]


def _walk(client: Any, start: str, *extra: str) -> dict[str, list[str]]:
    """Each page reached by links from ``start`` and ``extra``: its problems (empty when French)."""
    seen: dict[str, list[str]] = {}
    todo = deque([start, "/compte", *extra])
    while todo and len(seen) < MAX_PAGES:
        path = todo.popleft()
        if path in seen:
            continue
        response = client.get(path, follow_redirects=True)  # « / » leads to the role's home
        assert response.status_code == 200, (path, response.status_code)
        if response.mimetype != "text/html":  # a download (bilan PDF, xlsx, CSV, chart): not a page
            seen[path] = []
            continue
        page = response.get_data(as_text=True)
        seen[path] = problems_of(page)
        todo.extend(link for link in _links(page) if link not in seen)
    return seen


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_of_every_role_reads_french(client, engine, role):
    ids = bring_to_journey_state(client, engine)
    login(client, role)
    pages = _walk(client, ROLES[role], *(path.format(**ids) for path in EXTRA.get(role, ())))
    assert len(pages) >= 4, pages
    for pattern in REQUIRED[role]:
        assert any(re.fullmatch(pattern, path) for path in pages), (role, pattern, sorted(pages))
    bad = {path: found for path, found in pages.items() if found}
    assert not bad, bad


def test_the_error_states_read_french(client, engine):
    ids = bring_to_journey_state(client, engine)
    login(client, "h1")
    pages = {
        "demande refusée": client.post(
            "/locataire/demande", data={"min_rooms": "deux", "max_rooms": "1,5", "max_cost": "6OO"}
        ),
        "offres, coût illisible": client.get("/locataire/offres?max_cost=beaucoup"),
        "réponse sans choix": client.post(f"/locataire/propositions/{ids['proposal_h1']}", data={}),
        "refus à confirmer": client.post(
            f"/locataire/propositions/{ids['proposal_h1']}", data={"answer": "refuse", "reason": "cost"}
        ),
    }
    client.post("/deconnexion")
    login(client, "alpha")
    pages["décision incomplète"] = client.post(
        f"/caleol/mouvements/{ids['move_h5']}", data={"kind": "ranked"}
    )
    listing = client.get("/caleol/locataires").get_data(as_text=True)
    answer = re.search(r'href="(/caleol/locataires/\d+/propositions/\d+/reponse)"', listing)
    assert answer is not None  # H1's answer is awaited: ALPHA's staff may record it
    pages["réponse du ménage incomplète"] = client.post(answer.group(1), data={"answer": "refuse"})
    pages["refus du ménage à confirmer"] = client.post(
        answer.group(1), data={"answer": "refuse", "reason": "cost", "channel": "phone"}
    )
    withdrawal = re.search(r'href="(/caleol/locataires/\d+/propositions/\d+/desistement)"', listing)
    assert withdrawal is not None  # H3 and H4 accepted: ALPHA's staff may record their withdrawal
    pages["retrait du ménage incomplet"] = client.post(withdrawal.group(1), data={"reason": "other"})
    pages["retrait du ménage à confirmer"] = client.post(
        withdrawal.group(1), data={"reason": "timing", "channel": "desk"}
    )
    households = dict(re.findall(r'href="/caleol/locataires/(\d+)/propositions/(\d+)/reponse"', listing))
    h1 = next(h for h, p in households.items() if int(p) == ids["proposal_h1"])
    pages["retrait impossible (réponse attendue)"] = client.post(
        f"/caleol/locataires/{h1}/propositions/{ids['proposal_h1']}/desistement",
        data={"reason": "timing", "channel": "desk", "confirmed": "1"},
    )
    h3, h4 = _households(engine, "H3", "H4")
    pages["réponse d'un ménage qui a déjà accepté"] = client.post(
        f"/caleol/locataires/{h4}/propositions/{ids['proposal_h4']}/reponse",
        data={"answer": "refuse", "reason": "cost", "channel": "phone", "confirmed": "1"},
        follow_redirects=True,
    )
    pages["courrier d'une proposition déjà acceptée"] = client.post(
        f"/caleol/locataires/{h3}/propositions/{ids['proposal_h3']}/courrier", follow_redirects=True
    )
    pages["courriers d'un appariement inconnu"] = client.post(
        "/caleol/courriers", data={"run": "2147483648"}, follow_redirects=True
    )
    client.post("/deconnexion")
    login(client, "admin")
    pages["politique refusée"] = client.post(
        "/territoire/politique", data={"adult_age": "130", "job_distance_km": "abc"}
    )
    pages["réglages des appariements refusés"] = client.post(
        "/territoire/politique/appariements", data={"priority_floor_pct": "cent-cinquante"}
    )
    pages["plancher hors bornes"] = client.post(
        "/territoire/politique/appariements", data={"objective": "expected", "priority_floor_pct": "150"}
    )
    pages["fichier illisible"] = client.post(
        "/territoire/import",
        data={"document": (io.BytesIO(b"{} x"), "territoire.json")},
        content_type="multipart/form-data",
    )
    for name, response in pages.items():
        assert response.status_code in (200, 422), (name, response.status_code)
        page = response.get_data(as_text=True)
        assert 'class="error' in page or "flash-error" in page or "Confirmer" in page, name
        assert problems_of(page) == [], (name, problems_of(page))


def _households(engine: Any, *refs: str) -> list[int]:
    from sqlalchemy import select

    from exchange import models as m

    with engine.connect() as conn:
        found = dict(conn.execute(select(m.Household.ref, m.Household.id)).all())
    return [found[ref] for ref in refs]


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("<main><p>1 ménage(s) sur 2</p></main>", "pluriel"),
        ("<main><p>10 jour(s) restant(s)</p></main>", "pluriel"),
        ("<main><th>moves_in</th></main>", "nom de code"),
        ("<main><th>Decisions</th></main>", "anglais"),
        ("<main><li>JSON illisible : Extra data: line 1 column 3 (char 2)</li></main>", "anglais"),
        ("<main><p>(reçu : 0.0)</p></main>", "nombre à l'anglaise"),
        ('<main><input id="max_cost" value="505.00"></main>', "champ à l'anglaise"),
        (
            '<main><p class="flash flash-error">la proposition 2 n\'attend plus de réponse</p></main>',
            "message",
        ),
    ],
)
def test_the_check_catches_what_leaked_before(page, expected):
    assert any(p.startswith(expected) for p in problems_of(page)), problems_of(page)
