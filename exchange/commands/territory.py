"""``exchange init-db``, ``exchange import FILE`` and ``exchange export CODE -o FILE``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from exchange import glossary, wording
from exchange.cache import territory_cache
from exchange.errors import ExchangeError, InvalidTerritory

__all__ = ["export_territory", "import_territory", "init_db", "register"]

# Below this many dwellings an import takes well under a second: no progress bar.
_PROGRESS_FROM = 5000


def _section_label(section: str) -> str:
    return glossary.heading(glossary.IMPORT_SECTIONS.get(section, section))


def register(group: click.Group) -> None:
    """Add ``init-db``, ``import`` and ``export`` to the ``exchange`` group."""
    group.add_command(init_db)
    group.add_command(import_territory)
    group.add_command(export_territory)


def _url_label(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.command("init-db")
def init_db() -> None:
    """Créer la base de données ou la mettre à jour (migrations Alembic jusqu'à la dernière)."""
    from exchange import db

    url = db.database_url()
    db.init_db(url)
    click.echo(f"Base de données à jour : {_url_label(url)}")


def _read(path: Path) -> Any:
    """The JSON of ``path``; unreadable, not JSON or nested too deep: one French line, exit 1."""
    from exchange.interchange import parse_document

    try:
        return parse_document(path.read_bytes())
    except OSError as exc:
        raise click.ClickException(f"{path} : lecture impossible ({exc.strerror})") from None
    except InvalidTerritory as exc:
        problems = " ".join(message for messages in exc.messages.values() for message in messages)
        raise click.ClickException(f"{path} : {problems}") from None


class _Bar:
    """A rich progress bar with one task per section of the document."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, section: str, done: int, total: int) -> None:
        if section == "validation":  # one step of unknown length: a pulsing bar, then complete
            if section not in self.tasks:
                self.tasks[section] = self.progress.add_task(_section_label(section), total=None)
            if done:
                self.progress.update(self.tasks[section], total=1, completed=1)
            return
        if section not in self.tasks:
            self.tasks[section] = self.progress.add_task(_section_label(section), total=max(total, 1))
        self.progress.update(self.tasks[section], completed=done if total else 1, total=max(total, 1))


@click.command("import")
@click.argument("file", metavar="FICHIER", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Barre de progression (par défaut : à partir de 5 000 logements).",
)
def import_territory(file: Path, progress: bool | None) -> None:
    """Importer un document territoire JSON (FORMAT.md) : tout ou rien, dans une seule transaction."""
    from exchange.db import session_scope
    from exchange.interchange import import_document

    doc = _read(file)
    size = (
        len(doc.get("dwellings", ()))
        if isinstance(doc, dict) and isinstance(doc.get("dwellings"), list)
        else 0
    )
    show = progress if progress is not None else size >= _PROGRESS_FROM
    started = time.perf_counter()
    try:
        if show:
            console = Console(stderr=True)
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console) as bar, session_scope() as session:
                summary = import_document(session, doc, progress=_Bar(bar))
        else:
            with session_scope() as session:
                summary = import_document(session, doc)
        territory_cache.invalidate(summary.territory)  # again once committed (the import cleared it too)
    except InvalidTerritory as exc:
        lines = exc.lines()
        for line in lines:
            click.echo(line, err=True)
        errors = wording.count(len(lines), "erreur", "erreurs")
        raise click.ClickException(f"{file} : document refusé, {errors} ; rien n'a été écrit.") from None
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{summary.line()} ({time.perf_counter() - started:.1f} s)")


@click.command("export")
@click.argument("code", metavar="CODE")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Fichier JSON à écrire (« - » pour la sortie standard).",
)
def export_territory(code: str, output: Path) -> None:
    """Exporter un territoire au format d'échange (FORMAT.md) ; le fichier se réimporte à l'identique."""
    from sqlalchemy.orm import Session

    from exchange.db import get_engine
    from exchange.interchange import export_document

    try:
        with Session(get_engine()) as session:
            doc = export_document(session, code)
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    if str(output) == "-":
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(
        f"Territoire {code} exporté dans {output} : "
        f"{wording.count(len(doc['dwellings']), 'logement', 'logements')}, "
        f"{wording.count(len(doc['households']), 'ménage', 'ménages')}, "
        f"{wording.count(len(doc['requests']), 'demande', 'demandes')}."
    )
