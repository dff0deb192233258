"""The tiny-part enumeration of ``matching.model`` against a MIP solver on random small programmes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.model import ChainArc, Columns, _enumerate, _mip, _model


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
