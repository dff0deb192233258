"""marshmallow schema of the proposals document of FORMAT.md (what a matching run returns).

:func:`exchange.proposals.proposals_document` writes it; the tests check its output against
:class:`ProposalsDocumentSchema`, so that the document and FORMAT.md do not drift apart.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, validate, validates_schema

from exchange.schemas import fields as f

__all__ = ["MoveSchema", "ProposalSchema", "ProposalsDocumentSchema"]


class MoveSchema(f.StrictSchema):
    """One move of a proposal: ``household`` leaves ``from`` for ``to``."""

    household = f.ref(required=True)
    from_ = f.ref(required=True, data_key="from", attribute="from")
    to = f.ref(required=True)
    points = f.Integer(required=True, validate=f.at_least(0))


class ProposalSchema(f.StrictSchema):
    """A proposal: a cycle (échange) or a chain (chaîne de vacance)."""

    kind = f.String(required=True, validate=f.one_of(("cycle", "chain")))
    points = f.Integer(required=True, validate=f.at_least(0))
    moves = f.List(
        f.Nested(MoveSchema),
        required=True,
        validate=validate.Length(min=1, error="doit compter au moins {min} mouvement"),
    )

    @validates_schema
    def _check_shape(self, data: dict[str, Any], **_kwargs: Any) -> None:
        moves = data["moves"]
        if sum(m["points"] for m in moves) != data["points"]:
            raise ValidationError("doit valoir la somme des points de ses mouvements", "points")
        froms = [m["from"] for m in moves]
        tos = [m["to"] for m in moves]
        if data["kind"] == "cycle":
            if len(moves) < 2 or sorted(froms) != sorted(tos):
                raise ValidationError("un échange rend à chaque ménage le logement d'un autre", "moves")
        elif any(tos[i] != froms[i - 1] for i in range(1, len(moves))) or tos[0] in froms:
            raise ValidationError(
                "une chaîne commence par un logement vacant et chaque mouvement reprend le logement"
                " quitté par le précédent",
                "moves",
            )


class SolverSchema(f.StrictSchema):
    """What the solver maximised and proved (absent from documents of other implementations)."""

    objective = f.String(required=True, validate=f.one_of(("points", "expected")))
    status = f.String(required=True, validate=f.one_of(("optimal", "feasible", "unknown")))
    value = f.Number(required=True, validate=f.at_least(0))
    bound = f.Number(required=True, validate=f.at_least(0))
    gap = f.Number(required=True, validate=validate.Range(0, 1, error="entre 0 et 1."))


class ProposalsDocumentSchema(f.StrictSchema):
    """What a matching run returns (FORMAT.md, « Proposals »)."""

    as_of = f.Date(required=True)
    max_cycle = f.Integer(required=True, validate=f.between(2, 5))
    max_chain = f.Integer(required=True, validate=f.between(0, 6))
    objective = f.Integer(required=True, validate=f.at_least(0))
    solver = f.Nested(SolverSchema, load_default=None)
    proposals = f.List(f.Nested(ProposalSchema), required=True)

    @validates_schema
    def _check_objective(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if sum(p["points"] for p in data["proposals"]) != data["objective"]:
            raise ValidationError("doit valoir la somme des points de tous les mouvements", "objective")
