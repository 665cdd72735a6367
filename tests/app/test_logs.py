import json
import logging
import os
import subprocess
import sys
import urllib.request
from datetime import datetime
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade

from poll.db import db
from poll.feeds import feed_token
from poll.logs import (
    PLAIN_FORMAT,
    JsonFormatter,
    PlainFormatter,
    RedactTokens,
    log_format,
    log_level,
)
from poll.models import Member
from tests.conftest import make_app
from tests.factories import make_network

ROOT = Path(__file__).resolve().parents[2]

TOKEN = "lACMNlVJVgJvjsj1Qv5TlABwMXUEp7Do"


def _record(msg, args) -> logging.LogRecord:
    return logging.LogRecord("werkzeug", logging.INFO, __file__, 1, msg, args, None)


def test_tokens_in_access_log_lines_are_replaced(app):
    werkzeug = _record('%s - - "%s" %s', ("127.0.0.1", f"GET /m/{TOKEN}/2027 HTTP/1.1", "200"))
    RedactTokens().filter(werkzeug)
    line = werkzeug.getMessage()
    assert TOKEN not in line and "GET /m/[token]/2027" in line

    gunicorn = _record('%(h)s "%(r)s"', None)
    gunicorn.args = {"h": "10.0.0.1", "r": f"GET /kalender/{TOKEN}.ics HTTP/1.1"}
    RedactTokens().filter(gunicorn)
    assert TOKEN not in gunicorn.getMessage() and "/kalender/[token].ics" in gunicorn.getMessage()


def test_the_app_puts_the_filter_on_the_access_loggers(app):
    assert any(isinstance(f, RedactTokens) for f in logging.getLogger("werkzeug").filters)
    assert any(isinstance(f, RedactTokens) for f in logging.getLogger("gunicorn.access").filters)


# -- the configured output: a real server process, its stderr read line by line -------------


def _serve_and_fetch(tmp_path, env: dict[str, str]) -> tuple[list[str], list[str], str]:
    """Start a real server on a fresh SQLite database with these settings, fetch a member page
    and a calendar feed by their personal links, stop it: its stderr lines, the tokens used,
    and the member page's path pattern."""
    url = f"sqlite:///{tmp_path / 'logs.sqlite3'}"
    app = make_app(url)
    with app.app_context():
        upgrade()
        fx = make_network()
        henrik = db.session.get(Member, fx.member_ids["henrik"])
        feed = feed_token(henrik)
        db.session.commit()
        db.engine.dispose()
    token = fx.tokens["henrik"]
    process = subprocess.Popen(
        # TESTING off: the app configures logging as it does in production.
        [sys.executable, "-m", "tests.live_app", url, "TESTING=false"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{process.stdout.readline().strip()}"
        with urllib.request.urlopen(f"{base}/m/{token}/{fx.year}", timeout=30) as page:
            assert page.status == 200 and "Henrik" in page.read().decode()
        with urllib.request.urlopen(f"{base}/kalender/{feed}.ics", timeout=30) as calendar:
            assert calendar.status == 200
    finally:
        process.terminate()
        _out, errors = process.communicate(timeout=30)
    return errors.splitlines(), [token, feed], f"/m/[token]/{fx.year}"


def test_json_logs_are_one_object_a_line_with_the_request_and_no_token(tmp_path):
    lines, tokens, member_path = _serve_and_fetch(tmp_path, {"MODEPLAN_LOG_FORMAT": "json"})
    entries = [json.loads(line) for line in lines]  # every line, or this fails
    assert entries
    for line in lines:
        assert not any(token in line for token in tokens), line
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys()
        datetime.fromisoformat(entry["time"])
    requests = [e for e in entries if e["logger"] == "poll.request"]
    assert {(e["method"], e["path"], e["status"]) for e in requests} == {
        ("GET", member_path, 200),
        ("GET", "/kalender/[token].ics", 200),
    }
    assert all(e["level"] == "INFO" for e in requests)
    # The server's own access lines go through the same handler, redacted.
    access = [e for e in entries if e["logger"] == "werkzeug"]
    assert any(f"GET {member_path} " in e["message"] for e in access)


def test_plain_logs_are_redacted_lines(tmp_path):
    lines, tokens, member_path = _serve_and_fetch(tmp_path, {"MODEPLAN_LOG_FORMAT": "plain"})
    assert any(f"GET {member_path} " in line and " INFO werkzeug: " in line for line in lines)
    for line in lines:
        assert not any(token in line for token in tokens), line
        assert not line.startswith("{")


def test_the_log_level_holds_back_what_is_below_it(tmp_path):
    env = {"MODEPLAN_LOG_FORMAT": "json", "MODEPLAN_LOG_LEVEL": "WARNING"}
    lines, _tokens, _path = _serve_and_fetch(tmp_path, env)
    entries = [json.loads(line) for line in lines]
    assert [e for e in entries if e["level"] == "INFO"] == []


# -- the formatters and the request log in this process --------------------------------------


def test_a_token_in_a_traceback_is_redacted_in_both_formats():
    try:
        raise ValueError(f"no page at /m/{TOKEN}/2027")
    except ValueError:
        record = logging.LogRecord(
            "poll", logging.ERROR, __file__, 1, "Unhandled error", None, sys.exc_info()
        )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "ERROR" and "/m/[token]/2027" in entry["exception"]
    plain = PlainFormatter(PLAIN_FORMAT).format(record)
    assert "Traceback" in plain and "/m/[token]/2027" in plain
    assert TOKEN not in json.dumps(entry) + plain


def test_the_request_log_names_method_path_and_status_without_the_token(app, caplog):
    json_app = make_app(app.config["SQLALCHEMY_DATABASE_URI"], LOG_FORMAT="json")
    with caplog.at_level(logging.INFO, logger="poll.request"):
        json_app.test_client().get(f"/m/{TOKEN}/2027")
        json_app.test_client().get("/healthz")
    with json_app.app_context():
        db.engine.dispose()
    requests = [r for r in caplog.records if r.name == "poll.request"]
    assert [(r.method, r.path, r.status) for r in requests] == [
        ("GET", "/m/[token]/2027", 404),
        ("GET", "/healthz", 200),
    ]
    assert TOKEN not in caplog.text


def test_the_plain_format_has_no_request_log(app, caplog):
    with caplog.at_level(logging.INFO, logger="poll.request"):
        app.test_client().get("/healthz")
    assert [r for r in caplog.records if r.name == "poll.request"] == []


def test_an_unknown_format_or_level_falls_back_to_plain_and_info():
    for config, expected in [
        ({}, ("plain", logging.INFO)),
        ({"LOG_FORMAT": "json", "LOG_LEVEL": "debug"}, ("json", logging.DEBUG)),
        ({"LOG_FORMAT": "xml", "LOG_LEVEL": "loud"}, ("plain", logging.INFO)),
        ({"LOG_LEVEL": 30}, ("plain", logging.WARNING)),
        ({"LOG_LEVEL": None}, ("plain", logging.INFO)),
    ]:
        app = Flask("check")
        app.config.update(config)
        assert (log_format(app), log_level(app)) == expected, config
