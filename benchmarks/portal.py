#!/usr/bin/env python3
"""Benchmark of the portal: the tenant's offers page of a 20,000-dwelling territory, 20 concurrent clients.

Steps:

1. generate a synthetic territory (``fixtures.generate.generate_territory``, as ``exchange generate
   --seed S --dwellings N``) and import it into a scratch database: a SQLite file by default, a fresh
   PostgreSQL database with ``--postgresql URL`` (dropped at the end);
2. create the demo accounts (``exchange demo-accounts``): the tenant is a household with an open request;
3. serve ``web.create_app()`` on that database in **separate processes** (so that the clients' threads do
   not share a GIL with the server): ``--workers`` processes (default 2, one per core of our 2-core
   machines, as ``gunicorn -w 2`` would be deployed) each running werkzeug's threaded WSGI server (one
   thread per connection, HTTP/1.1 keep-alive) on one listening socket of 127.0.0.1 that they share
   (pre-fork style: the kernel hands each connection to one of them); not in debug or testing mode.
   No new dependency: one threaded process is GIL-bound to one core whatever the server (waitress
   included), so the processes are what matters;
4. sign in as the tenant through ``/connexion`` (CSRF token and session cookie, as a browser does);
5. time one cold request of ``/locataire/offres`` (first page, default filters: it builds the territory
   snapshot), a warm-up, then ``--requests`` requests spread over ``--clients`` threads, each with its
   own keep-alive connection (``http.client``). Every answer must be a 200 holding the offers table.

It prints a markdown table: median, p90, p99 and max latency (ms), throughput (requests/s) and the CPU
time the server processes spent per request (Linux ``/proc``; the least noisy figure on a shared machine:
with one worker, the median is about ``clients x CPU per request`` once that core is saturated).
Target (issue 5): median < 100 ms at 20 concurrent clients.

Usage::

    .venv/bin/python benchmarks/portal.py
    .venv/bin/python benchmarks/portal.py --workers 1
    .venv/bin/python benchmarks/portal.py --dwellings 20000 --clients 20 --requests 2000 \\
        --postgresql postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/ holds a script called matching.py: keep this folder off sys.path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OFFERS = "/locataire/offres"


# Database ---------------------------------------------------------------------------------------


@contextmanager
def _postgresql(server_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

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


def _prepare_database(url: str, seed: int, dwellings: int) -> tuple[str, str, dict[str, Any]]:
    """Generate, import, create the demo accounts; return (tenant login, password, facts)."""
    from sqlalchemy.orm import Session

    from exchange import accounts
    from exchange.db import make_engine, upgrade_to_head
    from exchange.interchange import import_document
    from fixtures.generate import generate_territory

    facts: dict[str, Any] = {}
    start = time.perf_counter()
    doc = generate_territory(seed, dwellings)
    facts["generate_s"] = time.perf_counter() - start
    facts["sizes"] = {k: len(doc[k]) for k in ("dwellings", "households", "requests", "offers")}
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        start = time.perf_counter()
        with Session(engine) as session, session.begin():
            summary = import_document(session, json.loads(json.dumps(doc)))
        facts["import_s"] = time.perf_counter() - start
        with Session(engine) as session, session.begin():
            demo = accounts.demo_accounts(session, summary.territory)
    finally:
        engine.dispose()
    tenant = next(a for a in demo if a.role == "tenant")
    facts["tenant"] = tenant.description
    return tenant.login, tenant.password, facts


# Server (child process) -------------------------------------------------------------------------


def serve(url: str, fd: int) -> int:
    """Serve the portal on the listening socket ``fd`` (inherited) until stdin closes."""
    import logging

    from werkzeug.serving import make_server

    from web import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Every worker signs sessions with the same key (given by the parent), as a deployment would.
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": os.environ["BENCH_SECRET_KEY"],
            "COOKIE_SECURE": False,
            "LOGIN_RATE_LIMIT": "100/minute",
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True, fd=fd)  # the address comes from the socket
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()  # the parent closes our stdin to stop us
    server.shutdown()
    server.server_close()
    return 0


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (Linux /proc), in seconds."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat(5))
    return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def _server_processes(url: str, workers: int) -> Iterator[tuple[int, list[int]]]:
    """``workers`` server processes sharing one listening socket (pre-fork style); yield (port, pids)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    procs: list[subprocess.Popen[str]] = []
    env = {**os.environ, "BENCH_SECRET_KEY": uuid.uuid4().hex}
    try:
        for _ in range(workers):
            procs.append(
                subprocess.Popen(
                    [sys.executable, __file__, "--serve", url, "--fd", str(listener.fileno())],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    cwd=ROOT,
                    env=env,
                    pass_fds=(listener.fileno(),),
                )
            )
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"le serveur n'a pas démarré : {line!r}")
        yield listener.getsockname()[1], [p.pid for p in procs]
    finally:
        for proc in procs:
            if proc.stdin is not None:
                proc.stdin.close()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        listener.close()


# Clients ----------------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP connection with a cookie jar reduced to what the portal sets."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.port = port
        self.cookies = dict(cookies or {})
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def close(self) -> None:
        self.conn.close()

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, dict[str, str], bytes]:
        headers = {"User-Agent": "bench-portal/1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        return response.status, dict(response.headers), data


def _login(port: int, login: str, password: str) -> dict[str, str]:
    client = Client(port)
    try:
        status, _, page = client.request("GET", "/connexion")
        match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        if status != 200 or match is None:
            raise RuntimeError(f"page de connexion inattendue ({status})")
        form = urlencode({"csrf_token": match.group(1).decode(), "login": login, "password": password})
        status, headers, _ = client.request("POST", "/connexion", form)
        if status != 302 or "/connexion" in headers.get("Location", ""):
            raise RuntimeError(f"connexion refusée ({status})")
        return client.cookies
    finally:
        client.close()


def _check(status: int, page: bytes) -> None:
    if status != 200 or b"<tbody>" not in page:
        raise RuntimeError(f"réponse inattendue de {OFFERS} : {status}")


def _load(port: int, cookies: dict[str, str], clients: int, total: int) -> tuple[list[float], float]:
    """``total`` requests over ``clients`` threads; (latencies in seconds, wall time)."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(total))
    errors: list[BaseException] = []
    barrier = threading.Barrier(clients + 1)

    def worker() -> None:
        client = Client(port, cookies)
        mine: list[float] = []
        try:
            barrier.wait()
            while True:
                with lock:
                    if next(counter, None) is None:
                        break
                start = time.perf_counter()
                status, _, page = client.request("GET", OFFERS)
                mine.append(time.perf_counter() - start)
                _check(status, page)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            client.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) en erreur : {errors[0]!r}")
    return latencies, wall


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def _bench(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    login, password, facts = _prepare_database(url, args.seed, args.dwellings)
    with _server_processes(url, args.workers) as (port, pids):
        cookies = _login(port, login, password)
        first = Client(port, cookies)
        try:
            start = time.perf_counter()
            status, _, page = first.request("GET", OFFERS)
            cold = time.perf_counter() - start
            _check(status, page)
            shown = re.search(rb"(\d[\d\s\xc2\xa0\xe2\x80\xaf]*) logements? \xc2\xb7", page)
        finally:
            first.close()
        _load(port, cookies, args.clients, args.warmup)  # every worker builds its snapshot
        load_before = os.getloadavg()[0]
        cpu_before = _cpu_seconds(pids)
        latencies, wall = _load(port, cookies, args.clients, args.requests)
        server_cpu = _cpu_seconds(pids) - cpu_before
        load_after = os.getloadavg()[0]
    ms = [x * 1000 for x in latencies]
    return {
        "database": label,
        "facts": facts,
        "cold_ms": cold * 1000,
        "requests": len(ms),
        "median": statistics.median(ms),
        "p90": _percentile(ms, 90),
        "p99": _percentile(ms, 99),
        "max": max(ms),
        "throughput": len(ms) / wall,
        "cpu_ms": server_cpu * 1000 / len(ms),
        "load": (load_before, load_after),
        "page_bytes": len(page),
        "offers": shown.group(1).decode("utf-8", "replace").strip() if shown else "?",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dwellings", type=int, default=20_000, help="size of the generated territory")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (threads)")
    parser.add_argument("--requests", type=int, default=2000, help="timed requests, over all clients")
    parser.add_argument("--warmup", type=int, default=200, help="untimed requests after the cold one")
    parser.add_argument("--postgresql", metavar="URL", help="use a fresh database on this PostgreSQL server")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="server processes sharing the listening socket (each one threaded)",
    )
    parser.add_argument("--serve", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.serve, args.fd)

    with tempfile.TemporaryDirectory() as tmp:
        if args.postgresql:
            with _postgresql(args.postgresql) as url:
                result = _bench("PostgreSQL", url, args)
        else:
            result = _bench("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)

    facts = result["facts"]
    sizes = facts["sizes"]
    print(
        f"\nTerritory: {sizes['dwellings']} dwellings, {sizes['households']} households, "
        f"{sizes['requests']} requests, {sizes['offers']} offered vacancies (generated in "
        f"{facts['generate_s']:.1f} s, imported in {facts['import_s']:.1f} s). Tenant: {facts['tenant']}; "
        f"offers page: {result['offers']} dwellings listed, {result['page_bytes'] / 1000:.0f} kB per page.\n"
        f"Server: {args.workers} werkzeug threaded WSGI process(es) on one socket, 127.0.0.1; "
        f"{os.cpu_count()} CPU(s); load average {result['load'][0]:.1f} before the timed run, "
        f"{result['load'][1]:.1f} after.\n"
        f"Cold first request (builds the territory snapshot): {result['cold_ms']:.0f} ms.\n"
    )
    print(
        "| database | workers | clients | requests | median (ms) | p90 (ms) | p99 (ms) | max (ms) "
        "| throughput (req/s) | server CPU per request (ms) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {result['database']} | {args.workers} | {args.clients} | {result['requests']} | "
        f"{result['median']:.1f} | {result['p90']:.1f} | {result['p99']:.1f} | {result['max']:.1f} | "
        f"{result['throughput']:.1f} | {result['cpu_ms']:.2f} |"
    )
    met = result["median"] < 100
    print(f"\nTarget: median < 100 ms at {args.clients} clients — {'met' if met else 'NOT met'}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
