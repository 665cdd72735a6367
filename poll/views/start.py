"""The start page: what Mødeplan is, the coordinator login and "lost your link?".

GET  /  the page
POST /  "lost your link?": the answer is the same whether the e-mail belongs to a member or
        not (200); a bad e-mail is a 400 naming the field; past a limit, a 429 that says when
        to try again (the limits count every accepted request, member or not, so a refusal
        reveals nothing). The mails go out after the response (poll/lost_links.py says why).
"""

import math
from functools import partial

from flask import Blueprint, Flask, make_response, render_template, request
from flask_babel import gettext as _

from .. import auth, lost_links
from ..forms import LostLinkForm
from ..job_rows import real_app

bp = Blueprint("start", __name__)


@bp.route("/", methods=["GET", "POST"])
def index():
    form = LostLinkForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        email = auth.normalise_email(form.email.data)
        remote = request.remote_addr or "?"
        if wait := lost_links.wait_seconds(email, remote):
            minutes = math.ceil(wait / 60)
            form.email.errors.append(
                _(
                    "E-mail: too many links asked for. Try again in %(minutes)d min.",
                    minutes=minutes,
                )
            )
            status, headers = 429, {"Retry-After": str(wait)}
        else:
            lost_links.record(email, remote)
            page = render_template("start/index.html", form=LostLinkForm(formdata=None), asked=True)
            response = make_response(page)
            response.call_on_close(partial(_send_after_response, real_app(), email))
            return response
    elif form.is_submitted():
        status = 400
    return render_template("start/index.html", form=form, asked=False), status, headers


def _send_after_response(app: Flask, email: str) -> None:
    """Runs when the server has sent the answer, outside its request: nothing may escape."""
    with app.app_context():
        try:
            lost_links.send_links(email)
        except Exception:
            app.logger.exception("lost link: the mails could not be sent")
