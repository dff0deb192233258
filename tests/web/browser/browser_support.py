"""Live server and browser helpers of the browser tests (see conftest.py)."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import portal_helpers
from sqlalchemy.orm import Session
from werkzeug.serving import WSGIRequestHandler

ROOT = Path(__file__).resolve().parents[3]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "tests" / "web" / "screenshots"
# The portal scenario's accounts, and H7's (a household of the scenario's own, see _document).
ACCOUNTS = [*portal_helpers.ACCOUNTS, ("h7", "tenant", {"household": "H7"})]
# Impacts that fail the accessibility check (axe-core's scale: minor, moderate, serious, critical).
BLOCKING_IMPACTS = ("serious", "critical")


def _document() -> dict[str, Any]:
    import portal_scenario as scenario

    doc = scenario.document()
    doc["dwellings"].append(
        {
            **doc["dwellings"][1],
            "ref": "D7",
            "bailleur": "ALPHA",
            "rooms": 3,
            "surface_m2": 70.0,
            "rent": 420.0,
        }
    )
    doc["households"].append({**doc["households"][1], "ref": "H7", "dwelling": "D7"})
    return doc


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def build_scenario_db(path: Path) -> Path:
    """Write the scenario database (territory, accounts, run) to the SQLite file ``path``."""
    from portal_helpers import PASSWORD, run_scenario
    from portal_scenario import write_document

    from exchange import accounts
    from exchange.db import make_engine
    from exchange.models import Base

    engine = make_engine(f"sqlite:///{path}")
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as session, session.begin():
            write_document(session, _document())
            for login, role, extra in ACCOUNTS:
                accounts.create_user(
                    session, login=login, password=PASSWORD, role=role, territory="TWEB", **extra
                )
        run_scenario(engine)
    finally:
        engine.dispose()
    return path


@contextmanager
def live_server(
    directory: Path, prepare: Callable[[Any], None] | None = None, template: Path | None = None
) -> Iterator[str]:
    """Serve a portal on a fresh scenario database; yield its base URL (``http://127.0.0.1:<port>``).

    The database is a copy of ``template`` (a :func:`build_scenario_db` file: building it hashes every
    password, so the tests build it once) or is built here. ``prepare`` gets a Flask test client (CSRF
    off) on the same database to bring it to a state before the server starts.
    """
    from werkzeug.serving import make_server

    from exchange import portal
    from exchange.db import make_engine
    from web import create_app

    db_path = directory / "portal.db"
    if template is not None:
        shutil.copyfile(template, db_path)
    else:
        build_scenario_db(db_path)
    url = f"sqlite:///{db_path}"
    engine = make_engine(url, connect_args={"check_same_thread": False})
    try:
        config = {
            "TESTING": True,
            "SECRET_KEY": "browser-tests",
            "ENGINE": engine,
            "DATABASE_URL": url,
            "LOGIN_RATE_LIMIT": "1000/minute",
        }
        portal.clear_cache()
        if prepare is not None:
            prepare(create_app({**config, "WTF_CSRF_ENABLED": False}).test_client())
            portal.clear_cache()
        app = create_app(config)
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, name="portal-live-server", daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
    finally:
        engine.dispose()


class Visitor:
    """One signed-in (or anonymous) browser context on a live server, with page checks."""

    def __init__(self, browser: Any, base_url: str, screenshots: Path, axe: str | None = None) -> None:
        self.base_url = base_url
        self.screenshots = screenshots
        self.axe = axe
        self.context = browser.new_context(
            base_url=base_url, locale="fr-FR", viewport={"width": 1280, "height": 900}
        )
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("response", self._on_response)

    def _on_console(self, message: Any) -> None:
        # Failed loads are reported by _on_response, with their address.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def _on_response(self, response: Any) -> None:
        # The portal has no favicon; browsers ask for one anyway.
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.console_errors.append(f"HTTP {response.status}: {response.url}")

    def close(self) -> None:
        self.context.close()

    def goto(self, path: str, status: int = 200) -> Any:
        response = self.page.goto(path)
        assert response is not None and response.status == status, (path, response and response.status)
        return response

    def login(self, name: str) -> None:
        from portal_helpers import PASSWORD

        self.goto("/connexion")
        self.page.get_by_label("Identifiant").fill(name)
        self.page.get_by_label("Mot de passe").fill(PASSWORD)
        self.follow(self.page.get_by_role("button", name="Se connecter"))
        assert "/connexion" not in self.page.url, self.page.inner_text("main")

    def follow(self, locator: Any) -> None:
        """Clicks a link or a submit button and waits for the new page to be loaded.

        A bare click returns once the navigation has started: the address may already be the new one
        while the document is still the old one, or half parsed, so checks right after it are racy.
        """
        with self.page.expect_navigation():
            locator.click()

    def logout(self) -> None:
        self.page.get_by_role("button", name="Se déconnecter").click()
        self.page.wait_for_url(re.compile(r".*/connexion$"))

    def screenshot(self, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def flash(self) -> str:
        return str(self.page.locator(".flashes").inner_text())

    def axe_violations(self) -> list[dict[str, Any]]:
        """axe-core's violations of the current page (WCAG 2.x A and AA rules and best practices)."""
        assert self.axe is not None
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            # Evaluated through the DevTools protocol: the portal's CSP (no inline script) stays on.
            self.page.evaluate(self.axe)
        result: dict[str, Any] = self.page.evaluate(
            """() => axe.run(document, {resultTypes: ['violations'],
                   runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa',
                                                    'best-practice']}})"""
        )
        return list(result["violations"])


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)
