"""The glossary has one French label for every code a person can meet, and nothing else."""

from __future__ import annotations

import dataclasses
from typing import get_args

import pytest

from exchange import glossary
from exchange.deadlines import CALENDARS
from exchange.models import REQUEST_STATUSES
from exchange.models.notification import MAIL_KINDS, MAIL_STATUSES
from exchange.models.review import REVIEW_OUTCOMES
from exchange.models.visit import VISIT_OUTCOMES, VISIT_STATUSES
from exchange.models.workflow import (
    ANSWER_CHANNELS,
    DECISION_KINDS,
    PROPOSAL_ORIGINS,
    PROPOSAL_STATUSES,
    REFUSAL_REASONS,
)
from exchange.portal.situation import COMPARISONS
from matching.config import PolicyConfig
from matching.diagnosis import MOTIVES, WISHES
from matching.policy import Rule
from matching.territory import Accessibility, Criterion, Mobility, Priority, Role


@pytest.mark.parametrize(
    ("table", "codes"),
    [
        (glossary.CRITERIA, get_args(Criterion)),
        (glossary.PRIORITIES, get_args(Priority)),
        (glossary.ACCESSIBILITY, get_args(Accessibility)),
        (glossary.MOBILITY, get_args(Mobility)),
        (glossary.MEMBER_ROLES, get_args(Role)),
        (glossary.RULES, get_args(Rule)),
        (glossary.REFUSAL_REASONS, REFUSAL_REASONS),
        (glossary.ANSWER_CHANNELS, ANSWER_CHANNELS),
        (glossary.DECISION_KINDS, DECISION_KINDS),
        (glossary.PROPOSAL_STATUSES, PROPOSAL_STATUSES),
        (glossary.PROPOSAL_ORIGINS, PROPOSAL_ORIGINS),
        (glossary.CALENDARS, CALENDARS),
        (glossary.BLOCKED_MOTIVES, MOTIVES),
        (glossary.WISHES, WISHES),
        (glossary.WIDENED_WISHES, WISHES),
        (glossary.WAIT_COMPARISONS, COMPARISONS),
        (glossary.MAIN_CRITERIA, (*get_args(Criterion), "convenience")),
        (glossary.REVIEW_OUTCOMES, REVIEW_OUTCOMES),
        (glossary.MAIL_KINDS, MAIL_KINDS),
        (glossary.MAIL_SUBJECTS, MAIL_KINDS),
        (glossary.MAIL_STATUSES, MAIL_STATUSES),
        (glossary.VISIT_STATUSES, VISIT_STATUSES),
        (glossary.REQUEST_STATUSES, REQUEST_STATUSES),
        (glossary.VISIT_OUTCOMES, VISIT_OUTCOMES),
        (glossary.POLICY_SETTINGS, tuple(f.name for f in dataclasses.fields(PolicyConfig))),
    ],
)
def test_every_code_has_exactly_one_label(table, codes):
    assert set(table) == set(codes)
    labels = list(table.values())
    assert all(labels), "no empty label"


def test_tables_are_read_only():
    with pytest.raises(TypeError):
        glossary.CRITERIA["overcrowding"] = "x"  # type: ignore[index]


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("moves_in", "arrivées"),
        ("decision_non_attribution", "décisions : non-attribution"),
        ("autonomy", "logement inadapté à la perte d'autonomie"),
        ("out_of", "sorties de QPV"),
        ("unknown_figure", "unknown figure"),
    ],
)
def test_statistic_label(key, label):
    assert glossary.statistic_label(key) == label


def test_setting_label_carries_the_unit():
    label = glossary.setting_label("job_distance_km")
    assert label == "distance maximale au lieu de travail (à vol d'oiseau) (km)"
    assert glossary.heading("sous-occupation") == "Sous-occupation"
