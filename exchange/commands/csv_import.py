"""``exchange import-csv CODE``: dwellings (RPLS) and the demand register's CSV, through a mapping file."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from exchange import wording
from exchange.cache import territory_cache
from exchange.commands.territory import _PROGRESS_FROM, _Bar
from exchange.errors import ExchangeError, InvalidTerritory

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from exchange.interchange import ImportSummary, ProgressCallback

__all__ = ["import_csv_files", "register"]

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def register(group: click.Group) -> None:
    """Add ``import-csv`` to the ``exchange`` group."""
    group.add_command(import_csv_files)


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"{path} : lecture impossible ({exc.strerror})") from None


def _refused(what: str, exc: InvalidTerritory) -> click.ClickException:
    lines = exc.lines()
    for line in lines:
        click.echo(line, err=True)
    errors = wording.count(len(lines), "erreur", "erreurs")
    return click.ClickException(f"{what} : import refusé, {errors} ; rien n'a été écrit.")


@click.command("import-csv")
@click.argument("code", metavar="CODE")
@click.option("--dwellings", type=_FILE, help="Logements : extrait RPLS d'un bailleur (CSV).")
@click.option("--households", type=_FILE, help="Ménages : export CSV du fichier de la demande.")
@click.option(
    "--requests",
    type=_FILE,
    help="Demandes de mutation : export CSV du fichier de la demande (souvent le fichier de --households).",
)
@click.option(
    "--mapping",
    type=_FILE,
    required=True,
    help="Fichier de correspondance (JSON ou TOML) : colonne de chaque champ, valeurs locales, communes.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Barre de progression (par défaut : à partir de 5 000 lignes).",
)
def import_csv_files(
    code: str,
    dwellings: Path | None,
    households: Path | None,
    requests: Path | None,
    mapping: Path,
    progress: bool | None,
) -> None:
    """Importer des logements (RPLS) et des ménages et demandes (fichier de la demande) en CSV dans le
    territoire CODE : fusionnés par référence avec ses données, tout ou rien, erreurs par ligne et colonne."""
    from exchange.csv_import import CsvFile, import_csv
    from exchange.csv_mapping import parse_mapping
    from exchange.db import session_scope

    if dwellings is None and households is None and requests is None:
        raise click.UsageError("Indiquer au moins un fichier : --dwellings, --households ou --requests.")
    try:
        rules = parse_mapping(_read(mapping) or b"", mapping.name)
    except InvalidTerritory as exc:
        raise _refused(str(mapping), exc) from None
    parts = [
        None if p is None else CsvFile(p.name, _read(p) or b"") for p in (dwellings, households, requests)
    ]
    size = sum(f.data.count(b"\n") for f in parts if f is not None)

    def run(session: Session, bar: ProgressCallback | None = None) -> ImportSummary:
        return import_csv(
            session, code, rules, dwellings=parts[0], households=parts[1], requests=parts[2], progress=bar
        )

    show = progress if progress is not None else size >= _PROGRESS_FROM
    started = time.perf_counter()
    try:
        if show:
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=Console(stderr=True)) as bar, session_scope() as session:
                summary = run(session, _Bar(bar))
        else:
            with session_scope() as session:
                summary = run(session)
        territory_cache.invalidate(summary.territory)  # again once committed
    except InvalidTerritory as exc:
        raise _refused(code, exc) from None
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{summary.line()} ({time.perf_counter() - started:.1f} s)")
