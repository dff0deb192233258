"""The French glossary: one label for each code that a person sees (glossaire).

Keys are the codes of FORMAT.md (criteria, priorities, accessibility, mobility, member roles) and of
the workflow (proposal kinds and statuses, refusal reasons, CALEOL decisions, failures, pauses, run
statuses, policy settings). Every page, export, CLI message and chart takes its words from here, so
one code reads the same everywhere. Labels are lower-case phrases meant to sit inside a sentence or a
table cell; :func:`heading` capitalises one for a title.

>>> CRITERIA["overcrowding"]
'suroccupation'
>>> heading(CRITERIA["under_occupation"])
'Sous-occupation'
>>> statistic_label("decision_ranked")
'décisions : attribution avec classement'
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "OBJECTIVES",
    "OBJECTIVE_UNITS",
    "RUN_SETTINGS",
    "chance_label",
    "objective_points",
    "ACCESSIBILITY",
    "ACCOUNT_ROLES",
    "ANSWER_CHANNELS",
    "BLOCKED_MOTIVES",
    "CALENDARS",
    "CRITERIA",
    "DECISION_KINDS",
    "FAILURES",
    "IMPORT_SECTIONS",
    "MAIL_KINDS",
    "MAIL_STATUSES",
    "MAIL_SUBJECTS",
    "MEMBER_ROLES",
    "MOBILITY",
    "PAUSE_REASONS",
    "POLICY_SETTINGS",
    "PRIORITIES",
    "PROPOSAL_KINDS",
    "PROPOSAL_ORIGINS",
    "PROPOSAL_STATUSES",
    "QPV_MOVES",
    "REFUSAL_REASONS",
    "REQUEST_STATUSES",
    "REVIEW_OUTCOMES",
    "RULES",
    "RUN_STAGES",
    "RUN_STATUSES",
    "STATISTICS",
    "VISIT_OUTCOMES",
    "VISIT_STATUSES",
    "WISHES",
    "heading",
    "setting_label",
    "statistic_label",
]


def _frozen(table: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(table)


# FORMAT.md and POLICY.md codes ------------------------------------------------------------------

CRITERIA = _frozen(
    {
        "overcrowding": "suroccupation",
        "under_occupation": "sous-occupation",
        "autonomy": "logement inadapté à la perte d'autonomie",
        "job_distance": "éloignement du lieu de travail",
    }
)
"""The four harmonised mutation criteria (critères communs de mutation, POLICY.md §2)."""

PRIORITIES = _frozen(
    {
        "dalo": "reconnu DALO",
        "handicap": "handicap",
        "violence": "violences",
        "unfit_housing": "habitat indigne",
    }
)
"""Priority flags of a household (publics prioritaires, FORMAT.md ``priority``)."""

ACCESSIBILITY = _frozen(
    {
        "none": "non accessible",
        "accessible": "accessible sans marche",
        "adapted": "adapté au fauteuil roulant",
    }
)
"""A dwelling's accessibility (FORMAT.md ``accessibility``)."""

MOBILITY = _frozen(
    {
        "none": "aucun besoin particulier",
        "reduced": "mobilité réduite",
        "wheelchair": "fauteuil roulant",
    }
)
"""A household's mobility (FORMAT.md ``mobility``)."""

MEMBER_ROLES = _frozen(
    {
        "head": "titulaire",
        "partner": "conjoint",
        "child": "enfant",
        "other": "autre",
    }
)
"""A member's place in the household (FORMAT.md ``members[].role``)."""

RULES = _frozen(
    {
        "same_dwelling": "c'est le logement actuel du ménage",
        "overcrowding": "logement trop petit (surface ou pièces)",
        "under_occupation": "logement trop grand (sous-occupation)",
        "mobility": "accessibilité inadaptée à la mobilité du ménage",
        "cost": "loyer + charges au-delà du coût maximal",
        "commune": "commune non souhaitée",
        "qpv": "quartier prioritaire (QPV) refusé",
        "rooms_wish": "nombre de pièces hors des souhaits",
        "no_worse": "ne résout aucun critère actif ou en crée un nouveau",
        "excluded": "refusé auparavant ou écarté par une commission",
    }
)
"""Why a move is not allowed: the hard rules of POLICY.md §3, by the code ``matching`` gives them."""

# Calendars, blocked requests, the commission, the occupancy review --------------------------------

CALENDARS = _frozen(
    {
        "metropole": "France métropolitaine",
        "57": "Alsace-Moselle (Bas-Rhin, Haut-Rhin, Moselle)",
        "971": "Guadeloupe",
        "972": "Martinique",
        "973": "Guyane",
        "974": "La Réunion",
        "976": "Mayotte",
    }
)
"""The public holidays a territory's deadlines skip (``exchange.deadlines.CALENDARS``)."""

BLOCKED_MOTIVES = _frozen(
    {
        "no_fitting_dwelling": "aucun logement ne correspond aux souhaits et aux règles",
        "outscored": "des propositions possibles existent, d'autres ont été préférées",
        "beyond_caps": "échanges ou chaînes possibles seulement au-delà des longueurs maximales",
        "excluded": "seules des paires écartées (refus, commission) le permettraient",
        "no_taker": "aucun demandeur ne peut prendre le logement actuel du ménage",
        "no_structure": "des logements conviennent mais aucun échange ne se referme",
    }
)
"""Why a blocked request stays unmatched (``matching.diagnosis.MOTIVES``)."""

WISHES = _frozen(
    {
        "communes": "élargir aux autres communes",
        "rooms": "accepter un autre nombre de pièces",
        "cost": "relever le coût maximal",
        "qpv": "accepter un quartier prioritaire (QPV)",
    }
)
"""The one wish a household might widen (``matching.diagnosis.WISHES``)."""

WIDENED_WISHES = _frozen(
    {
        "communes": "si vous acceptiez toutes les communes du territoire",
        "rooms": "si vous acceptiez tout nombre de pièces adapté à votre ménage",
        "cost": "si vous acceptiez un loyer et des charges au-delà de votre maximum",
        "qpv": "si vous acceptiez aussi les quartiers prioritaires (QPV)",
    }
)
"""What widening one wish means, told to the tenant itself (« Ma situation »), by
``matching.diagnosis.WISHES``."""

WAIT_COMPARISONS = _frozen(
    {
        "criterion_typology": "échanges réalisés de même critère principal et de même typologie",
        "criterion": "échanges réalisés de même critère principal, toutes typologies",
        "all": "tous les échanges réalisés du territoire",
        "none": "pas assez de cas comparables",
    }
)
"""Which completed moves the median wait of « Ma situation » compares a request with."""

MAIN_CRITERIA = _frozen({**CRITERIA, "convenience": "demande de confort"})
"""A request's main criterion: its active criterion worth the most points, or a convenience request."""

PROPOSAL_ORIGINS = _frozen({"run": "appariement", "commission": "commission inter-bailleurs"})
"""Who made a proposal: a nightly run or the inter-landlord commission."""

REVIEW_OUTCOMES = _frozen(
    {
        "invited": "invité à déposer une demande",
        "request_filed": "demande déposée",
        "declined": "ne souhaite pas déménager",
        "not_applicable": "sans objet",
    }
)
"""Outcomes of the occupancy review (L.442-5-2 CCH)."""

# Accounts -----------------------------------------------------------------------------------------

ACCOUNT_ROLES = _frozen(
    {
        "tenant": "locataire",
        "staff": "agent de bailleur (CALEOL)",
        "admin": "administrateur du territoire",
    }
)
"""Who signs in to the portal."""

# A proposal's life (DOMAIN.md §2) -----------------------------------------------------------------

PROPOSAL_KINDS = _frozen({"cycle": "échange", "chain": "chaîne de vacance"})
"""A cycle (swap) or a chain started by a vacant dwelling."""

PROPOSAL_STATUSES = _frozen(
    {
        "proposed": "en attente des réponses des ménages",
        "deciding": "en attente des décisions des CALEOL",
        "confirmed": "confirmée, déménagement programmé",
        "completed": "déménagement effectué",
        "failed": "abandonnée",
    }
)
"""Where a proposal stands."""

REFUSAL_REASONS = _frozen(
    {
        "location": "localisation (commune, quartier, distance du travail ou de l'école)",
        "cost": "coût (loyer et charges du nouveau bail)",
        "size_layout": "taille ou agencement (pièces, surface, étage)",
        "accessibility": "accessibilité (escaliers, pas d'ascenseur, adaptation manquante)",
        "condition": "état du logement (travaux nécessaires)",
        "timing": "calendrier (date du déménagement, année scolaire, préavis)",
        "change_of_situation": "changement de situation ou ne souhaite plus déménager",
        "no_answer": "pas de réponse dans le délai",
        "other": "autre (préciser)",
    }
)
"""The territory's one list of refusal and withdrawal reasons (DOMAIN.md §2.2)."""

ANSWER_CHANNELS = _frozen({"desk": "au guichet", "phone": "par téléphone", "mail": "par courrier"})
"""How a household's answer reached the staff who recorded it for the household (« réponse enregistrée par
l'agence (par téléphone) »)."""

DECISION_KINDS = _frozen(
    {
        "attribution": "attribution",
        "ranked": "attribution avec classement",
        "conditional": "attribution sous condition suspensive",
        "non_attribution": "non-attribution",
        "inadmissible": "rejet pour irrecevabilité",
    }
)
"""The five CALEOL decisions (R.441-3, DOMAIN.md §2.3)."""

FAILURES = _frozen(
    {
        "refused": "un ménage a refusé",
        "no_answer": "un ménage n'a pas répondu dans le délai",
        "non_attribution": "une CALEOL n'a pas attribué le logement",
        "inadmissible": "une demande a été jugée irrecevable",
        "not_ranked_first": "un ménage n'a pas été classé premier",
        "condition_failed": "une condition suspensive n'a pas été remplie à temps",
        "withdrawn": "un ménage s'est désisté après avoir accepté",
    }
)
"""Why a proposal failed."""

PAUSE_REASONS = _frozen(
    {
        "inadmissible": "rejet pour irrecevabilité (CALEOL)",
        "silences": "propositions restées sans réponse",
    }
)
"""Why a request is paused (a request paused before its reason was recorded has none)."""

QPV_MOVES = _frozen(
    {
        "out_of": "sorties de QPV",
        "into": "entrées en QPV",
        "within": "de QPV à QPV",
        "outside": "hors QPV",
    }
)
"""Moves by QPV (quartier prioritaire de la politique de la ville) of origin and destination."""

# Runs ---------------------------------------------------------------------------------------------

RUN_STATUSES = _frozen(
    {
        "optimal": "optimal (meilleure solution prouvée)",
        "feasible": "réalisable (temps de calcul épuisé avant la preuve d'optimalité)",
        "unknown": "indéterminé",
    }
)
"""What the solver proved about a run's proposals."""

RUN_STAGES = _frozen(
    {
        "locked": "verrou du territoire pris",
        "loaded": "demandes, offres et exclusions chargées",
        "built": "graphe des mouvements possibles construit",
        "solved": "propositions optimales calculées",
        "stored": "calcul enregistré",
    }
)
"""The steps of a nightly run, as the CLI's progress shows them."""

IMPORT_SECTIONS = _frozen(
    {
        "validation": "vérification du document",
        "bailleurs": "bailleurs",
        "sectors": "secteurs",
        "dwellings": "logements",
        "households": "ménages",
        "members": "membres des ménages",
        "requests": "demandes",
        "exclusions": "exclusions",
    }
)
"""The sections of a territory document, as the import's progress shows them."""

# E-mail notifications ------------------------------------------------------------------------------

MAIL_KINDS = _frozen(
    {
        "proposal": "nouvelle proposition et sa date limite de réponse",
        "reminder": "rappel quelques jours avant la date limite de réponse",
        "lapsed": "date limite de réponse dépassée",
        "changed": "proposition modifiée par la réponse d'un autre ménage ou une décision",
        "decision": "décision de la commission d'attribution (CALEOL) sur votre mouvement",
        "repaired": "proposition réparée après le départ d'un ménage",
        "paused": "demande mise en pause",
        "digest": "récapitulatif quotidien des mouvements à décider et en retard",
        "visit": "demande de visite d'un autre ménage, ou sa réponse à la vôtre",
    }
)
"""What each kind of notification by e-mail says (the preferences page lists them)."""

MAIL_SUBJECTS = _frozen(
    {
        "proposal": "Une proposition d'échange de logement vous est faite",
        "reminder": "Rappel : votre réponse à la proposition n° {proposal_id} est attendue",
        "lapsed": "La date limite de réponse à la proposition n° {proposal_id} est passée",
        "changed": "La proposition n° {proposal_id} a changé",
        "decision": "Décision de la commission d'attribution sur la proposition n° {proposal_id}",
        "repaired": "Une nouvelle proposition remplace la proposition n° {repairs}",
        "paused": "Votre demande d'échange est en pause",
        "digest": "Mouvements à décider par votre commission d'attribution",
        "visit": "Visite de logement : proposition n° {proposal_id}",
    }
)
"""The subject line of each kind of notification (``{proposal_id}`` filled in)."""

MAIL_STATUSES = _frozen(
    {
        "pending": "en attente d'envoi",
        "sending": "en cours d'envoi",
        "sent": "envoyé",
        "failed": "échec définitif",
        "cancelled": "annulé (désabonnement ou adresse retirée)",
    }
)
"""Where a message of the outbox stands."""

REQUEST_STATUSES = _frozen({"open": "en cours", "paused": "en pause", "closed": "close"})
"""Where a mutation request stands."""

VISIT_STATUSES = _frozen(
    {
        "asked": "demandée, en attente de la réponse du ménage qui habite le logement",
        "accepted": "acceptée par les deux ménages",
        "declined": "refusée par le ménage qui habite le logement",
    }
)
"""Where a visit stands (DOMAIN.md §4–5)."""

VISIT_OUTCOMES = _frozen(
    {
        "done": "visite effectuée",
        "missed": "visite manquée",
        "cancelled": "visite annulée",
    }
)
"""The outcome of an accepted visit, noted by either household."""

# Policy settings (matching.config.PolicyConfig) ---------------------------------------------------

POLICY_SETTINGS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "adult_age": ("âge à partir duquel un enfant ou un autre membre a sa propre chambre", "ans"),
        "minors_per_bedroom": ("enfants plus jeunes que cet âge par chambre partagée", "enfants"),
        "rooms_single_or_couple": ("pièces nécessaires à une personne seule ou à un couple", "pièces"),
        "living_rooms": (
            "pièces de séjour ajoutées aux chambres (ménages avec enfants ou autres membres)",
            "pièces",
        ),
        "surface_single_m2": ("surface minimale pour une personne seule", "m²"),
        "surface_couple_m2": ("surface minimale pour deux personnes", "m²"),
        "surface_per_extra_person_m2": ("surface en plus par personne supplémentaire", "m²"),
        "surface_cap_m2": ("plafond de la surface minimale", "m²"),
        "under_occupation_extra_rooms": (
            "sous-occupation : pièces tolérées en plus du nombre de personnes (au-delà, logement trop grand)",
            "pièces",
        ),
        "job_distance_km": ("distance maximale au lieu de travail (à vol d'oiseau)", "km"),
        "earth_radius_km": ("rayon terrestre du calcul de distance", "km"),
        "max_extra_rooms": (
            "logement proposé : nombre maximal de pièces en plus du nombre de personnes",
            "pièces",
        ),
        "points_move": ("points de base de chaque mouvement", "points"),
        "points_autonomy": ("points : logement inadapté à la perte d'autonomie résolu", "points"),
        "points_overcrowding": ("points : suroccupation résolue", "points"),
        "points_under_occupation": ("points : sous-occupation résolue", "points"),
        "points_job_distance": ("points : éloignement du lieu de travail résolu", "points"),
        "points_handicap": ("points : handicap", "points"),
        "points_violence": ("points : violences", "points"),
        "points_unfit_housing": ("points : habitat indigne", "points"),
        "points_dalo": ("points : reconnu DALO", "points"),
        "points_per_month": ("points par mois complet d'ancienneté", "points"),
        "seniority_cap_months": ("ancienneté maximale comptée", "mois"),
        "points_mixity_out_of_qpv": (
            "points : ménage du premier quartile qui quitte un QPV (0 : option désactivée)",
            "points",
        ),
        "points_mixity_into_qpv": (
            "points : ménage hors premier quartile qui s'installe en QPV (0 : option désactivée)",
            "points",
        ),
        "max_cycle": ("nombre maximal de ménages dans un échange (cycle)", "ménages"),
        "max_chain": ("nombre maximal de mouvements dans une chaîne", "mouvements"),
    }
)
"""Label and unit of every policy setting (POLICY.md's numbers a territory may override)."""

# Statistics (DOMAIN.md §3) ------------------------------------------------------------------------

STATISTICS = _frozen(
    {
        "convenience": "demandes de confort",
        "filed": "déposées",
        "made": "faites",
        "accepted": "acceptées par tous",
        "confirmed": "confirmées",
        "completed": "déménagements effectués",
        "failed": "échouées",
        "live": "en cours",
        "cycle": "échanges",
        "chain": "chaînes",
        "refused": "refus d'un ménage",
        "open_requests": "demandes ouvertes",
        "refusals_in": "refus de ses logements",
        "households": "ménages",
        "answered": "ont répondu",
        "moves_out": "départs",
        "moves_in": "arrivées",
        "decisions": "décisions de CALEOL",
        "n": "nombre",
        "median": "médiane",
        "q1": "premier quartile",
        "q3": "troisième quartile",
        "first_quartile_eur": "seuil du premier quartile (€ par an et par unité de consommation)",
        "outside_qpv": "attributions hors QPV",
        "outside_qpv_first_quartile": "dont à un ménage du premier quartile",
        "outside_qpv_first_quartile_pct": "part hors QPV au premier quartile (%, objectif 25 %)",
        "in_qpv": "attributions en QPV",
        "in_qpv_not_first_quartile": "dont à un ménage hors premier quartile",
        "in_qpv_not_first_quartile_pct": "part en QPV hors premier quartile (%, objectif 50 %)",
        "attributions": "attributions par la bourse",
        "first_quartile": "ménages du premier quartile",
        "dalo": "ménages DALO",
        "dalo_pct": "part des ménages DALO (%)",
        "priority": "autres ménages prioritaires",
        "priority_pct": "part des autres ménages prioritaires (%)",
        "dalo_or_priority_pct": "part DALO puis prioritaires (%, objectif 25 %)",
        "mutations": "mutations par la bourse",
        "all_attributions": "toutes les attributions de l'année",
        "mutations_pct": "part des mutations (%)",
        "requests_filed": "demandes déposées",
        "households_proposed": "ménages ayant reçu une proposition",
        "households_accepted": "ménages ayant accepté",
        "households_moved": "ménages ayant déménagé",
    }
)
"""Names of the yearly figures that are not codes of another table."""


def heading(label: str) -> str:
    """The label with its first letter capitalised, for a title or a column header.

    >>> heading("attribution avec classement")
    'Attribution avec classement'
    """
    return label[:1].upper() + label[1:]


def setting_label(name: str) -> str:
    """A policy setting's label with its unit, as forms and messages show it.

    >>> setting_label("surface_cap_m2")
    'plafond de la surface minimale (m²)'
    """
    label, unit = POLICY_SETTINGS.get(name, (name.replace("_", " "), ""))
    return f"{label} ({unit})" if unit else label


_STATISTIC_TABLES: tuple[Mapping[str, str], ...] = (
    STATISTICS,
    CRITERIA,
    QPV_MOVES,
    DECISION_KINDS,
    REFUSAL_REASONS,
    FAILURES,
)


def statistic_label(key: str) -> str:
    """The French name of one figure of the statistics (a code of any table, or ``decision_<kind>``).

    >>> statistic_label("moves_in")
    'arrivées'
    >>> statistic_label("no_answer")
    'pas de réponse dans le délai'
    """
    if key.startswith("decision_"):
        return "décisions : " + statistic_label(key.removeprefix("decision_"))
    for table in _STATISTIC_TABLES:
        if key in table:
            return table[key]
    return key.replace("_", " ")


OBJECTIVES = _frozen(
    {
        "points": "points des propositions",
        "expected": "espérance des points des mouvements menés à bien",
    }
)
"""What a run maximises (``exchange match --objective``, the territory's run settings)."""

RUN_SETTINGS = _frozen(
    {
        "objective": "objectif",
        "repair": "réparation après un échec",
        "priority_floor_pct": "plancher des ménages prioritaires (DALO, handicap)",
    }
)
"""The territory's run settings (``exchange.settings.RunSettings``): labels and error messages."""

OBJECTIVE_UNITS = _frozen({"points": "points", "expected": "points espérés"})
"""The unit of a run's objective and bound, as the run page shows it."""


def objective_points(objective: str, value: float) -> str:
    """A run's objective or bound in points: ``expected`` counts thousandths of a point.

    >>> objective_points("points", 1234), objective_points("expected", 1234567)
    ('1234', '1234,6')
    """
    if objective == "expected":
        return f"{value / 1000:.1f}".replace(".", ",")
    return f"{value:.0f}"


def chance_label(chance: float | None) -> str:
    """An estimated chance in French, « — » when none was estimated.

    >>> chance_label(0.537), chance_label(None)
    ('54 %', '—')
    """
    return "—" if chance is None else f"{round(100 * chance)} %"
