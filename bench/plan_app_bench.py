"""From the click to the stored plan: the app's overhead around the solver.

Runs the real job path (poll.jobs.start_job + run_job: queue the job, build the instance from
the database, solve, store the plan version and end the job) for the demo network and for a
generated 150-member, 12-meeting network, on SQLite and on PostgreSQL when one answers. The
solver's part is the `solve()` call, less the time its progress callback spends writing the
job's progress, which is the app's. Target (issue #4): the app's part stays under 20 % of the
solver's.

    .venv/bin/python bench/plan_app_bench.py [--runs 7]
"""

import argparse
import dataclasses
import json
import statistics
import time

from engines import postgres_url, sqlite_url
from flask_migrate import upgrade
from solver_bench import Size, generate

import poll.jobs
from poll import create_app
from poll.db import db
from poll.demo import SEED
from poll.instance_import import import_instance
from poll.models import Poll, SolveJob

TARGET = 0.20
NETWORKS = {
    "demo (9 members, 3 meetings)": lambda: json.loads(SEED.read_text(encoding="utf-8")),
    "L (150 members, 12 meetings)": lambda: generate(Size("L", 150, 12, 5, 10)),
}


def measure(url: str, instance: dict, runs: int) -> tuple[float, float]:
    """Median seconds of the whole job and of the solver inside it."""
    solver_seconds: list[float] = []
    real_solve = poll.jobs.solve

    def timed_solve(instance, options):
        in_progress = 0.0

        def progress(*args):
            nonlocal in_progress
            start = time.perf_counter()
            options.progress(*args)
            in_progress += time.perf_counter() - start

        start = time.perf_counter()
        try:
            return real_solve(instance, dataclasses.replace(options, progress=progress))
        finally:
            solver_seconds.append(time.perf_counter() - start - in_progress)

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "bench"})
    totals = []
    poll.jobs.solve = timed_solve
    try:
        with app.app_context():
            upgrade()
            poll_id = import_instance(
                instance, slug="bench", name="Bench", coordinator_email="b@example.dk"
            ).id
            db.session.commit()
            for _ in range(runs):
                db.session.remove()  # a new request, which has loaded the poll, as the view does
                the_poll = db.session.get(Poll, poll_id)
                start = time.perf_counter()
                job_id, _new = poll.jobs.start_job(the_poll, None)
                poll.jobs.run_job(job_id)
                totals.append(time.perf_counter() - start)
                job = db.session.get(SolveJob, job_id)
                if job.plan_id is None:
                    raise SystemExit(f"no plan stored: {job.status} {job.message}")
            db.session.remove()
            db.engine.dispose()
    finally:
        poll.jobs.solve = real_solve
    return statistics.median(totals), statistics.median(solver_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rows = []
    for network, make in NETWORKS.items():
        instance = make()
        with sqlite_url() as url:
            rows.append((network, "SQLite", *measure(url, instance, args.runs)))
        with postgres_url() as url:
            if url:
                rows.append((network, "PostgreSQL", *measure(url, instance, args.runs)))
    print(f"\nmedian of {args.runs} runs, seconds; target: app / solver ≤ {TARGET:.0%}")
    print(
        f"{'network':32}{'engine':>12}{'click→stored':>14}{'solver':>10}{'app':>10}"
        f"{'app/solver':>12}"
    )
    for network, engine, total, solve in rows:
        app_part = total - solve
        ratio = app_part / solve
        verdict = "ok" if ratio <= TARGET else "MISSED"
        print(
            f"{network:32}{engine:>12}{total:>14.3f}{solve:>10.3f}{app_part:>10.3f}"
            f"{ratio:>11.0%}  {verdict}"
        )


if __name__ == "__main__":
    main()
