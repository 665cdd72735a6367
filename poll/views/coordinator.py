"""The coordinator's pages (login required)."""

from flask import Blueprint, g, render_template

from ..auth import login_required

bp = Blueprint("coordinator", __name__, url_prefix="/tovholder")


@bp.before_request
@login_required
def require_login():
    return None


@bp.route("/")
def dashboard():
    return render_template("coordinator/dashboard.html", network=g.account.network)
