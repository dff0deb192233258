"""Click's own messages in French: usage lines, errors, help sections.

Click marks its messages for gettext (``from gettext import gettext as _`` in each module), but
looks them up in the process's default domain and language: a French catalogue would only be read
on a machine whose locale is French. The command line is in French wherever it runs, so
:func:`install` binds each click module's ``_`` and ``ngettext`` to this catalogue; a message it
does not know (a newer click's) stays in English rather than failing.
"""

from __future__ import annotations

import gettext
import importlib

__all__ = ["FRENCH", "FRENCH_PLURAL", "TYPE_NAMES", "FrenchMessages", "install"]

# English message (as click writes it) -> French. Placeholders are kept as they are.
FRENCH: dict[str, str] = {
    "Aborted!": "Abandon.",
    "Missing command.": "Commande manquante.",
    "Options": "Options",
    "Positional arguments": "Arguments",
    "Commands": "Commandes",
    "deprecated": "obsolète",
    "Value must be an iterable.": "La valeur doit être une liste.",
    "env var: {var}": "variable d'environnement : {var}",
    "default: {default}": "par défaut : {default}",
    "(dynamic)": "(calculée)",
    "Do you want to continue?": "Voulez-vous continuer ?",
    "Confirm the action without prompting.": "Confirme l'action sans la demander.",
    "%(prog)s, version %(version)s": "%(prog)s, version %(version)s",
    "Show the version and exit.": "Affiche la version et quitte.",
    "Show this message and exit.": "Affiche cette aide et quitte.",
    "Missing argument": "Argument manquant",
    "Missing option": "Option manquante",
    "Missing parameter": "Paramètre manquant",
    "Missing parameter: {param_name}": "Paramètre manquant : {param_name}",
    "Missing {param_type}": "{param_type} manquant",
    "unknown error": "erreur inconnue",
    "Invalid value for {param_hint}: {message}": "Valeur invalide pour {param_hint} : {message}",
    "Invalid value: {message}": "Valeur invalide : {message}",
    "Could not open file {filename!r}: {message}": "Impossible d'ouvrir le fichier {filename!r} : {message}",
    "Error: {message}": "Erreur : {message}",
    "Try '{command} {option}' for help.": "Essayez « {command} {option} » pour l'aide.",
    "No such option {name!r}.": "Option inconnue : {name!r}.",
    "No such command {name!r}.": "Commande inconnue : {name!r}.",
    "Usage:": "Utilisation :",
    "Invalid start character for option ({option})": "Caractère initial invalide pour une option ({option})",
    "Option {name!r} does not take a value.": "L'option {name!r} ne prend pas de valeur.",
    "Argument {name!r} takes {nargs} values.": "L'argument {name!r} prend {nargs} valeurs.",
    "Press any key to continue...": "Appuyez sur une touche pour continuer…",
    "Repeat for confirmation": "Répétez pour confirmer",
    "Error: The two entered values do not match.": "Erreur : les deux valeurs saisies diffèrent.",
    "Error: invalid input": "Erreur : saisie invalide",
    "file": "fichier",
    "directory": "dossier",
    "path": "chemin",
    "Choose from:\n\t{choices}": "Choisir parmi :\n\t{choices}",
    "{value} is not in the range {range}.": "{value} n'est pas dans l'intervalle {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} n'est pas un booléen valide. Valeurs reconnues : {states}"
    ),
    "{value!r} is not a valid {number_type}.": "{value!r} n'est pas un {number_type} valide.",
    "{value!r} is not a valid UUID.": "{value!r} n'est pas un UUID valide.",
    "{name} {filename!r} is a file.": "{name} {filename!r} est un fichier.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} est un dossier.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} n'est pas lisible.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} n'est pas modifiable.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} n'est pas exécutable.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} introuvable.",
}

# (singular, plural) -> (French singular, French plural)
FRENCH_PLURAL: dict[tuple[str, str], tuple[str, str]] = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): (
        "Argument en trop ({args})",
        "Arguments en trop ({args})",
    ),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."): (
        "Prend {nargs} valeurs, mais 1 a été donnée.",
        "Prend {nargs} valeurs, mais {len} ont été données.",
    ),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): (
        "Vouliez-vous dire {possibility} ?",
        "(Vouliez-vous dire l'une de : {possibilities} ?)",
    ),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): (
        "L'option {name!r} demande une valeur.",
        "L'option {name!r} demande {nargs} valeurs.",
    ),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): (
        "{value!r} n'est pas {choice}.",
        "{value!r} n'est pas parmi {choices}.",
    ),
    ("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."): (
        "{value!r} ne suit pas le format {format}.",
        "{value!r} ne suit aucun des formats {formats}.",
    ),
    (
        "{len_type} values are required, but {len_value} was given.",
        "{len_type} values are required, but {len_value} were given.",
    ): (
        "{len_type} valeurs sont attendues, mais {len_value} a été donnée.",
        "{len_type} valeurs sont attendues, mais {len_value} ont été données.",
    ),
}

# Parameter types' names, which click shows as metavars (``--seed ENTIER``) and in errors
# ("'un' n'est pas un entier valide.").
TYPE_NAMES: dict[str, str] = {
    "StringParamType": "texte",
    "UnprocessedParamType": "texte",
    "IntParamType": "entier",
    "IntRange": "entier",
    "FloatParamType": "nombre",
    "FloatRange": "nombre",
    "BoolParamType": "booléen",
    "DateTime": "date",
    "UUIDParameterType": "uuid",
    "File": "fichier",
}

# The click modules whose messages a user of the command line can see.
_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils")


class FrenchMessages(gettext.NullTranslations):
    """A catalogue read from :data:`FRENCH` and :data:`FRENCH_PLURAL`; unknown messages pass through."""

    def gettext(self, message: str) -> str:
        return FRENCH.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        pair = FRENCH_PLURAL.get((msgid1, msgid2))
        if pair is None:
            return msgid1 if n == 1 else msgid2
        return pair[0] if n <= 1 else pair[1]  # French: 0 and 1 are singular


def install() -> None:
    """Make click's modules speak French (idempotent)."""
    messages = FrenchMessages()
    for name in _MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = messages.gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = messages.ngettext  # type: ignore[attr-defined]
    types = importlib.import_module("click.types")
    for cls, french in TYPE_NAMES.items():
        if isinstance(getattr(types, cls, None), type):
            getattr(types, cls).name = french
