"""The privacy page (no login): what Mødeplan stores, why, for how long, the rights, and who
to ask.

GET  /privatliv
"""

from flask import Blueprint, render_template

from ..feeds import absolute_url
from ..privacy import notice

bp = Blueprint("privacy", __name__)


@bp.get("/privatliv")
def page():
    return render_template(
        "privacy/page.html",
        controller=notice.controller(),
        networks=notice.network_coordinators(),
    )


@bp.app_context_processor
def privacy_link() -> dict:
    """`privacy_url()` for every template, mails included (under MODEPLAN_BASE_URL)."""
    return {"privacy_url": lambda: absolute_url("privacy.page")}
