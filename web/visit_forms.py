"""The forms of a proposal's visits (visites): ask, answer, date and outcome; the services check the rest."""

from __future__ import annotations

from wtforms import DateField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Optional

from exchange import glossary
from web.forms import FrenchForm, choices

_PHONE_LABEL = "Votre téléphone (facultatif)"
PHONE_HINT = "Il ne sera montré à l'autre ménage que si vous acceptez tous les deux la visite."


class VisitAskForm(FrenchForm):
    """A household asks to visit the dwelling it is offered."""

    phone = StringField(_PHONE_LABEL, validators=[Optional()], render_kw={"autocomplete": "tel"})


class VisitAnswerForm(FrenchForm):
    """The household living in the dwelling accepts or declines a visit."""

    answer = RadioField(
        "Votre réponse",
        choices=choices([("accept", "J'accepte la visite"), ("decline", "Je refuse la visite")]),
        validators=[InputRequired("Choisissez d'accepter ou de refuser la visite.")],
    )
    phone = StringField(_PHONE_LABEL, validators=[Optional()], render_kw={"autocomplete": "tel"})


class VisitReportForm(FrenchForm):
    """The agreed date of an accepted visit and, once past, its outcome."""

    visit_on = DateField("Date de la visite", validators=[InputRequired("Indiquez la date de la visite.")])
    outcome = SelectField(
        "Résultat",
        choices=choices([("", "— pas encore eu lieu —"), *glossary.VISIT_OUTCOMES.items()]),
        validators=[Optional()],
    )
