"""The integer programme of one component as arrays: cycles plus position-indexed chain arcs (PICEF).

Variables: ``x_c`` for each cycle of at most ``max_cycle`` households; ``y_{u,v,k}`` when the move
``u -> v`` (household ``v`` takes the dwelling of ``u``) is the ``k``-th move of a chain. Arcs out
of a vacancy only take position 1; an arc out of a household at chain depth ``d`` takes positions
``d+1 .. max_chain``. Constraints: each household moves at most once (cycles and chain arcs into
it); each vacancy starts at most one chain; a household passes its dwelling on at position
``k+1`` only if it moved in at position ``k``.

The LP (:mod:`matching.lp`) and the MIPs (:mod:`matching.mip`) are built from one
:class:`Program`: every column's entries as dense numpy arrays, so that pricing and the row
selections of the proof are array operations.

References
----------
Dickerson, Manlove, Plaut, Sandholm, Trimble, "Position-indexed formulations for kidney exchange",
EC 2016.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.linear_solver import linear_solver_pb2

__all__ = [
    "ChainArc",
    "Columns",
    "IntArray",
    "Program",
    "build_program",
    "covered_rows",
    "independent_parts",
    "packing_entries",
    "packing_rows",
    "reduced_costs",
    "to_proto",
]


@dataclass(frozen=True, slots=True)
class ChainArc:
    """Move ``source -> target`` worth ``weight`` as the ``position``-th move of a chain."""

    source: int
    target: int
    weight: int
    position: int


IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Columns:
    """One component's candidate columns as arrays.

    Cycles: ``members[i]`` lists cycle ``i``'s households (padded with ``-1``), worth ``points[i]``.
    Chain arcs: ``source[k] -> target[k]`` worth ``weight[k]`` as the ``position[k]``-th move.
    """

    members: IntArray
    points: IntArray
    source: IntArray
    target: IntArray
    weight: IntArray
    position: IntArray

    @classmethod
    def of(cls, cycles: Sequence[tuple[tuple[int, ...], int]], arcs: Sequence[ChainArc]) -> Columns:
        """From lists of ``(households, points)`` and :class:`ChainArc`.

        >>> Columns.of([((0, 1), 10)], [ChainArc(5, 0, 3, 1)]).n_cycles
        1
        """
        width = max((len(c) for c, _ in cycles), default=2)
        members = np.full((len(cycles), width), -1, dtype=np.int64)
        for i, (c, _) in enumerate(cycles):
            members[i, : len(c)] = c
        table = np.asarray([(a.source, a.target, a.weight, a.position) for a in arcs], dtype=np.int64)
        table = table.reshape(len(arcs), 4)
        points = np.asarray([p for _, p in cycles], dtype=np.int64)
        return cls(members, points, table[:, 0], table[:, 1], table[:, 2], table[:, 3])

    @property
    def n_cycles(self) -> int:
        """How many cycle columns come first."""
        return len(self.points)

    def arc(self, k: int) -> ChainArc:
        """Chain arc ``k`` as a :class:`ChainArc`."""
        return ChainArc(int(self.source[k]), int(self.target[k]), int(self.weight[k]), int(self.position[k]))


@dataclass(slots=True)
class Program:
    """Columns as dense numpy arrays: variable ``j`` has weight ``w[j]`` and entries
    ``(rows[j, i], coefs[i, j])``, padded with the dummy row ``len(rhs)`` (coefficient 0, dual 0).
    """

    weights: list[int]
    rhs: list[float]
    rows: IntArray
    coefs: npt.NDArray[np.float64]
    w: npt.NDArray[np.float64]
    _lists: tuple[list[list[int]], list[list[float]]] | None = None

    def col(self, j: int) -> list[tuple[int, float]]:
        """The non-zero entries ``(row, coef)`` of column ``j``."""
        if self._lists is None:
            self._lists = (self.rows.tolist(), self.coefs.tolist())
        pad = len(self.rhs)
        return [(r, c) for r, c in zip(self._lists[0][j], self._lists[1][j], strict=True) if r != pad]


def build_program(columns: Columns) -> Program:
    """The rows and dense entries of ``columns``; rows numbered in order of first use.

    Row kinds: a household moves at most once (``<= 1``), a vacancy starts one chain at most
    (``<= 1``), a household passes its dwelling on at position ``k + 1`` only if it moved in at
    position ``k`` (``y_out - y_in <= 0``). Keys encode ``(kind, node, position)``.

    Parameters
    ----------
    columns
        One component's cycles and chain arcs.

    Returns
    -------
    Program
        Column ``j`` is cycle ``j``, then chain arc ``j - columns.n_cycles``.

    Examples
    --------
    A 2-cycle of households 0 and 1, and a chain from vacancy 5 into household 0:

    >>> program = build_program(Columns.of([((0, 1), 10)], [ChainArc(5, 0, 3, 1)]))
    >>> program.weights, program.rhs
    ([10, 3], [1.0, 1.0, 1.0])
    >>> program.col(1)
    [(0, 1.0), (2, 1.0)]
    """
    members = columns.members
    n_c = len(members)
    src, dst, pos = columns.source, columns.target, columns.position
    n_a = len(src)
    top = int(max(members.max(initial=0), src.max(initial=0), dst.max(initial=0))) + 1
    levels = int(pos.max(initial=1)) + 2

    def key(kind: int, node: IntArray, level: IntArray | int) -> IntArray:
        return (kind * top + node) * levels + level

    width = max(members.shape[1], 3)
    keys = np.full((n_c + n_a, width), -1, dtype=np.int64)
    coefs = np.zeros((n_c + n_a, width), dtype=np.float64)
    real = members >= 0
    keys[:n_c, : members.shape[1]] = np.where(real, key(0, np.maximum(members, 0), 0), -1)
    coefs[:n_c, : members.shape[1]] = real
    if n_a:
        keys[n_c:, 0] = key(0, dst, 0)
        first = pos == 1
        keys[n_c:, 1] = np.where(first, key(1, src, 0), key(2, src, pos))
        onward = key(2, dst, pos + 1)
        passes = np.isin(onward, keys[n_c:, 1][~first])  # not np.unique: that would import numpy.ma
        keys[n_c:, 2] = np.where(passes, onward, -1)
        coefs[n_c:, :2] = 1.0
        coefs[n_c:, 2] = np.where(passes, -1.0, 0.0)
    flat = keys.ravel()
    used = flat >= 0
    uniq, first_at, inverse = np.unique(flat[used], return_index=True, return_inverse=True)
    order = np.argsort(first_at, kind="stable")  # rows in order of first appearance
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[order] = np.arange(len(uniq))
    rows = np.full(flat.shape, len(uniq), dtype=np.int64)
    rows[used] = rank[inverse.ravel()]
    kinds = uniq[order] // levels // top
    rhs = np.where(kinds == 2, 0.0, 1.0).tolist()
    weights = np.concatenate([columns.points, columns.weight]).astype(np.int64)
    return Program(weights.tolist(), rhs, rows.reshape(keys.shape), coefs, weights.astype(np.float64))


def reduced_costs(model: Program, duals: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``w_j - sum_r a_rj * pi_r`` for every column (``duals`` has one extra 0 for the dummy row).

    Parameters
    ----------
    model
        The programme.
    duals
        One dual value per row, then 0 for the dummy row.

    Returns
    -------
    numpy.ndarray
        One reduced cost per column.

    Examples
    --------
    >>> program = build_program(Columns.of([((0, 1), 10), ((1, 2), 4)], []))
    >>> reduced_costs(program, np.array([5.0, 5.0, 0.0, 0.0])).tolist()
    [0.0, -1.0]
    """
    reduced: npt.NDArray[np.float64] = model.w - (model.coefs * duals[model.rows]).sum(axis=1)
    return reduced


def to_proto(
    model: Program,
    active: Sequence[int],
    *,
    integer: bool,
    all_rows: bool = False,
    exact: npt.NDArray[np.bool_] | None = None,
) -> linear_solver_pb2.MPModelProto:
    """The programme over the columns ``active`` (in that order) as a model proto.

    Filled from numpy, one call per row: far faster than one solver call per coefficient.

    Parameters
    ----------
    model
        The programme.
    active
        The columns to keep, as variables ``0 .. len(active) - 1``.
    integer
        Binary variables (a MIP) rather than non-negative ones (the LP).
    all_rows
        Every row, in row order; otherwise the rows the columns use, in order of first use.
    exact
        Rows to state as equalities (the proof's rows without slack, see :mod:`matching.proof`).

    Returns
    -------
    MPModelProto
        A maximisation, ready for ``pywraplp.Solver.LoadModelFromProto``.

    Examples
    --------
    >>> program = build_program(Columns.of([((0, 1), 10), ((1, 2), 4)], []))
    >>> proto = to_proto(program, [1], integer=True)
    >>> len(proto.variable), [list(c.var_index) for c in proto.constraint]
    (1, [[0], [0]])
    """
    proto = linear_solver_pb2.MPModelProto(maximize=True)
    upper = 1.0 if integer else math.inf
    add = proto.variable.add
    for j in active:
        add(lower_bound=0.0, upper_bound=upper, objective_coefficient=model.weights[j], is_integer=integer)
    index = np.asarray(active, dtype=np.int64)
    n_rows = len(model.rhs)
    rows = model.rows[index]
    used = rows < n_rows
    r = rows[used]
    c = model.coefs[index][used]
    v = np.broadcast_to(np.arange(len(index))[:, None], rows.shape)[used]
    order = np.argsort(r, kind="stable")
    r, c, v = r[order], c[order], v[order]
    if all_rows:
        kept = np.arange(n_rows)
    else:  # rows in order of first use by the columns, as a solver built column by column has them
        first_use = rows[used]  # column-major: the order columns meet their rows
        seen, at = np.unique(first_use, return_index=True)
        kept = seen[np.argsort(at, kind="stable")]
    starts = np.searchsorted(r, kept).tolist()
    ends = np.searchsorted(r, kept, side="right").tolist()
    var_index, coefficient = v.tolist(), c.tolist()
    tight = np.zeros(len(kept), dtype=bool) if exact is None else exact[kept]
    for row, a, b, equal in zip(kept.tolist(), starts, ends, tight.tolist(), strict=True):
        rhs = model.rhs[row]
        ct = proto.constraint.add(lower_bound=rhs if equal else -math.inf, upper_bound=rhs)
        ct.var_index.extend(var_index[a:b])
        ct.coefficient.extend(coefficient[a:b])
    return proto


def packing_rows(model: Program) -> npt.NDArray[np.bool_]:
    """Which rows are household or vacancy rows (``<= 1``); one flag per row, the dummy row's False.

    Rows of a chain from vacancy 5: household 0, vacancy 5, household 0's onward flow, household 1.

    >>> packing_rows(build_program(Columns.of([], [ChainArc(5, 0, 3, 1), ChainArc(0, 1, 2, 2)]))).tolist()
    [True, True, False, True, False]
    """
    return np.append(np.asarray(model.rhs) > 0, False)


def packing_entries(model: Program) -> npt.NDArray[np.bool_]:
    """Which entries ``(j, i)`` of ``model.rows`` are household or vacancy rows (``<= 1``, coefficient 1).

    >>> packing_entries(build_program(Columns.of([((0, 1), 10)], [ChainArc(5, 0, 3, 1)]))).tolist()
    [[True, True, False], [True, True, False]]
    """
    packing: npt.NDArray[np.bool_] = (model.coefs > 0) & packing_rows(model)[model.rows]
    return packing


def covered_rows(model: Program, packing: npt.NDArray[np.bool_], columns: IntArray) -> npt.NDArray[np.bool_]:
    """The household and vacancy rows that ``columns`` use (one flag per row, the dummy row's False).

    ``packing`` is :func:`packing_entries` of ``model``, computed once by callers that ask often.

    >>> program = build_program(Columns.of([((0, 1), 10), ((1, 2), 4)], []))
    >>> covered_rows(program, packing_entries(program), np.array([1])).tolist()
    [False, True, True, False]
    """
    covered = np.zeros(len(model.rhs) + 1, dtype=bool)
    covered[model.rows[columns][packing[columns]]] = True
    return covered


def independent_parts(model: Program, active: Sequence[int]) -> list[list[int]]:
    """Split variables into groups sharing no constraint (union-find over rows).

    >>> program = build_program(Columns.of([((0, 1), 1), ((1, 2), 1), ((3, 4), 1)], []))
    >>> independent_parts(program, [0, 1, 2])
    [[0, 1], [2]]
    """
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for j in active:
        rs = [r for r, _ in model.col(j)]
        first = find(rs[0])
        for r in rs[1:]:
            other = find(r)
            if other != first:
                parent[max(first, other)] = min(first, other)
                first = min(first, other)
    groups: dict[int, list[int]] = {}
    for j in active:
        groups.setdefault(find(model.col(j)[0][0]), []).append(j)
    return sorted(groups.values())
