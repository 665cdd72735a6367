import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from poll import create_app
from poll.config import SETTINGS, ConfigError, database_url
from poll.db import db
from poll.notifications import mail_settings

ROOT = Path(__file__).resolve().parents[2]
SECRET = secrets.token_urlsafe(32)
BIN = Path(sys.executable).parent
MINUTE = timedelta(minutes=1)
ABSOLUTE_URL = "an absolute http:// or https:// URL such as https://modeplan.example.dk"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Each test starts from no setting at all, whatever the shell running pytest has."""
    for name in os.environ:
        if name.startswith(("MODEPLAN_", "MAIL_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)


def test_refuses_to_start_outside_debug_with_the_development_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigError, match="MODEPLAN_SECRET_KEY must be set"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})
    # Testing (or debug) may use it.
    assert create_app({"TESTING": True}).testing


def test_defaults_then_environment_then_test_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("MODEPLAN_SECRET_KEY", SECRET)
    monkeypatch.setenv("MODEPLAN_REMINDER_DAYS", "5")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite3")
    app = create_app({"REMINDER_DAYS": 2})
    assert app.config["SECRET_KEY"] == SECRET
    assert app.config["REMINDER_DAYS"] == 2  # the test override wins
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite3")
    assert app.config["BABEL_DEFAULT_LOCALE"] == "da"  # a default nobody overrode


@pytest.mark.parametrize(
    ("name", "text", "key", "value"),
    [
        ("MODEPLAN_BASE_URL", "https://modeplan.example.dk/", "BASE_URL", "https://modeplan.example.dk"),
        ("MODEPLAN_REMINDER_DAYS", "0", "REMINDER_DAYS", 0),
        ("MODEPLAN_SESSION_COOKIE_SECURE", "True", "SESSION_COOKIE_SECURE", True),
        ("MODEPLAN_SESSION_COOKIE_SECURE", "off", "SESSION_COOKIE_SECURE", False),
        ("MODEPLAN_PERMANENT_SESSION_LIFETIME", "60", "PERMANENT_SESSION_LIFETIME", MINUTE),
        ("MODEPLAN_PROXY_FIX", "2", "PROXY_FIX", 2),
        ("MODEPLAN_PROXY_FIX", "true", "PROXY_FIX", 1),
        ("MODEPLAN_WORKERS", "external", "WORKERS", "external"),
        ("MODEPLAN_LOG_FORMAT", "JSON", "LOG_FORMAT", "json"),
        ("MODEPLAN_LOG_LEVEL", "warning", "LOG_LEVEL", "WARNING"),
        ("MODEPLAN_LOG_LEVEL", " ", "LOG_LEVEL", "INFO"),  # empty counts as unset
    ],
)  # fmt: skip
def test_each_setting_becomes_its_config_value(monkeypatch, name, text, key, value):
    monkeypatch.setenv(name, text)
    app = create_app({"TESTING": True})
    assert app.config[key] == value


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "mysql://u@h/db", "a postgresql://… or sqlite:///… URL"),
        ("DATABASE_URL", "not a url", "a postgresql://… or sqlite:///… URL"),
        ("MODEPLAN_BASE_URL", "modeplan.example.dk", ABSOLUTE_URL),
        ("MODEPLAN_BASE_URL", "ftp://modeplan.example.dk", ABSOLUTE_URL),
        ("MODEPLAN_REMINDER_DAYS", "tre", "a whole number of 0 or more"),
        ("MODEPLAN_REMINDER_DAYS", "-1", "a whole number of 0 or more"),
        ("MODEPLAN_SESSION_COOKIE_SECURE", "ja", "true or false"),
        ("MODEPLAN_PERMANENT_SESSION_LIFETIME", "0", "a whole number of 1 or more"),
        ("MODEPLAN_PERMANENT_SESSION_LIFETIME", "12h", "a whole number of 1 or more"),
        ("MODEPLAN_PROXY_FIX", "nginx", "a number of proxies (0 or more), true (1) or false (0)"),
        ("MODEPLAN_WORKERS", "celery", "inline or external"),
        ("MODEPLAN_LOG_FORMAT", "xml", "plain or json"),
        ("MODEPLAN_LOG_LEVEL", "verbose", "DEBUG or INFO or WARNING or ERROR or CRITICAL"),
        (
            "MODEPLAN_INSTANCE_PATH",
            "var/modeplan",
            "an absolute folder path such as /var/lib/modeplan",
        ),
    ],
)
def test_a_bad_value_stops_the_start_and_is_named(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as stopped:
        create_app({"TESTING": True})
    assert f'\n  {name} must be {expected}, got "{value}"\n' in stopped.value.message
    assert stopped.value.exit_code == 2


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"MODEPLAN_SECRET_KEY": "short"}, "MODEPLAN_SECRET_KEY must be at least 32 random"),
        ({"MAIL_PORT": "abc"}, "MAIL_PORT must be a port number 1-65535, not 'abc'"),
        ({"MAIL_SECURITY": "ssl"}, "MAIL_SECURITY must be starttls, tls or none, not 'ssl'"),
        ({"MAIL_USERNAME": "modeplan"}, "MAIL_PASSWORD must be set when MAIL_USERNAME is"),
        ({"MAIL_SENDER": "noreply"}, "MAIL_SENDER must be one address"),
        ({"MAIL_TIMEOUT": "0"}, "MAIL_TIMEOUT must be a number of seconds above 0"),
        (
            {"MODEPLAN_REMINDERDAYS": "3"},
            "MODEPLAN_REMINDERDAYS is not a setting of Mødeplan;"
            " did you mean MODEPLAN_REMINDER_DAYS?",
        ),
        ({"MODEPLAN_COLOUR": "blue"}, "MODEPLAN_COLOUR is not a setting of Mødeplan\n"),
        (
            {"MODEPLAN_MAIL_PORT": "25"},
            "MODEPLAN_MAIL_PORT is not a setting of Mødeplan; did you mean MAIL_PORT?",
        ),
    ],
)
def test_a_bad_setting_stops_the_start_and_is_named(monkeypatch, environment, message):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as stopped:
        create_app({"TESTING": True})
    assert message in stopped.value.message
    assert stopped.value.exit_code == 2


def test_every_problem_is_named_at_once_and_the_secret_is_not_shown(monkeypatch):
    monkeypatch.setenv("MODEPLAN_SECRET_KEY", "hemmelig")
    monkeypatch.setenv("MODEPLAN_LOG_LEVEL", "loud")
    monkeypatch.setenv("MAIL_PORT", "smtp")
    with pytest.raises(ConfigError) as stopped:
        create_app({"TESTING": True})
    lines = stopped.value.message.splitlines()
    assert [line.split()[0] for line in lines[1:-1]] == [
        "MODEPLAN_SECRET_KEY",
        "MODEPLAN_LOG_LEVEL",
        "MAIL_PORT",
    ]
    assert "hemmelig" not in stopped.value.message


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.sqlite3", "sqlite:////tmp/x.sqlite3"),
    ],
)
def test_database_url_goes_through_psycopg_3(given, expected):
    assert database_url(given) == expected


def test_sqlite_connections_enforce_foreign_keys_with_wal_and_a_busy_timeout(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 5000
        # Disposing closes only the pool's idle connections, so it comes after the connection
        # is back in the pool; disposed earlier, the connection would be dropped unclosed.
        db.engine.dispose()


# -- the commands -----------------------------------------------------------------------------


def run(command: list[str], cwd: Path, **environment: str) -> subprocess.CompletedProcess:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MODEPLAN_", "MAIL_", "FLASK_")) and name != "DATABASE_URL"
    }
    return subprocess.run(
        command, cwd=cwd, env={**env, **environment}, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "command", [[str(BIN / "modeplan")], [str(BIN / "flask"), "--app", "poll"]]
)
@pytest.mark.parametrize("subcommand", [["db", "upgrade"], ["init-demo"]])
def test_a_command_with_a_bad_setting_says_which_and_exits_2(tmp_path, command, subcommand):
    done = run(
        [*command, *subcommand],
        tmp_path,
        MODEPLAN_SECRET_KEY=SECRET,
        DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3",
        MODEPLAN_PROXY_FIX="nginx",
    )
    assert done.returncode == 2
    assert (
        "MODEPLAN_PROXY_FIX must be a number of proxies (0 or more), true (1) or false (0),"
        ' got "nginx"' in done.stderr
    )
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "x.sqlite3").exists()


def test_modeplan_reads_no_env_file_but_flask_does(tmp_path):
    (tmp_path / ".env").write_text(
        f"MODEPLAN_SECRET_KEY={SECRET}\nDATABASE_URL=sqlite:///{tmp_path}/x.sqlite3\n"
    )
    modeplan = run([str(BIN / "modeplan"), "db", "upgrade"], tmp_path)
    assert modeplan.returncode == 2
    assert "MODEPLAN_SECRET_KEY must be set" in modeplan.stderr
    assert "Traceback" not in modeplan.stderr
    flask = run([str(BIN / "flask"), "--app", "poll", "db", "upgrade"], tmp_path)
    assert flask.returncode == 0, flask.stderr
    assert (tmp_path / "x.sqlite3").exists()


def test_modeplan_help_shows_a_configuration_error_without_a_traceback(tmp_path):
    done = run([str(BIN / "modeplan"), "--help"], tmp_path, MODEPLAN_WORKERS="threads")
    assert done.returncode == 0
    assert 'MODEPLAN_WORKERS must be inline or external, got "threads"' in done.stderr
    assert "Traceback" not in done.stderr
    assert "run" in done.stdout.split("Commands:")[1]


# -- the documentation lists the same settings ------------------------------------------------


def test_the_instance_folder_is_where_the_setting_says(monkeypatch, tmp_path):
    """An installation's venv may not be writable by the service: the folder the app writes
    to (default SQLite database, outbox) can be put elsewhere."""
    folder = tmp_path / "lib" / "modeplan"
    monkeypatch.setenv("MODEPLAN_SECRET_KEY", SECRET)
    monkeypatch.setenv("MODEPLAN_INSTANCE_PATH", str(folder))
    app = create_app()
    assert app.instance_path == str(folder)
    assert folder.is_dir()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{folder / 'modeplan.sqlite3'}"


def test_init_demo_prints_links_under_the_base_url(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "MODEPLAN_SECRET_KEY": SECRET,
        "MODEPLAN_INSTANCE_PATH": str(tmp_path),
        "MODEPLAN_BASE_URL": "https://modeplan.example.dk",
    }
    done = subprocess.run(
        [str(BIN / "modeplan"), "init-demo"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    links = re.findall(r"https?://\S+", done.stdout)
    assert len(links) == 10  # the login and nine personal links
    assert all(link.startswith("https://modeplan.example.dk/") for link in links)
    assert (tmp_path / "modeplan.sqlite3").exists()


def test_env_example_lists_every_setting_and_nothing_else():
    text = (ROOT / ".env.example").read_text()
    listed = re.findall(r"^# ?([A-Z][A-Z0-9_]*)=(.*)$", text, flags=re.MULTILINE)
    assert sorted(listed) == sorted((setting.name, setting.default) for setting in SETTINGS)
    # Only comments: copied to .env as it is, it sets nothing.
    assert all(line == "" or line.startswith("#") for line in text.splitlines())


def test_readme_configuration_table_lists_every_setting_and_nothing_else():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, flags=re.MULTILINE)
    assert sorted(rows) == sorted(setting.name for setting in SETTINGS)


def test_mail_from_noreply_at_localhost_is_refused_outside_debug_and_testing(monkeypatch, tmp_path):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("MODEPLAN_SECRET_KEY", SECRET)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    monkeypatch.setenv("MAIL_HOST", "smtp.example.dk")
    with pytest.raises(ConfigError) as stopped:
        create_app()
    assert "MAIL_SENDER must be set when MAIL_HOST is" in stopped.value.message
    assert stopped.value.exit_code == 2
    # A base URL with the site's domain gives the sender: noreply at that domain.
    monkeypatch.setenv("MODEPLAN_BASE_URL", "https://moeder.bibliotek.dk")
    app = create_app()
    with app.app_context():
        assert mail_settings().sender == "Mødeplan <noreply@moeder.bibliotek.dk>"
    # So does MAIL_SENDER itself, whatever the base URL.
    monkeypatch.delenv("MODEPLAN_BASE_URL")
    monkeypatch.setenv("MAIL_SENDER", "Mødeplan <moeder@bibliotek.dk>")
    with create_app().app_context():
        assert mail_settings().sender == "Mødeplan <moeder@bibliotek.dk>"
    # Without MAIL_HOST mails go to the outbox folder, and nothing needs a sender.
    monkeypatch.delenv("MAIL_SENDER")
    monkeypatch.delenv("MAIL_HOST")
    assert create_app().config["SECRET_KEY"] == SECRET
