"""Site-wide pages without login: the accessibility statement and the favicon.

GET /tilgaengelighed  the accessibility statement (tilgængelighedserklæring)
GET /favicon.ico      browsers ask for it by themselves: a redirect to the SVG icon
"""

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from .. import accessibility

bp = Blueprint("site", __name__)


@bp.get("/tilgaengelighed")
def accessibility_statement() -> str:
    return render_template("site/accessibility.html", statement=accessibility.statement())


@bp.get("/favicon.ico")
def favicon() -> Response:
    return redirect(url_for("static", filename="favicon.svg"), code=301)
