"""``exchange generate``: write a synthetic territory document (demo and benchmark data).

The document follows FORMAT.md and comes from :func:`fixtures.generate.generate_territory`;
the same seed and size always give the same file.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

__all__ = ["generate", "register"]

# Below this size the generation takes well under a second: no progress bar.
_PROGRESS_FROM = 5000

_STEPS = {"logements": "Logements", "ménages": "Ménages", "demandes": "Demandes"}


def register(group: click.Group) -> None:
    """Add ``generate`` to the ``exchange`` group."""
    group.add_command(generate)


@click.command("generate")
@click.option("--seed", type=int, required=True, help="Graine : la même graine donne le même territoire.")
@click.option(
    "--dwellings",
    type=click.IntRange(min=10),
    required=True,
    help="Nombre de logements du territoire (au moins 10).",
)
@click.option(
    "--requests-share",
    type=click.FloatRange(min=0.0, max=1.0),
    default=0.35,
    show_default=True,
    help="Part des ménages ayant une demande de mutation ouverte.",
)
@click.option(
    "--shape",
    type=click.Choice(["littoral", "metropole"]),
    default="littoral",
    show_default=True,
    help="Forme du territoire : « littoral » (Centre Littoral, communes étendues) ou « metropole » "
    "(Métropole du Val : petites communes voisines, vœux locaux, graphe dense).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Fichier JSON à écrire (format d'échange bourse-echange/1).",
)
def generate(seed: int, dwellings: int, requests_share: float, shape: str, output: Path) -> None:
    """Générer un territoire fictif (données de démonstration, aucune personne réelle)."""
    from fixtures.generate import generate_territory

    console = Console(stderr=True)
    if dwellings >= _PROGRESS_FROM:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(_STEPS.get(step, step), total=total)
                bar.update(tasks[step], completed=done)

            document = generate_territory(
                seed, dwellings, requests_share=requests_share, progress=progress, shape=shape
            )
    else:
        document = generate_territory(seed, dwellings, requests_share=requests_share, shape=shape)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8") as f:
            json.dump(document, f, ensure_ascii=False)
            f.write("\n")
    except OSError as exc:
        raise click.ClickException(f"{output} : écriture impossible ({exc.strerror or exc})") from exc
    click.echo(
        f"Territoire {document['territory']['code']} ({document['territory']['name']}) : "
        f"{len(document['dwellings'])} logements, {len(document['households'])} ménages, "
        f"{len(document['requests'])} demandes, {len(document['offers'])} logements vacants proposés, "
        f"{len({s['commune'] for s in document['sectors']})} communes → {output}"
    )
