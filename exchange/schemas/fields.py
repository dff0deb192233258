"""Strict marshmallow fields that speak French, the base schema, and marshmallow errors as field paths.

Every schema of the package builds on these: a string never holds a NUL character (PostgreSQL refuses
it), an integer is never a boolean nor a float and fits PostgreSQL's ``INTEGER``, a boolean is
``true`` or ``false`` and nothing else, unknown keys are errors. :func:`load_or_raise` turns
marshmallow's nested errors into :class:`~exchange.errors.InvalidInput` keyed by one path notation,
``households[3].members[0].age``, used everywhere (documents, API bodies, forms).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from exchange.errors import InvalidInput

INT_MAX = 2**31 - 1
"""The largest value of PostgreSQL's ``INTEGER`` (and of every id)."""

COMMON = {
    "required": "champ obligatoire",
    "null": "ne peut pas être nul",
    "validator_failed": "valeur invalide",
}


class String(fields.String):
    """A string without NUL character."""

    default_error_messages = {
        **COMMON,
        "invalid": "doit être une chaîne de caractères",
        "nul": "ne doit pas contenir de caractère nul",
        "surrogate": "contient un caractère Unicode invalide (demi-codet isolé)",
    }

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if "\x00" in value:
            raise self.make_error("nul")
        if not is_encodable(value):
            raise self.make_error("surrogate")
        return value


def is_encodable(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 (no lone surrogate, which JSON's escapes can bring).

    >>> is_encodable("Rémire"), is_encodable("D" + chr(0xD800))
    (True, False)
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(value: Any, limit: int = 60) -> str:
    """``value`` as it may be echoed in a message: printable UTF-8, cut after ``limit`` characters.

    >>> shown("D" + chr(0xD800) + chr(0))
    'D\\\\ud800\\\\x00'
    >>> shown("x" * 70) == "x" * 60 + "…"
    True
    """
    text = str(value)
    cut = text[:limit] + ("…" if len(text) > limit else "")
    cut = cut.encode("utf-8", "backslashreplace").decode("utf-8")
    return cut.replace("\x00", "\\x00")


class Integer(fields.Integer):
    """An integer within PostgreSQL's ``INTEGER``; refuses booleans, floats (even 3.0) and strings."""

    default_error_messages = {
        **COMMON,
        "invalid": "doit être un nombre entier",
        "too_large": f"doit être compris entre {-INT_MAX - 1} et {INT_MAX}",
    }

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid", input=value)
        if not -INT_MAX - 1 <= value <= INT_MAX:
            raise self.make_error("too_large", input=value)
        return value


class QueryInteger(Integer):
    """An integer of a query string: ASCII digits with an optional minus sign."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,12}", value):
            value = int(value)
        return super()._validated(value)


class QueryFlag(fields.Boolean):
    """A flag of a query string: ``1``/``true`` or ``0``/``false``."""

    default_error_messages = {**COMMON, "invalid": "doit valoir 1, true, 0 ou false"}
    truthy = {"1", "true"}
    falsy = {"0", "false"}

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        if not isinstance(value, str) or value not in self.truthy | self.falsy:
            raise self.make_error("invalid", input=value)
        return value in self.truthy


class Number(fields.Float):
    """A finite number (an integer or a decimal); refuses booleans and strings."""

    default_error_messages = {
        **COMMON,
        "invalid": "doit être un nombre",
        "special": "doit être un nombre fini",
        "too_large": "nombre trop grand",
    }

    def _validated(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        try:
            number = float(value)
        except OverflowError as exc:
            raise self.make_error("too_large") from exc
        if math.isnan(number) or math.isinf(number):
            raise self.make_error("special")
        return number


class Boolean(fields.Boolean):
    """``true`` or ``false`` only (no 0/1, no "yes")."""

    default_error_messages = {**COMMON, "invalid": "doit être un booléen (true ou false)"}
    truthy = {True}
    falsy = {False}

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        if not isinstance(value, bool):  # 1 == True: the sets above would take 1 and 0
            raise self.make_error("invalid", input=value)
        return value


class Date(fields.Date):
    """An ISO 8601 date string (AAAA-MM-JJ)."""

    default_error_messages = {
        **COMMON,
        "invalid": "doit être une date ISO 8601 (AAAA-MM-JJ)",
        "format": "date impossible à écrire : {input}",
    }

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> date:
        if not isinstance(value, str) or "\x00" in value:
            raise self.make_error("invalid")
        result: date = super()._deserialize(value, attr, data, **kwargs)
        return result


class List(fields.List):  # type: ignore[type-arg]
    """A JSON array."""

    default_error_messages = {**COMMON, "invalid": "doit être une liste"}


class Nested(fields.Nested):
    """A JSON object described by another schema."""

    default_error_messages = {**COMMON, "type": "doit être un objet"}


class Dict(fields.Dict):
    """A JSON object of free keys."""

    default_error_messages = {**COMMON, "invalid": "doit être un objet"}


def length(low: int, high: int) -> validate.Length:
    """Between ``low`` and ``high`` characters (or items)."""
    return validate.Length(low, high, error="doit contenir entre {min} et {max} caractères")


def not_blank() -> validate.Predicate:
    """Not only spaces."""
    return validate.Predicate("strip", error="ne doit pas être vide")


def ref(maximum: int = 64, **kwargs: Any) -> String:
    """A ref or a code of the interchange: a non-blank string of at most ``maximum`` characters."""
    return String(validate=[length(1, maximum), not_blank()], **kwargs)


def one_of(choices: tuple[str, ...]) -> validate.OneOf:
    """One of ``choices``."""
    return validate.OneOf(choices, error="doit valoir l'une des valeurs : {choices}")


def at_least(minimum: float) -> validate.Range:
    """``minimum`` or more."""
    return validate.Range(min=minimum, error="doit être >= {min}")


def between(low: float, high: float) -> validate.Range:
    """From ``low`` to ``high`` inclusive."""
    return validate.Range(min=low, max=high, error="doit être compris entre {min} et {max}")


class StrictSchema(Schema):
    """Base of every schema: unknown keys are errors, messages in French."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "champ inconnu", "type": "doit être un objet"}


def flatten_errors(errors: Any, prefix: str = "", *, root: str = "document") -> dict[str, list[str]]:
    """marshmallow's nested error dict as ``{path: [messages]}``; ``households[3].members[0].age``.

    ``root`` names the whole input (a problem of the object itself, e.g. not an object).

    >>> flatten_errors({"households": {3: {"members": {0: {"age": ["doit être >= 0"]}}}}})
    {'households[3].members[0].age': ['doit être >= 0']}
    >>> flatten_errors({"_schema": ["doit être un objet"]}, root="(corps)")
    {'(corps)': ['doit être un objet']}
    """
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix
            else:  # an unknown key is echoed: keep it printable and short
                path = f"{prefix}.{shown(key)}" if prefix else shown(key)
            for sub, messages in flatten_errors(value, path, root=root).items():
                flat.setdefault(sub, []).extend(messages)
    elif isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        flat[prefix or root] = list(errors)
    elif isinstance(errors, list):
        for item in errors:
            for sub, messages in flatten_errors(item, prefix, root=root).items():
                flat.setdefault(sub, []).extend(messages)
    else:
        flat[prefix or root] = [str(errors)]
    return flat


def load_or_raise(
    schema: Schema, data: Any, *, error: type[InvalidInput] = InvalidInput, root: str = "document"
) -> dict[str, Any]:
    """``data`` loaded by ``schema``, or ``error`` (an :class:`InvalidInput`) with every problem by path.

    >>> load_or_raise(StrictSchema(), [1], root="(corps)")
    Traceback (most recent call last):
    exchange.errors.InvalidInput: 1 champ invalide
    """
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        raise error(flatten_errors(exc.messages, root=root)) from None
    return loaded
