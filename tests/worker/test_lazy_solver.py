"""The web app imports the solver (OR-Tools, and with it pandas and numpy: ~66 MiB and ~1 s)
only in a process that runs a solve, and the migrations (Flask-Migrate, Alembic: ~11 MiB) only
in one that migrates: not when it starts, nor when it serves pages. `flask db` still works."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from poll import create_app
from poll.db import db
from poll.models import Poll
from tests.factories import log_in, make_network
from tests.html_forms import form_fields
from werkzeug.datastructures import MultiDict
from tests.planning.test_plan_page import answer_all

app = create_app({
    "TESTING": True, "SECRET_KEY": "s", "SQLALCHEMY_DATABASE_URI": sys.argv[1],
    "WORKERS": sys.argv[2], "WTF_CSRF_ENABLED": False,
})
assert "ortools" not in sys.modules and "solver" not in sys.modules, "at create_app"
assert "flask_migrate" not in sys.modules and "alembic" not in sys.modules, "at create_app"
from flask_migrate import upgrade
with app.app_context():
    upgrade()
    fx = make_network(("sara", "henrik", "maria", "berit", "kis"))
    answer_all(db.session.get(Poll, fx.poll_id))
client = app.test_client()
log_in(client, fx)
pages = [
    f"/m/{fx.tokens['henrik']}/2027",
    "/tovholder/",
    "/tovholder/plan/2027",
    "/tovholder/plan/2027/job.json",
    "/tovholder/plan/2027/instance.json",
    "/tovholder/beskeder",
]
for page in pages:
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
member_page = client.get(f"/m/{fx.tokens['henrik']}/2027").get_data(as_text=True)
saved = client.post(f"/m/{fx.tokens['henrik']}/2027", data=MultiDict(form_fields(member_page)))
assert saved.status_code == 303, saved.status_code
if sys.argv[2] == "external":
    assert client.post("/tovholder/plan/2027/solve").status_code == 303
    assert client.get("/tovholder/plan/2027").status_code == 200
heavy = ("ortools", "solver", "pandas")
loaded = sorted(name for name in sys.modules if name.split(".")[0] in heavy)
print(len(pages), "pages;", "loaded:", loaded)
"""


def run(tmp_path, workers: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, f"sqlite:///{tmp_path / 'lazy.sqlite3'}", workers],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_starting_the_app_and_serving_pages_does_not_import_the_solver(tmp_path):
    assert run(tmp_path, "external").strip() == "6 pages; loaded: []"


def test_an_app_that_solves_inline_imports_the_solver_when_it_solves(tmp_path):
    """The check above would pass if the solver could not be imported at all: here the same
    process solves, and the solver is then loaded."""
    script_end = "\nassert client.post('/tovholder/plan/2027/solve').status_code == 303\n"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT
            + script_end
            + "from tests.planning.test_plan_page import wait_for_job\n"
            + "assert wait_for_job(client)['status'] == 'done'\n"
            + "assert 'ortools' in sys.modules and 'solver' in sys.modules\n",
            f"sqlite:///{tmp_path / 'inline.sqlite3'}",
            "inline",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "6 pages; loaded: []" in done.stdout


def test_flask_db_upgrade_and_current_still_work(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "MODEPLAN_SECRET_KEY": TEST_SECRET,
    }

    def flask(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "poll", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert "upgrade" in flask("db", "--help").stdout
    upgraded = flask("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    # The newest revision, whichever it is: each new migration would otherwise edit this test.
    heads = flask("db", "heads")
    assert heads.returncode == 0 and heads.stdout.count("(head)") == 1, heads.stdout
    head = heads.stdout.split()[0]
    assert f"-> {head}, " in upgraded.stderr
    current = flask("db", "current")
    assert current.returncode == 0 and f"{head} (head)" in current.stdout
