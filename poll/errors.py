"""Error pages: a clear message in the user's language, never a traceback."""

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from .db import db


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        403: _("Access denied"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        410: _("No longer available"),
        413: _("The upload is too large"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
    }


def render_error(code: int, message: str | None = None):
    title = _titles().get(code, _("Error"))
    return render_template("error.html", code=code, title=title, message=message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400,
            _("The form has expired or lacks its security check. Reload the page and try again."),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        custom = error.description != type(error).description
        return render_error(error.code or 500, error.description if custom else None)

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def unusable_value(error: Exception):
        # A value the database cannot hold (a number past its integer range, a NUL byte) that
        # slipped past the forms and the URL converters: the request's fault, not the server's.
        db.session.rollback()
        app.logger.warning("Refused a value the database cannot hold: %s", error)
        return render_error(
            400, _("A value in the request cannot be used. Check what you typed and try again.")
        )

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("Unhandled error")
        return render_error(500)
