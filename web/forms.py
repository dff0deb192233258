"""WTForms of the portal (every form carries the CSRF token of Flask-WTF)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import get_translations as wtforms_translations
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from exchange import glossary, wording
from exchange.errors import InvalidInput
from exchange.schemas import load_or_raise
from exchange.schemas.contracts import AnswerSchema, CorrectionSchema, DecisionSchema, WithdrawSchema


class FrenchDecimalField(DecimalField):
    """A number shown French (« 505,00 », « 9 ») that accepts « 2,5 » as well as « 2.5 ».

    ``places`` fixes the decimals shown (2 for money); None shows what the value needs.
    """

    widget = TextInput()

    def __init__(self, label: str, validators: Any = None, places: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(label, validators, places=places, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        if self.places is None:
            return wording.number(self.data, 6)
        return wording.fixed(self.data, self.places)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = wording.parse_number(str(valuelist[0]))
        except ValueError:
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value.")) from None


class FrenchIntegerField(IntegerField):
    """A whole number in a text box (no browser-side validation, whose messages follow its language)."""

    widget = TextInput()

    def __init__(self, label: str, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "numeric"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            value = wording.parse_number(str(valuelist[0]))
        except ValueError:
            value = Decimal("0.5")  # reported below as not whole
        if value != value.to_integral_value():
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        self.data = int(value)


def choices(pairs: Any) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class FrenchForm(FlaskForm):
    """A Flask-WTF form whose built-in messages (« N'est pas un entier valide. ») are in French."""

    class Meta:
        locales = ["fr_FR", "fr"]

        def get_translations(self, form: Any) -> Any:
            return wtforms_translations(self.locales)


def attach_errors(form: FlaskForm, messages: dict[str, list[str]]) -> list[str]:
    """Put a service's messages on the form's fields; the messages of unknown fields are returned."""
    aliases = {"note": "comment"}
    left: list[str] = []
    for name, texts in messages.items():
        field = getattr(form, aliases.get(name, name), None)
        if field is None or not hasattr(field, "errors"):
            left.extend(texts)
        else:
            field.errors = [*field.errors, *texts]
    return left


def check_with(form: FlaskForm, schema: Any, data: dict[str, Any]) -> bool:
    """Check the form's data with the API's contract; its messages go on fields that have none yet."""
    try:
        load_or_raise(schema, data)
    except InvalidInput as exc:
        for name, texts in exc.messages.items():
            field = getattr(form, name, None)
            if field is not None and not field.errors:
                field.errors = [*field.errors, *texts]
        return False
    return True


class RequestForm(FrenchForm):
    """Wishes of a mutation request (demande de mutation)."""

    communes = SelectMultipleField(
        "Communes souhaitées",
        choices=[],
        validate_choice=True,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    min_rooms = FrenchIntegerField(
        "Nombre de pièces minimum", validators=[Optional(), NumberRange(1, 10, "Entre 1 et 10.")]
    )
    max_rooms = FrenchIntegerField(
        "Nombre de pièces maximum", validators=[Optional(), NumberRange(1, 10, "Entre 1 et 10.")]
    )
    max_cost = FrenchDecimalField(
        "Coût mensuel maximum (loyer + charges, en euros)",
        places=2,
        validators=[
            InputRequired("Indiquez le coût maximum."),
            NumberRange(1, 10000, "Entre 1 et 10 000 €."),
        ],
    )
    accept_qpv = BooleanField("J'accepte un logement situé en quartier prioritaire (QPV)")

    def validate_max_rooms(self, field: Any) -> None:
        if field.data is not None and self.min_rooms.data is not None and field.data < self.min_rooms.data:
            raise ValidationError("Le maximum doit être supérieur ou égal au minimum.")


class AnswerForm(FrenchForm):
    """A household's answer to a proposal."""

    answer = RadioField(
        "Votre réponse",
        choices=choices(
            [("accept", "J'accepte cette proposition"), ("refuse", "Je refuse cette proposition")]
        ),
        validators=[InputRequired("Choisissez d'accepter ou de refuser.")],
    )
    reason = SelectField("Motif du refus", choices=[], validators=[Optional()])
    comment = TextAreaField(
        "Précisions (facultatif, obligatoire pour le motif « autre »)", render_kw={"data-maxlength": 1000}
    )
    confirmed = HiddenField()  # "1" once the household confirmed a refusal on the confirmation step

    def validate(self, extra_validators: Any = None) -> bool:
        ok = bool(super().validate(extra_validators))
        if self.answer.data not in ("accept", "refuse"):
            return False
        data = {
            "accept": self.answer.data == "accept",
            "reason": self.reason.data or None,
            "comment": self.comment.data or None,
        }
        return check_with(self, AnswerSchema(), data) and ok


class WithdrawForm(FrenchForm):
    """A household withdraws from a proposal it accepted (désistement)."""

    reason = SelectField(
        "Motif du désistement", choices=[], validators=[InputRequired("Indiquez le motif du désistement.")]
    )
    comment = TextAreaField(
        "Précisions (facultatif, obligatoire pour le motif « autre »)", render_kw={"data-maxlength": 1000}
    )
    confirmed = HiddenField()  # "1" once the household confirmed on the confirmation step

    def validate(self, extra_validators: Any = None) -> bool:
        ok = bool(super().validate(extra_validators))
        data = {"reason": self.reason.data or None, "comment": self.comment.data or None}
        return check_with(self, WithdrawSchema(), data) and ok


class DecisionForm(FrenchForm):
    """A CALEOL decision on one move (R.441-3 CCH); its rule is the API's (:class:`DecisionSchema`)."""

    kind = RadioField("Décision", choices=[], validators=[InputRequired("Choisissez la décision.")])
    reason = TextAreaField("Motif", render_kw={"required": True, "data-maxlength": 2000})
    rank = FrenchIntegerField("Rang du candidat", validators=[Optional()])
    condition = StringField("Pièce ou condition attendue", render_kw={"data-maxlength": 500})
    condition_due = DateField("Date limite de la condition suspensive", validators=[Optional()])

    def validate(self, extra_validators: Any = None) -> bool:
        ok = bool(super().validate(extra_validators))
        due = self.condition_due.data
        data = {
            "kind": self.kind.data,
            "reason": self.reason.data or "",
            "rank": self.rank.data,
            "condition": self.condition.data or None,
            "condition_due": due.isoformat() if due else None,
        }
        return check_with(self, DecisionSchema(), data) and ok


class CorrectionForm(DecisionForm):
    """A CALEOL decision corrected before the proposal is confirmed, with why (:class:`CorrectionSchema`)."""

    correction = TextAreaField("Pourquoi corriger la décision", render_kw={"data-maxlength": 1000})

    def validate(self, extra_validators: Any = None) -> bool:
        ok = bool(super().validate(extra_validators))
        due = self.condition_due.data
        data = {
            "kind": self.kind.data,
            "reason": self.reason.data or "",
            "rank": self.rank.data,
            "condition": self.condition.data or None,
            "condition_due": due.isoformat() if due else None,
            "correction": self.correction.data or "",
        }
        return check_with(self, CorrectionSchema(), data) and ok


class ConfirmForm(FrenchForm):
    """A single button that changes a state (only the CSRF token)."""


class MoveDateForm(FrenchForm):
    """The common move date of a confirmed proposal."""

    move_date = DateField(
        "Date du déménagement", validators=[InputRequired("Indiquez la date du déménagement.")]
    )


class MinutesForm(FrenchForm):
    """Date range of a CALEOL session (séance)."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    start = DateField("Du", validators=[Optional()])
    end = DateField("Au", validators=[Optional()])


class ImportForm(FrenchForm):
    """A territory file in the interchange format (JSON)."""

    document = FileField(
        "Fichier du territoire (JSON, format bourse-echange/1)",
        validators=[FileRequired("Choisissez un fichier.")],
    )


class CsvImportForm(FrenchForm):
    """CSV files of the landlords and the demand register, read through a mapping file."""

    mapping = FileField(
        "Fichier de correspondance (JSON ou TOML)",
        validators=[FileRequired("Choisissez le fichier de correspondance.")],
    )
    dwellings = FileField("Logements : extrait RPLS d'un bailleur (CSV)")
    households = FileField("Ménages : export du fichier de la demande (CSV)")
    requests = FileField("Demandes de mutation : export du fichier de la demande (CSV)")


def year_form_class(landlords: list[str]) -> type[FlaskForm]:
    """A form for one year's settings: the first-quartile threshold, then one field per landlord."""

    class YearForm(FrenchForm):
        first_quartile_eur = FrenchDecimalField(
            "Seuil du premier quartile (€ de ressources annuelles par unité de consommation)",
            validators=[Optional()],
        )

    for i, code in enumerate(landlords):
        field = FrenchIntegerField(f"Attributions de l'année : {code}", validators=[Optional()])
        setattr(YearForm, f"attributions_{i}", field)
    return YearForm


class RunForm(FrenchForm):
    """Start a matching run."""

    as_of = DateField("Date de référence", validators=[Optional()])


class RunSettingsForm(FrenchForm):
    """What the territory's runs maximise, and whether a failed proposal is repaired at once."""

    objective = RadioField(
        "Objectif des appariements",
        choices=choices((code, glossary.heading(label)) for code, label in glossary.OBJECTIVES.items()),
        validators=[InputRequired("Choisissez l'objectif.")],
    )
    repair = BooleanField(
        "Réparer aussitôt une proposition qui échoue (refus, silence, retrait, refus de CALEOL)"
    )
    priority_floor_pct = FrenchIntegerField(
        glossary.heading(glossary.RUN_SETTINGS["priority_floor_pct"]) + " (%)",
        description="Objectif « espérance des points » : part des points d'un mouvement de ménage "
        "prioritaire comptée quelle que soit sa chance estimée (100 : ses points entiers, comme l'objectif "
        "« points » ; 0 : aucun plancher).",
        validators=[Optional(), NumberRange(0, 100, "Un pourcentage entre 0 et 100.")],
    )


def policy_form_class(defaults: dict[str, Any], bounds: dict[str, tuple[int, int]]) -> type[FlaskForm]:
    """A form with one number field per policy setting (integers stay integers), each with its range."""

    class PolicyForm(FrenchForm):
        pass

    for name, value in defaults.items():
        text = glossary.heading(glossary.setting_label(name))
        low, high = bounds[name]
        within = NumberRange(
            low, high, f"Indiquez une valeur entre {wording.number(low)} et {wording.number(high)}."
        )
        validators = [InputRequired("Indiquez une valeur."), within]
        if isinstance(value, int) and not isinstance(value, bool):
            field: Any = FrenchIntegerField(text, validators=validators)
        else:
            field = FrenchDecimalField(text, validators=validators)
        setattr(PolicyForm, name, field)
    return PolicyForm
