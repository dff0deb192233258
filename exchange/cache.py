"""The one cache of the portal: per-territory data reused for a few seconds (mémoire de courte durée).

The offers page of a 20,000-dwelling territory must stay fast, and the statistics page asks for the
same figures as its charts: both reuse what was read a moment ago. Every entry belongs to one
territory; :meth:`TerritoryCache.invalidate` forgets a territory's entries, and every service that
writes territory data (the portal's, the import, the runs, the CLI's workflow commands) calls it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

__all__ = ["CACHE_SECONDS", "TerritoryCache", "territory_cache"]

CACHE_SECONDS = 30.0
"""How long an entry is reused before it is read again (another process's writes show by then)."""

_T = TypeVar("_T")


def _kind(key: Hashable) -> Hashable:
    """A key is a kind (``"snapshot"``) or a tuple that starts with its kind (``("stats", 2026)``)."""
    return key[0] if isinstance(key, tuple) and key else key


class TerritoryCache:
    """Values computed from a territory's data, by territory code and key, each kept ``ttl`` seconds.

    At most ``max_entries`` entries of one kind per territory (see :func:`_kind`).

    Thread-safe: one value is built at a time for a given (code, key), so concurrent pages do not
    all read the same territory at once.

    >>> cache = TerritoryCache(ttl=60.0)
    >>> cache.get("CACL", "answer", lambda: 42)
    42
    >>> cache.get("CACL", "answer", lambda: 0)  # reused
    42
    >>> cache.invalidate("CACL")
    >>> cache.get("CACL", "answer", lambda: 0)
    0
    """

    def __init__(
        self,
        ttl: float = CACHE_SECONDS,
        *,
        max_entries: int = 512,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl <= 0:
            raise ValueError(f"ttl must be positive: {ttl!r}")
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, dict[Hashable, tuple[float, Any]]] = {}
        self._lock = threading.Lock()
        self._building: dict[tuple[str, Hashable], threading.Lock] = {}
        self._generation: dict[str, int] = {}  # bumped by invalidate: a build begun before is not kept
        self._all_generation = 0

    def _fresh(self, code: str, key: Hashable) -> tuple[bool, Any]:
        hit = self._entries.get(code, {}).get(key)
        if hit is not None and self._clock() - hit[0] < self.ttl:
            return True, hit[1]
        return False, None

    def get(self, code: str, key: Hashable, build: Callable[[], _T]) -> _T:
        """The value of ``key`` for territory ``code``: reused while fresh, else ``build()`` and kept."""
        with self._lock:
            found, value = self._fresh(code, key)
            if found:
                return value  # type: ignore[no-any-return]
            building = self._building.setdefault((code, key), threading.Lock())
        with building:
            with self._lock:
                found, value = self._fresh(code, key)
                generation = self._generation_of(code)
            if found:
                return value  # type: ignore[no-any-return]
            built = build()
            with self._lock:
                if generation == self._generation_of(code):
                    entries = self._entries.setdefault(code, {})
                    self._trim(entries, _kind(key))
                    entries[key] = (self._clock(), built)
                self._building.pop((code, key), None)
            return built

    def _generation_of(self, code: str) -> tuple[int, int]:
        return self._all_generation, self._generation.get(code, 0)

    def _trim(self, entries: dict[Hashable, tuple[float, Any]], kind: Hashable) -> None:
        """Make room for one more entry of ``kind``: its stale entries go, then its oldest half if full.

        Only entries of the same kind compete, so the many per-household entries never push out the
        territory's own data.
        """
        same = [k for k in entries if _kind(k) == kind]
        if len(same) < self.max_entries:
            return
        now = self._clock()
        for key in [k for k in same if now - entries[k][0] >= self.ttl]:
            del entries[key]
        same = [k for k in same if k in entries]
        if len(same) >= self.max_entries:
            for key in sorted(same, key=lambda k: entries[k][0])[: len(same) // 2]:
                del entries[key]

    def peek(self, code: str, key: Hashable) -> Any | None:
        """The fresh value of ``key`` for ``code`` if there is one, without building it."""
        with self._lock:
            return self._fresh(code, key)[1]

    def codes(self) -> list[str]:
        """The territories that have entries (fresh or not)."""
        with self._lock:
            return [code for code, entries in self._entries.items() if entries]

    def invalidate(self, code: str | None = None) -> None:
        """Forget every entry of territory ``code``, or of every territory when ``code`` is None."""
        with self._lock:
            if code is None:
                self._entries.clear()
                self._all_generation += 1
            else:
                self._entries.pop(code, None)
                self._generation[code] = self._generation.get(code, 0) + 1


territory_cache = TerritoryCache()
"""The process's cache: the portal reads through it; writers call ``territory_cache.invalidate(code)``."""
