"""Errors of the matching core."""

from __future__ import annotations

__all__ = ["InvalidSolution", "MatchingError"]


class MatchingError(Exception):
    """Base of the matching core's errors."""


class InvalidSolution(MatchingError, ValueError):
    """A solution breaks the rules of its instance; ``problems`` lists each one in plain words."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))
