"""The solver's tuning constants, in one place, each with why it has its value.

Read as ``tuning.NAME`` at call time (never copied with ``from ... import``), so that a test may
patch one for a single call. How each value was measured is in ``benchmarks/results/matching-notes.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "AROUND_MAX",
    "AROUND_SHARE",
    "GOAL_SHARE",
    "INTEGRAL",
    "MIP_MAX",
    "PROOF_DIRECT",
    "PROOF_GROWTH",
    "PROOF_MAX",
    "RACE_GRACE",
    "RACE_MAX",
    "RACE_MIN",
    "RACE_PARTNER",
    "REGION",
    "REGION_GRACE",
    "REGION_LOST_ROUNDS",
    "REGION_MAX",
    "REGION_SECONDS",
    "SEARCH_SECONDS",
    "SEED_PER_ROW",
    "SMALL",
    "SMALL_SECONDS",
    "TINY",
]

# -- tolerances ---------------------------------------------------------------------------------

INTEGRAL = 1e-6
"""An LP value within this of 0 or 1 counts as integral."""

# -- the relaxation (matching.lp) ---------------------------------------------------------------

SEED_PER_ROW = 3
"""Columns per household row in the first restricted master: the heaviest alone crowd a few rows."""

# -- MIP sizes and backends (matching.mip) -----------------------------------------------------

MIP_MAX = 150_000
"""No MIP over more variables: beyond that CBC overruns its time limit by minutes."""

TINY = 8
"""Parts of at most this many variables are enumerated: no solver start-up for a handful of columns."""

SMALL = 2000
"""Search MIPs up to this many variables go to CP-SAT, which finds fast but may prove slowly,"""

SMALL_SECONDS = 0.5
"""for at most this long each, after which the main backend gets the part."""

# -- the race of two backends (matching.race) ---------------------------------------------------

RACE_MIN = 10_000
"""With two workers, MIPs of at least this many variables race a second backend (smaller ones settle fast),"""

RACE_MAX = 100_000
"""but not beyond: there a racer may hold all the time left where CBC alone would leave it to search."""

RACE_PARTNER: Mapping[str, str] = MappingProxyType({"CBC": "HIGHS"})
"""The backend that races each main backend: their slow cases differ."""

RACE_GRACE = 2.0
"""Each racer is killed this long after the deadline at the latest: CBC does not always stop on time."""

# -- the search (matching.search) ---------------------------------------------------------------

SEARCH_SECONDS = 5.0
"""A search round's budget, unless the time limit is tight: shorter rounds miss mid-sized optima."""

AROUND_MAX = 60_000
"""Columns of the second search round at most: on more, CBC finds worse than on the LP's support."""

AROUND_SHARE = 0.5
"""Share of the time left for the second search round when no proof MIP fits: its MIP is the best use."""

REGION = 150
"""Households freed by one large-neighbourhood round at first: small enough for a MIP of a few seconds."""

REGION_MAX = 600
"""At most this many: a region grows while its MIPs settle without gain, shrinks when they time out."""

REGION_SECONDS = 3.0
"""The budget of one large-neighbourhood round's MIP."""

REGION_GRACE = 5.0
"""A region solved as an executor task and not back this long after its budget is lost (a worker died)."""

REGION_LOST_ROUNDS = 2
"""Rounds in a row whose every region task was lost before the search goes on in its own process."""

# -- the proof (matching.proof) -----------------------------------------------------------------

PROOF_DIRECT = 50_000
"""Straight to the incumbent's proof MIP up to this many columns (a small proof beats descending targets),"""

PROOF_GROWTH = 1.25
"""or up to this many times as many as the next target's."""

PROOF_MAX = 100_000
"""No proof MIP over more columns: none of that size settled in the time (the search gains more)."""

GOAL_SHARE = 0.25
"""Share of the time left for a search after a refuted target: such searches may run long in vain."""
