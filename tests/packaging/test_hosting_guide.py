"""docs/hosting.md, followed as written: its blocks marked "tested" run with bash against a
scratch database, with the guide's system folders mapped to temporary ones, and its systemd
units pass `systemd-analyze verify`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from poll import create_app
from poll.members import personal_token
from poll.models import Member
from tests.conftest import POSTGRES_ADMIN_URL, _postgres_reason, fresh_postgres_database

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs/hosting.md"
BIN = Path(sys.executable).parent
TESTED = re.compile(r"<!-- tested: ([\w-]+) -->\n```sh\n(.*?)```", re.S)
UNIT = re.compile(r"```ini\n# /etc/systemd/system/(\S+)\n(.*?)```", re.S)
CSRF = re.compile(r'(name="csrf_token" value|name="csrf-token" content)="[^"]*"')
SECRET = "hosting-guide-test-secret-key-0123456789abcdef"


def guide_blocks() -> dict[str, str]:
    return dict(TESTED.findall(GUIDE.read_text(encoding="utf-8")))


class Host:
    """The guide's folders under a temporary root, and bash to run its blocks there."""

    def __init__(self, root: Path, database_url: str) -> None:
        self.etc, self.backups, self.lib = root / "etc", root / "backups", root / "lib"
        for folder in (self.etc, self.backups, self.lib):
            folder.mkdir()
        self.database_url = database_url
        self.env_file = self.etc / "modeplan.env"
        self.env_file.write_text(
            f"DATABASE_URL={database_url}\nMODEPLAN_SECRET_KEY={SECRET}\n", encoding="utf-8"
        )

    def run(self, name: str, backup_day: str | None = None) -> str:
        script = guide_blocks()[name]
        for path, folder in (
            ("/etc/modeplan", self.etc),
            ("/var/backups/modeplan", self.backups),
            ("/var/lib/modeplan", self.lib),
            ("/opt/modeplan/bin", BIN),
        ):
            script = script.replace(path, str(folder))
        if backup_day:
            script = script.replace("2027-01-15", backup_day)
        env = {
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "HOME": os.environ.get("HOME", "/tmp"),
            "DATABASE_URL": self.database_url,
            "MODEPLAN_SECRET_KEY": SECRET,
        }
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"block {name!r} failed:\n{script}\n{done.stderr}"
        return done.stdout

    def backup_day(self) -> str:
        (day,) = [p.name for p in self.backups.iterdir()]
        return day


def restore_settings(host: Host, day: str) -> None:
    """Section 8's root step (install, with an owner this machine lacks): the settings back."""
    shutil.copy(host.backups / day / "modeplan.env", host.env_file)


def modeplan(database_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "MODEPLAN_SECRET_KEY": SECRET}
    done = subprocess.run(
        [str(BIN / "modeplan"), *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def member_pages(database_url: str) -> dict[str, str]:
    """Each demo member's page, fetched by personal link, minus the per-request CSRF token."""
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "TESTING": True})
    client = app.test_client()
    pages = {}
    with app.app_context():
        members = app.extensions["sqlalchemy"].session.scalars(sa.select(Member)).all()
        links = {m.key: f"/m/{personal_token(m)}" for m in members}
    for key, link in links.items():
        response = client.get(link)
        assert response.status_code == 200, link
        pages[key] = CSRF.sub("", response.get_data(True))
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
    return pages


@pytest.fixture
def postgres_database() -> Iterator[str]:
    if reason := _postgres_reason():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests may not skip)")
        pytest.skip(reason)
    with fresh_postgres_database("modeplan_guide") as url:
        yield url.replace("postgresql+psycopg://", "postgresql://", 1)


def test_every_tested_block_is_run_here() -> None:
    assert set(guide_blocks()) == {
        "migrate",
        "backup-postgres",
        "restore-postgres",
        "backup-sqlite",
        "restore-sqlite",
        "upgrade",
    }


def test_postgres_install_backup_restore_and_upgrade(tmp_path, postgres_database) -> None:
    host = Host(tmp_path, postgres_database)
    assert "(head)" in host.run("migrate")
    modeplan(postgres_database, "init-demo")
    before = member_pages(postgres_database)
    assert len(before) == 9

    host.run("backup-postgres")
    day = host.backup_day()
    assert (host.backups / day / "modeplan.env").read_text() == host.env_file.read_text()
    assert oct((host.backups / day).stat().st_mode & 0o777) == "0o700"

    # Disaster: the database is lost and made again, empty, as section 3 makes it.
    name = postgres_database.rsplit("/", 1)[1]
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    host.env_file.unlink()
    restore_settings(host, day)

    host.run("restore-postgres", backup_day=day)
    assert member_pages(postgres_database) == before

    # An upgrade from an older schema: the data stays and the pages answer as before.
    modeplan(postgres_database, "db", "downgrade", "b7c8d9e0f1a2")
    assert "(head)" not in modeplan(postgres_database, "db", "current")
    assert "(head)" in host.run("upgrade")
    assert member_pages(postgres_database) == before


def test_sqlite_backup_and_restore(tmp_path) -> None:
    if shutil.which("sqlite3") is None:
        pytest.fail("the guide's SQLite backup needs the sqlite3 command (Debian: sqlite3)")
    database = tmp_path / "lib/modeplan.sqlite3"
    url = f"sqlite:///{database}"
    host = Host(tmp_path, url)
    host.run("migrate")
    modeplan(url, "init-demo")
    before = member_pages(url)

    host.run("backup-sqlite")
    day = host.backup_day()
    database.unlink()
    host.env_file.unlink()
    restore_settings(host, day)

    host.run("restore-sqlite", backup_day=day)
    assert member_pages(url) == before


def test_systemd_units_verify(tmp_path) -> None:
    units = UNIT.findall(GUIDE.read_text(encoding="utf-8"))
    assert {name for name, _ in units} == {
        "modeplan-web.service",
        "modeplan-worker.service",
        "modeplan-remind.service",
        "modeplan-remind.timer",
    }
    env_file = tmp_path / "modeplan.env"
    env_file.touch()
    for name, text in units:
        text = text.replace("/opt/modeplan/bin", str(BIN))
        (tmp_path / name).write_text(text.replace("/etc/modeplan/modeplan.env", str(env_file)))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / n) for n, _ in units)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
