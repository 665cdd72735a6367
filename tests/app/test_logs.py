import logging

from poll.logs import RedactTokens

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
