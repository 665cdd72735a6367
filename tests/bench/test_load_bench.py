"""bench/load_bench.py runs end to end (PostgreSQL, gunicorn, concurrent members) and its check
of the saves finds a write the database does not hold. Correctness only: its speed is what
the benchmark prints, never asserted here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import _postgres_reason, fresh_postgres_database

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "load_bench.py"
ROW = re.compile(r"^(save|page) +(\d+) +(\d+) .* (\d+)  ", re.MULTILINE)


def _need_postgres() -> None:
    reason = _postgres_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests may not skip)")
        pytest.skip(reason)


def _bench(*flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH), *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_load_bench_prints_its_table_and_every_save_is_stored():
    _need_postgres()
    run = _bench("--seconds", "1", "--levels", "1,2")
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "load average at start:" in out and "load average at end:" in out
    assert re.search(r"^scenario +clients +requests +KB +p50 ms +p95 ms +req/s +app CPU", out, re.M)
    rows = [(m[1], int(m[2]), int(m[3]), int(m[4])) for m in ROW.finditer(out)]
    assert [(scenario, level) for scenario, level, _n, _e in rows] == [
        ("save", 1),
        ("save", 2),
        ("page", 1),
        ("page", 2),
    ]
    assert all(requests > 0 and errors == 0 for _s, _l, requests, errors in rows), out
    saves = sum(requests for scenario, _l, requests, _e in rows if scenario == "save")
    assert (
        f"OK: the database holds the last acknowledged answers and comment of each of the 2"
        f" members who saved ({saves} saves)"
    ) in out
    assert "LOST" not in out


@pytest.mark.parametrize(
    "flags, named",
    [
        (["--seconds", "0"], "--seconds"),
        (["--seconds", "soon"], "--seconds"),
        (["--levels", "1,0"], "--levels"),
        (["--levels", "61"], "--levels"),
        (["--levels", ""], "--levels"),
        (["--scenario", "save,login"], "--scenario"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(flags, named):
    run = _bench(*flags)
    assert run.returncode == 2
    assert f"argument {named}:" in run.stderr and "Traceback" not in run.stderr
    assert run.stdout == ""  # nothing started


def test_the_check_reports_a_save_the_database_does_not_hold():
    _need_postgres()
    sys.path.insert(0, str(ROOT / "bench"))
    import load_bench

    with fresh_postgres_database("modeplan_load_bench") as url:
        poll = load_bench.fill(url, "a-secret-for-the-load-bench-check-0123")
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            days = conn.execute(sa.text("SELECT id FROM candidate_days")).scalars().all()
            venues = conn.execute(sa.text("SELECT id FROM venues")).scalars().all()
        engine.dispose()
        # Every cell "yes": the seeded answers are random, so the database holds another state.
        claimed = {f"a-{d}-{v}": "yes" for d in days for v in venues} | {"comment": "Bench"}
        mismatches = load_bench.check_writes(poll, {poll.tokens[3]: [claimed]})
    assert len(mismatches) == 1
    assert mismatches[0].startswith("member 3: ")
    assert "answers differ from the last acknowledged save" in mismatches[0]
