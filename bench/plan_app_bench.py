"""From the click to the stored plan: the app's overhead around the solver.

Runs the real job path (poll.jobs.start_job + run_job: build the instance from the database,
solve, store the plan version) for the demo network and for a generated 150-member,
12-meeting network, and times the solver call inside it. Target (issue #4): the app's part
(everything but the solver) stays under 20 % of the solve time.

    .venv/bin/python bench/plan_app_bench.py [--runs 3]
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

import poll.jobs
from poll import create_app
from poll.db import db
from poll.demo import SEED
from poll.instance_import import import_instance

sys.path.insert(0, str(Path(__file__).resolve().parent))
from solver_bench import Size, generate

TARGET = 0.20
NETWORKS = {
    "demo (9 members, 3 meetings)": lambda: json.loads(SEED.read_text(encoding="utf-8")),
    "L (150 members, 12 meetings)": lambda: generate(Size("L", 150, 12, 5, 10)),
}


def measure(instance: dict, runs: int) -> tuple[float, float]:
    """Median seconds of the whole job and of the solver call inside it."""
    solver_seconds: list[float] = []
    real_solve = poll.jobs.solve

    def timed_solve(*args, **kwargs):
        start = time.perf_counter()
        try:
            return real_solve(*args, **kwargs)
        finally:
            solver_seconds.append(time.perf_counter() - start)

    poll.jobs.solve = timed_solve
    totals = []
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
                "TESTING": True,
                "SECRET_KEY": "bench",
            }
        )
        with app.app_context():
            upgrade()
            the_poll = import_instance(
                instance, slug="bench", name="Bench", coordinator_email="b@example.dk"
            )
            db.session.commit()
            for _ in range(runs):
                start = time.perf_counter()
                job, _new = poll.jobs.start_job(the_poll, None)
                job = poll.jobs.run_job(job.id)
                totals.append(time.perf_counter() - start)
                if job.plan_id is None:
                    raise SystemExit(f"no plan stored: {job.status} {job.message}")
            db.engine.dispose()
    poll.jobs.solve = real_solve
    return statistics.median(totals), statistics.median(solver_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = [(name, *measure(make(), args.runs)) for name, make in NETWORKS.items()]
    print(f"\nmedian of {args.runs} runs on SQLite, seconds")
    print(f"{'network':32}{'click→stored':>14}{'solver':>10}{'app':>10}{'app/solver':>12}")
    for name, total, solve in rows:
        app_part = total - solve
        ratio = app_part / solve
        verdict = "ok" if ratio <= TARGET else "MISSED"
        print(f"{name:32}{total:>14.3f}{solve:>10.3f}{app_part:>10.3f}{ratio:>11.0%}  {verdict}")


if __name__ == "__main__":
    main()
