"""The form of a request filed by a landlord's staff for one of its tenants, with the household's consent."""

from __future__ import annotations

from wtforms import BooleanField

from web.forms import RequestForm


class StaffRequestForm(RequestForm):
    """The tenant's wishes, as on its own form, and the consent the staff records."""

    accept_qpv = BooleanField("Le ménage accepte un logement situé en quartier prioritaire (QPV)")
    consent = BooleanField("Le ménage a donné son accord")
