"""A solve can be stopped from another thread (a server shutting down): it raises Stopped."""

from __future__ import annotations

import threading

import pytest
from solver_cases import example

from solver import SolveOptions, Stop, Stopped, solve


def test_a_stop_requested_before_the_solve_ends_it_at_once():
    stop = Stop()
    stop.request()
    with pytest.raises(Stopped):
        solve(example("seed-2013"), SolveOptions(stop=stop))


def test_a_stop_requested_while_solving_ends_the_search():
    stop = Stop()
    stages: list[int] = []

    def progress(done: int, total: int, label: str) -> None:
        stages.append(done)
        if done == 1:  # the attendance stage is over: stop while the next searches run
            threading.Thread(target=stop.request).start()

    outcome: list[BaseException | dict] = []

    def run() -> None:
        try:
            outcome.append(solve(example("region-40"), SolveOptions(stop=stop, progress=progress)))
        except Stopped as stopped:
            outcome.append(stopped)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert isinstance(outcome[0], Stopped)
    assert max(stages) < 6  # it did not go on to the last stage
