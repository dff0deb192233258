"""Browser tests: the portal served by a live werkzeug server, driven by Playwright in Debian's Chromium.

Playwright's own browser download fails on our machines, so the browser is the ``chromium`` binary of
the Debian package (``make browser`` installs it) passed as ``executable_path``. Accessibility rules come
from axe-core (``npm ci`` installs ``node_modules/axe-core``). Under CI (``CI=true``) a missing browser or
axe-core fails the tests; on a developer machine they are skipped with the same message.

Every server runs on a fresh SQLite file holding the portal scenario (tests/web/portal_scenario.py) plus
one household without a request (H7, account ``h7``), the scenario's run (portal_helpers.run_scenario),
and accounts ``h1``..``h7``, ``alpha``, ``beta``, ``admin``. CSRF protection stays on: the browser posts
the real forms.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import AXE_PATH, SCREENSHOTS, Visitor, build_scenario_db, live_server


def _unavailable(message: str) -> None:
    """Fail under CI, skip elsewhere: CI must never pass without having run the browser tests."""
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        _unavailable("Chromium introuvable : installez le paquet Debian « chromium » (`make browser`).")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_PATH.is_file():
        _unavailable(f"axe-core introuvable ({AXE_PATH}) : lancez `npm ci` (fait par `make test`).")
    return AXE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev dependency
        _unavailable("Le paquet Python playwright manque : `pip install -e '.[dev]'`.")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def scenario_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scenario database, built once per test process and copied for each live server."""
    return build_scenario_db(tmp_path_factory.mktemp("scenario") / "template.db")


@pytest.fixture
def serve(scenario_template: Path) -> Callable[..., Any]:
    """:func:`live_server` on a copy of the scenario template."""
    return functools.partial(live_server, template=scenario_template)


@pytest.fixture
def visitor_factory(browser: Any, screenshot_dir: Path) -> Iterator[Callable[..., Visitor]]:
    opened: list[Visitor] = []

    def make(base_url: str, axe: str | None = None) -> Visitor:
        visitor = Visitor(browser, base_url, screenshot_dir, axe)
        opened.append(visitor)
        return visitor

    yield make
    for visitor in opened:
        visitor.close()
