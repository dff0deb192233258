"""The malformed documents of issue 16, one by one: each is a French error naming its field, from the
service and from ``exchange import`` (exit 1, one line per error, never a traceback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from factories import make_document
from sqlalchemy.orm import Session

from exchange.cli import cli
from exchange.errors import InvalidTerritory
from exchange.interchange import import_document, parse_document
from exchange.schemas.territory import BOUNDS, LENGTHS


def _doc(path: str, value: Any) -> dict[str, Any]:
    doc = make_document()
    *parents, last = path.split(".")
    target: Any = doc
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return doc


CASES = [
    ("role_list", "households.0.members.1.role", ["partner"], "households[0].members[1].role"),
    ("rooms_int_max", "dwellings.0.rooms", 2**31, "dwellings[0].rooms"),
    ("rooms_21", "dwellings.0.rooms", 21, "dwellings[0].rooms"),
    ("code_33", "bailleurs.0.code", "B" * 33, "bailleurs[0].code"),
    ("sector_code_33", "sectors.1.code", "S" * 33, "sectors[1].code"),
    ("territory_code_33", "territory.code", "T" * 33, "territory.code"),
    ("dwelling_ref_65", "dwellings.3.ref", "D" * 65, "dwellings[3].ref"),
    ("commune_121", "sectors.0.commune", "C" * 121, "sectors[0].commune"),
    ("name_nul", "bailleurs.1.name", "SO\x00LA", "bailleurs[1].name"),
    ("name_surrogate", "sectors.0.name", "Centre" + chr(0xD800), "sectors[0].name"),
    ("name_blank", "bailleurs.0.name", "   ", "bailleurs[0].name"),
    ("ref_blank", "households.2.ref", " ", "households[2].ref"),
    ("huge_number", "dwellings.1.rent", 10**4000, "dwellings[1].rent"),
    ("rent_bound", "dwellings.1.rent", 20_001, "dwellings[1].rent"),
    ("resources_bound", "households.0.monthly_resources", 2e6, "households[0].monthly_resources"),
    ("age_131", "households.1.members.0.age", 131, "households[1].members[0].age"),
    ("elevator_1", "dwellings.0.elevator", 1, "dwellings[0].elevator"),
    ("qpv_0", "sectors.0.qpv", 0, "sectors[0].qpv"),
    ("accept_qpv_1", "requests.0.accept_qpv", 1, "requests[0].accept_qpv"),
    ("filed_2999", "requests.0.filed_on", "2999-01-01", "requests[0].filed_on"),
    ("filed_after_as_of", "requests.0.filed_on", "2026-11-23", "requests[0].filed_on"),
    ("filed_1900", "requests.1.filed_on", "1900-01-01", "requests[1].filed_on"),
    ("as_of_9999", "as_of", "9999-12-31", "as_of"),
    ("unknown_commune", "requests.0.communes", ["Cayenne", "Atlantis"], "requests[0].communes[1]"),
    ("policy_huge", "territory.policy", {"points_move": 10**400}, "territory.policy.points_move"),
]


@pytest.mark.parametrize(("path", "value", "where"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_malformed_value_is_refused_by_path(session: Session, path: str, value: Any, where: str) -> None:
    with pytest.raises(InvalidTerritory) as caught:
        import_document(session, _doc(path, value))
    assert where in caught.value.messages, caught.value.messages
    for line in caught.value.lines():
        line.encode("utf-8")


def test_the_longest_texts_fit_their_columns(session: Session) -> None:
    doc = make_document()
    code, ref = "B" * LENGTHS["bailleurs.code"], "D" * LENGTHS["dwellings.ref"]
    doc["bailleurs"][0]["code"] = code
    doc["dwellings"] = [{**d, "bailleur": code} if d["bailleur"] == "OYAP" else d for d in doc["dwellings"]]
    doc["dwellings"][3]["ref"] = ref
    doc["offers"] = [{"dwelling": ref}]
    doc["sectors"][0]["commune"] = "C" * LENGTHS["sectors.commune"]
    doc["requests"][0]["communes"] = ["C" * LENGTHS["sectors.commune"]]
    doc["dwellings"][0]["rooms"] = int(BOUNDS["dwellings.rooms"].high)
    import_document(session, doc)
    session.flush()


def test_an_unknown_commune_is_named() -> None:
    from exchange.schemas import validate_territory_document

    with pytest.raises(InvalidTerritory) as caught:
        validate_territory_document(_doc("requests.1.communes", ["Kourou"]))
    assert caught.value.messages["requests[1].communes[0]"] == [
        "commune inconnue : Kourou (aucun secteur du territoire dans cette commune)"
    ]


def test_an_echoed_value_is_printable_and_short() -> None:
    from exchange.schemas import validate_territory_document

    with pytest.raises(InvalidTerritory) as caught:
        validate_territory_document(_doc("offers", [{"dwelling": chr(0xD800) * 64}]))
    surrogate, unknown = sorted(caught.value.messages["offers[0].dwelling"])
    assert surrogate == "contient un caractère Unicode invalide (demi-codet isolé)"
    assert unknown.startswith("logement inconnu : \\ud800") and unknown.endswith("…") and len(unknown) < 500
    doc = make_document()
    doc["territory"]["x" * 1000 + chr(0xDC00)] = 1
    with pytest.raises(InvalidTerritory) as caught:
        validate_territory_document(doc)
    (path,) = caught.value.messages
    assert path.startswith("territory.xxx") and len(path) < 100 and path.encode("utf-8")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "JSON imbriqué trop profondément."),
        ('{"rooms": ' + "9" * 5000 + "}", "JSON illisible : un nombre compte trop de chiffres."),
        ('{"format": ', "JSON illisible (ligne 1, colonne 12)."),
        (b'{"name": "\xff"}', "le fichier n'est pas en UTF-8 (octet 11)."),
    ],
    ids=["deep", "digits", "truncated", "latin1"],
)
def test_an_unreadable_document_is_one_french_error(text: str | bytes, message: str) -> None:
    with pytest.raises(InvalidTerritory) as caught:
        parse_document(text)
    assert caught.value.messages == {"(document)": [message]}


def _cli_import(tmp_path: Path, content: str | bytes) -> Any:
    path = tmp_path / "territoire.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return CliRunner().invoke(cli, ["import", str(path)])


@pytest.mark.parametrize(
    "content",
    [
        "[" * 100_000 + "]" * 100_000,
        json.dumps(make_document())[:-1] + ', "x": ' + "7" * 5000 + "}",
        b"\xff\xfe{}",
    ],
    ids=["deep", "digits", "not_utf8"],
)
def test_cli_an_unreadable_file_is_one_line_and_exit_1(
    fresh_db_url: str, tmp_path: Path, content: Any
) -> None:
    result = _cli_import(tmp_path, content)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_cli_prints_one_line_per_error_and_writes_nothing(fresh_db_url: str, tmp_path: Path) -> None:
    doc = make_document()
    doc["households"][0]["members"][1]["role"] = ["partner"]
    doc["dwellings"][0]["rooms"] = 2**31
    doc["bailleurs"][1]["code"] = "S" * 33
    doc["sectors"][0]["name"] = "x" + chr(0xD800)
    doc["requests"][0]["filed_on"] = "2999-01-01"
    text = json.dumps(doc)  # the lone surrogate is written as the escape \ud800, as JSON allows
    result = _cli_import(tmp_path, text)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    lines = result.output.strip().splitlines()
    paths = [line.split(":", 1)[0] for line in lines[:-1]]
    assert {
        "households[0].members[1].role",
        "dwellings[0].rooms",
        "bailleurs[1].code",
        "sectors[0].name",
        "requests[0].filed_on",
    } <= set(paths)
    assert lines[-1].endswith("rien n'a été écrit.") and "Traceback" not in result.output
    export = CliRunner().invoke(cli, ["export", "TST", "-o", "-"])
    assert export.exit_code == 1  # the territory was never created
