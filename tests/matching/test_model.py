"""``matching.model`` on random small programmes: the tiny-part enumeration against a MIP solver, the
column-generation relaxation and its reduced costs against brute force."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.linear_solver import pywraplp

from matching.model import ChainArc, Columns, _column_generation, _enumerate, _mip, _model, _proto


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
    model = _model(cols)
    group = list(range(len(model.weights)))
    chosen = _enumerate(model, group)
    # feasible
    x = np.zeros(len(model.weights))
    x[chosen] = 1.0
    load = np.zeros(len(model.rhs) + 1)
    np.add.at(load, model.rows.ravel(), (model.coefs * x[:, None]).ravel())
    assert np.all(load[:-1] <= np.asarray(model.rhs) + 1e-9)
    # optimal
    best, bound, status = _mip(model, group, backend="CBC", seconds=10, seed=0, workers=1)
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
    model = _model(cols)
    relaxation = _column_generation(model, "GLOP", time.perf_counter() + 60)
    assert relaxation is not None
    # the same value as the LP over every column at once
    lp = pywraplp.Solver.CreateSolver("GLOP")
    assert lp.LoadModelFromProto(_proto(model, range(len(model.weights)), integer=False, all_rows=True)) == ""
    assert lp.Solve() == pywraplp.Solver.OPTIMAL
    assert relaxation.value == pytest.approx(lp.Objective().Value(), abs=1e-6)
    # no solution is worth more than the bound, nor more than bound + d_j when it uses column j
    for subset, value in _feasible_subsets(model):
        assert value <= relaxation.value + 1e-6
        for j in subset:
            assert value <= relaxation.value + relaxation.reduced[j] + 1e-6
