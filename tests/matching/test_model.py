"""The solver's steps on random small programmes: the tiny-part enumeration (``matching.mip``) against a
MIP solver, the column-generation relaxation (``matching.lp``) and its reduced costs against brute
force, the search (``matching.search``) and the proof (``matching.proof``) on hand-made cases."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.linear_solver import pywraplp

from matching import mip, search, tuning
from matching.lp import relax
from matching.mip import _enumerate, solve_mip, solve_parts
from matching.model import solve_component
from matching.program import ChainArc, Columns, build_program, to_proto


@st.composite
def columns(draw: st.DrawFn) -> Columns:
    households = draw(st.integers(2, 6))
    cycles = draw(
        st.lists(
            st.tuples(
                st.lists(st.integers(0, households - 1), min_size=2, max_size=3, unique=True),
                st.integers(1, 9),
            ),
            max_size=4,
        )
    )
    arcs = []
    for _ in range(draw(st.integers(0, 5))):
        position = draw(st.integers(1, 3))
        # position 1 leaves a vacancy (nodes >= households); later ones leave a household
        source = (
            draw(st.integers(households, households + 1))
            if position == 1
            else draw(st.integers(0, households - 1))
        )
        target = draw(st.integers(0, households - 1).filter(lambda t, s=source: t != s))
        arcs.append(ChainArc(source, target, draw(st.integers(1, 9)), position))
    return Columns.of([(tuple(c), w) for c, w in cycles], arcs)


@settings(max_examples=200, deadline=None)
@given(cols=columns())
def test_enumeration_finds_the_mip_optimum(cols: Columns) -> None:
    model = build_program(cols)
    group = list(range(len(model.weights)))
    chosen = _enumerate(model, group)
    assert chosen is not None  # choosing nothing meets every row
    # feasible
    x = np.zeros(len(model.weights))
    x[chosen] = 1.0
    load = np.zeros(len(model.rhs) + 1)
    np.add.at(load, model.rows.ravel(), (model.coefs * x[:, None]).ravel())
    assert np.all(load[:-1] <= np.asarray(model.rhs) + 1e-9)
    # optimal
    best, bound, status = solve_mip(model, group, backend="CBC", seconds=10, seed=0, workers=1)
    assert status == "optimal"
    assert sum(model.weights[j] for j in chosen) == sum(model.weights[j] for j in best)


def _feasible_subsets(model):  # type: ignore[no-untyped-def]
    """Every feasible choice of columns with its value (brute force, at most 2**9 subsets)."""
    n = len(model.weights)
    rhs = np.asarray(model.rhs)
    for size in range(n + 1):
        for subset in itertools.combinations(range(n), size):
            load = np.zeros(len(rhs) + 1)
            for j in subset:
                np.add.at(load, model.rows[j], model.coefs[j])
            if np.all(load[:-1] <= rhs + 1e-9):
                yield subset, sum(model.weights[j] for j in subset)


@settings(max_examples=150, deadline=None)
@given(cols=columns())
def test_relaxation_bounds_every_solution_and_its_reduced_costs_fix_columns(cols: Columns) -> None:
    model = build_program(cols)
    relaxation = relax(model, "GLOP", time.perf_counter() + 60)
    assert relaxation is not None
    # the same value as the LP over every column at once
    lp = pywraplp.Solver.CreateSolver("GLOP")
    proto = to_proto(model, range(len(model.weights)), integer=False, all_rows=True)
    assert lp.LoadModelFromProto(proto) == ""
    assert lp.Solve() == pywraplp.Solver.OPTIMAL
    assert relaxation.value == pytest.approx(lp.Objective().Value(), abs=1e-6)
    # no solution is worth more than the bound, nor more than bound + d_j when it uses column j
    for subset, value in _feasible_subsets(model):
        assert value <= relaxation.value + 1e-6
        for j in subset:
            assert value <= relaxation.value + relaxation.reduced[j] + 1e-6


@settings(max_examples=150, deadline=None)
@given(cols=columns())
def test_proof_rounds_alone_reach_the_brute_force_optimum(cols: Columns) -> None:
    """Without search rounds nor a direct proof, the proof MIPs by descending targets (floor(z),
    floor(z) - 1, floor(z) - 4, ...) find and prove the optimum from an empty incumbent."""
    model = build_program(cols)
    best = max(value for _, value in _feasible_subsets(model))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tuning, "PROOF_DIRECT", -1)
        patch.setattr(tuning, "PROOF_GROWTH", 0.0)
        patch.setattr(search, "search_budget", lambda left: 0.0)
        result = solve_component(cols, time_limit_s=30)
    assert (result.objective, result.bound, result.status) == (best, best, "optimal")


def test_odd_triangles_descend_from_the_lp_bound() -> None:
    """Five disjoint triangles of 2-cycles worth 2: LP 15 (every cycle at 1/2), optimum 10. The
    targets go down from 15."""
    cycles = [((3 * t + a, 3 * t + b), 2) for t in range(5) for a, b in ((0, 1), (1, 2), (0, 2))]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tuning, "PROOF_DIRECT", -1)
        patch.setattr(tuning, "PROOF_GROWTH", 0.0)
        patch.setattr(search, "search_budget", lambda left: 0.0)
        result = solve_component(cycles, time_limit_s=30)
    assert (result.objective, result.bound, result.status) == (10, 10.0, "optimal")
    assert result.stats is not None and result.stats["lp_bound"] == pytest.approx(15.0)
    # two search rounds, then targets 15 (every row an equality: refuted at once), 14 (no equality
    # left: worth 10 at best), 11 (the same programme: not solved again)
    assert result.stats["rounds"] == 5


@settings(max_examples=150, deadline=None)
@given(cols=columns(), target_offset=st.integers(0, 3))
def test_a_solution_reaching_a_target_leaves_no_slack_in_rows_of_large_dual(
    cols: Columns, target_offset: int
) -> None:
    """The premise of the proof MIPs: a solution worth ``target`` or more uses only columns of reduced
    cost >= -(z - target) and fills every row whose dual exceeds z - target."""
    model = build_program(cols)
    relaxation = relax(model, "GLOP", time.perf_counter() + 60)
    assert relaxation is not None
    z = relaxation.value
    rhs = np.asarray(model.rhs)
    for subset, value in _feasible_subsets(model):
        target = value - target_offset
        load = np.zeros(len(rhs) + 1)
        for j in subset:
            np.add.at(load, model.rows[j], model.coefs[j])
        tight = relaxation.duals[:-1] > (z - target) + 1e-6
        assert np.allclose(load[:-1][tight], rhs[tight])
        assert all(relaxation.reduced[j] >= -(z - target) - 1e-6 for j in subset)
        # the same premise through the relaxation's own helpers, which the proof MIPs use
        assert set(subset) <= set(relaxation.usable(target).tolist())
        exact = relaxation.tight(target)
        assert not exact[-1]
        assert np.allclose(load[:-1][exact[:-1]], rhs[exact[:-1]])
    assert relaxation.top == math.floor(z + relaxation.eps)
    assert relaxation.top >= max(value for _, value in _feasible_subsets(model))


@settings(max_examples=150, deadline=None)
@given(cols=columns(), data=st.data())
def test_equalities_are_met_or_refuted_alike_by_enumeration_and_mip(
    cols: Columns, data: st.DataObject
) -> None:
    model = build_program(cols)
    n_rows = len(model.rhs)
    exact = np.asarray(data.draw(st.lists(st.booleans(), min_size=n_rows + 1, max_size=n_rows + 1)))
    exact[n_rows] = False
    group = list(range(len(model.weights)))
    rhs = np.asarray(model.rhs)
    best = -1
    for subset, value in _feasible_subsets(model):
        load = np.zeros(n_rows + 1)
        for j in subset:
            np.add.at(load, model.rows[j], model.coefs[j])
        used = np.zeros(n_rows + 1, dtype=bool)
        used[model.rows[group][model.coefs[group] != 0]] = True
        if np.allclose(load[:-1][exact[:-1] & used[:-1]], rhs[exact[:-1] & used[:-1]]):
            best = max(best, value)
    enumerated = _enumerate(model, group, exact)
    by_parts = solve_parts(model, group, "CBC", time.perf_counter() + 30, 0, 1, exact=exact)
    whole = solve_mip(model, group, backend="CBC", seconds=30, seed=0, workers=1, exact=exact)
    for found, _, status in (by_parts, whole):
        if best < 0:
            assert status == "infeasible"
        else:
            assert status == "optimal"
            assert sum(model.weights[j] for j in found) == best
    if best < 0:
        assert enumerated is None
    else:
        assert enumerated is not None
        assert sum(model.weights[j] for j in enumerated) == best


def test_enumeration_leaves_no_reference_cycles() -> None:
    """Solves run with the cyclic collector paused (matching.solve): the recursive closure of
    ``_enumerate`` must not leave a cycle per call (the incumbent's thousands of tiny parts in each
    large-neighbourhood round kept 1.1 GB alive on the 20,000-dwelling territory, 0.46 GB with the
    collector on)."""
    import gc

    model = build_program(Columns.of([((0, 1), 3), ((1, 2), 2), ((0, 2), 2)], []))
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(10):
            assert _enumerate(model, [0, 1, 2]) == [0]
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()


def test_the_region_search_starts_where_the_incumbent_wastes_lp_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """100 disjoint 2-cycles, all chosen but one: its households are the only idle rows of positive
    dual, so the first region (two households) is that cycle's and one round restores the optimum
    (a start at a random pool column would find it in one round out of 100)."""
    model = build_program(Columns.of([((2 * i, 2 * i + 1), 1) for i in range(100)], []))
    relaxation = relax(model, "GLOP", time.perf_counter() + 60)
    assert relaxation is not None
    rounds = []
    original = mip.improve

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        rounds.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(mip, "improve", counted)
    monkeypatch.setattr(tuning, "REGION", 2)
    chosen = [j for j in range(100) if j != 57]
    found = search.neighbourhoods(model, chosen, relaxation, 100, time.perf_counter() + 30, "CBC", 0, 1)
    assert sorted(found) == list(range(100))
    assert len(rounds) == 1 and 57 in rounds[0]


def test_the_region_search_may_use_columns_of_negative_reduced_cost() -> None:
    """Three 2-cycles on a triangle, worth 3 each (LP 4.5, each at 1/2, duals 1.5), and their
    3-cycle worth 4 (reduced cost -1/2): from one 2-cycle, the only better solution is the 3-cycle,
    which a pool of zero-reduced-cost columns would never offer."""
    model = build_program(Columns.of([((0, 1), 3), ((1, 2), 3), ((0, 2), 3), ((0, 1, 2), 4)], []))
    relaxation = relax(model, "GLOP", time.perf_counter() + 60)
    assert relaxation is not None
    assert relaxation.reduced[3] == pytest.approx(-0.5)
    found = search.neighbourhoods(model, [0], relaxation, 4, time.perf_counter() + 5, "CBC", 0, 1)
    assert found == [3]


def test_a_hard_part_does_not_starve_the_small_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """A part that takes the whole budget (here: a patched solver call that waits for the deadline)
    comes last, so the tiny parts, enumerated at once, are in the answer."""
    hard = [((i, i + 1), 1) for i in range(11)]  # one part of 11 columns, numbered first
    tiny = [((20 + 2 * k, 21 + 2 * k), 5) for k in range(3)]  # three parts of one column each
    model = build_program(Columns.of(hard + tiny, []))
    deadline = time.perf_counter() + 0.5

    def slow(model_, group, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(max(0.0, deadline - time.perf_counter()))
        return [], float(len(group)), "unknown"

    monkeypatch.setattr(mip, "solve_mip", slow)
    found, _, status = solve_parts(model, list(range(14)), "CBC", deadline, 0, 1)
    assert sorted(found) == [11, 12, 13]
    assert status == "feasible"


@pytest.mark.parametrize(("mip_max", "share"), [(3, 0.5), (1000, None)])
def test_the_second_search_round_gets_half_the_time_when_no_proof_fits(
    monkeypatch: pytest.MonkeyPatch, mip_max: int, share: float | None
) -> None:
    """Three 2-cycles on a triangle (LP 4.5, each at 1/2) and their 3-cycle (reduced cost -1/2): the
    proof set of target 4 holds 4 columns, the second round's set 3. With _MIP_MAX = 3 no proof MIP
    fits, and that round's MIP gets half the time left instead of a search budget."""

    class Stop(Exception):
        pass

    budgets: list[float] = []

    def recorded(model_, keep, backend, until, *args, **kwargs):  # type: ignore[no-untyped-def]
        budgets.append(until - time.perf_counter())
        if len(budgets) == 2:
            raise Stop
        return [], 0.0, "unknown"

    monkeypatch.setattr(mip, "solve_parts", recorded)
    monkeypatch.setattr(tuning, "MIP_MAX", mip_max)
    cycles = [((0, 1), 3), ((1, 2), 3), ((0, 2), 3), ((0, 1, 2), 4)]
    with pytest.raises(Stop):
        solve_component(cycles, time_limit_s=20.0)
    support, around = budgets
    assert support == pytest.approx(search.search_budget(20.0), abs=0.5)
    if share is None:
        assert around == pytest.approx(search.search_budget(20.0), abs=0.5)
    else:
        assert around == pytest.approx(share * 20.0, abs=0.5)  # the first round returned at once


def test_the_first_solution_stops_after_the_support_when_it_reaches_the_lp_bound() -> None:
    """Two disjoint 2-cycles: the LP is integral and its support's MIP reaches floor(z), so the
    second round (around the integral part) never runs."""
    model = build_program(Columns.of([((0, 1), 4), ((2, 3), 5)], []))
    relaxation = relax(model, "GLOP", time.perf_counter() + 10)
    assert relaxation is not None
    progress = search.Progress(time.perf_counter(), {})
    incumbent = search.first_solution(model, relaxation, time.perf_counter() + 10, "CBC", 0, 1, progress)
    assert (sorted(incumbent.chosen), incumbent.value) == ([0, 1], 9)
    assert progress.rounds == 1
    assert set(progress.stats) == {"round1_support_kept", "round1_s"}


def test_a_proof_that_finds_a_better_solution_replaces_the_incumbent() -> None:
    """Three 2-cycles on a triangle worth 3 and their 3-cycle worth 4: from the 2-cycle, the proof
    MIP of target 4 finds the 3-cycle and proves it optimal."""
    from matching.proof import prove

    model = build_program(Columns.of([((0, 1), 3), ((1, 2), 3), ((0, 2), 3), ((0, 1, 2), 4)], []))
    relaxation = relax(model, "GLOP", time.perf_counter() + 10)
    assert relaxation is not None
    incumbent = search.Incumbent([0], 3)
    progress = search.Progress(time.perf_counter(), {})
    bound, status = prove(model, relaxation, incumbent, time.perf_counter() + 10, "CBC", 0, 1, progress)
    assert (incumbent.chosen, incumbent.value, bound, status) == ([3], 4, 4.0, "optimal")
    assert progress.rounds == 1


@settings(max_examples=60, deadline=None)
@given(cols=columns(), data=st.data())
def test_the_proof_against_an_improved_incumbent_keeps_every_optimal_solution(
    cols: Columns, data: st.DataObject
) -> None:
    """Reduced-cost fixing against an incumbent worth ``b`` (columns of reduced cost at least
    ``b + 1 - z``) never removes a column of an optimal solution, and the proof that starts once
    that set fits ``tuning.PROOF_MAX`` (whatever its value) claims an optimum only when it is one."""
    from matching.proof import prove

    model = build_program(cols)
    relaxation = relax(model, "GLOP", time.perf_counter() + 60)
    assert relaxation is not None
    subsets = list(_feasible_subsets(model))
    best = max(value for _, value in subsets)
    start, start_value = data.draw(st.sampled_from(subsets))
    if start_value < best:
        usable = set(relaxation.usable(start_value + 1).tolist())
        assert all(set(subset) <= usable for subset, value in subsets if value == best)
    proof_max = data.draw(st.integers(0, len(model.weights)))
    incumbent = search.Incumbent(list(start), start_value)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tuning, "PROOF_MAX", proof_max)
        patch.setattr(tuning, "PROOF_DIRECT", -1)  # descending targets: the set of top first
        patch.setattr(tuning, "PROOF_GROWTH", 0.0)
        progress = search.Progress(time.perf_counter(), {})
        bound, status = prove(model, relaxation, incumbent, time.perf_counter() + 1.5, "CBC", 0, 1, progress)
    assert incumbent.value <= best <= bound
    assert sum(model.weights[j] for j in incumbent.chosen) == incumbent.value
    if status == "optimal":
        assert incumbent.value == best == bound
