"""``python -m web`` (what ``make demo`` runs) serves the portal and speaks French only."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from exchange.db import init_db


def test_the_demo_server_serves_the_portal_in_french(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    init_db(url).dispose()
    env = {**os.environ, "EXCHANGE_DATABASE_URL": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "web", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert first.startswith("Portail servi sur http://127.0.0.1:"), first
        address = first.split()[3]
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{address}connexion", timeout=5) as page:
                    assert page.status == 200
                    assert "Connexion" in page.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        server.terminate()
        out, err = server.communicate(timeout=20)
    said = first + out + err
    for english in ("WARNING", "development server", "Serving", "Running on", "Press CTRL+C"):
        assert english not in said, said
