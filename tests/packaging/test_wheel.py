"""The wheel, installed (not editable) in a fresh venv with the `server` extra and run away from
any checkout with nothing but environment variables: it migrates a new SQLite database,
creates the demo network and serves a member's page in Danish under gunicorn.

Slow (a wheel build and a venv install from PyPI or pip's cache, about a minute), and part of
the normal suite: CI has PyPI.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import urlopen

import pytest

from poll.version import __version__

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]
# What a checkout holds besides its sources (.gitignore), none of which goes into a wheel.
NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv",
    "__pycache__",
    "*.pyc",
    "instance",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "*.egg-info",
    "build",
    "dist",
    "test-results",
    ".env",
)


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """The bin folder of a fresh venv with the wheel and its `server` extra installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    # Built from a copy, so the build leaves no build/ or *.egg-info in the checkout.
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), "."],
        cwd=source)  # fmt: skip
    (wheel,) = (tmp / "dist").glob("modeplan-*.whl")
    assert wheel.name == f"modeplan-{__version__}-py3-none-any.whl"
    run([sys.executable, "-m", "venv", str(tmp / "venv")])
    python = tmp / "venv" / "bin" / "python"
    run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         f"{wheel}[server]"])  # fmt: skip
    shutil.rmtree(source)
    return python.parent


@pytest.fixture
def outside(tmp_path: Path, venv: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """An empty working folder and an environment of the settings alone (no checkout, no .env,
    no Accept-Language anywhere)."""
    folder = tmp_path / "empty"
    folder.mkdir()
    env = {
        "PATH": f"{venv}{os.pathsep}{os.defpath}",
        "MODEPLAN_SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
    }
    yield folder, env
    assert list(folder.iterdir()) == []  # nothing was written beside the user


def test_the_installed_command_says_its_version(venv, outside):
    folder, env = outside
    done = run([str(venv / "modeplan"), "--version"], cwd=folder, env=env)
    assert done.stdout.strip() == f"modeplan {__version__}"
    where = run([str(venv / "python"), "-c", "import poll; print(poll.__file__)"],
                cwd=folder, env=env)  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(venv.parent / "lib")


def test_the_wheel_carries_the_common_password_list(venv, outside):
    folder, env = outside
    code = (
        "from poll.accounts import COMMON_PASSWORDS; "
        "words = COMMON_PASSWORDS.read_text(encoding='utf-8').split(); "
        "print(len(words), 'password' in words)"
    )
    done = run([str(venv / "python"), "-c", code], cwd=folder, env=env)
    assert done.stdout.split() == ["10000", "True"]


def test_the_wheel_migrates_creates_the_demo_and_serves_a_member_page_in_danish(
    venv, outside, tmp_path
):
    folder, env = outside
    run([str(venv / "modeplan"), "db", "upgrade"], cwd=folder, env=env)
    assert (tmp_path / "x.sqlite3").exists()
    demo = run([str(venv / "modeplan"), "init-demo"], cwd=folder, env=env).stdout
    links = re.findall(r"^ +\w+ +(http://\S+/m/\S+)$", demo, flags=re.MULTILINE)
    assert len(links) == 9, demo
    assert (venv.parent / "var" / "poll-instance").is_dir()  # the instance folder (README)

    server = subprocess.Popen(
        [str(venv / "gunicorn"), "-b", "127.0.0.1:0", "-w", "1", "poll:create_app()"],
        cwd=folder,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in server.stderr:  # ends if gunicorn does
            if listening := re.search(r"Listening at: (http://\S+)", line):
                break
        else:
            pytest.fail(f"gunicorn did not start (exit {server.wait()})")
        base = listening.group(1)
        page_url = urljoin(base, urlsplit(links[0]).path)
        with urlopen(page_url, timeout=60) as response:
            assert response.status == 200
            page = response.read().decode()
        assert '<html lang="da">' in page
        assert "Dine svar for 2027" in page
        assert "Du svarer som" in page
        # The page's own files (style, scripts, icons) come from the package too.
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
        assert assets
        for asset in assets:
            with urlopen(urljoin(base, unescape(asset)), timeout=60) as response:
                assert response.status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)
