"""The member's page, reached through a personal link."""

from flask import Blueprint, abort, render_template
from flask_babel import gettext as _

from ..members import member_by_token

bp = Blueprint("member", __name__)


@bp.route("/m/<token>")
def answer(token: str):
    member = member_by_token(token)
    if member is None:
        abort(404, _("This personal link is not valid. Ask your coordinator for a new one."))
    return render_template("member/answer.html", member=member)
