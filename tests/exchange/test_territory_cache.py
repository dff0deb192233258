"""The portal's one cache (exchange.cache): reuse, expiry, invalidation, and who clears it."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import workflow_scenario as scenario
from click.testing import CliRunner
from sqlalchemy import update

from exchange.cache import TerritoryCache, territory_cache
from exchange.cli import cli
from exchange.models import Landlord
from exchange.portal import reading


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _empty_cache():
    territory_cache.invalidate()
    yield
    territory_cache.invalidate()


def test_a_value_is_reused_while_fresh_then_built_again():
    clock = _Clock()
    cache = TerritoryCache(ttl=30.0, clock=clock)
    builds = iter([1, 2])
    assert cache.get("T1", "snapshot", lambda: next(builds)) == 1
    clock.now += 29.0
    assert cache.get("T1", "snapshot", lambda: next(builds)) == 1
    clock.now += 1.0
    assert cache.get("T1", "snapshot", lambda: next(builds)) == 2


def test_invalidate_forgets_one_territory_or_all():
    cache = TerritoryCache()
    cache.get("T1", "snapshot", lambda: "one")
    cache.get("T1", ("stats", 2026), lambda: "figures")
    cache.get("T2", "snapshot", lambda: "two")
    cache.invalidate("T1")
    assert cache.peek("T1", "snapshot") is None
    assert cache.peek("T1", ("stats", 2026)) is None
    assert cache.peek("T2", "snapshot") == "two"
    cache.invalidate()
    assert cache.peek("T2", "snapshot") is None
    assert cache.codes() == []


def test_a_value_built_across_an_invalidation_is_not_kept():
    cache = TerritoryCache()

    def build() -> str:
        cache.invalidate("T1")  # a write lands while the old data is being read
        return "stale"

    assert cache.get("T1", "snapshot", build) == "stale"
    assert cache.peek("T1", "snapshot") is None


def test_many_entries_of_one_kind_never_push_out_another_kind():
    cache = TerritoryCache(max_entries=4)
    cache.get("T1", "snapshot", lambda: "kept")
    for household in range(10):
        cache.get("T1", ("compatible", household), lambda h=household: h)
    assert cache.peek("T1", "snapshot") == "kept"
    assert sum(cache.peek("T1", ("compatible", h)) is not None for h in range(10)) <= 4
    assert cache.peek("T1", ("compatible", 9)) == 9  # the newest stays


def test_one_build_at_a_time_for_one_key():
    cache = TerritoryCache()
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        started.set()
        release.wait(5)
        return len(calls)

    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(cache.get("T1", "snapshot", slow)))
    first.start()
    started.wait(5)
    second = threading.Thread(target=lambda: results.append(cache.get("T1", "snapshot", slow)))
    second.start()
    release.set()
    first.join(5)
    second.join(5)
    assert results == [1, 1]
    assert len(calls) == 1


@pytest.mark.parametrize("ttl", [0.0, -1.0])
def test_a_cache_needs_a_positive_lifetime(ttl):
    with pytest.raises(ValueError, match="ttl"):
        TerritoryCache(ttl=ttl)


def test_the_portal_snapshot_is_reused_until_a_write_clears_it(session):
    territory = scenario.load(session)
    before = reading.snapshot(session, territory.code)
    session.execute(update(Landlord).where(Landlord.code == "BETA").values(name="Beta Renommé"))
    assert reading.snapshot(session, territory.code) is before  # read a moment ago: reused
    assert before.landlord_names["BETA"] == "Beta Logement"
    scenario.load(session)  # the import service clears the territory's entries
    assert reading.snapshot(session, territory.code).landlord_names["BETA"] == "Beta Logement"
    session.execute(update(Landlord).where(Landlord.code == "BETA").values(name="Beta Renommé"))
    reading.clear_cache(territory.code)
    assert reading.snapshot(session, territory.code).landlord_names["BETA"] == "Beta Renommé"


def test_the_command_line_writes_clear_the_cache(fresh_db_url: str, tmp_path: Path):
    document = tmp_path / "territoire.json"
    document.write_text(json.dumps(scenario.document("TCC")), encoding="utf-8")

    def invoke(*args: str) -> None:
        result = CliRunner().invoke(cli, list(args))
        assert result.exit_code == 0, (args, result.output, result.exception)

    for command in (
        ("import", str(document)),
        ("delays", "TCC", "--answer-days", "12"),
        ("run", "TCC", "--as-of", scenario.AS_OF, "--time-limit", "10"),
    ):
        territory_cache.get("TCC", "snapshot", lambda: "read before the write")
        invoke(*command)
        assert territory_cache.peek("TCC", "snapshot") is None, command
