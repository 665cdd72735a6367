"""Keep personal and feed tokens out of the access logs: they open someone's page."""

import logging
import re

from flask import Flask

TOKEN_IN_PATH = re.compile(r"/(m|kalender)/[A-Za-z0-9_-]{20,64}")
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                TOKEN_IN_PATH.sub(r"/\1/[token]", a) if isinstance(a, str) else a
                for a in record.args
            )
        elif isinstance(record.args, dict):  # gunicorn passes its atoms as a mapping
            record.args = {
                k: TOKEN_IN_PATH.sub(r"/\1/[token]", v) if isinstance(v, str) else v
                for k, v in record.args.items()
            }
        record.msg = TOKEN_IN_PATH.sub(r"/\1/[token]", str(record.msg))
        return True


def init_app(app: Flask) -> None:
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
