"""The forms of a landlord's staff acting for one of its tenants: its request, filed with the household's
consent, and its answer to a proposal or its withdrawal from one it accepted, given at the agency, by phone or
by letter."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Optional

from exchange import glossary
from exchange.schemas.contracts import CHANNEL_MISSING, StaffAnswerSchema, StaffWithdrawSchema
from web.forms import FrenchForm, RequestForm, check_with, choices


class StaffRequestForm(RequestForm):
    """The tenant's wishes, as on its own form, and the consent the staff records."""

    accept_qpv = BooleanField("Le ménage accepte un logement situé en quartier prioritaire (QPV)")
    consent = BooleanField("Le ménage a donné son accord")


def _channel_field(label: str) -> RadioField:
    return RadioField(
        label,
        choices=choices((code, glossary.heading(text)) for code, text in glossary.ANSWER_CHANNELS.items()),
        validators=[InputRequired(CHANNEL_MISSING)],
    )


class StaffAnswerForm(FrenchForm):
    """« Enregistrer la réponse du ménage »: accept, or refuse with a reason, and how the answer came; the
    rules are the API's (:class:`~exchange.schemas.contracts.StaffAnswerSchema`)."""

    answer = RadioField(
        "Réponse du ménage",
        choices=choices(
            [("accept", "Le ménage accepte la proposition"), ("refuse", "Le ménage refuse la proposition")]
        ),
        validators=[InputRequired("Choisissez si le ménage accepte ou refuse.")],
    )
    reason = SelectField("Motif du refus", choices=[], validators=[Optional()])
    comment = TextAreaField(
        "Précisions (facultatif, obligatoire pour le motif « autre »)", render_kw={"data-maxlength": 1000}
    )
    channel = _channel_field("Comment le ménage a répondu")
    confirmed = HiddenField()  # "1" once the staff confirmed a refusal on the confirmation step

    def validate(self, extra_validators: Any = None) -> bool:
        ok = bool(super().validate(extra_validators))
        if self.answer.data not in ("accept", "refuse"):
            return False
        data = {
            "accept": self.answer.data == "accept",
            "reason": self.reason.data or None,
            "comment": self.comment.data or None,
            "channel": self.channel.data or None,
        }
        return check_with(self, StaffAnswerSchema(), data) and ok


class StaffWithdrawForm(FrenchForm):
    """« Enregistrer le retrait du ménage »: the withdrawal (désistement) from a proposal it accepted, with
    its reason and how it came; the rules are the API's
    (:class:`~exchange.schemas.contracts.StaffWithdrawSchema`)."""

    reason = SelectField(
        "Motif du désistement", choices=[], validators=[InputRequired("Indiquez le motif du désistement.")]
    )
    comment = TextAreaField(
        "Précisions (facultatif, obligatoire pour le motif « autre »)", render_kw={"data-maxlength": 1000}
    )
    channel = _channel_field("Comment le ménage s'est désisté")
    confirmed = HiddenField()  # "1" once the staff confirmed on the confirmation step

    def validate(self, extra_validators: Any = None) -> bool:
        ok = bool(super().validate(extra_validators))
        data = {
            "reason": self.reason.data or None,
            "comment": self.comment.data or None,
            "channel": self.channel.data or None,
        }
        return check_with(self, StaffWithdrawSchema(), data) and ok
