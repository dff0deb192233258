"""The command line speaks French whatever the machine's locale, click's own messages included."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from exchange.cli import cli
from exchange.cli_messages import FRENCH, FRENCH_PLURAL, TYPE_NAMES, FrenchMessages

ENGLISH = ("Usage:", "Error:", "Try '", "No such", "Invalid value", "does not exist", "Missing", "Show this")


def _run(*args: str) -> click.testing.Result:
    # LANG=C: no French catalogue of the system's would help.
    return CliRunner(env={"LANG": "C", "LC_ALL": "C", "LANGUAGE": ""}).invoke(
        cli, list(args), prog_name="exchange"
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("frobnicate",), "Erreur : Commande inconnue : 'frobnicate'."),
        (("match", "/nulle/part.json"), "Fichier '/nulle/part.json' introuvable."),
        (
            ("match", "--max-cycle", "9", __file__),
            "Valeur invalide pour '--max-cycle' : 9 n'est pas dans l'intervalle 2<=x<=5.",
        ),
        (("solve-graph", "--max-cycle"), "L'option '--max-cycle' demande une valeur."),
        (("solve-graph", "--time-limit", "-3", "x"), "n'est pas dans l'intervalle x>0."),
        (("solve-graph", "--seed", "un", "x"), "'un' n'est pas un entier valide."),
        (("solve-graph", "--frob"), "Option inconnue : '--frob'."),
        (("decide",), "Argument manquant 'MOUVEMENT'."),
    ],
)
def test_usage_errors_are_french(args: tuple[str, ...], expected: str) -> None:
    result = _run(*args)
    assert result.exit_code == 2
    assert expected in result.output, result.output
    if "Utilisation :" in result.output:
        assert "Essayez « exchange" in result.output
    for english in ENGLISH:
        assert english not in result.output, result.output


def test_help_is_french() -> None:
    result = _run("solve-graph", "--help")
    assert result.exit_code == 0
    assert result.output.startswith("Utilisation : exchange solve-graph [OPTIONS] FICHIER")
    assert "Affiche cette aide et quitte." in result.output
    assert "[par défaut : 0" in result.output
    assert "--seed ENTIER" in result.output and "--time-limit NOMBRE" in result.output
    top = _run("--help").output
    assert "COMMANDE [ARGUMENTS]..." in top and "Commandes:" in top
    for english in ENGLISH:
        assert english not in result.output + top


def test_refusals_are_french() -> None:
    """A ClickException from a command (exit status 1) carries the same French prefix."""
    result = _run("explain", "H1", "--document", __file__)
    assert result.exit_code == 1
    assert result.output.startswith("Erreur : "), result.output


def test_catalogue_matches_click() -> None:
    """Every message translated is one click still writes, character for character (else a new
    click would silently show English); the placeholders are the same in both languages."""
    written: set[str] = set()
    plural: set[tuple[str, ...]] = set()
    for path in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                texts = tuple(
                    a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                )
                if node.func.id == "_" and texts:
                    written.add(texts[0])
                elif node.func.id == "ngettext" and len(texts) == 2:
                    plural.add(texts)
    for name in TYPE_NAMES:
        assert isinstance(getattr(click.types, name), type), name
    assert set(FRENCH) <= written, set(FRENCH) - written
    assert set(FRENCH_PLURAL) <= plural, set(FRENCH_PLURAL) - plural

    def fields(text: str) -> set[str]:
        return {t[1] for t in __import__("string").Formatter().parse(text) if t[1] is not None}

    for english, french in FRENCH.items():
        assert fields(english) == fields(french), english
    for (one, many), (un, plusieurs) in FRENCH_PLURAL.items():
        assert fields(one) == fields(un) and fields(many) == fields(plusieurs), one


def test_unknown_messages_pass_through() -> None:
    messages = FrenchMessages()
    assert messages.gettext("Something click adds one day") == "Something click adds one day"
    assert messages.ngettext("one {n}", "many {n}", 3) == "many {n}"
    assert (
        messages.ngettext(
            "Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1
        )
        == "L'option {name!r} demande une valeur."
    )
