"""How to solve: time, workers, seed, language and progress reporting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class SolveOptions:
    """`time_limit` in seconds for the whole solve (None: prove every stage), `language` of the
    explanation sentences ("da" or "en"), and `progress(done_stages, total_stages, label)`,
    called when each stage starts and ends."""

    time_limit: float | None = None
    workers: int = 2
    seed: int = 0
    language: str = "da"
    progress: Progress | None = None
