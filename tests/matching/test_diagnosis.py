"""The diagnosis of unmatched requests, one hand-built territory per motive."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from matching import policy
from matching.config import PolicyConfig
from matching.diagnosis import diagnose, widen
from matching.territory import Dwelling, Household, Member, Request, Territory

DAY = date(2026, 11, 2)


def _dwelling(
    ref: str, rooms: int, surface: float, *, qpv: bool = False, commune: str = "Cayenne"
) -> Dwelling:
    return Dwelling(
        ref, "OYAP", "S1", commune, qpv, rooms, surface, 0, False, "none", 350.0, 60.0, 4.9, -52.3
    )


FAMILY = (Member("head", 40), Member("child", 10), Member("child", 7))  # 3 rooms, 25 m²
SINGLE = (Member("head", 70),)  # 1 room, 9 m²; under-occupying above 2 rooms
COUPLE = (Member("head", 60), Member("partner", 58))  # 1 room, 16 m²; under-occupying above 3 rooms


def _request(ref: str, **wishes: object) -> Request:
    return Request(ref, date(2025, 1, 6), 600.0, **wishes)  # type: ignore[arg-type]


def _territory(
    dwellings: list[Dwelling],
    households: list[Household],
    requests: list[Request],
    offers: tuple[str, ...] = (),
    exclusions: frozenset[tuple[str, str]] = frozenset(),
) -> Territory:
    return Territory("T", DAY, tuple(dwellings), tuple(households), tuple(requests), offers, exclusions)


def _swap(family_wishes: dict[str, object] | None = None, **changes: object) -> Territory:
    """A family in a small flat (F), a single in a big one (S): a 2-cycle unless something prevents it."""
    return _territory(
        [_dwelling("DF", 1, 20.0), _dwelling("DS", 4, 80.0)],
        [Household("F", "DF", FAMILY, 1500.0), Household("S", "DS", SINGLE, 900.0)],
        [_request("F", **(family_wishes or {})), _request("S")],
        **changes,  # type: ignore[arg-type]
    )


def test_a_wish_that_rules_out_every_dwelling_and_what_dropping_it_opens() -> None:
    territory = _swap({"communes": frozenset({"Kourou"})})
    found = diagnose(territory, ["F", "S"])
    family = found["F"]
    assert family.motive == "no_fitting_dwelling"
    assert family.fitting == 0 and dict(family.ruled_out) == {"commune": 1}
    assert [(w.wish, w.dwellings, w.structures) for w in family.widenings] == [("communes", 1, 1)]
    assert found["S"].motive == "no_taker"  # S may take the family's flat, but nobody may take S's


def test_widening_opens_exactly_the_stated_number_of_dwellings() -> None:
    territory = _swap({"communes": frozenset({"Cayenne"}), "max_rooms": 3})
    territory = replace(
        territory,
        dwellings=(
            *territory.dwellings,
            _dwelling("V1", 4, 70.0),
            _dwelling("V2", 4, 75.0, commune="Macouria"),
        ),
        offers=("V1", "V2"),
    )
    family = diagnose(territory, ["F"])["F"]
    opened = {w.wish: w.dwellings for w in family.widenings}
    assert opened == {"rooms": 2}  # DS and V1 have 4 rooms; V2 also breaks the communes wish
    request = next(r for r in territory.requests if r.household == "F")
    for wish, count in opened.items():
        wider = replace(territory, requests=(widen(request, wish), territory.requests[1]))
        before = len(policy.household_moves(territory, "F"))
        assert len(policy.household_moves(wider, "F")) - before == count


def test_a_refused_qpv_and_no_taker_for_the_own_dwelling() -> None:
    territory = _territory(
        [_dwelling("DF", 1, 20.0, qpv=True), _dwelling("DS", 4, 80.0)],
        [Household("F", "DF", FAMILY, 1500.0), Household("S", "DS", SINGLE, 900.0)],
        [_request("F"), _request("S", accept_qpv=False)],
    )
    found = diagnose(territory, ["F", "S"])
    assert found["S"].motive == "no_fitting_dwelling" and dict(found["S"].ruled_out) == {"qpv": 1}
    assert [(w.wish, w.dwellings, w.structures) for w in found["S"].widenings] == [("qpv", 1, 1)]
    assert found["F"].motive == "no_taker"  # S's flat fits F, but nobody may take F's
    assert (found["F"].fitting, found["F"].takers) == (1, 0)


def test_the_only_fitting_pair_is_excluded() -> None:
    found = diagnose(_swap(exclusions=frozenset({("F", "DS")})), ["F", "S"])
    assert found["F"].motive == "excluded"
    assert dict(found["F"].ruled_out) == {"excluded": 1}


def test_a_chain_beyond_the_cap_and_a_household_outscored() -> None:
    # V -> A (a single leaves its 3 rooms for the vacant studio) -> B (a couple leaves 5 rooms for A's 3).
    territory = _territory(
        [_dwelling("V", 1, 12.0), _dwelling("DA", 3, 60.0), _dwelling("DB", 5, 100.0)],
        [Household("A", "DA", SINGLE, 900.0), Household("B", "DB", COUPLE, 1400.0)],
        [_request("A"), _request("B")],
        offers=("V",),
    )
    found = diagnose(territory, ["A", "B"], PolicyConfig(max_chain=1))
    assert found["B"].motive == "beyond_caps" and found["B"].shortest_chain == 2
    assert found["A"].motive == "outscored" and found["A"].structures == 1
    assert diagnose(territory, ["B"], PolicyConfig(max_chain=2))["B"].motive == "outscored"


def test_takers_but_no_cycle_closes() -> None:
    # S refuses the QPV; F (in the QPV) fits S's flat; T may take F's flat, but nobody may take T's.
    territory = _territory(
        [_dwelling("DF", 1, 20.0, qpv=True), _dwelling("DS", 4, 80.0), _dwelling("DT", 3, 22.0)],
        [
            Household("F", "DF", FAMILY, 1500.0),
            Household("S", "DS", SINGLE, 900.0),
            Household("T", "DT", SINGLE, 900.0),
        ],
        [_request("F"), _request("S", accept_qpv=False), _request("T")],
    )
    found = diagnose(territory, ["F", "S", "T"])
    assert found["F"].motive == "no_structure" and (found["F"].fitting, found["F"].takers) == (1, 1)
    assert found["T"].motive == "no_taker"
    assert found["S"].motive == "no_fitting_dwelling"


def test_matched_households_are_skipped() -> None:
    assert diagnose(_swap(), ["F", "S"], matched={"F", "S"}) == {}
