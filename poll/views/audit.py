"""The network's audit log, for its coordinators: who did what, when."""

from flask import Blueprint, render_template, request

from .. import audit
from ..auth import current_network, login_required

bp = Blueprint("audit", __name__, url_prefix="/tovholder/log")


@bp.get("/")
@login_required
def index():
    page = request.args.get("side", 1, type=int)
    events, pages = audit.events(current_network().id, max(1, min(page, 10_000)))
    return render_template(
        "coordinator/audit.html",
        events=events,
        page=min(max(page, 1), pages),
        pages=pages,
        label=audit.label,
        command_line=audit.COMMAND_LINE,
    )
