"""The acceptance model: the chance that a household accepts a move and that the destination CALEOL agrees.

Two logistic regressions (scikit-learn), refitted at each run on the territory's own history of
proposals: one on the households' answers (an acceptance against a refusal, a withdrawal or a
silence), one on the CALEOL decisions (an attribution against any other decision). Both read the
same few features of a move (:data:`FEATURES`), standardised, so that each coefficient reads as
"one typical step of this feature multiplies the odds by so much". The chance of a move is the
product of the two.

When the history is thin the estimate leans on a prior: ``PRIOR_WEIGHT`` pseudo-answers at the
prior rate are blended with the fitted chance (``(n * fitted + k * prior) / (n + k)``); with fewer
than ``MIN_HISTORY`` outcomes, or a single kind of outcome, the model is the smoothed rate alone.

The prior comes from the platforms' published figures (shared/docs/DOMAIN.md §4, « What users of
the best platforms rely on and complain about »):

* a household answers at all: **0.83**, HomeSwapper's row, « the share answering every message rose
  from 60 % to 83 % once replies were enforced » (our deadline enforces replies: silence is a refusal);
* a household that answers accepts: **0.71**, the Nantes row, « 71 % accept the first proposal »
  (a committee's proposal after a home diagnostic, answered by phone: everyone answers);
* so a household accepts a proposed move: ``0.83 * 0.71 = 0.589`` (:data:`HOUSEHOLD_PRIOR`);
* an accepted move goes through (the CALEOL attributes, nobody drops out at the last step): the
  Berlin row, « 60 completed procedures but 28 moves » and « drop-outs at the last step »: 28 of 60
  agreed swaps of two households moved, ``28 / 60 = 0.467`` per swap, ``sqrt(0.467) = 0.683`` per
  move (:data:`CALEOL_PRIOR`).

A 2-cycle's prior chance is then ``(0.589 * 0.683) ** 2 = 0.16``, a 3-cycle's 0.065. The other rows
(Échanger Habiter's 2,000 swaps for 17,000 listings, the Netherlands' 1 in 13) count listings or
people wanting to move, not proposals: they say nothing of a proposal's chance.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "ACCEPTANCE_WHEN_ANSWERED",
    "AGREED_SWAPS_MOVED",
    "ANSWER_RATE",
    "CALEOL_PRIOR",
    "FEATURES",
    "FEATURE_LABELS",
    "HOUSEHOLD_PRIOR",
    "AcceptanceModel",
    "Outcome",
    "Part",
    "fit_model",
    "move_features",
]

FEATURES = (
    "refusals_before",
    "acceptances_before",
    "accepted_this_before",
    "criteria_solved",
    "commune_change",
    "qpv_in",
    "qpv_out",
    "rent_change",
    "surface_change",
    "stairs",
    "landlord_change",
)
"""The features of a move, in the model's order."""

FEATURE_LABELS: dict[str, str] = {
    "refusals_before": "refus et silences passés du ménage",
    "acceptances_before": "acceptations passées du ménage",
    "accepted_this_before": "mouvement déjà accepté par le ménage (proposition échouée ailleurs)",
    "criteria_solved": "critères résolus par le mouvement",
    "commune_change": "changement de commune",
    "qpv_in": "entrée en QPV",
    "qpv_out": "sortie de QPV",
    "rent_change": "variation du coût mensuel (loyer et charges)",
    "surface_change": "variation de surface",
    "stairs": "étage élevé sans ascenseur",
    "landlord_change": "changement de bailleur",
}
"""French label of each feature (explanations)."""

ANSWER_RATE = 0.83
"""DOMAIN.md §4, HomeSwapper: the share of users answering once replies were enforced."""
ACCEPTANCE_WHEN_ANSWERED = 0.71
"""DOMAIN.md §4, Nantes inter-landlord mutations: « 71 % accept the first proposal »."""
AGREED_SWAPS_MOVED = 28 / 60
"""DOMAIN.md §4, Berlin: « 60 completed procedures but 28 moves » (drop-outs at the last step)."""
HOUSEHOLD_PRIOR = round(ANSWER_RATE * ACCEPTANCE_WHEN_ANSWERED, 3)
"""A household's chance of accepting a move when the territory has no history yet: 0.589."""
CALEOL_PRIOR = round(math.sqrt(AGREED_SWAPS_MOVED), 3)
"""The chance that an accepted move is attributed and carried out, with no history yet: 0.683 (per
move of a two-household swap)."""
PRIOR_WEIGHT = 20.0
"""Pseudo-outcomes at the prior rate blended with the fitted chance."""
MIN_HISTORY = 10
"""Fewer outcomes than this: the smoothed rate alone, no regression."""


def move_features(
    *,
    refusals_before: int,
    criteria_solved: int,
    commune_from: str,
    commune_to: str,
    qpv_from: bool,
    qpv_to: bool,
    cost_from: float,
    cost_to: float,
    surface_from: float,
    surface_to: float,
    floor_to: int,
    elevator_to: bool,
    landlord_from: str,
    landlord_to: str,
    acceptances_before: int = 0,
    accepted_this_before: bool = False,
) -> tuple[float, ...]:
    """The features of one move, in the order of :data:`FEATURES`.

    The household's reply record is two counts, each capped at 3: its past refusals and silences,
    and its past acceptances (of proposals that failed elsewhere or completed), and whether it
    already accepted this very move in a proposal that failed at another step.

    >>> move_features(refusals_before=1, criteria_solved=1, commune_from="A", commune_to="B",
    ...     qpv_from=True, qpv_to=False, cost_from=500.0, cost_to=550.0, surface_from=50.0,
    ...     surface_to=60.0, floor_to=3, elevator_to=False, landlord_from="L1", landlord_to="L1",
    ...     acceptances_before=5, accepted_this_before=True)
    (1.0, 3.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.1, 0.2, 1.0, 0.0)
    """
    return (
        float(min(refusals_before, 3)),
        float(min(acceptances_before, 3)),
        float(accepted_this_before),
        float(criteria_solved),
        float(commune_from != commune_to),
        float(qpv_to and not qpv_from),
        float(qpv_from and not qpv_to),
        round((cost_to - cost_from) / cost_from, 4) if cost_from > 0 else 0.0,
        round((surface_to - surface_from) / surface_from, 4) if surface_from > 0 else 0.0,
        float(floor_to >= 3 and not elevator_to),
        float(landlord_from != landlord_to),
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """One past move: its features, the household's acceptance, and the CALEOL's attribution if decided."""

    features: tuple[float, ...]
    accepted: bool
    attributed: bool | None = None


@dataclass(frozen=True, slots=True)
class Part:
    """One logistic regression (households or CALEOL) blended with its prior."""

    prior: float
    n: int
    rate: float  # the smoothed rate: (positives + k * prior) / (n + k)
    intercept: float = 0.0
    coefs: tuple[float, ...] = ()  # per standardised feature; empty: the smoothed rate alone
    means: tuple[float, ...] = ()
    scales: tuple[float, ...] = ()

    @property
    def fitted(self) -> bool:
        """True when a regression was fitted (enough history, both kinds of outcome)."""
        return bool(self.coefs)

    def _logit(self, features: Sequence[float]) -> float:
        z = self.intercept
        for c, x, m, s in zip(self.coefs, features, self.means, self.scales, strict=True):
            z += c * (x - m) / s
        return z

    def chance(self, features: Sequence[float]) -> float:
        """The blended chance for a move of these features."""
        if not self.fitted:
            return self.rate
        fitted = 1.0 / (1.0 + math.exp(-self._logit(features)))
        return (self.n * fitted + PRIOR_WEIGHT * self.prior) / (self.n + PRIOR_WEIGHT)

    def contributions(self, features: Sequence[float]) -> list[tuple[str, float]]:
        """Each feature's share of the log-odds against a typical move, largest first."""
        if not self.fitted:
            return []
        found = [
            (name, c * (x - m) / s)
            for name, c, x, m, s in zip(FEATURES, self.coefs, features, self.means, self.scales, strict=True)
        ]
        return sorted(found, key=lambda item: -abs(item[1]))


@dataclass(frozen=True, slots=True)
class AcceptanceModel:
    """The households' part and the CALEOL's part; a move's chance is their product."""

    household: Part
    caleol: Part
    notes: dict[str, int] = field(default_factory=dict)

    def chance(self, features: Sequence[float]) -> float:
        """The chance that the household accepts and the CALEOL attributes, rounded to 1/1000."""
        return round(self.household.chance(features) * self.caleol.chance(features), 3)

    def chances(self, features: Mapping[tuple[str, str], Sequence[float]]) -> dict[tuple[str, str], float]:
        """The chance of each move of ``features``."""
        return {key: self.chance(f) for key, f in features.items()}


def _fit_part(rows: Sequence[tuple[Sequence[float], bool]], prior: float) -> Part:
    n = len(rows)
    positives = sum(1 for _, y in rows if y)
    rate = (positives + PRIOR_WEIGHT * prior) / (n + PRIOR_WEIGHT)
    if n < MIN_HISTORY or positives in (0, n):
        return Part(prior, n, rate)
    from sklearn.linear_model import LogisticRegression  # imported when fitting: a heavy import

    x = np.asarray([f for f, _ in rows], dtype=np.float64)
    y = np.asarray([1 if v else 0 for _, v in rows], dtype=np.int64)
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    # L2 with C=1 on standardised features: a feature the history barely supports stays near 0.
    regression = LogisticRegression(C=1.0, max_iter=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on tiny histories
        regression.fit((x - means) / scales, y)
    return Part(
        prior,
        n,
        rate,
        float(regression.intercept_[0]),
        tuple(float(c) for c in regression.coef_[0]),
        tuple(float(m) for m in means),
        tuple(float(s) for s in scales),
    )


def fit_model(history: Sequence[Outcome]) -> AcceptanceModel:
    """Fit both parts on a territory's past moves (answered or lapsed; decided for the CALEOL part).

    >>> model = fit_model([])
    >>> model.chance((0.0,) * len(FEATURES)) == round(HOUSEHOLD_PRIOR * CALEOL_PRIOR, 3)
    True
    """
    answers = [(o.features, o.accepted) for o in history]
    decisions = [(o.features, o.attributed) for o in history if o.attributed is not None]
    return AcceptanceModel(
        _fit_part(answers, HOUSEHOLD_PRIOR),
        _fit_part([(f, bool(a)) for f, a in decisions], CALEOL_PRIOR),
        {"answers": len(answers), "decisions": len(decisions)},
    )
