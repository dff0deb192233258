"""Kidney-exchange instance files read as housing exchanges, and territory graphs written for the peer.

Kidney exchange (KEP) is the same optimisation problem as the bourse d'échange:
incompatible patient–donor *pairs* swap donors in short cycles, *altruists*
(non-directed donors) start chains. Reading one as a housing exchange:

* pair ``i`` is household ``P<i>`` whose dwelling is also called ``P<i>``;
* altruist ``u`` (vertex ids ``n_pairs .. n_pairs + n_altruists - 1``) is the
  offered vacant dwelling ``A<u>``;
* arc ``[u, v, w]`` ("the donor of u can give to the patient of v") is the move
  of household ``P<v>`` into the dwelling of ``u`` (``P<u>`` or ``A<u>``), worth ``w``.

Formats read (the semantics of ``shared/tools/kep_convert.py``, re-implemented
here so that ``matching`` stands alone): ``kep-common/1`` JSON (``*.kep.json``),
PrefLib ``.wmd`` (2022 layout with ``#`` headers and 1-based ids, and the old
``n,m`` layout with 0-based ids), kidney_solver ``.input`` (optionally ``.gz``,
with an optional ``.ndds`` file beside it). Arcs into altruists (PrefLib's
weight-0 "a chain may end here" dummies), self-loops and duplicate arcs (the
heaviest is kept) are dropped and counted in ``notes``.

Move points are integers. Real weights (kidney_solver's ``100-random-weights``)
are kept exact: every weight is multiplied by ``weight_scale``, the smallest
power of ten making all of them integral (at most ``10**9``); divide objectives
by it to get back to the file's units.

References
----------
.. [1] J. P. Dickerson, A. D. Procaccia, T. Sandholm, "Optimizing kidney exchange
   with transplant chains: theory and reality", AAMAS 2012 (PrefLib dataset 00036).
.. [2] https://github.com/jamestrimble/kidney_solver (``.input``/``.ndds`` layout).
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from matching.types import Instance, Move

__all__ = [
    "FORMAT",
    "KepGraph",
    "graph_to_instance",
    "read_graph",
    "read_instance",
    "write_kep",
]

FORMAT = "kep-common/1"
_MAX_DECIMALS = 9
_ALTRUIST_NAME = re.compile(r"alt(u|r)+ist", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class KepGraph:
    """A kidney-exchange graph as read from a file (vertex ids as in kep-common/1).

    ``arcs`` hold ``(source, target, weight)`` with ``target < n_pairs``; weights
    are the file's exact decimal values.
    """

    name: str
    n_pairs: int
    n_altruists: int
    arcs: tuple[tuple[int, int, Decimal], ...]
    source: str = ""
    notes: dict[str, Any] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.name, self.n_pairs, self.n_altruists, self.arcs))

    @property
    def n_arcs(self) -> int:
        """Number of arcs kept."""
        return len(self.arcs)

    @property
    def weight_scale(self) -> int:
        """Smallest power of ten that makes every weight an integer.

        Raises
        ------
        ValueError
            When a weight has more than 9 decimals.

        Examples
        --------
        >>> KepGraph("g", 2, 0, ((0, 1, Decimal("0.25")), (1, 0, Decimal("2")))).weight_scale
        100
        """
        decimals = 0
        for _, _, w in self.arcs:
            exponent = w.normalize().as_tuple().exponent
            assert isinstance(exponent, int)  # finite by construction
            decimals = max(decimals, -exponent)
        if decimals > _MAX_DECIMALS:
            raise ValueError(
                f"{self.name} : poids avec plus de {_MAX_DECIMALS} décimales, impossible de les garder exacts"
            )
        return int(10**decimals)


def read_graph(path: str | os.PathLike[str]) -> KepGraph:
    """Read a kidney-exchange file (kep-common/1 JSON, PrefLib ``.wmd``, kidney_solver ``.input[.gz]``).

    Parameters
    ----------
    path
        The file; the format is chosen from its name.

    Returns
    -------
    KepGraph
        Pairs first, then altruists; arcs into altruists, self-loops and duplicates dropped.

    Raises
    ------
    ValueError
        Unknown extension or malformed content (the message names the file).
    """
    p = os.fspath(path)
    low = p.lower()
    try:
        if low.endswith(".wmd"):
            return _read_wmd(p)
        if low.endswith((".input", ".input.gz")):
            return _read_input(p)
        if low.endswith((".json", ".json.gz")):
            with _open_text(p) as f:
                doc = json.load(f, parse_float=Decimal)
            return _read_common(p, doc)
    except (IndexError, KeyError, TypeError, InvalidOperation) as exc:
        raise ValueError(f"{p} : fichier mal formé ({type(exc).__name__}: {exc})") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p} : JSON invalide ({exc})") from exc
    raise ValueError(f"{p} : format inconnu (attendu .kep.json, .wmd, .input ou .input.gz)")


def graph_to_instance(graph: KepGraph, *, unit_weights: bool = False) -> Instance:
    """Turn a kidney-exchange graph into a housing-exchange :class:`Instance`.

    Points are ``weight * graph.weight_scale`` (or 1 per move with ``unit_weights``,
    i.e. the count of transplants).

    Examples
    --------
    >>> g = KepGraph("g", 2, 1, ((0, 1, Decimal(3)), (1, 0, Decimal(4)), (2, 0, Decimal(5))))
    >>> inst = graph_to_instance(g)
    >>> inst.households, inst.vacancies
    ({'P0': 'P0', 'P1': 'P1'}, ('A2',))
    >>> inst.moves[2]
    Move(household='P0', dwelling='A2', points=5)
    """
    scale = 1 if unit_weights else graph.weight_scale
    households = {f"P{i}": f"P{i}" for i in range(graph.n_pairs)}
    names = list(households) + [f"A{u}" for u in range(graph.n_pairs, graph.n_pairs + graph.n_altruists)]
    moves = tuple(
        Move(household=names[v], dwelling=names[u], points=1 if unit_weights else int(w * scale))
        for u, v, w in graph.arcs
    )
    return Instance(
        households=households, vacancies=tuple(names[graph.n_pairs :]), moves=moves, name=graph.name
    )


def read_instance(path: str | os.PathLike[str], *, unit_weights: bool = False) -> Instance:
    """Read a kidney-exchange file as an :class:`Instance` (:func:`read_graph` + :func:`graph_to_instance`).

    Raises
    ------
    ValueError
        Malformed file, or weights that cannot be kept exact.
    """
    return graph_to_instance(read_graph(path), unit_weights=unit_weights)


def write_kep(instance: Instance, path: str | os.PathLike[str], *, unit_weights: bool = False) -> None:
    """Write ``instance`` as kep-common/1 JSON (households become pairs in order, vacancies altruists).

    An arc ``[u, v, points]`` says household ``v`` may move into the dwelling of ``u``.
    With ``unit_weights`` every arc weighs 1 (for solvers that maximise the count of moves).

    Raises
    ------
    ValueError
        A move names a household or dwelling that the instance does not list.
    """
    index: dict[str, int] = {}
    owner: dict[str, int] = {}
    for i, (household, dwelling) in enumerate(instance.households.items()):
        index[household] = i
        owner[dwelling] = i
    n_pairs = len(instance.households)
    for k, vacancy in enumerate(instance.vacancies):
        owner[vacancy] = n_pairs + k
    arcs: list[tuple[int, int, int]] = []
    for move in instance.moves:
        if move.household not in index:
            raise ValueError(f"household {move.household!r}: not in the instance's households")
        if move.dwelling not in owner:
            raise ValueError(f"dwelling {move.dwelling!r}: neither a household's dwelling nor a vacancy")
        arcs.append((owner[move.dwelling], index[move.household], 1 if unit_weights else move.points))
    arcs.sort()
    doc = {
        "format": FORMAT,
        "name": instance.name or os.path.basename(os.fspath(path)),
        "source": "bourse-echange territory graph (matching.kep.write_kep)",
        "n_pairs": n_pairs,
        "n_altruists": len(instance.vacancies),
        "n_arcs": len(arcs),
        "notes": {"unit_weights": True} if unit_weights else {},
        "arcs": arcs,
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


# -- readers ------------------------------------------------------------------------------------


def _open_text(path: str) -> IO[str]:
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _basename(path: str) -> str:
    b = os.path.basename(path)
    for suffix in (".kep.json", ".json.gz", ".json", ".wmd", ".input.gz", ".input", ".gz"):
        if b.endswith(suffix):
            return b[: -len(suffix)]
    return b


def _finish(
    path: str,
    kinds: Sequence[str],
    raw_arcs: Iterable[tuple[int, int, Decimal]],
    source: str,
    notes: dict[str, Any] | None = None,
) -> KepGraph:
    """Renumber pairs first then altruists; drop arcs into altruists, self-loops, duplicates."""
    pairs = [i for i, k in enumerate(kinds) if k == "P"]
    alts = [i for i, k in enumerate(kinds) if k == "A"]
    new_id = {old: new for new, old in enumerate(pairs + alts)}
    dropped = {
        "dropped_arcs_into_altruists": 0,
        "dropped_self_loops": 0,
        "dropped_duplicate_arcs": 0,
        "dropped_out_of_range": 0,
    }
    n = len(kinds)
    best: dict[tuple[int, int], Decimal] = {}
    for u, v, w in raw_arcs:
        if not (0 <= u < n and 0 <= v < n):
            dropped["dropped_out_of_range"] += 1
        elif kinds[v] == "A":
            dropped["dropped_arcs_into_altruists"] += 1
        elif u == v:
            dropped["dropped_self_loops"] += 1
        else:
            key = (new_id[u], new_id[v])
            if key in best:
                dropped["dropped_duplicate_arcs"] += 1
                best[key] = max(best[key], w)
            else:
                best[key] = w
    arcs = tuple(sorted((s, t, w) for (s, t), w in best.items()))
    all_notes = dict(notes or {})
    all_notes.update({k: v for k, v in dropped.items() if v})
    return KepGraph(_basename(path), len(pairs), len(alts), arcs, source, all_notes)


def _kind_of(name: str) -> str:
    return "A" if _ALTRUIST_NAME.search(name) else "P"


def _edge(line: str, base: int) -> tuple[int, int, Decimal]:
    u, v, w = line.split(",")[:3]
    return int(u) - base, int(v) - base, Decimal(w.strip())


def _read_wmd(path: str) -> KepGraph:
    """PrefLib kidney ``.wmd``: 2022 layout (``#`` headers, 1-based) or old layout (``n,m``, 0-based)."""
    with _open_text(path) as f:
        lines = [ln.rstrip("\n") for ln in f]
    if not lines:
        raise ValueError(f"{path} : fichier vide")
    kinds: list[str] = []
    declared: int | None
    if lines[0].startswith("#"):
        n: int | None = None
        declared = None
        names: dict[int, str] = {}
        body: list[str] = []
        for ln in lines:
            if not ln.startswith("#"):
                if ln.strip():
                    body.append(ln)
            elif m := re.match(r"#\s*NUMBER ALTERNATIVES:\s*(\d+)", ln):
                n = int(m.group(1))
            elif m := re.match(r"#\s*NUMBER EDGES:\s*(\d+)", ln):
                declared = int(m.group(1))
            elif m := re.match(r"#\s*ALTERNATIVE NAME (\d+):\s*(.*)$", ln):
                names[int(m.group(1))] = m.group(2)
        if n is None:
            raise ValueError(f"{path} : en-tête « NUMBER ALTERNATIVES » absent")
        kinds = [_kind_of(names.get(i, "Pair")) for i in range(1, n + 1)]
        raw = [_edge(ln, 1) for ln in body]
    else:
        n_text, m_text = lines[0].split(",")[:2]
        n, declared = int(n_text), int(m_text)
        kinds = [_kind_of(ln) for ln in lines[1 : 1 + n]]
        body = [ln for ln in lines[1 + n :] if ln.strip()]
        raw = [_edge(ln, 0) for ln in body]
    notes = {"edge_count_mismatch": True} if declared is not None and declared != len(body) else {}
    return _finish(path, kinds, raw, f"PrefLib wmd: {os.path.basename(path)}", notes)


def _input_block(tokens: list[str], pos: int) -> tuple[int, int, list[tuple[int, int, Decimal]], int]:
    """One ``n m`` block of ``u v w`` lines ended by ``-1 -1 -1``; returns (n, m, arcs, next pos)."""
    n, m = int(tokens[pos]), int(tokens[pos + 1])
    pos += 2
    arcs: list[tuple[int, int, Decimal]] = []
    while pos + 2 < len(tokens):
        a, b, c = tokens[pos : pos + 3]
        pos += 3
        if a == "-1" and b == "-1":
            break
        arcs.append((int(a), int(b), Decimal(c)))
    return n, m, arcs, pos


def _read_input(path: str) -> KepGraph:
    """kidney_solver ``.input`` (optionally ``.gz``), plus the ``.ndds`` file beside it if any."""
    with _open_text(path) as f:
        tokens = f.read().split()
    stem = path[: -len(".gz")] if path.endswith(".gz") else path
    stem = stem[: -len(".input")]
    ndds_path = next((c for c in (stem + ".ndds", stem + ".ndds.gz") if os.path.exists(c)), None)
    if ndds_path:
        with _open_text(ndds_path) as f:
            tokens += f.read().split()
    n_pairs, m_pairs, pair_arcs, pos = _input_block(tokens, 0)
    n_ndds, ndd_arcs = 0, list[tuple[int, int, Decimal]]()
    if pos + 1 < len(tokens):
        n_ndds, _, ndd_arcs, _ = _input_block(tokens, pos)
    kinds = ["P"] * n_pairs + ["A"] * n_ndds
    raw = pair_arcs + [(n_pairs + u, v, w) for u, v, w in ndd_arcs]
    source = f"kidney_solver .input: {os.path.basename(path)}"
    if ndds_path:
        source += f" + {os.path.basename(ndds_path)}"
    notes = {"edge_count_mismatch": True} if m_pairs != len(pair_arcs) else {}
    return _finish(path, kinds, raw, source, notes)


def _read_common(path: str, doc: Any) -> KepGraph:
    """kep-common/1 JSON; checks vertex ranges (targets must be pairs)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{path} : pas un document {FORMAT} (clé « format »)")
    n_pairs, n_alts = int(doc["n_pairs"]), int(doc["n_altruists"])
    if n_pairs < 0 or n_alts < 0:
        raise ValueError(f"{path} : n_pairs et n_altruists doivent être >= 0")
    arcs: list[tuple[int, int, Decimal]] = []
    seen: set[tuple[int, int]] = set()
    for k, arc in enumerate(doc["arcs"]):
        s, t, w = arc
        s, t = int(s), int(t)
        if not (0 <= s < n_pairs + n_alts and 0 <= t < n_pairs) or s == t:
            raise ValueError(f"{path} : arcs[{k}] = {arc!r} hors bornes (la cible doit être une paire)")
        if (s, t) in seen:
            raise ValueError(f"{path} : arcs[{k}] = {arc!r} en double")
        seen.add((s, t))
        arcs.append((s, t, w if isinstance(w, Decimal) else Decimal(int(w))))
    notes = doc.get("notes") or {}
    return KepGraph(
        str(doc.get("name") or _basename(path)),
        n_pairs,
        n_alts,
        tuple(sorted(arcs)),
        str(doc.get("source", "")),
        dict(notes) if isinstance(notes, dict) else {},
    )
