"""Logging: plain lines or one JSON object per line on stderr (MODEPLAN_LOG_FORMAT), at
MODEPLAN_LOG_LEVEL; and personal and feed tokens kept out of every line, since they open
someone's page."""

import json
import logging
import logging.config
import re
from datetime import UTC, datetime

from flask import Flask, Response, has_request_context, request
from flask.logging import default_handler

TOKEN_IN_PATH = re.compile(r"/(m|kalender)/[A-Za-z0-9_-]{20,64}")
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")
LOG_FORMATS = ("plain", "json")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REQUEST_FIELDS = ("method", "path", "status")
request_log = logging.getLogger("poll.request")


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub(r"/\1/[token]", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):  # gunicorn passes its atoms as a mapping
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        record.msg = redact(str(record.msg))
        return True


class PlainFormatter(logging.Formatter):
    """The usual line, redacted as a whole: a token may also hide in a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, and the request's method,
    path (and status, on the request log) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry |= {"method": request.method, "path": request.path}
        entry |= {f: getattr(record, f) for f in REQUEST_FIELDS if hasattr(record, f)}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


def log_format(app: Flask) -> str:
    value = app.config.get("LOG_FORMAT", "plain")
    return value if value in LOG_FORMATS else "plain"


def log_level(app: Flask) -> int:
    """LOG_LEVEL as a level number: a name (INFO, warning) or a number; INFO if neither."""
    value = app.config.get("LOG_LEVEL", "INFO")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return logging.getLevelNamesMapping().get(value.strip().upper(), logging.INFO)
    return logging.INFO


def configure_logging(app: Flask) -> None:
    """Everything through one handler on stderr; calling it again replaces that handler."""
    level = log_level(app)
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"redact": {"()": RedactTokens}},
            "formatters": {
                "plain": {"()": PlainFormatter, "format": PLAIN_FORMAT},
                "json": {"()": JsonFormatter},
            },
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stderr",
                    "formatter": log_format(app),
                    "filters": ["redact"],
                    "level": level,
                }
            },
            "root": {"level": level, "handlers": ["stderr"]},
            # Werkzeug sets itself to INFO, and adds a handler of its own if ours is above that.
            "loggers": {
                "werkzeug": {"level": level},
                # Reading the migrations (health check) lists Alembic's plugins at INFO.
                "alembic.runtime.plugins": {"level": "WARNING"},
            },
        }
    )
    # Flask's own handler would print the app's records a second time, unformatted.
    logging.getLogger(app.name).removeHandler(default_handler)


def log_request(response: Response) -> Response:
    path = redact(request.path)
    request_log.info(
        "%s %s %s",
        request.method,
        path,
        response.status_code,
        extra={"method": request.method, "path": path, "status": response.status_code},
    )
    return response


def init_app(app: Flask) -> None:
    # Tests keep their own log capture; the access loggers are redacted whatever the set-up.
    if not app.testing:
        configure_logging(app)
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
    if log_format(app) == "json":
        app.after_request(log_request)
