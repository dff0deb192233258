"""The French explanation of a household's criteria and candidate dwellings (pure formatting)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from exchange.cli import cli
from exchange.commands import explain as explain_command
from exchange.explain import decimal, euros, explain_household, format_explanation, long_date
from matching.config import PolicyConfig
from matching.territory import Dwelling, Household, Member, Point, Request, Territory


def _dwelling(ref: str, rooms: int, surface: float, **overrides: object) -> Dwelling:
    values: dict[str, object] = dict(
        ref=ref,
        landlord="OYAP",
        sector="CAY-01",
        commune="Cayenne",
        qpv=False,
        rooms=rooms,
        surface_m2=surface,
        floor=0,
        elevator=False,
        accessibility="none",
        rent=350.0,
        charges=60.0,
        lat=4.93,
        lon=-52.33,
    )
    values.update(overrides)
    return Dwelling(**values)  # type: ignore[arg-type]


FAMILY = Household(
    "H1",
    "D1",
    (Member("head", 41), Member("partner", 39), Member("child", 12), Member("child", 9), Member("child", 4)),
    1830.0,
    priority=frozenset({"violence", "dalo"}),
)
SINGLE = Household("H2", "D2", (Member("head", 72),), 900.0, mobility="reduced")
COMMUTER = Household(
    "H3", "D3", (Member("head", 30), Member("partner", 30)), 2100.0, workplace=Point(5.40, -52.33)
)
STAYER = Household("H4", "D4", (Member("head", 50),), 1200.0)


def _territory(**changes: object) -> Territory:
    values: dict[str, object] = dict(
        code="CACL",
        as_of=date(2026, 11, 22),
        dwellings=(
            _dwelling("D1", 2, 38.0),  # family of 5: overcrowded (43 m², 4 rooms needed)
            _dwelling("D2", 4, 80.0, floor=3),  # single, reduced mobility: under-occupation and autonomy
            _dwelling("D3", 2, 45.0),  # couple working 52 km away
            _dwelling("D4", 2, 40.0),
            _dwelling("V1", 4, 82.5, rent=520.0, charges=85.5, commune="Matoury"),
            _dwelling("V2", 1, 30.0, floor=2, elevator=True),
        ),
        households=(FAMILY, SINGLE, COMMUTER, STAYER),
        requests=(
            Request("H1", date(2025, 6, 3), 700.0, communes=frozenset({"Matoury"})),
            Request("H2", date(2026, 10, 31), 410.0),
            Request("H3", date(2026, 1, 31), 600.0, communes=frozenset({"Kourou"})),
        ),
        offers=("V1", "V2"),
    )
    values.update(changes)
    return Territory(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (38.0, 1, "38,0"),
        (43.05, 2, "43,05"),
        (1234.5, 2, "1 234,50"),
        (0.0, 1, "0,0"),
        (1234567.891, 1, "1 234 567,9"),
    ],
)
def test_decimal_comma(value: float, digits: int, text: str) -> None:
    assert decimal(value, digits) == text


def test_euros_and_dates() -> None:
    assert euros(605.5) == "605,50 €"
    assert long_date(date(2025, 6, 3)) == "3 juin 2025"
    assert long_date(date(2026, 8, 1)) == "1er août 2026"


def test_overcrowded_family_with_its_figures_and_best_candidate() -> None:
    text = format_explanation(explain_household(_territory(), "H1"))
    assert "Ménage H1 au 22 novembre 2026 : 5 personnes" in text
    assert "Besoins : 3 chambres, 4 pièces au moins, 6 au plus, surface minimale 43,0 m²" in text
    assert (
        "  - suroccupation : 38,0 m² pour 5 personnes, minimum 43,0 m² ; 2 pièces pour 4 nécessaires" in text
    )
    assert "Priorités : reconnu DALO (30 points), violences (25 points)" in text
    assert "Demande déposée le 3 juin 2025 : 17 mois d'ancienneté comptés (17 points)" in text
    assert "Logements candidats : 1" in text
    # V1 (82,5 m², 605,50 €) solves overcrowding: 100 + 50 + 30 + 25 + 17.
    assert "  1. 222 points — V1 (OYAP, Matoury, secteur CAY-01) : T4, 82,5 m²" in text
    assert "loyer + charges 605,50 €" in text
    breakdown = (
        "mouvement 100 + critère suroccupation résolu 50 + reconnu DALO 30 + violences 25"
        " + ancienneté 17 mois 17"
    )
    assert f"{breakdown} = 222" in text


def test_under_occupation_and_autonomy_figures() -> None:
    text = format_explanation(explain_household(_territory(), "H2"))
    assert "  - sous-occupation : 4 pièces pour 1 personne, au plus 2" in text
    assert (
        "  - logement inadapté à la perte d'autonomie : mobilité réduite, "
        "logement au 3e étage sans ascenseur ni accès aménagé"
    ) in text
    # 31 October to 22 November: not a full month yet.
    assert "0 mois d'ancienneté comptés (0 points)" in text
    # D1, D3 (ground floor) and V2 (elevator): 100 + under-occupation 40 + autonomy 60, ties by ref.
    assert "Logements candidats : 3" in text
    assert "  1. 200 points — D1" in text and "  3. 200 points — V2" in text
    assert (
        "critère sous-occupation résolu 40 + critère logement inadapté à la perte d'autonomie résolu 60"
        in text
    )


def test_job_distance_figures_and_rejections_when_nothing_fits() -> None:
    text = format_explanation(explain_household(_territory(), "H3"))
    assert "  - éloignement du lieu de travail : 52,3 km du lieu de travail, au-delà de 30,0 km" in text
    assert "communes : Kourou" in text
    assert "  - commune non souhaitée : 4" in text  # D1, D2, V1, V2 are the other candidates, none in Kourou
    assert "Aucun logement candidat : aucun mouvement autorisé pour ce ménage." in text


def test_a_custom_job_distance_changes_the_explanation() -> None:
    text = format_explanation(explain_household(_territory(), "H3", PolicyConfig(job_distance_km=60.0)))
    assert "Critères actifs : aucun (demande de confort)" in text


def test_household_without_request() -> None:
    text = format_explanation(explain_household(_territory(), "H4"))
    assert "Le ménage H4 n'a pas de demande de mutation ouverte : aucun logement candidat." in text
    assert "Logements candidats" not in text


def test_limit_shows_the_best_candidates_first() -> None:
    # Without a commune wish, D2 (the single's T4) fits the family too, for the same points.
    anywhere = _territory(
        requests=(Request("H1", date(2025, 6, 3), 700.0), Request("H2", date(2026, 10, 31), 410.0))
    )
    explanation = explain_household(anywhere, "H1")
    assert [(c.dwelling.ref, c.points.total) for c in explanation.candidates] == [("D2", 222), ("V1", 222)]
    text = format_explanation(explanation, limit=1)
    assert "Logements candidats : 2 (1 meilleur affiché)" in text
    assert "  1. 222 points — D2" in text and "  2." not in text


def test_unknown_household() -> None:
    with pytest.raises(KeyError):
        explain_household(_territory(), "H9")


# The command line ------------------------------------------------------------------------------------


@pytest.fixture
def document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A document path whose reading gives the test territory (the reader is the interchange module's)."""
    path = tmp_path / "territoire.json"
    path.write_text("{}", encoding="utf-8")
    monkeypatch.setattr(explain_command, "_from_document", lambda p: (_territory(), PolicyConfig()))
    return path


def test_cli_explains_a_household(document: Path) -> None:
    result = CliRunner().invoke(cli, ["explain", "H2", "--document", str(document), "--limit", "2"])
    assert result.exit_code == 0, result.output
    assert "  - sous-occupation : 4 pièces pour 1 personne, au plus 2" in result.output
    assert "Logements candidats : 3 (2 meilleurs affichés)" in result.output
    assert "  2. 200 points — D3" in result.output and "  3." not in result.output


def test_cli_as_of_changes_the_seniority(document: Path) -> None:
    result = CliRunner().invoke(cli, ["explain", "H1", "--document", str(document), "--as-of", "2026-12-03"])
    assert result.exit_code == 0, result.output
    assert "Ménage H1 au 3 décembre 2026" in result.output
    assert "18 mois d'ancienneté comptés (18 points)" in result.output


def test_cli_unknown_household(document: Path) -> None:
    result = CliRunner().invoke(cli, ["explain", "H9", "--document", str(document)])
    assert result.exit_code == 1
    assert "ménage inconnu dans le territoire CACL : H9" in result.output


def test_cli_on_a_generated_document(tmp_path: Path) -> None:
    loading = pytest.importorskip("exchange.loading")
    assert hasattr(loading, "territory_from_document")
    from fixtures.generate import generate_territory

    path = tmp_path / "t.json"
    path.write_text(json.dumps(generate_territory(5, 300)), encoding="utf-8")
    doc = json.loads(path.read_text(encoding="utf-8"))
    ref = doc["requests"][0]["household"]
    result = CliRunner().invoke(cli, ["explain", ref, "--document", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Ménage {ref} au " in result.output
    assert "Demande déposée le " in result.output
