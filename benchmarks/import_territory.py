#!/usr/bin/env python3
"""Benchmark of ``exchange import``: a generated 50,000-dwelling territory into a fresh database.

Generates a synthetic territory (``fixtures.generate.generate_territory``), writes it as JSON, then
times, on a fresh SQLite file (and on a fresh PostgreSQL database with ``--postgresql URL``):

* ``validate``: the marshmallow schemas and the cross-reference checks;
* ``first import``: validation + every write, in one transaction, committed;
* ``re-import``: the same document again (the idempotent update path), committed;
* ``export``: the document read back.

* ``CLI import``: ``exchange init-db`` then ``exchange import --progress FILE`` in a subprocess, into
  another fresh database (the command a user runs, JSON parsing and the progress bar included;
  the bar is drawn on stderr while it runs).

It prints a markdown table of seconds. Target (issue 2): the first import under 60 s.

Usage::

    .venv/bin/python benchmarks/import_territory.py
    .venv/bin/python benchmarks/import_territory.py --dwellings 50000 \\
        --postgresql postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/ holds a script called matching.py: keep this folder off sys.path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@contextmanager
def _postgresql(server_url: str) -> Iterator[str]:
    server = make_url(server_url)
    name = f"exchange_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _run(label: str, url: str, path: Path) -> dict[str, Any]:
    # Imported here, once sys.path is set above: the packages of this repository, not this folder.
    from exchange.db import make_engine, upgrade_to_head
    from exchange.interchange import export_document, import_document
    from exchange.models import Dwelling, Household, HouseholdMember, Request

    engine = make_engine(url)
    upgrade_to_head(engine)

    def load_and_import() -> Any:
        doc = json.loads(path.read_text(encoding="utf-8"))
        with Session(engine) as session, session.begin():
            return import_document(session, doc)

    first, summary = _timed(load_and_import)
    again, _ = _timed(load_and_import)
    with Session(engine) as session:
        exported_s, exported = _timed(lambda: export_document(session, summary.territory))
        rows = {
            "dwellings": session.scalar(select(func.count()).select_from(Dwelling)),
            "households": session.scalar(select(func.count()).select_from(Household)),
            "members": session.scalar(select(func.count()).select_from(HouseholdMember)),
            "requests": session.scalar(select(func.count()).select_from(Request)),
        }
    engine.dispose()
    assert rows["dwellings"] == len(exported["dwellings"])
    return {"database": label, "first": first, "again": again, "export": exported_s, "rows": rows}


def _cli_import(url: str, path: Path) -> float:
    """Seconds of ``exchange import --progress`` (after ``exchange init-db``) into the empty ``url``."""
    exchange = str(Path(sys.executable).with_name("exchange"))
    env = {**os.environ, "EXCHANGE_DATABASE_URL": url}
    subprocess.run([exchange, "init-db"], env=env, check=True, stdout=subprocess.DEVNULL)
    start = time.perf_counter()
    subprocess.run([exchange, "import", "--progress", str(path)], env=env, check=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dwellings", type=int, default=50_000, help="size of the generated territory")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--postgresql", metavar="URL", help="also import into a fresh database on this server"
    )
    args = parser.parse_args(argv)

    from exchange.schemas import validate_territory_document
    from fixtures.generate import generate_territory

    generate_s, doc = _timed(lambda: generate_territory(args.seed, args.dwellings))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "territory.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        size_mb = path.stat().st_size / 1e6
        validate_s, _ = _timed(
            lambda: validate_territory_document(json.loads(path.read_text(encoding="utf-8")))
        )
        results = [_run("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", path)]
        results[-1]["cli"] = _cli_import(f"sqlite:///{Path(tmp) / 'cli.db'}", path)
        if args.postgresql:
            with _postgresql(args.postgresql) as url:
                results.append(_run("PostgreSQL", url, path))
            with _postgresql(args.postgresql) as url:
                results[-1]["cli"] = _cli_import(url, path)

    print(
        f"\nTerritory: {len(doc['dwellings'])} dwellings, {len(doc['households'])} households, "
        f"{len(doc['requests'])} requests, {len(doc['offers'])} offers, {len(doc['exclusions'])} exclusions "
        f"({size_mb:.1f} MB of JSON; generated in {generate_s:.1f} s,"
        f" validated alone in {validate_s:.1f} s)\n"
    )
    print(
        "| database | first import (s) | re-import (s) | export (s) | CLI import (s) |"
        " rows (dwellings / households / members) |"
    )
    print("|---|---:|---:|---:|---:|---|")
    for r in results:
        rows = r["rows"]
        print(
            f"| {r['database']} | {r['first']:.1f} | {r['again']:.1f} | {r['export']:.1f} | {r['cli']:.1f} | "
            f"{rows['dwellings']} / {rows['households']} / {rows['members']} |"
        )
    slowest = max(max(r["first"], r["cli"]) for r in results)
    # Other processes slow every figure down: the load average says how busy the machine was.
    print(f"\nCPUs: {os.cpu_count()}; load average (1, 5, 15 min) at the end: {os.getloadavg()}")
    print(
        f"\nTarget: first import < 60 s — {'met' if slowest < 60 else 'NOT met'} (slowest {slowest:.1f} s)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
