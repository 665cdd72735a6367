"""How to solve: time, workers, seed, language and progress reporting."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ortools.sat.python import cp_model

Progress = Callable[[int, int, str], None]


class Stopped(Exception):
    """The solve was stopped from outside (`Stop.request`) before it ended."""


class Stop:
    """Stops a solve from another thread, for a server shutting down: the CP-SAT search that is
    running ends at once (its own `stop_search`) and `solve` raises Stopped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._searches: set[cp_model.CpSolver] = set()
        self.requested = False

    def request(self) -> None:
        with self._lock:
            self.requested = True
            for search in self._searches:
                search.stop_search()

    def check(self) -> None:
        if self.requested:
            raise Stopped

    @contextmanager
    def watching(self, search: cp_model.CpSolver) -> Iterator[None]:
        """Around one `search.solve(...)`: a request while it runs stops it; Stopped after."""
        with self._lock:
            self.check()
            self._searches.add(search)
        try:
            yield
        finally:
            with self._lock:
                self._searches.discard(search)
        self.check()


@dataclass(frozen=True)
class SolveOptions:
    """`time_limit` in seconds for the whole solve (None: prove every stage), `language` of the
    explanation sentences ("da" or "en"), `progress(done_stages, total_stages, label)`, called
    when each stage starts and ends, and `stop` to end it early from another thread."""

    time_limit: float | None = None
    workers: int = 2
    seed: int = 0
    language: str = "da"
    progress: Progress | None = None
    stop: Stop | None = None
