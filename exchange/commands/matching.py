"""Matching commands: ``exchange match`` (territory document → proposals) and ``exchange solve-graph``.

``match`` reads a territory interchange document (FORMAT.md) directly, without the
database, and writes the proposals document. ``solve-graph`` solves a plain
kidney-exchange instance (kep-common/1, PrefLib ``.wmd``, kidney_solver ``.input``)
and prints one JSON line, for benchmarks against other solvers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

import matching
from exchange.proposals import proposals_document, summary_line
from matching.config import RANGES, PolicyConfig
from matching.kep import graph_to_instance, read_graph
from matching.types import Instance, Solution, SolveParams

__all__ = ["match", "register", "solve_graph", "solve_graph_result"]

T = TypeVar("T")


def register(group: click.Group) -> None:
    """Add ``match`` and ``solve-graph`` to the ``exchange`` group."""
    group.add_command(match)
    group.add_command(solve_graph)


@contextmanager
def _step(console: Console, label: str) -> Iterator[None]:
    """Show a spinner on stderr while a long step runs (nothing when stderr is not a terminal)."""
    if not console.is_terminal:  # no spinner machinery at all: solve-graph's "seconds" stay the solve's
        yield
        return
    with console.status(label, spinner="dots"):
        yield


def _solve(instance: Instance, params: SolveParams) -> Solution:
    try:
        return matching.solve(instance, params)
    except ValueError as exc:
        raise click.ClickException(f"résolution impossible : {exc}") from exc


def _params(max_cycle: int, max_chain: int, time_limit: float, seed: int, workers: int) -> SolveParams:
    try:
        return SolveParams(
            max_cycle=max_cycle, max_chain=max_chain, time_limit_s=time_limit, seed=seed, workers=workers
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _common_options(default_chain: int) -> Callable[[Callable[..., T]], Callable[..., T]]:
    def decorate(f: Callable[..., T]) -> Callable[..., T]:
        options = [
            click.option(
                "--max-cycle",
                type=click.IntRange(*RANGES["max_cycle"]),
                default=3,
                show_default=True,
                help="Nombre maximal de ménages dans un échange (cycle), de 2 à 5.",
            ),
            click.option(
                "--max-chain",
                type=click.IntRange(*RANGES["max_chain"]),
                default=default_chain,
                show_default=True,
                help="Nombre maximal de mouvements dans une chaîne de vacance, de 0 à 6.",
            ),
            click.option(
                "--time-limit",
                type=click.FloatRange(min=0, min_open=True),
                default=600.0,
                show_default=True,
                help="Temps maximal de résolution, en secondes.",
            ),
            click.option(
                "--seed",
                type=int,
                default=0,
                show_default=True,
                help="Graine : même graine, même résultat (avec --workers 1, limite de temps non atteinte).",
            ),
            click.option(
                "--workers",
                type=click.IntRange(min=1),
                default=2,
                show_default=True,
                help=(
                    "Cœurs de calcul. Avec 2 ou plus, les gros programmes en nombres entiers sont "
                    "résolus à la fois par CBC et HiGHS ; le premier qui conclut l'emporte, et les "
                    "propositions peuvent alors varier d'une exécution à l'autre."
                ),
            ),
        ]
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


# -- solve-graph --------------------------------------------------------------------------------


def _in_file_units(value: float, scale: int) -> int | float:
    if scale == 1:
        return int(value) if float(value).is_integer() else value
    return float(Decimal(repr(value)) / scale)


def solve_graph_result(
    path: str | Path, params: SolveParams, *, unit_weights: bool = False, console: Console | None = None
) -> dict[str, Any]:
    """Read and solve one kidney-exchange file; the dict that ``solve-graph`` prints.

    ``objective`` and ``bound`` are in the file's weight units (real weights are solved
    exactly as integers scaled by ``weight_scale``); ``moves`` counts the households
    that move (transplants); ``seconds`` is the solve time, ``read_seconds`` the parsing.
    """
    console = console or Console(stderr=True)
    t0 = time.perf_counter()
    with _step(console, "Lecture de l'instance…"):
        graph = read_graph(path)
        instance = graph_to_instance(graph, unit_weights=unit_weights)
    read_seconds = time.perf_counter() - t0
    scale = 1 if unit_weights else graph.weight_scale
    t1 = time.perf_counter()
    with _step(console, f"Résolution ({graph.n_pairs} paires, {graph.n_arcs} arcs)…"):
        solution = _solve(instance, params)
    seconds = time.perf_counter() - t1
    cycles = [p for p in solution.proposals if p.kind == "cycle"]
    chains = [p for p in solution.proposals if p.kind == "chain"]
    return {
        "instance": str(path),
        "solver": "bourse-echange",
        "objective": _in_file_units(solution.objective, scale),
        "bound": _in_file_units(solution.bound, scale),
        "status": solution.status,
        "gap": round(solution.gap, 6),
        "seconds": round(seconds, 4),
        "read_seconds": round(read_seconds, 4),
        "cycles": len(cycles),
        "chains": len(chains),
        "moves": sum(len(p.moves) for p in solution.proposals),
        "n_pairs": graph.n_pairs,
        "n_altruists": graph.n_altruists,
        "n_arcs": graph.n_arcs,
        "max_cycle": params.max_cycle,
        "max_chain": params.max_chain,
        "unit_weights": unit_weights,
        "weight_scale": scale,
        "timings": {k: round(v, 4) for k, v in solution.timings.items()},
    }


@click.command("solve-graph")
@click.argument("file", metavar="FICHIER", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_common_options(default_chain=2)
@click.option(
    "--unit-weights",
    is_flag=True,
    help="Chaque mouvement vaut 1 (maximise le nombre de mouvements, comme kep_solver).",
)
def solve_graph(
    file: Path, max_cycle: int, max_chain: int, time_limit: float, seed: int, workers: int, unit_weights: bool
) -> None:
    """Résout une instance d'échange de reins (kep-common/1, PrefLib .wmd, .input) et affiche une ligne JSON.

    La chaîne compte des mouvements : --max-chain 2 correspond au plafond 3 de kep_solver.
    """
    params = _params(max_cycle, max_chain, time_limit, seed, workers)
    try:
        result = solve_graph_result(file, params, unit_weights=unit_weights)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(result, ensure_ascii=False))


# -- match --------------------------------------------------------------------------------------


def _load_territory(path: Path) -> tuple[matching.Territory, PolicyConfig]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path} : lecture impossible ({exc})") from exc
    from exchange.errors import InvalidTerritory
    from exchange.loading import read_document

    try:
        return read_document(doc)  # the territory and its policy (job distance, territory.policy)
    except InvalidTerritory as exc:
        raise click.ClickException(
            f"{path} : document invalide, rien n'a été calculé\n" + "\n".join(exc.lines())
        ) from exc


@click.command("match")
@click.argument(
    "territory_file", metavar="TERRITOIRE.json", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@_common_options(default_chain=3)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Fichier des propositions (JSON) ; sinon sortie standard.",
)
@click.option(
    "--objective",
    type=click.Choice(["points", "expected"]),
    default="points",
    show_default=True,
    help=(
        "Ce que le calcul maximise : les points des propositions (points), ou l'espérance des points "
        "des mouvements menés à bien (expected), selon la chance estimée de chaque mouvement "
        "(sans historique, celle du modèle a priori)."
    ),
)
def match(
    territory_file: Path,
    max_cycle: int,
    max_chain: int,
    time_limit: float,
    seed: int,
    workers: int,
    output: Path | None,
    objective: str,
) -> None:
    """Calcule les propositions d'un document de territoire (sans base de données)."""
    from dataclasses import replace

    from matching.graph import build_instance

    params = replace(_params(max_cycle, max_chain, time_limit, seed, workers), objective=objective)  # type: ignore[arg-type]
    console = Console(stderr=True)
    t0 = time.perf_counter()
    with _step(console, "Lecture et validation du territoire…"):
        territory, config = _load_territory(territory_file)
    with _step(console, f"Graphe de compatibilité ({len(territory.requests)} demandes)…"):
        instance = build_instance(territory, config)
    if objective == "expected":  # a document has no history of answers: the model's prior
        from exchange.acceptance import fit_model
        from exchange.chances import features_of

        pairs = [(m.household, m.dwelling) for m in instance.moves]
        instance = replace(instance, chances=fit_model([]).chances(features_of(territory, config, {}, pairs)))
    with _step(console, f"Résolution ({len(instance.moves)} mouvements possibles)…"):
        solution = _solve(instance, params)
    document = proposals_document(
        instance,
        solution,
        as_of=territory.as_of,
        max_cycle=max_cycle,
        max_chain=max_chain,
        objective=objective,
    )
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    line = summary_line(document, status=solution.status, seconds=time.perf_counter() - t0)
    click.echo(f"{line} → {output}", err=True)
